/**
 * Ways to round a weight to a symmetric integer grid, simulated in f32 for the int8 diagnosis
 * (bench/int8Sensitivity.ts): plain rounding per row or per block of K (with an optional clipped
 * scale), error-compensating rounding against the layer's input statistics (GPTQ, Frantar et al.
 * 2022), and rounding after a randomised Hadamard rotation of K (incoherence processing, as in
 * QuIP and QuaRot). Each returns the weight as the kernels would see it: integers times scales, in
 * f32. None of these is what the kernels ship (one max-abs scale per row, round to nearest); they
 * measure what the alternatives would buy.
 */
import { roundHalfEven } from '../src/kernels/int8Reference.js';

/** A weight grid: symmetric integers in [−limit, limit], one scale per `block` values of a row (null: the whole row). */
export interface Grid {
  limit: number;
  block: number | null;
  /** Scale candidates as fractions of the block's max |w| (the one with the least squared error wins). */
  clips: readonly number[];
}

export const INT8_ROW: Grid = { limit: 127, block: null, clips: [1] };

/** The integer `v` rounds to on a grid step `scale` (0 when the scale is). */
function gridPoint(v: number, scale: number, limit: number): number {
  return scale === 0 ? 0 : Math.max(-limit, Math.min(limit, roundHalfEven(Math.fround(v / scale))));
}

/** max |v| over a slice, as an f32 scale for `limit`. */
function maxAbsScale(values: ArrayLike<number>, start: number, end: number, limit: number, clip = 1): number {
  let maxAbs = 0;
  for (let i = start; i < end; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  return Math.fround((maxAbs * clip) / limit);
}

/** One row of a weight rounded to `grid` and back to f32 (the simulated kernel's view of it). */
export function roundToGrid(row: Float32Array, grid: Grid): Float32Array {
  const out = new Float32Array(row.length);
  const block = grid.block ?? row.length;
  for (let start = 0; start < row.length; start += block) {
    const end = Math.min(row.length, start + block);
    let best = { error: Infinity, scale: 0 };
    for (const clip of grid.clips) {
      const scale = maxAbsScale(row, start, end, grid.limit, clip);
      if (scale === 0) break;
      let error = 0;
      for (let i = start; i < end; i++) error += (gridPoint(row[i], scale, grid.limit) * scale - row[i]) ** 2;
      if (error < best.error) best = { error, scale };
    }
    for (let i = start; i < end; i++) out[i] = gridPoint(row[i], best.scale, grid.limit) * best.scale;
  }
  return out;
}

/** Cholesky factor of a symmetric positive-definite a [n, n]: lower L with a = L·Lᵀ (f64). */
export function choleskyLower(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diagonal = a[j * n + j];
    for (let p = 0; p < j; p++) diagonal -= l[j * n + p] ** 2;
    if (!(diagonal > 0)) throw new RangeError(`choleskyLower: the matrix is not positive definite (pivot ${j} is ${diagonal})`);
    const d = Math.sqrt(diagonal);
    l[j * n + j] = d;
    for (let i = j + 1; i < n; i++) {
      let v = a[i * n + j];
      for (let p = 0; p < j; p++) v -= l[i * n + p] * l[j * n + p];
      l[i * n + j] = v / d;
    }
  }
  return l;
}

/** U, upper triangular, with H⁻¹ = Uᵀ·U, for a symmetric positive-definite h [n, n]. */
export function inverseCholeskyUpper(h: Float64Array, n: number): Float64Array {
  const l = choleskyLower(h, n); // H = L·Lᵀ
  const lInverse = new Float64Array(n * n); // lower
  for (let i = 0; i < n; i++) {
    lInverse[i * n + i] = 1 / l[i * n + i];
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let p = j; p < i; p++) s += l[i * n + p] * lInverse[p * n + j];
      lInverse[i * n + j] = -s / l[i * n + i];
    }
  }
  const hInverse = new Float64Array(n * n); // H⁻¹ = L⁻ᵀ·L⁻¹
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let p = i; p < n; p++) s += lInverse[p * n + i] * lInverse[p * n + j];
      hInverse[i * n + j] = s;
      hInverse[j * n + i] = s;
    }
  }
  const c = choleskyLower(hInverse, n); // H⁻¹ = C·Cᵀ, so U = Cᵀ
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = c[i * n + j];
  return u;
}

