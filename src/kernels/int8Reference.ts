/**
 * The int8 product in plain TypeScript: what the wasm int8 kernels (assembly/int8.ts) compute,
 * with exact integer accumulation. Weights: symmetric int8 with one f32 scale per output row;
 * activations: symmetric int16 with one f32 scale per row, quantised on the fly. Every rounding
 * step is f32, as in the kernels (an f32 division done in f64 and rounded once is the correctly
 * rounded f32 quotient), so the quantised values agree bit for bit.
 */

export const INT8_LIMIT = 127;
export const INT16_LIMIT = 32767;

/** Round to the nearest integer, ties to even (wasm `nearest`). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Symmetric quantisation of one row to [−limit, limit]: scale = f32(max|v| / limit), q = round-half-even(f32(v / scale)). */
export function quantizeRow(values: ArrayLike<number>, limit: number, into: Int8Array | Int16Array): number {
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  const scale = Math.fround(maxAbs / limit);
  for (let i = 0; i < values.length; i++) into[i] = scale === 0 ? 0 : roundHalfEven(Math.fround(values[i] / scale));
  return scale;
}

export interface Int8Matrix {
  /** [rows, cols] quantised values. */
  readonly q: Int8Array;
  /** [rows] f32 scales: w[r][c] ≈ q[r][c] · scales[r]. */
  readonly scales: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/** Quantises a row-major f32 [rows, cols] weight to int8 per output row. */
export function quantizeWeight(weight: Float32Array, rows: number, cols: number): Int8Matrix {
  const q = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) scales[r] = quantizeRow(weight.subarray(r * cols, (r + 1) * cols), INT8_LIMIT, q.subarray(r * cols, (r + 1) * cols));
  return { q, scales, rows, cols };
}

/** Row r of a quantised weight as f32: q·scale, rounded to f32. */
export function dequantizeRow(weight: Int8Matrix, row: number, out: Float32Array, at: number): void {
  const { q, scales, cols } = weight;
  const scale = scales[row];
  for (let c = 0; c < cols; c++) out[at + c] = q[row * cols + c] * scale;
}

/**
 * out[M, N] = quantise16(x)[M, K] · qᵀ, scaled back per row and column (+ bias[N]). Each dot is an
 * exact integer (|sum| < 2^53), turned into f32 once, then · f32(xScale · wScale) and + bias in f32.
 */
export function int8Linear(x: Float32Array, m: number, weight: Int8Matrix, out: Float32Array, bias?: Float32Array): void {
  const { q, scales, rows: n, cols: k } = weight;
  const xq = new Int16Array(k);
  for (let i = 0; i < m; i++) {
    const xScale = quantizeRow(x.subarray(i * k, (i + 1) * k), INT16_LIMIT, xq);
    for (let j = 0; j < n; j++) {
      let sum = 0;
      const wOffset = j * k;
      for (let p = 0; p < k; p++) sum += xq[p] * q[wOffset + p];
      const scaled = Math.fround(Math.fround(sum) * Math.fround(xScale * scales[j]));
      out[i * n + j] = bias ? Math.fround(scaled + bias[j]) : scaled;
    }
  }
}
