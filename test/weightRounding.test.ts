import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../src/random.js';
import {
  INT8_ROW, choleskyLower, gptqRound, hadamardBlock, inverseCholeskyUpper, rotatedRound, roundToGrid, walshHadamard,
} from '../bench/weightRounding.js';
import { prefillMacsPerToken } from '../bench/int8.js';
import { meanMaxOverRms } from '../bench/int8Sensitivity.js';
import { PRESETS } from '../bench/syntheticModel.js';

const f = Math.fround;

test('roundToGrid: one max-abs scale per row, per block, and the clip with the least squared error', () => {
  // scale = f32(1.27 / 127); 0.5 → 50, −1.27 → −127, 0.013 → 1, 1 → 100
  const scale = f(f(1.27) / 127);
  assert.deepEqual([...roundToGrid(Float32Array.from([0.5, -1.27, 0.013, 1]), INT8_ROW)], [50, -127, 1, 100].map((q) => f(q * scale)));
  // Blocks of 2: scales f32(1/127) and f32(0.04/127).
  const s1 = f(1 / 127), s2 = f(f(0.04) / 127);
  assert.deepEqual(
    [...roundToGrid(Float32Array.from([1, 0.5, 0.02, -0.04]), { limit: 127, block: 2, clips: [1] })],
    [f(127 * s1), f(Math.round(0.5 / s1) * s1), f(Math.round(f(0.02) / s2) * s2), f(-127 * s2)],
  );
  // On a ±1 grid, [1, 0.4, 0.4, 0.4]: clip 1 rounds the 0.4s to 0 (error 3·0.16 = 0.48); clip 0.4
  // makes them exact and saturates the 1 at 0.4 (error 0.36), so clip 0.4 wins.
  const clipped = roundToGrid(Float32Array.from([1, 0.4, 0.4, 0.4]), { limit: 1, block: null, clips: [1, 0.4] });
  assert.deepEqual([...clipped], [f(0.4), f(0.4), f(0.4), f(0.4)]);
  assert.deepEqual([...roundToGrid(new Float32Array(3), INT8_ROW)], [0, 0, 0]);
});

/** A random symmetric positive-definite [n, n]: Bᵀ·B/rows + ridge·I with B [rows, n] of correlated columns. */
function randomSpd(n: number, seed: number, ridge = 0.1, rows = 3 * n): Float64Array {
  const random = seededRandom(seed);
  const b = Array.from({ length: rows }, () => {
    const common = random() - 0.5;
    return Array.from({ length: n }, (_, j) => common * (j % 3) + random() - 0.5);
  });
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += b[r][i] * b[r][j];
      a[i * n + j] = s / rows + (i === j ? ridge : 0);
    }
  }
  return a;
}

test('choleskyLower: L·Lᵀ reproduces the matrix, L is lower triangular, and an indefinite matrix is refused', () => {
  const n = 7;
  const a = randomSpd(n, 3);
  const l = choleskyLower(a, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += l[i * n + p] * l[j * n + p];
      assert.ok(Math.abs(s - a[i * n + j]) < 1e-12, `(${i}, ${j})`);
      if (j > i) assert.equal(l[i * n + j], 0);
    }
  }
  assert.throws(() => choleskyLower(Float64Array.from([1, 2, 2, 1]), 2), /not positive definite/);
});

test('inverseCholeskyUpper: Uᵀ·U·H = I with U upper triangular', () => {
  const n = 6;
  const h = randomSpd(n, 5);
  const u = inverseCholeskyUpper(h, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) assert.equal(u[i * n + j], 0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) {
        let uTu = 0;
        for (let q = 0; q < n; q++) uTu += u[q * n + i] * u[q * n + p];
        s += uTu * h[p * n + j];
      }
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-9, `(${i}, ${j}): ${s}`);
    }
  }
});

