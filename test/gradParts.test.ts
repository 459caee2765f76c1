/**
 * Gradient checks of each part of the Llama block on its own, against central finite differences
 * in float64: a random linear readout Σ c·out is the metric, so each backward gets dOut = c.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attention as engineAttention } from '../src/model/attention.js';
import { attentionBackward, attentionForward } from '../src/model/grad/attention.js';
import { crossEntropy } from '../src/model/grad/crossEntropy.js';
import { jsMatmul, type MatmulForm } from '../src/model/grad/matmul.js';
import { rmsNormBackward, rmsNormForward, scaleByGain, scaleByGainBackward } from '../src/model/grad/rmsNorm.js';
import { ropeRotate, ropeTables } from '../src/model/grad/rope.js';
import { swigluBackward, swigluForward } from '../src/model/grad/swiglu.js';
import { RopeTable } from '../src/model/rope.js';
import { seededRandom } from '../src/random.js';
import { checkGradient, dot, randomF64 } from './helpers/gradCheck.js';

/** out[i, j] = Σ_p opA[i, p]·opB[p, j], written out index by index. */
function referenceProduct(a: ArrayLike<number>, b: ArrayLike<number>, m: number, n: number, k: number, form: MatmulForm): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const av = form === 'tn' ? a[p * m + i] : a[i * k + p];
        const bv = form === 'nt' ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      out[i * n + j] = sum;
    }
  }
  return out;
}

test('jsMatmul computes A·Bᵀ, A·B and Aᵀ·B', () => {
  const random = seededRandom(1);
  const [m, n, k] = [5, 7, 3];
  for (const form of ['nt', 'nn', 'tn'] as const) {
    const a = randomF64(m * k, random);
    const b = randomF64(n * k, random);
    const out = new Float64Array(m * n).fill(99);
    jsMatmul(a, b, out, m, n, k, form);
    const expected = referenceProduct(a, b, m, n, k, form);
    for (let i = 0; i < m * n; i++) assert.ok(Math.abs(out[i] - expected[i]) < 1e-12, `${form} [${i}]`);
  }
});

test('RMSNorm with gain: gradients for x and the gain', () => {
  const random = seededRandom(2);
  const [rows, width, eps] = [3, 6, 1e-5];
  const x = randomF64(rows * width, random);
  const gain = randomF64(width, random);
  const c = randomF64(rows * width, random);
  const f = (): number => {
    const xhat = new Float64Array(rows * width);
    rmsNormForward(x, rows, width, eps, xhat, new Float64Array(rows));
    scaleByGain(xhat, gain, rows, width, xhat);
    return dot(c, xhat);
  };
  const xhat = new Float64Array(rows * width);
  const inv = new Float64Array(rows);
  rmsNormForward(x, rows, width, eps, xhat, inv);
  // The forward itself: x / sqrt(mean x² + eps).
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let i = 0; i < width; i++) ms += x[r * width + i] ** 2 / width;
    for (let i = 0; i < width; i++) assert.ok(Math.abs(xhat[r * width + i] - x[r * width + i] / Math.sqrt(ms + eps)) < 1e-12);
  }
  const dXhat = new Float64Array(rows * width);
  const dGain = new Float64Array(width);
  scaleByGainBackward(c, xhat, gain, rows, width, dXhat, dGain);
  const dx = new Float64Array(rows * width);
  rmsNormBackward(dXhat, x, inv, rows, width, dx);
  checkGradient('dx', f, x, dx);
  checkGradient('dGain', f, gain, dGain);
});

test('RoPE: same rotation as the engine, and its gradient', () => {
  const random = seededRandom(3);
  const [T, heads, dh] = [5, 3, 8];
  const invFreq = Float64Array.from({ length: dh / 2 }, (_, i) => 1 / 10000 ** ((2 * i) / dh));
  const tables = ropeTables(invFreq, 16);
  const x = randomF64(T * heads * dh, random);
  const rotated = x.slice();
  ropeRotate(rotated, T, heads, tables, 1);
  const engine = Float32Array.from(x);
  new RopeTable(invFreq).apply(engine, T, heads, 0);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(rotated[i] - engine[i]) < 1e-5, `rope [${i}]`);
  const back = rotated.slice();
  ropeRotate(back, T, heads, tables, -1);
  for (let i = 0; i < x.length; i++) assert.ok(Math.abs(back[i] - x[i]) < 1e-12, 'inverse rotation');
  const c = randomF64(x.length, random);
  const f = (): number => {
    const y = x.slice();
    ropeRotate(y, T, heads, tables, 1);
    return dot(c, y);
  };
  const dx = c.slice();
  ropeRotate(dx, T, heads, tables, -1);
  checkGradient('dx', f, x, dx);
});

