/**
 * The wasm GEMM kernels against a float64 reference: odd shapes, M = 1, bias on/off, f32/bf16/f16
 * weights, relaxed and plain builds, 1 and 2 threads, weights spread over several arenas.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16ToF32, decodeToF32, f16ToF32 } from '../src/kernels/dtype.js';
import { type AttentionItem, createBackend, JsBackend, WasmBackend, type WeightDType } from '../src/kernels/index.js';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';
import { planAttentionGroups } from '../src/kernels/wasmAttentionBatch.js';
import { attention as referenceAttention, type AttentionShape } from '../src/model/attention.js';
import { seededRandom } from '../src/random.js';

/** Deterministic PRNG in [0, 1). */
const rng = seededRandom;

interface TestWeight {
  bytes: Uint8Array; // raw little-endian [n, k]
  values: Float64Array; // the exact values the bytes encode
}

/** Random weight bytes of `dtype` with values of mixed magnitude (incl. f16 subnormals). */
function randomWeight(dtype: WeightDType, n: number, k: number, rand: () => number): TestWeight {
  const count = n * k;
  const values = new Float64Array(count);
  if (dtype === 'f32') {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = (rand() - 0.5) * 2 ** Math.floor(rand() * 6 - 3);
    values.set(data);
    return { bytes: new Uint8Array(data.buffer), values };
  }
  const bits = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    const sign = rand() < 0.5 ? 0x8000 : 0;
    if (dtype === 'bf16') {
      const exponent = 120 + Math.floor(rand() * 9); // 2^-7 … 2^1
      bits[i] = sign | (exponent << 7) | Math.floor(rand() * 128);
      values[i] = bf16ToF32(bits[i]);
    } else {
      // exponent 0 gives subnormals; 8…16 gives 2^-7 … 2^1.
      const exponent = rand() < 0.1 ? 0 : 8 + Math.floor(rand() * 9);
      bits[i] = sign | (exponent << 10) | Math.floor(rand() * 1024);
      values[i] = f16ToF32(bits[i]);
    }
  }
  return { bytes: new Uint8Array(bits.buffer), values };
}

function randomVector(length: number, rand: () => number): Float32Array {
  const v = new Float32Array(length);
  for (let i = 0; i < length; i++) v[i] = rand() * 2 - 1;
  return v;
}

/** Checks out against a float64 product; tolerance relative to Σ|x||w| per element. */
function assertLinearClose(
  out: Float32Array, x: Float32Array, w: Float64Array, m: number, k: number, n: number,
  bias: Float32Array | undefined, label: string,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = bias ? bias[j] : 0;
      let scale = bias ? Math.abs(bias[j]) : 0;
      for (let p = 0; p < k; p++) {
        const product = x[i * k + p] * w[j * k + p];
        sum += product;
        scale += Math.abs(product);
      }
      const got = out[i * n + j];
      const error = Math.abs(got - sum);
      if (!(error <= 1e-5 * scale + 1e-30)) {
        assert.fail(`${label}: out[${i},${j}] = ${got}, expected ${sum} (error ${error}, Σ|x||w| ${scale})`);
      }
    }
  }
}

// M = 1 runs the GEMV kernels: 4-panel groups plus 1–3 leftover panels (N = 9, 40, 200, 517),
// K not a multiple of the 4- or 2-step unroll (K = 1, 3, 17, 255, 1029), threaded and not.
// M > 1 runs the GEMM: 32 rows (batched decode), and M past the 128-row block with a last block
// starting on a 1-, 2- or 3-row tile (129, 130, 131), K over several 256-long kc blocks.
const SHAPES: Array<[number, number, number]> = [
  [1, 17, 9], [3, 33, 13], [5, 256, 8], [64, 300, 77], [7, 520, 130], [1, 640, 200], [2, 513, 16],
  [1, 1, 3], [1, 3, 40], [1, 255, 31], [1, 1029, 517],
  [32, 600, 43], [129, 270, 19], [130, 513, 12], [131, 31, 9],
];
const DTYPES: WeightDType[] = ['f32', 'bf16', 'f16'];

/** [T, startPos, H, Hkv, dh, window]: decode on a long cache, odd dh, GQA 1/2/7, sliding windows. */
const ATTENTION_SHAPES: Array<[number, number, number, number, number, number | null]> = [
  [1, 300, 14, 2, 64, null], [37, 0, 4, 4, 17, null], [20, 5, 7, 1, 33, null], [64, 0, 8, 4, 64, null],
  [50, 30, 4, 2, 16, 7], [1, 100, 2, 1, 3, 5], [96, 0, 14, 2, 64, 40], [3, 0, 2, 2, 1, 1], [130, 20, 2, 1, 128, null],
];
/**
 * Random inputs of one attention call and the TypeScript reference's z: a peaked softmax (q scaled
 * up); keys and values longer than needed, with junk at the end that must not be read.
 */