/** Solves a·x = b for a [n, n] by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = c + 1; r < n; r++) {
      const factor = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= factor * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

test('gptqRound: each rounding error is compensated by the optimal update of the values not yet rounded', () => {
  // Reference (optimal brain compression, written out): round value i; then the values i+1… that
  // minimise the output error Δᵀ·H·Δ over {i, i+1, …} given Δ_i are w_F + Δ_F with
  // H_FF·Δ_F = −H_Fi·Δ_i. H is damped by 1 % of its mean diagonal as gptqRound does (H has rank 5
  // plus a 1e-5 ridge here, so the damping changes the result).
  const rows = 4, k = 9, block = 3;
  const h = randomSpd(k, 8, 1e-5, 5);
  let mean = 0;
  for (let i = 0; i < k; i++) mean += h[i * k + i] / k;
  const damped = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => h[i * k + j] + (i === j ? 0.01 * mean : 0)));
  const random = seededRandom(21);
  const weight = Float32Array.from({ length: rows * k }, () => random() - 0.5);
  const limit = 7; // a coarse grid, so that compensation matters
  for (const grouping of [null, block]) {
    const actual = gptqRound(weight, rows, k, h, { limit, block: grouping });
    for (let r = 0; r < rows; r++) {
      const w = Array.from(weight.subarray(r * k, (r + 1) * k));
      const size = grouping ?? k;
      const scales = w.map((_, i) => {
        const start = Math.floor(i / size) * size;
        return f(Math.max(...w.slice(start, start + size).map(Math.abs)) / limit);
      });
      for (let i = 0; i < k; i++) {
        const q = Math.max(-limit, Math.min(limit, Math.round(f(w[i] / scales[i])))) * scales[i];
        assert.ok(Math.abs(actual[r * k + i] - q) < 1e-6, `row ${r}, value ${i}: ${actual[r * k + i]} against ${q}`);
        const rest = Array.from({ length: k - i - 1 }, (_, j) => i + 1 + j);
        if (rest.length === 0) continue;
        const delta = solve(rest.map((a) => rest.map((b) => damped[a][b])), rest.map((a) => -damped[a][i] * (q - w[i])));
        rest.forEach((a, j) => (w[a] += delta[j]));
      }
    }
  }
});

test('gptqRound: with H = I nothing is compensated (plain rounding); an input that never fires gets weight 0', () => {
  const k = 5;
  const identity = Float64Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0));
  const weight = Float32Array.from([0.3, -0.7, 0.11, 0.5, -0.05, 1, 0.2, -0.3, 0.9, 0.45]);
  const rounded = gptqRound(weight, 2, k, identity, { limit: 127, block: null });
  const expected = [...roundToGrid(weight.subarray(0, k), INT8_ROW), ...roundToGrid(weight.subarray(k), INT8_ROW)];
  assert.deepEqual([...rounded], expected);
  const dead = Float64Array.from(identity);
  dead[2 * k + 2] = 0; // input 2 is always 0
  const withDead = gptqRound(weight, 2, k, dead, { limit: 127, block: null });
  assert.equal(withDead[2], 0);
  assert.equal(withDead[k + 2], 0);
});

/** The Sylvester Hadamard matrix of size n (a power of 2), unnormalised. */
function sylvester(n: number): number[][] {
  let h = [[1]];
  while (h.length < n) h = [...h.map((row) => [...row, ...row]), ...h.map((row) => [...row, ...row.map((v) => -v)])];
  return h;
}

test('walshHadamard: H_n·v/√n on the given slice only', () => {
  const v = Float64Array.from([9, 1, -2, 3, 0.5, 4, -1, 2, 7, 5]);
  const original = Array.from(v);
  walshHadamard(v, 1, 8);
  const h = sylvester(8);
  for (let i = 0; i < 8; i++) {
    const expected = h[i].reduce((s, hij, j) => s + hij * original[1 + j], 0) / Math.sqrt(8);
    assert.ok(Math.abs(v[1 + i] - expected) < 1e-12, `entry ${i}`);
  }
  assert.equal(v[0], 9);
  assert.equal(v[9], 5);
});

test('hadamardBlock: the largest power of 2 dividing K, capped', () => {
  assert.equal(hadamardBlock(896), 128);
  assert.equal(hadamardBlock(4864), 256);
  assert.equal(hadamardBlock(14336), 2048);
  assert.equal(hadamardBlock(4096), 4096);
  assert.equal(hadamardBlock(8192, 4096), 4096);
  assert.equal(hadamardBlock(7), 1);
});

test('rotatedRound: Rᵀ·round(R·w) with R = blockdiag(H_4/2)·diag(signs) written out as a matrix', () => {
  const k = 12; // hadamardBlock(12) = 4
  const signs = Float64Array.from([1, -1, -1, 1, 1, 1, -1, 1, -1, -1, 1, 1]);
  const w = Float32Array.from([0.3, -0.2, 0.9, 0.05, -0.6, 0.4, 0.1, -0.35, 0.2, 0.75, -0.15, 0.5]);
  const h4 = sylvester(4);
  const r = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => (Math.floor(i / 4) === Math.floor(j / 4) ? (h4[i % 4][j % 4] / 2) * signs[j] : 0)));
  const rotated = r.map((row) => row.reduce((s, rij, j) => s + rij * w[j], 0));
  const q = roundToGrid(Float32Array.from(rotated), INT8_ROW);
  const expected = Array.from({ length: k }, (_, j) => r.reduce((s, row, i) => s + row[j] * q[i], 0));
  const actual = rotatedRound(w, signs, INT8_ROW);
  for (let j = 0; j < k; j++) assert.ok(Math.abs(actual[j] - expected[j]) < 1e-6, `value ${j}: ${actual[j]} against ${expected[j]}`);
});

test('prefillMacsPerToken: every linear weight once, attention over the average context, the head once per prompt', () => {
  const shape = { ...PRESETS.tiny, hiddenSize: 8, numHeads: 2, numKvHeads: 1, intermediateSize: 16, vocabSize: 10, numLayers: 3 };
  // dh 4: q|k|v 8·(2 + 2)·4 = 128, o 2·4·8 = 64, MLP 3·8·16 = 384, q·k and p·v 2·2·4·(4 + 1)/2 = 40;
  // 3 layers · 616 + head 10·8 / 4 tokens = 1868.
  assert.equal(prefillMacsPerToken(shape, 4), 1868);
});

test('meanMaxOverRms: max |v| / rms per row, averaged over rows (an all-zero row counts 0)', () => {
  // [3, −1, 1, 1]: rms √3, so 3/√3 = √3; [2, 2, 2, 2]: 1; [0, 0, 0, 0]: 0.
  const values = Float32Array.from([3, -1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0]);
  assert.ok(Math.abs(meanMaxOverRms(values, 3, 4) - (Math.sqrt(3) + 1) / 3) < 1e-12);
});
