/**
 * int8 weights: the plain-TypeScript reference (int8Reference.ts) against the definition of
 * symmetric quantisation, and the wasm int8 kernels (quantise-and-pack, GEMV, GEMM) against the
 * reference on the same quantised weights — odd shapes, K over several flush blocks, bias on/off,
 * f32/bf16/f16 sources, relaxed and plain builds, 1 and 2 threads — plus the JS backend's int8 path.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JsBackend, WasmBackend, type LinearBackend, type WeightDType } from '../src/kernels/index.js';
import { int8Linear, quantizeRow, quantizeWeight, roundHalfEven, type Int8Matrix } from '../src/kernels/int8Reference.js';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';
import { seededRandom } from '../src/random.js';

function randomValues(count: number, rand: () => number): Float32Array {
  const v = new Float32Array(count);
  // Mixed magnitudes, as in real weights and activations (a few outliers per row).
  for (let i = 0; i < count; i++) v[i] = (rand() - 0.5) * (rand() < 0.02 ? 20 : 1);
  return v;
}

/** Raw bytes of `values` as `dtype` (values are first rounded to it) and the f32 values they encode. */
function encode(values: Float32Array, dtype: WeightDType): { bytes: Uint8Array; exact: Float32Array } {
  if (dtype === 'f32') return { bytes: new Uint8Array(values.slice().buffer), exact: values };
  const bits = new Uint16Array(values.length);
  const exact = new Float32Array(values.length);
  const u32 = new Uint32Array(exact.buffer);
  const f32 = new Float32Array(1);
  const f32Bits = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    if (dtype === 'bf16') {
      f32[0] = values[i];
      bits[i] = f32Bits[0] >>> 16; // truncation is fine: `exact` is what the bits mean
      u32[i] = bits[i] << 16;
    } else {
      // f16 of a value in (−16, 16): sign, exponent, 10-bit mantissa.
      const v = values[i];
      const sign = v < 0 ? 0x8000 : 0;
      const a = Math.abs(v);
      if (a < 2 ** -14) {
        bits[i] = sign | Math.floor(a / 2 ** -24);
        exact[i] = (sign ? -1 : 1) * (bits[i] & 0x3ff) * 2 ** -24;
      } else {
        const e = Math.floor(Math.log2(a));
        const mantissa = Math.min(1023, Math.floor((a / 2 ** e - 1) * 1024));
        bits[i] = sign | ((e + 15) << 10) | mantissa;
        exact[i] = (sign ? -1 : 1) * (1 + mantissa / 1024) * 2 ** e;
      }
    }
  }
  return { bytes: new Uint8Array(bits.buffer), exact };
}