function attentionCase(shape: AttentionShape, rand: () => number): { q: Float32Array; keys: Float32Array; values: Float32Array; expected: Float32Array } {
  const { tokens, startPos, heads, kvHeads, headDim } = shape;
  const q = randomVector(tokens * heads * headDim, rand).map((x) => 3 * x);
  const extra = 5 * kvHeads * headDim;
  const keys = randomVector((startPos + tokens) * kvHeads * headDim + extra, rand);
  const values = randomVector((startPos + tokens) * kvHeads * headDim + extra, rand);
  keys.fill(1e30, keys.length - extra);
  values.fill(NaN, values.length - extra);
  const expected = new Float32Array(tokens * heads * headDim);
  referenceAttention(q, keys, values, shape, expected);
  return { q, keys, values, expected };
}

function assertAttentionClose(z: Float32Array, expected: Float32Array, shape: AttentionShape): void {
  let worst = 0;
  for (let i = 0; i < z.length; i++) worst = Math.max(worst, Math.abs(z[i] - expected[i]));
  // Values lie in [-1, 1] and z is their convex combination: an absolute bound is relative too.
  const { tokens, startPos, heads, kvHeads, headDim, slidingWindow } = shape;
  assert.ok(worst <= 2e-6, `T=${tokens} start=${startPos} H=${heads} Hkv=${kvHeads} dh=${headDim} window=${slidingWindow}: max abs error ${worst}`);
}

const relaxedAvailable = enableRelaxedSimd();

const backends: WasmBackend[] = [];
after(async () => {
  await Promise.all(backends.map((b) => b.dispose()));
});

