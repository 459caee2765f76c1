/** The WebAssembly f32 products of training (A·Bᵀ, A·B, Aᵀ·B) against a plain triple loop. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';
import { WasmBackend } from '../src/kernels/wasmBackend.js';
import type { MatmulForm } from '../src/kernels/types.js';
import { backendMatmul } from '../src/model/grad/matmul.js';
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

      test('backendMatmul routes f32 to the kernels, float64 to TypeScript', () => {
        const mm = backendMatmul(backend);
        const a = Float64Array.of(1, 2, 3, 4);
        const out = new Float64Array(4);
        mm(a, a, out, 2, 2, 2, 'nn'); // [[1,2],[3,4]]² = [[7,10],[15,22]]
        assert.deepEqual([...out], [7, 10, 15, 22]);
        const out32 = new Float32Array(4);
        mm(Float32Array.from(a), Float32Array.from(a), out32, 2, 2, 2, 'tn'); // Aᵀ·A = [[10,14],[14,20]]
        assert.deepEqual([...out32], [10, 14, 14, 20]);
      });
    });
  }
}
