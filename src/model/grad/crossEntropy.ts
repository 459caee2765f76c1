/**
 * Masked next-token cross-entropy over the rows of a batch, forward and backward at once.
 * Row r (position t of its sequence) predicts `targets[r]`; rows with weight 0 do not count. The
 * loss is the mean over counted rows: L = −(1/N) Σ_r w_r · log softmax(logits[r])[target_r].
 */
import type { Floats } from './matmul.js';

/**
 * Returns the mean loss (float64) over rows with rowWeight[r] ≠ 0 (0 when none); fills
 * dLogits [rows, V] with dL/dlogits when given (rows that do not count get 0).
 * `targets[r]` is read only where rowWeight[r] ≠ 0.
 */
export function crossEntropy(
  logits: Floats, rows: number, vocab: number, targets: ArrayLike<number>, rowWeight: ArrayLike<number>, dLogits: Floats | null,
): number {
  let counted = 0;
  for (let r = 0; r < rows; r++) if (rowWeight[r] !== 0) counted++;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * vocab;
    if (rowWeight[r] === 0 || counted === 0) {
      if (dLogits) dLogits.fill(0, base, base + vocab);
      continue;
    }
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (logits[base + i] > max) max = logits[base + i];
    // One exponential per logit: kept in dLogits (when given) and rescaled into the softmax.
    let sum = 0;
    if (dLogits) {
      for (let i = 0; i < vocab; i++) {
        const e = Math.exp(logits[base + i] - max);
        dLogits[base + i] = e;
        sum += e;
      }
    } else for (let i = 0; i < vocab; i++) sum += Math.exp(logits[base + i] - max);
    const target = targets[r];
    total += (Math.log(sum) + max - logits[base + target]) * rowWeight[r];
    if (dLogits) {
      const scale = rowWeight[r] / counted;
      const factor = scale / sum;
      for (let i = 0; i < vocab; i++) dLogits[base + i] *= factor;
      dLogits[base + target] -= scale;
    }
  }
  return counted === 0 ? 0 : total / counted;
}