describe('int8 reference', () => {
  test('round half to even', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, -3.6].map(roundHalfEven).map((v) => v + 0), [0, 2, 2, 0, -2, -2, 2, -4]);
  });

  test('quantised rows are symmetric, within half a step, and use the full range', () => {
    const rand = seededRandom(3);
    const rows = 7, cols = 45;
    const w = randomValues(rows * cols, rand);
    w.fill(0, 2 * cols, 3 * cols); // an all-zero row: scale 0, q 0
    const { q, scales } = quantizeWeight(w, rows, cols);
    for (let r = 0; r < rows; r++) {
      let maxAbs = 0;
      for (let c = 0; c < cols; c++) maxAbs = Math.max(maxAbs, Math.abs(w[r * cols + c]));
      assert.equal(scales[r], Math.fround(maxAbs / 127), `scale of row ${r}`);
      let maxQ = 0;
      for (let c = 0; c < cols; c++) {
        const i = r * cols + c;
        maxQ = Math.max(maxQ, Math.abs(q[i]));
        assert.ok(Math.abs(w[i] - q[i] * scales[r]) <= scales[r] * 0.5 * (1 + 1e-6), `w[${r},${c}] = ${w[i]} vs ${q[i]}·${scales[r]}`);
      }
      assert.equal(maxQ, maxAbs === 0 ? 0 : 127, `row ${r} reaches ±127`);
    }
  });

  test('int8Linear is close to the f64 product and exact on the quantised values', () => {
    const rand = seededRandom(4);
    const m = 3, k = 37, n = 11;
    const x = randomValues(m * k, rand);
    const w = randomValues(n * k, rand);
    const bias = randomValues(n, rand);
    const weight = quantizeWeight(w, n, k);
    const out = new Float32Array(m * n);
    int8Linear(x, m, weight, out, bias);
    for (let i = 0; i < m; i++) {
      // The same product written out: quantise the row, integer dot, scale.
      let maxAbs = 0;
      for (let p = 0; p < k; p++) maxAbs = Math.max(maxAbs, Math.abs(x[i * k + p]));
      const sx = Math.fround(maxAbs / 32767);
      for (let j = 0; j < n; j++) {
        let dot = 0, exact = 0, bound = 0;
        const sw = weight.scales[j];
        for (let p = 0; p < k; p++) {
          const xq = roundHalfEven(Math.fround(x[i * k + p] / sx));
          assert.ok(Math.abs(xq) <= 32767);
          dot += xq * weight.q[j * k + p];
          exact += x[i * k + p] * w[j * k + p];
          // |x·w − x̂·ŵ| ≤ |x|·sw/2 + |w|·sx/2 + sx·sw/4 with x̂ = xq·sx, ŵ = q·sw.
          bound += Math.abs(x[i * k + p]) * sw / 2 + Math.abs(w[j * k + p]) * sx / 2 + (sx * sw) / 4;
        }
        const expected = Math.fround(Math.fround(Math.fround(dot) * Math.fround(sx * weight.scales[j])) + bias[j]);
        assert.equal(out[i * n + j], expected, `out[${i},${j}]`);
        assert.ok(Math.abs(out[i * n + j] - bias[j] - exact) <= bound * 1.001 + 1e-5, `out[${i},${j}] = ${out[i * n + j]} vs ${exact + bias[j]}`);
      }
    }
  });
});

/**
 * Checks a backend's int8 product against the reference on the same quantised weight: equal when
 * every integer sum fits one f32 flush block (K ≤ 512), else within the f32 roundings of one
 * partial sum per 512-wide block of K.
 */
function assertMatchesReference(out: Float32Array, x: Float32Array, m: number, weight: Int8Matrix, bias: Float32Array | undefined, label: string): void {
  const { rows: n, cols: k, q, scales } = weight;
  const expected = new Float32Array(m * n);
  int8Linear(x, m, weight, expected, bias);
  const blocks = Math.ceil(Math.ceil(k / 4) / 128);
  const xq = new Int16Array(k);
  for (let i = 0; i < m; i++) {
    const sx = quantizeRow(x.subarray(i * k, (i + 1) * k), 32767, xq);
    for (let j = 0; j < n; j++) {
      const got = out[i * n + j];
      const want = expected[i * n + j];
      if (blocks === 1) {
        assert.equal(got, want, `${label}: out[${i},${j}]`);
        continue;
      }
      let magnitude = 0;
      for (let p = 0; p < k; p++) magnitude += Math.abs(xq[p] * q[j * k + p]);
      const tolerance = blocks * 2 ** -23 * magnitude * sx * scales[j] + 2 ** -22 * Math.abs(want);
      assert.ok(Math.abs(got - want) <= tolerance, `${label}: out[${i},${j}] = ${got}, reference ${want} (tolerance ${tolerance})`);
    }
  }
}

// M = 1 runs the GEMV: it walks three panels t apart at once (t = ⌊panels/3⌋), then the last
// panels mod 3 one by one (1, 2, 3, 8 and 25 panels: t = 0, 0, 1, 2, 8 with 1, 2, 0, 2, 1 left
// over; with 2 threads, chunks of 4 panels). M > 1 runs the GEMM with 4-row tiles (M = 2, 3, 5, 7
// leave partial tiles; M = 130 takes two passes of 128 rows). N not a multiple of 8 leaves a
// partial panel; K not a multiple of 4 is padded with zeros; K > 512 flushes the integer sums to f32
// more than once.
const SHAPES: Array<[number, number, number]> = [
  [1, 3, 1], [1, 17, 9], [3, 33, 13], [5, 256, 8], [2, 513, 16], [64, 300, 77], [7, 520, 130], [1, 1029, 200], [6, 2050, 20],
  [1, 70, 21], [1, 1100, 61], [130, 40, 24],
];

