/**
 * Logit processors and token choice, following Hugging Face `generate` semantics:
 * repetition penalty and no-repeat n-grams look at the whole sequence (prompt included).
 */
export { seededRandom } from '../random.js';

/** CTRL-style penalty: logits of tokens already present are divided (if > 0) or multiplied by `penalty`. */
export function applyRepetitionPenalty(logits: Float32Array, sequence: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(sequence)) {
    const x = logits[id];
    logits[id] = x > 0 ? x / penalty : x * penalty;
  }
}

/** Bans every token that would complete an n-gram already in `sequence`. */
export function banRepeatedNgrams(logits: Float32Array, sequence: readonly number[], n: number): void {
  if (n <= 0 || sequence.length < n) return;
  const prefixStart = sequence.length - (n - 1);
  outer: for (let start = 0; start + n <= sequence.length; start++) {
    for (let i = 0; i < n - 1; i++) if (sequence[start + i] !== sequence[prefixStart + i]) continue outer;
    logits[sequence[start + n - 1]] = -Infinity;
  }
}

/** Index of the largest logit (the first one on ties, like torch.argmax). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = logits[0];
  for (let i = 1; i < logits.length; i++) {
    const value = logits[i];
    if (value > bestValue) {
      best = i;
      bestValue = value;
    }
  }
  return best;
}

/** Samples from softmax(logits / temperature) restricted to the top-p nucleus. */
export function sampleToken(logits: Float32Array, temperature: number, topP: number, random: () => number): number {
  if (temperature <= 0) return argmax(logits);
  let max = -Infinity;
  for (const x of logits) if (x > max) max = x;
  const probs = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    probs[i] = Math.exp((logits[i] - max) / temperature);
    sum += probs[i];
  }
  const order = Array.from({ length: logits.length }, (_, i) => i).filter((i) => probs[i] > 0);
  order.sort((a, b) => probs[b] - probs[a] || a - b);
  // Keep the smallest prefix whose mass reaches top_p (always at least one token).
  let kept = 0;
  let mass = 0;
  while (kept < order.length && (kept === 0 || mass < topP * sum)) mass += probs[order[kept++]];
  let r = random() * mass;
  for (let i = 0; i < kept; i++) {
    r -= probs[order[i]];
    if (r <= 0) return order[i];
  }
  return order[kept - 1];
}
