/**
 * AdamW with decoupled weight decay, a linear warm-up + cosine learning-rate schedule, and
 * global-norm gradient clipping, over flat f32 arrays (the layout of model/grad/params.ts).
 * Plain loops in a fixed order: the same inputs give the same bits, which resuming relies on.
 */

export interface AdamWSettings {
  /** β₁, default 0.9 */
  readonly beta1: number;
  /** β₂, default 0.95 */
  readonly beta2: number;
  /** ε, default 1e-8 */
  readonly epsilon: number;
  /** λ, decoupled: θ ← θ − lr·λ·θ where decay[i] is 1 (matrices), default 0.1 */
  readonly weightDecay: number;
}

export const DEFAULT_ADAMW: AdamWSettings = { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.1 };

/** Learning rate at `step` (0-based): linear from peak/warmup up to peak over `warmup` steps, then cosine down to `min` at `total`. */
export function learningRate(step: number, total: number, warmup: number, peak: number, min: number): number {
  if (step < warmup) return (peak * (step + 1)) / warmup;
  if (total <= warmup) return peak;
  const progress = Math.min(1, (step - warmup) / Math.max(1, total - warmup));
  return min + 0.5 * (peak - min) * (1 + Math.cos(Math.PI * progress));
}

/** Scales `grads` so that their global L2 norm is at most `maxNorm` (when maxNorm > 0); returns the norm before clipping. */
export function clipGradNorm(grads: Float32Array, maxNorm: number): number {
  let sumSquares = 0;
  for (let i = 0; i < grads.length; i++) sumSquares += grads[i] * grads[i];
  const norm = Math.sqrt(sumSquares);
  if (maxNorm > 0 && norm > maxNorm) {
    const scale = maxNorm / (norm + 1e-6);
    for (let i = 0; i < grads.length; i++) grads[i] *= scale;
  }
  return norm;
}

/**
 * One AdamW update in place. `step` is 1-based (bias correction); `decay[i]` = 1 where weight
 * decay applies. m and v are the first and second moments.
 */
export function adamWUpdate(
  params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, decay: Uint8Array,
  step: number, lr: number, settings: AdamWSettings,
): void {
  const { beta1, beta2, epsilon, weightDecay } = settings;
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const update = m[i] / correction1 / (Math.sqrt(v[i] / correction2) + epsilon);
    params[i] -= lr * (update + (decay[i] ? weightDecay * params[i] : 0));
  }
}
