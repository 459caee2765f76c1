/**
 * Attribution patching: a first-order estimate, from ONE backward pass per batch of prompts, of
 * what zeroing each attention head and each MLP neuron does to the final-layer emotion projection
 *   m = ⟨final RMSNorm output with its gain [last], v_ref⟩.
 * For an activation a that an ablation sets to zero, m(a = 0) − m ≈ −(∂m/∂a)·a, summed over
 * what the ablation touches (as in validation):
 *   head h of layer l:    attn.hook_z, the head's dh slice, every position
 *   neuron n of layer l:  mlp.hook_post, unit n, the last prompt position only
 * The gradients come from the gradient model (model/grad) loaded with the engine's weights.
 *
 * @example
 * const grad = gradModelOf(model);
 * const estimates = attributionEstimates(grad, prompts, reference, model.weights.finalNorm);
 * console.log(estimates.heads[l * H + h]); // estimated change of m when head h of layer l is zeroed
 */
import { layerHook } from '../../model/hookNames.js';
import type { LanguageModel } from '../../model/languageModel.js';
import { GradModel } from '../../model/grad/gradModel.js';
import type { HookValue } from '../../model/grad/hookRows.js';
import { headDim } from '../../model/grad/params.js';

export interface AttributionEstimates {
  readonly layers: number;
  /** H */
  readonly heads: number;
  /** dff */
  readonly neurons: number;
  /** Estimated change of m when head h of layer l is zeroed, mean over prompts, [L, H]. */
  readonly headEffects: Float64Array;
  /** Estimated change of m when neuron n of layer l is zeroed at the last position, mean over prompts, [L, dff]. */
  readonly neuronEffects: Float64Array;
  /** m of each prompt as the gradient model computes it, [P]. */
  readonly projections: Float64Array;
}

/**
 * A float32 gradient model holding `model`'s weights (read again from its checkpoint, widened to f32)
 * and computing on `model`'s backend. Throws ConfigError for architectures the gradient code does
 * not support (biases, q/k norms, RoPE scaling, sliding windows).
 */
export function gradModelOf(model: LanguageModel): GradModel<Float32Array> {
  return GradModel.fromCheckpoint(model.checkpoint, model.backend);
}

/**
 * Attribution-patching estimates over `prompts` (token ids), averaged over the prompts.
 * `reference`: v_ref [d]; `finalGain`: the final norm's weight [d]. One forward and one backward
 * pass per batch of `batchSize` prompts (the prompts of a batch do not interact, so the gradient of
 * Σ_s m_s at sequence s is ∂m_s/∂a_s).
 */
export function attributionEstimates(
  grad: GradModel<Float32Array>,
  prompts: readonly (readonly number[])[],
  reference: Float32Array,
  finalGain: Float32Array,
  batchSize = 16,
): AttributionEstimates {
  const { d, layers: L, heads: H, dff } = grad.shape;
  const dh = headDim(grad.shape);
  const headEffects = new Float64Array(L * H);
  const neuronEffects = new Float64Array(L * dff);
  const projections = new Float64Array(prompts.length);
  // ∂m/∂(ln_final.hook_normalized[last]) = gain ⊙ v_ref: m reads the normalised state through the gain.
  const lastRowSeed = Float32Array.from(reference, (v, i) => v * finalGain[i]);
  for (let start = 0; start < prompts.length; start += batchSize) {
    const batch = prompts.slice(start, start + batchSize);
    const tape = grad.forward(batch);
    const seeds: HookValue[] = batch.map((ids, s) => {
      const values = new Float32Array(ids.length * d); // [T, d], zero but the last row
      values.set(lastRowSeed, (ids.length - 1) * d);
      return { sequence: s, hook: 'ln_final.hook_normalized', values };
    });
    const { hookGrads } = grad.backward(tape, { seeds, hooks: ['blocks.*.attn.hook_z', 'blocks.*.mlp.hook_post'] });
    batch.forEach((ids, s) => {
      const T = ids.length;
      const lastRow = (tape.spans[s].rowStart + T - 1) * d;
      let m = 0;
      for (let i = 0; i < d; i++) m += tape.nFinal[lastRow + i] * reference[i];
      projections[start + s] = m;
      for (let l = 0; l < L; l++) {
        const zName = layerHook(l, 'attn.hook_z');
        const z = grad.activation(tape, zName, s); //        [T, H·dh]
        const dz = hookGrads[s].get(zName)!; //               [T, H·dh]
        for (let h = 0; h < H; h++) {
          let sum = 0;
          for (let t = 0; t < T; t++) for (let j = t * H * dh + h * dh, end = j + dh; j < end; j++) sum += dz[j] * z[j];
          headEffects[l * H + h] -= sum;
        }
        const postName = layerHook(l, 'mlp.hook_post');
        const post = grad.activation(tape, postName, s); //   [T, dff]
        const dPost = hookGrads[s].get(postName)!; //         [T, dff]
        const last = (T - 1) * dff;
        for (let n = 0; n < dff; n++) neuronEffects[l * dff + n] -= dPost[last + n] * post[last + n];
      }
    });
  }
  const count = Math.max(prompts.length, 1);
  for (let i = 0; i < headEffects.length; i++) headEffects[i] /= count;
  for (let i = 0; i < neuronEffects.length; i++) neuronEffects[i] /= count;
  return { layers: L, heads: H, neurons: dff, headEffects, neuronEffects, projections };
}