describe('wasm int8 kernels against the reference', () => {
  const backends: Array<{ label: string; backend: Promise<LinearBackend> }> = [
    { label: 'plain, 1 thread', backend: WasmBackend.create({ threads: 1, simd: 'plain' }) },
    { label: 'plain, 2 threads', backend: WasmBackend.create({ threads: 2, simd: 'plain' }) },
    ...(enableRelaxedSimd() ? [{ label: 'relaxed, 2 threads', backend: WasmBackend.create({ threads: 2, simd: 'relaxed' }) }] : []),
    { label: 'js', backend: Promise.resolve(new JsBackend()) },
  ];
  after(async () => {
    for (const { backend } of backends) await (await backend).dispose();
  });

  for (const { label, backend: backendPromise } of backends) {
    test(`${label}: packed values, gathered rows and products`, async () => {
      const backend = await backendPromise;
      const rand = seededRandom(11);
      for (const [m, k, n] of SHAPES) {
        for (const dtype of ['f32', 'bf16', 'f16'] as const) {
          const { bytes, exact } = encode(randomValues(n * k, rand), dtype);
          const reference = quantizeWeight(exact, n, k);
          const handle = backend.packWeight(bytes, dtype, n, k, { quantize: 'int8' });
          assert.equal(handle.dtype, 'int8');
          const shape = `${m}×${k}×${n} ${dtype}`;
          // The same quantised weights: unpack is q·scale row by row.
          const unpacked = backend.unpack(handle);
          for (let r = 0; r < n; r++) {
            for (let c = 0; c < k; c++) {
              assert.equal(unpacked[r * k + c], Math.fround(reference.q[r * k + c] * reference.scales[r]), `${label} ${shape}: w[${r},${c}]`);
            }
          }
          const ids = [n - 1, 0, Math.floor(n / 2)];
          const gathered = new Float32Array(ids.length * k);
          backend.gatherRows(handle, ids, gathered);
          ids.forEach((id, i) => assert.deepEqual(gathered.subarray(i * k, (i + 1) * k), unpacked.subarray(id * k, (id + 1) * k)));

          const x = randomValues(m * k, rand);
          const bias = rand() < 0.5 ? randomValues(n, rand) : undefined;
          const out = new Float32Array(m * n);
          backend.linear(x, m, handle, out, bias);
          assertMatchesReference(out, x, m, reference, bias, `${label} ${shape}${bias ? ' +bias' : ''}`);
        }
      }
    });

    test(`${label}: the largest integer sums do not overflow (K = 4100, all values at ±max)`, async () => {
      const backend = await backendPromise;
      const k = 4100, n = 9, m = 2;
      const w = new Float32Array(n * k).fill(1);
      for (let c = 0; c < k; c++) w[n * k - 1 - c] = -1; // the last row all −1
      const x = new Float32Array(m * k).fill(1);
      x.fill(-0.5, k); // row 1 all −0.5
      const handle = backend.packWeight(new Uint8Array(w.buffer), 'f32', n, k, { quantize: 'int8' });
      for (const rows of [1, 2]) {
        const out = new Float32Array(rows * n);
        backend.linear(x, rows, handle, out);
        // Each dot is 4100 · 127 · 32767 ≈ 1.7e10 in integers, far above 2^31: only flushes keep it right.
        for (let i = 0; i < rows; i++) {
          for (let j = 0; j < n; j++) {
            const expected = k * (i === 0 ? 1 : -0.5) * (j === n - 1 ? -1 : 1);
            assert.ok(Math.abs(out[i * n + j] - expected) <= 1e-5 * k, `${label}: M=${rows} out[${i},${j}] = ${out[i * n + j]}, expected ${expected}`);
          }
        }
      }
    });
  }
});