export interface GptqOptions {
  limit: number;
  /** One scale per `block` values of K (max |w| of the block in the original weight); null: per row. */
  block: number | null;
  /** Added to H's diagonal, as a fraction of its mean (default 0.01). */
  damping?: number;
}

/**
 * GPTQ: each row's K values are rounded left to right, and each rounding error is spread over the
 * values still to be rounded so that the layer's output on inputs with second moment `hessian`
 * (H = Σ x·xᵀ over calibration rows, [K, K]) changes least. Scales are fixed up front from the
 * original weight. Inputs that never fire (H_kk = 0) get weight 0, as in the paper.
 */
export function gptqRound(weight: Float32Array, rows: number, cols: number, hessian: Float64Array, options: GptqOptions): Float32Array {
  const k = cols;
  const h = Float64Array.from(hessian);
  let meanDiagonal = 0;
  for (let i = 0; i < k; i++) meanDiagonal += h[i * k + i] / k;
  const dead = new Uint8Array(k);
  const damping = (options.damping ?? 0.01) * (meanDiagonal > 0 ? meanDiagonal : 1);
  for (let i = 0; i < k; i++) {
    if (h[i * k + i] === 0) {
      dead[i] = 1;
      h[i * k + i] = 1;
    }
    h[i * k + i] += damping;
  }
  const u = inverseCholeskyUpper(h, k);
  const block = options.block ?? k;
  const out = new Float32Array(rows * cols);
  const w = new Float64Array(k);
  const scales = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const row = weight.subarray(r * k, (r + 1) * k);
    for (let start = 0; start < k; start += block) {
      const end = Math.min(k, start + block);
      scales.fill(maxAbsScale(row, start, end, options.limit), start, end);
    }
    for (let i = 0; i < k; i++) w[i] = dead[i] ? 0 : row[i];
    for (let i = 0; i < k; i++) {
      const rounded = gridPoint(w[i], scales[i], options.limit) * scales[i];
      out[r * k + i] = rounded;
      const error = (w[i] - rounded) / u[i * k + i];
      for (let j = i + 1; j < k; j++) w[j] -= error * u[i * k + j];
    }
  }
  return out;
}

/** In place: v[start … start + n) ← H_n·v / √n, the orthonormal Walsh–Hadamard transform (n a power of 2). */
export function walshHadamard(v: Float64Array, start: number, n: number): void {
  for (let h = 1; h < n; h *= 2) {
    for (let i = start; i < start + n; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
    }
  }
  const norm = 1 / Math.sqrt(n);
  for (let i = start; i < start + n; i++) v[i] *= norm;
}

/** The largest power of 2 that divides k, at most `cap`. */
export function hadamardBlock(k: number, cap = 4096): number {
  let block = 1;
  while (k % (block * 2) === 0 && block * 2 <= cap) block *= 2;
  return block;
}

/**
 * Rounding after an orthogonal rotation of K: R = blockdiag(H_b)·diag(signs) with b = hadamardBlock(K).
 * Each row w is rounded as R·w on `grid` and rotated back (Rᵀ·round(R·w)), which is what a kernel
 * would compute with R·w stored and R·x applied to the activations. `signs` ([K], ±1) are the random flips.
 */
export function rotatedRound(row: Float32Array, signs: Float64Array, grid: Grid): Float32Array {
  const k = row.length;
  const block = hadamardBlock(k);
  const v = new Float64Array(k);
  for (let i = 0; i < k; i++) v[i] = row[i] * signs[i];
  for (let s = 0; s < k; s += block) walshHadamard(v, s, block);
  const rounded = roundToGrid(Float32Array.from(v), grid);
  v.set(rounded);
  for (let s = 0; s < k; s += block) walshHadamard(v, s, block); // H_b is its own inverse
  const out = new Float32Array(k);
  for (let i = 0; i < k; i++) out[i] = v[i] * signs[i];
  return out;
}