for (const simd of ['plain', 'relaxed'] as const) {
  for (const threads of [1, 2]) {
    describe(`WasmBackend ${simd}, ${threads} thread(s)`, { skip: simd === 'relaxed' && !relaxedAvailable ? 'no relaxed SIMD' : false }, () => {
      test('linear matches a float64 reference on odd shapes, all dtypes, bias on/off', async () => {
        // Small arenas: the weights of this test spread over several memories.
        const backend = await WasmBackend.create({ simd, threads, arenaBytes: 256 * 1024 });
        backends.push(backend);
        assert.equal(backend.simd, simd);
        const rand = rng(1234 + threads);
        const packed = [];
        for (const [m, k, n] of SHAPES) {
          for (const dtype of DTYPES) {
            const weight = randomWeight(dtype, n, k, rand);
            packed.push({ m, k, n, dtype, weight, handle: backend.packWeight(weight.bytes, dtype, n, k) });
          }
        }
        assert.ok(backend.arenaCount > 1, `expected several arenas, got ${backend.arenaCount}`);
        // Run after all packing: later weights must not have disturbed earlier ones.
        for (const { m, k, n, dtype, weight, handle } of packed) {
          for (const withBias of [false, true]) {
            const x = randomVector(m * k, rand);
            const bias = withBias ? randomVector(n, rand) : undefined;
            const out = new Float32Array(m * n).fill(NaN);
            backend.linear(x, m, handle, out, bias);
            assertLinearClose(out, x, weight.values, m, k, n, bias, `${m}×${k}×${n} ${dtype} bias=${withBias}`);
          }
        }
      });

      test('attention matches the TypeScript reference (causal, GQA, sliding window, long decode)', async () => {
        const backend = await WasmBackend.create({ simd, threads });
        backends.push(backend);
        const rand = rng(4321 + threads);
        for (const [tokens, startPos, heads, kvHeads, headDim, slidingWindow] of ATTENTION_SHAPES) {
          const shape: AttentionShape = { tokens, startPos, heads, kvHeads, headDim, slidingWindow };
          const { q, keys, values, expected } = attentionCase(shape, rand);
          const z = new Float32Array(tokens * heads * headDim).fill(NaN);
          backend.attention(q, keys, values, shape, z);
          assertAttentionClose(z, expected, shape);
        }
        assert.throws(() => backend.attention(new Float32Array(8), new Float32Array(8), new Float32Array(8),
          { tokens: 1, startPos: 0, heads: 3, kvHeads: 2, headDim: 4, slidingWindow: null }, new Float32Array(12)), RangeError);
      });

      test('attentionBatch matches the reference for each sequence (decode rows, ragged prompts, GQA, windows)', async () => {
        const backend = await WasmBackend.create({ simd, threads });
        backends.push(backend);
        const rand = rng(5678 + threads);
        // [H, Hkv, dh, window] × sequences of [T, startPos]: one-row decode at short and long
        // positions beside prompts; the last layout is small enough to run on the main thread alone.
        const layouts: Array<[number, number, number, number | null, Array<[number, number]>]> = [
          [14, 2, 64, null, [[1, 0], [1, 39], [1, 300], [5, 12], [37, 0], [1, 2]]],
          [7, 1, 33, 5, [[1, 20], [9, 3], [1, 0], [40, 40]]],
          [2, 1, 3, null, [[1, 0], [2, 3]]],
        ];
        for (const [heads, kvHeads, headDim, slidingWindow, sequences] of layouts) {
          const cases = sequences.map(([tokens, startPos]) => {
            const shape: AttentionShape = { tokens, startPos, heads, kvHeads, headDim, slidingWindow };
            return { shape, ...attentionCase(shape, rand), z: new Float32Array(tokens * heads * headDim).fill(NaN) };
          });
          backend.attentionBatch(cases);
          for (const { z, expected, shape } of cases) assertAttentionClose(z, expected, shape);
        }
        const one = (heads: number): AttentionItem => ({
          q: new Float32Array(heads * 4), keys: new Float32Array(8), values: new Float32Array(8), z: new Float32Array(heads * 4),
          shape: { tokens: 1, startPos: 0, heads, kvHeads: 2, headDim: 4, slidingWindow: null },
        });
        assert.throws(() => backend.attentionBatch([one(2), one(4)]), /same heads/);
        assert.throws(() => backend.attentionBatch([one(2), { ...one(2), z: new Float32Array(3) }]), RangeError);
      });

      test('siluMul matches silu(gate)·up in float64 (odd lengths, large and tiny inputs)', async () => {
        const backend = await WasmBackend.create({ simd, threads });
        backends.push(backend);
        const rand = rng(77);
        for (const count of [1, 3, 4, 37, 4099]) {
          const gate = new Float32Array(count).map(() => (rand() * 2 - 1) * 2 ** (rand() * 14 - 7));
          const up = randomVector(count, rand);
          gate.set([0, -0, 100, -100, 88.5, -88.5, 1e-30, -20, 20, 1000, -1000].slice(0, count));
          const out = new Float32Array(count).fill(NaN);
          backend.siluMul(gate, up, out);
          for (let i = 0; i < count; i++) {
            const expected = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
            const error = Math.abs(out[i] - expected);
            assert.ok(error <= 1e-6 * Math.abs(expected) + 1e-30, `count ${count}: silu(${gate[i]})·${up[i]} = ${out[i]}, expected ${expected}`);
          }
        }
        assert.throws(() => backend.siluMul(new Float32Array(2), new Float32Array(3), new Float32Array(2)), RangeError);
      });

      test('gatherRows and unpack are exact', async () => {
        const backend = await WasmBackend.create({ simd, threads, arenaBytes: 128 * 1024 });
        backends.push(backend);
        const rand = rng(99);
        for (const dtype of DTYPES) {
          const n = 37, k = 29;
          const weight = randomWeight(dtype, n, k, rand);
          const handle = backend.packWeight(weight.bytes, dtype, n, k);
          assert.deepEqual(Array.from(backend.unpack(handle)), Array.from(weight.values), `unpack ${dtype}`);
          const ids = [0, 36, 7, 8, 7];
          const out = new Float32Array(ids.length * k);
          backend.gatherRows(handle, ids, out);
          ids.forEach((id, i) => {
            assert.deepEqual(Array.from(out.subarray(i * k, (i + 1) * k)), Array.from(weight.values.subarray(id * k, (id + 1) * k)), `row ${id} ${dtype}`);
          });
          assert.throws(() => backend.gatherRows(handle, [n], new Float32Array(k)), RangeError);
        }
      });

      test('the kernel widens every f16 and bf16 bit pattern exactly (subnormals, ±inf, NaN)', async () => {
        const backend = await WasmBackend.create({ simd, threads });
        backends.push(backend);
        const allBits = new Uint16Array(65536).map((_, i) => i);
        const bytes = new Uint8Array(allBits.buffer);
        for (const dtype of ['f16', 'bf16'] as const) {
          // K = 1, x = [1]: out[j] = 1·w[j] + 0, exact for every value.
          const handle = backend.packWeight(bytes, dtype, 65536, 1);
          for (const m of [1, 4]) {
            const out = new Float32Array(m * 65536);
            backend.linear(new Float32Array(m).fill(1), m, handle, out);
            for (let i = 0; i < m * 65536; i++) {
              const bits = i % 65536;
              const expected = dtype === 'f16' ? f16ToF32(bits) : bf16ToF32(bits);
              const got = out[i];
              if (Number.isNaN(expected) ? !Number.isNaN(got) : got !== expected) {
                assert.fail(`${dtype} 0x${bits.toString(16)} (m=${m}): got ${got}, expected ${expected}`);
              }
            }
          }
        }
      });
    });
  }
}

