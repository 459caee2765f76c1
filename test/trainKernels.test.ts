/**
 * The WebAssembly kernels of training: the f32 products (A·Bᵀ, A·B, Aᵀ·B) against a plain triple
 * loop, and a whole forward + backward on them (products and attention) against the float64
 * TypeScript path.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';
import { WasmBackend } from '../src/kernels/wasmBackend.js';
import type { MatmulForm } from '../src/kernels/types.js';
import { GradModel } from '../src/model/grad/gradModel.js';
import { backendMatmul } from '../src/model/grad/matmul.js';
import { initParams, paramLayout } from '../src/model/grad/params.js';
import { seededRandom } from '../src/random.js';

function reference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, form: MatmulForm): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += (form === 'tn' ? a[p * m + i] : a[i * k + p]) * (form === 'nt' ? b[j * k + p] : b[p * n + j]);
      out[i * n + j] = sum;
    }
  }
  return out;
}

// Shapes with M = 1, M not a multiple of 4, N not a multiple of 8, K over one kc block (256).
const SHAPES: Array<[number, number, number]> = [[1, 13, 9], [1, 200, 400], [7, 21, 300], [16, 64, 32], [33, 40, 517], [5, 3, 1]];
const relaxed = enableRelaxedSimd();

for (const simd of ['plain', 'relaxed'] as const) {
  for (const threads of [1, 2]) {
    describe(`matmul on WasmBackend ${simd}, ${threads} thread(s)`, { skip: simd === 'relaxed' && !relaxed ? 'no relaxed SIMD' : false }, () => {
      let backend: WasmBackend;
      before(async () => {
        backend = await WasmBackend.create({ simd, threads });
      });
      after(() => backend.dispose());

      for (const form of ['nt', 'nn', 'tn'] as const) {
        test(`form ${form}`, () => {
          const random = seededRandom(17);
          for (const [m, n, k] of SHAPES) {
            const a = Float32Array.from({ length: m * k }, () => random() * 2 - 1);
            const b = Float32Array.from({ length: n * k }, () => random() * 2 - 1);
            const out = new Float32Array(m * n).fill(Number.NaN);
            backend.matmul(a, b, out, m, n, k, form);
            const expected = reference(a, b, m, n, k, form);
            for (let i = 0; i < m * n; i++) {
              assert.ok(Math.abs(out[i] - expected[i]) <= 1e-5 * Math.sqrt(k), `${form} ${m}×${n}×${k} [${i}]: ${out[i]} vs ${expected[i]}`);
            }
          }
        });
      }

      test('forward + backward on the kernels equal the float64 TypeScript path within f32 rounding', () => {
        const layout = paramLayout({ d: 32, layers: 2, heads: 4, kvHeads: 2, dff: 40, vocab: 50, tied: false, maxPositions: 64, ropeTheta: 10000, eps: 1e-5 });
        const params = initParams(layout, 9, 0.2);
        const random = seededRandom(10);
        const sequences = [37, 5, 60, 1].map((n) => Array.from({ length: n }, () => Math.floor(random() * 50)));
        const masks = sequences.map((ids) => new Uint8Array(ids.length).fill(1));
        const fast = new GradModel(layout, params, backend);
        assert.ok(fast.fastAttention, 'attention runs on the kernels');
        const exact = new GradModel(layout, Float64Array.from(params));
        const hooks = ['blocks.*.attn.hook_z', 'blocks.0.hook_resid_pre'];
        const gradsFast = new Float32Array(layout.size);
        const gradsExact = new Float64Array(layout.size);
        const a = fast.backward(fast.forward(sequences), { lossMasks: masks, grads: gradsFast, hooks });
        const b = exact.backward(exact.forward(sequences), { lossMasks: masks, grads: gradsExact, hooks });
        assert.ok(Math.abs((a.loss as number) - (b.loss as number)) < 1e-5, `loss ${a.loss} vs ${b.loss}`);
        const close = (what: string, x: ArrayLike<number>, y: ArrayLike<number>): void => {
          let diff = 0;
          let norm = 0;
          for (let i = 0; i < y.length; i++) {
            diff += (x[i] - y[i]) ** 2;
            norm += y[i] ** 2;
          }
          assert.ok(Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm), `${what}: relative L2 error ${Math.sqrt(diff / norm)}`);
        };
        for (const t of layout.tensors) close(t.name, gradsFast.subarray(t.offset, t.offset + t.size), gradsExact.subarray(t.offset, t.offset + t.size));
        for (let s = 0; s < sequences.length; s++) {
          for (const [name, grad] of b.hookGrads[s]) close(`${name} (sequence ${s})`, a.hookGrads[s].get(name)!, grad);
        }
      });

      test('backendMatmul routes f32 to the kernels, float64 to TypeScript', () => {
        let kernelCalls = 0;
        const spy = Object.create(backend) as typeof backend;
        spy.matmul = (...args: Parameters<typeof backend.matmul>) => (kernelCalls++, backend.matmul(...args));
        const mm = backendMatmul(spy);
        const a = Float64Array.of(1, 2, 3, 4);
        const out = new Float64Array(4);
        mm(a, a, out, 2, 2, 2, 'nn'); // [[1,2],[3,4]]² = [[7,10],[15,22]]
        assert.deepEqual([...out], [7, 10, 15, 22]);
        assert.equal(kernelCalls, 0, 'float64 stays in TypeScript');
        const out32 = new Float32Array(4);
        mm(Float32Array.from(a), Float32Array.from(a), out32, 2, 2, 2, 'tn'); // Aᵀ·A = [[10,14],[14,20]]
        assert.deepEqual([...out32], [10, 14, 14, 20]);
        assert.equal(kernelCalls, 1, 'f32 goes to the kernels');
      });
    });
  }
}
