/** Comparing two next-token distributions given as logits (for fidelity checks of approximate weights). */

function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  const z = max + Math.log(sum);
  return Float64Array.from({ length: logits.length }, (_, i) => logits[i] - z);
}

/** KL(softmax(p) ‖ softmax(q)) in nats, computed in f64; p and q are logits over the same vocabulary [V]. */
export function klDivergenceFromLogits(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length) throw new RangeError(`logits differ in length: ${p.length} vs ${q.length}`);
  const lp = logSoftmax(p), lq = logSoftmax(q);
  let kl = 0;
  for (let i = 0; i < lp.length; i++) kl += Math.exp(lp[i]) * (lp[i] - lq[i]);
  return kl;
}