describe('WasmBackend contract', () => {
  test('planAttentionGroups keeps each group within the room, in order, and sets apart what never fits', () => {
    // One query row of 1 head × 4 floats: q and z take 64 bytes each (aligned), keys and values
    // align(keys·16) each, scores align(keys·4) per thread.
    const item = (startPos: number) => ({ shape: { tokens: 1, startPos, heads: 1, kvHeads: 1, headDim: 4, slidingWindow: null }, startPos });
    const bytes = (startPos: number) => 2 * 64 + 2 * Math.ceil(((startPos + 1) * 16) / 64) * 64;
    const items = [3, 3, 3, 100, 3, 3].map(item);
    const threads = 2;
    const room = 3 * bytes(3) + threads * 64; // three short items with their scores
    const { groups, alone } = planAttentionGroups(items, room, threads);
    assert.deepEqual(alone.map((i) => i.startPos), [100]);
    assert.deepEqual(groups.map((g) => g.map((i) => i.startPos)), [[3, 3, 3], [3, 3]]);
    assert.deepEqual(planAttentionGroups(items.slice(0, 3), room - 1, threads).groups.map((g) => g.length), [2, 1]);
    // Without a room limit, groups still stop at MAX_CHUNKS chunks (0xffff): 1000-head items, 65 per group.
    const wide = Array.from({ length: 131 }, () => ({ shape: { tokens: 1, startPos: 0, heads: 1000, kvHeads: 1, headDim: 4, slidingWindow: null } }));
    assert.deepEqual(planAttentionGroups(wide, Number.MAX_SAFE_INTEGER, threads).groups.map((g) => g.length), [65, 65, 1]);
  });

  test('rejects wrong sizes and use after dispose', async () => {
    const backend = await WasmBackend.create({ threads: 2 });
    assert.throws(() => backend.packWeight(new Uint8Array(10), 'f32', 2, 2), RangeError);
    const handle = backend.packWeight(new Uint8Array(16), 'f32', 2, 2);
    assert.throws(() => backend.linear(new Float32Array(1), 1, handle, new Float32Array(2)), RangeError);
    assert.throws(() => backend.linear(new Float32Array(2), 1, new JsBackend().packWeight(new Uint8Array(16), 'f32', 2, 2), new Float32Array(2)), TypeError);
    await backend.dispose();
    assert.throws(() => backend.linear(new Float32Array(2), 1, handle, new Float32Array(2)), /dispose/);
  });

  test('createBackend honours EMOTION_CIRCUITS_BACKEND=js', async () => {
    const saved = process.env.EMOTION_CIRCUITS_BACKEND;
    process.env.EMOTION_CIRCUITS_BACKEND = 'js';
    try {
      const backend = await createBackend();
      assert.equal(backend.name, 'js');
      await backend.dispose();
    } finally {
      if (saved === undefined) delete process.env.EMOTION_CIRCUITS_BACKEND;
      else process.env.EMOTION_CIRCUITS_BACKEND = saved;
    }
  });

  test('createBackend gives the wasm backend by default', async () => {
    const saved = process.env.EMOTION_CIRCUITS_BACKEND;
    delete process.env.EMOTION_CIRCUITS_BACKEND;
    try {
      const backend = await createBackend({ threads: 1 });
      assert.match(backend.name, /^wasm-/);
      await backend.dispose();
    } finally {
      if (saved !== undefined) process.env.EMOTION_CIRCUITS_BACKEND = saved;
    }
  });
});

test('decodeToF32: little-endian f32, bf16 and f16 bytes, into a new array or into a given slice', () => {
  // 1.5 = 0x3FC00000 (f32), bf16 0x3FC0, f16 0x3E00; −2 = 0xC0000000, bf16 0xC000, f16 0xC000.
  assert.deepEqual([...decodeToF32(Uint8Array.from([0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0]), 'f32')], [1.5, -2]);
  assert.deepEqual([...decodeToF32(Uint8Array.from([0xc0, 0x3f, 0x00, 0xc0]), 'bf16')], [1.5, -2]);
  assert.deepEqual([...decodeToF32(Uint8Array.from([0x00, 0x3e, 0x00, 0xc0]), 'f16')], [1.5, -2]);
  // Into the middle of a larger array (a bf16 row at an offset: the lanes must land there, not at 0).
  const out = new Float32Array(4).fill(7);
  const written = decodeToF32(Uint8Array.from([0xc0, 0x3f, 0x00, 0xc0]), 'bf16', out.subarray(1, 3));
  assert.deepEqual([...out], [7, 1.5, -2, 7]);
  assert.equal(written.buffer, out.buffer);
  assert.throws(() => decodeToF32(new Uint8Array(4), 'bf16', new Float32Array(3)), /2 values into 3 floats/);
  assert.throws(() => decodeToF32(new Uint8Array(4), 'int8'), /storage dtype/);
});
