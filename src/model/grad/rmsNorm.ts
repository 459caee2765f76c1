/**
 * RMSNorm, forward and backward, over rows of `width`:
 *   y[r, i] = x[r, i] · inv[r] · g[i],   inv[r] = 1 / sqrt(mean_i x[r, i]² + eps)
 * The gain is applied separately (scaleByGain*) so that the normalised value before the gain
 * (`ln_final.hook_normalized`, TransformerLens semantics) has a gradient of its own.
 */
import type { Floats } from './matmul.js';

/** xhat [rows, width] = x · inv; invRms [rows] is saved for the backward pass. */
export function rmsNormForward(x: Floats, rows: number, width: number, eps: number, xhat: Floats, invRms: Floats): void {
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let sumSquares = 0;
    for (let i = 0; i < width; i++) sumSquares += x[base + i] * x[base + i];
    const inv = 1 / Math.sqrt(sumSquares / width + eps);
    invRms[r] = inv;
    for (let i = 0; i < width; i++) xhat[base + i] = x[base + i] * inv;
  }
}

/** y [rows, width] = xhat · gain (y may be xhat). */
export function scaleByGain(xhat: Floats, gain: Floats, rows: number, width: number, y: Floats): void {
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let i = 0; i < width; i++) y[base + i] = xhat[base + i] * gain[i];
  }
}

/**
 * Backward of y = xhat · gain: dGain [width] += Σ_r dy·xhat; dXhat [rows, width] = dy · gain
 * (dXhat may be dy).
 */
export function scaleByGainBackward(dy: Floats, xhat: Floats, gain: Floats, rows: number, width: number, dXhat: Floats, dGain: Floats | null): void {
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    if (dGain) for (let i = 0; i < width; i++) dGain[i] += dy[base + i] * xhat[base + i];
    for (let i = 0; i < width; i++) dXhat[base + i] = dy[base + i] * gain[i];
  }
}

/**
 * Backward of xhat = x · inv(x): dx [rows, width] += inv·dXhat − x · inv³/width · Σ_i dXhat_i x_i.
 * Accumulates into dx (the residual stream's gradient).
 */
export function rmsNormBackward(dXhat: Floats, x: Floats, invRms: Floats, rows: number, width: number, dx: Floats): void {
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    const inv = invRms[r];
    let dot = 0;
    for (let i = 0; i < width; i++) dot += dXhat[base + i] * x[base + i];
    const coeff = (inv * inv * inv * dot) / width;
    for (let i = 0; i < width; i++) dx[base + i] += inv * dXhat[base + i] - coeff * x[base + i];
  }
}