test('causal GQA attention: forward equals the engine, gradients for q, k, v and the pattern', () => {
  const random = seededRandom(4);
  const dims = { tokens: 5, heads: 4, kvHeads: 2, headDim: 6 };
  const { tokens: T, heads: H, kvHeads: Hkv, headDim: dh } = dims;
  const q = randomF64(T * H * dh, random, 1.5);
  const k = randomF64(T * Hkv * dh, random, 1.5);
  const v = randomF64(T * Hkv * dh, random);
  const cz = randomF64(T * H * dh, random);
  const cp = randomF64(H * T * T, random);
  // The metric reads z and (below the diagonal) the pattern.
  const f = (): number => {
    const probs = new Float64Array(H * T * T);
    const z = new Float64Array(T * H * dh);
    attentionForward(q, k, v, dims, probs, z);
    return dot(cz, z) + dot(cp, probs);
  };
  const probs = new Float64Array(H * T * T);
  const z = new Float64Array(T * H * dh);
  attentionForward(q, k, v, dims, probs, z);
  const engineZ = new Float32Array(T * H * dh);
  engineAttention(Float32Array.from(q), Float32Array.from(k), Float32Array.from(v), { ...dims, startPos: 0, slidingWindow: null }, engineZ);
  for (let i = 0; i < z.length; i++) assert.ok(Math.abs(z[i] - engineZ[i]) < 1e-5, `z [${i}]`);
  const dq = new Float64Array(q.length);
  const dk = new Float64Array(k.length);
  const dv = new Float64Array(v.length);
  const dProbs = new Float64Array(H * T * T);
  attentionBackward(cz, q, k, v, probs, dims, dq, dk, dv, new Float64Array(T), cp, dProbs);
  checkGradient('dq', f, q, dq);
  checkGradient('dk', f, k, dk);
  checkGradient('dv', f, v, dv);
  // dP[h, t, j] = dz[t, h]·v[j, kvh] + seed, for j ≤ t.
  for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / (H / Hkv));
    for (let t = 0; t < T; t++) {
      for (let j = 0; j <= t; j++) {
        let expected = cp[(h * T + t) * T + j];
        for (let i = 0; i < dh; i++) expected += cz[(t * H + h) * dh + i] * v[(j * Hkv + kvh) * dh + i];
        assert.ok(Math.abs(dProbs[(h * T + t) * T + j] - expected) < 1e-12);
      }
    }
  }
});

test('SwiGLU: gradients for gate and up', () => {
  const random = seededRandom(5);
  const n = 12;
  const gate = randomF64(n, random, 3);
  const up = randomF64(n, random);
  const c = randomF64(n, random);
  const f = (): number => {
    const post = new Float64Array(n);
    swigluForward(gate, up, post, new Float64Array(n), n);
    return dot(c, post);
  };
  const post = new Float64Array(n);
  const sigmoid = new Float64Array(n);
  swigluForward(gate, up, post, sigmoid, n);
  for (let i = 0; i < n; i++) assert.ok(Math.abs(post[i] - (gate[i] / (1 + Math.exp(-gate[i]))) * up[i]) < 1e-12);
  const dGate = new Float64Array(n);
  const dUp = new Float64Array(n);
  swigluBackward(c, gate, up, sigmoid, dGate, dUp, n);
  checkGradient('dGate', f, gate, dGate);
  checkGradient('dUp', f, up, dUp);
});

test('masked cross-entropy: value and gradient for the logits', () => {
  const random = seededRandom(6);
  const [rows, V] = [4, 7];
  const logits = randomF64(rows * V, random, 3);
  const targets = [2, 0, 6, 3];
  const mask = [1, 0, 1, 1];
  const f = (): number => crossEntropy(logits, rows, V, targets, mask, null);
  let expected = 0;
  for (const r of [0, 2, 3]) {
    let sum = 0;
    for (let i = 0; i < V; i++) sum += Math.exp(logits[r * V + i]);
    expected += -Math.log(Math.exp(logits[r * V + targets[r]]) / sum) / 3;
  }
  assert.ok(Math.abs(f() - expected) < 1e-12);
  const dLogits = new Float64Array(rows * V);
  crossEntropy(logits, rows, V, targets, mask, dLogits);
  for (let i = V; i < 2 * V; i++) assert.equal(dLogits[i], 0, 'a masked row has no gradient');
  checkGradient('dLogits', f, logits, dLogits);
});
