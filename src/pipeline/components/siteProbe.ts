/**
 * Measures, for a batch of prompts under optional hooks, the projections the component stages
 * compare (all at the last prompt token):
 *   attention site, layer l:  s = ⟨RMSNorm(resid_mid)·g_post_attn, v⟩          (DESIGN.md §3 step 4)
 *   MLP site, layer l:        s = ⟨RMSNorm(resid_post)·g_next, v⟩, g_next = the gain of the norm
 *                             that reads resid_post next (layer l+1's input norm, or the final norm)
 *   final:                    ⟨final hidden state (lm_head input), v_ref⟩
 */
import type { Hook } from '../../model/hooks.js';
import { layerHook } from '../../model/hookNames.js';
import type { LanguageModel } from '../../model/languageModel.js';
import { normedProjection } from './headAttribution.js';

export type ProbeSite = 'attn' | 'mlp';

export interface ProbeRequest {
  readonly site: ProbeSite;
  readonly layer: number;
  /** Unit direction at the site and layer, [d]. */
  readonly direction: Float32Array;
  /** Unit direction for the final hidden state, [d]. */
  readonly reference: Float32Array;
}

export interface ProbeResult {
  /** s at the site, one per prompt. */
  readonly site: Float64Array;
  /** Projection of the final hidden state on the reference direction, one per prompt. */
  readonly final: Float64Array;
}

/** The gain applied to the site's residual by the norm that reads it next. */
export function siteGain(model: LanguageModel, site: ProbeSite, layer: number): Float32Array {
  if (site === 'attn') return model.weights.layers[layer].postAttnNorm;
  return layer + 1 < model.config.numLayers ? model.weights.layers[layer + 1].inputNorm : model.weights.finalNorm;
}

/** Runs `prompts` in ragged batches of `batchSize` and returns the two projections per prompt. */
export function probe(model: LanguageModel, prompts: readonly (readonly number[])[], request: ProbeRequest, hooks: readonly Hook[] = [], batchSize = 16): ProbeResult {
  const d = model.config.hiddenSize;
  const siteHook = layerHook(request.layer, request.site === 'attn' ? 'hook_resid_mid' : 'hook_resid_post');
  const gain = siteGain(model, request.site, request.layer);
  const finalGain = model.weights.finalNorm;
  const eps = model.config.rmsNormEps;
  const siteValues = new Float64Array(prompts.length);
  const finalValues = new Float64Array(prompts.length);
  const finalHidden = new Float64Array(d);
  for (let start = 0; start < prompts.length; start += batchSize) {
    const batch = prompts.slice(start, start + batchSize);
    const capture: Hook[] = [
      {
        name: siteHook,
        fn: (activation, context) => {
          const T = activation.shape[0];
          siteValues[start + context.sequence] = normedProjection(activation.data.subarray((T - 1) * d, T * d), gain, eps, request.direction);
        },
      },
      {
        name: 'ln_final.hook_normalized',
        fn: (activation, context) => {
          const T = activation.shape[0];
          const last = activation.data.subarray((T - 1) * d, T * d);
          let dot = 0;
          for (let i = 0; i < d; i++) {
            finalHidden[i] = last[i] * finalGain[i];
            dot += finalHidden[i] * request.reference[i];
          }
          finalValues[start + context.sequence] = dot;
        },
      },
    ];
    // Interventions first, so the capture sees the edited values.
    model.forward(batch.map((ids) => ({ ids })), { hooks: [...hooks, ...capture], logits: 'none' });
  }
  return { site: siteValues, final: finalValues };
}
