/**
 * Sublayer influence (DESIGN.md §3 step 6). For emotion e, sublayer p ∈ {attn, mlp} of layer l and
 * strength α: add α·σ_{l,p}·ṽ_{l,p} to the sublayer's output (hook_attn_out / hook_mlp_out) at the
 * last prompt token, and measure
 *
 *   I = mean over prompts of Δ⟨final state[last], v_ref⟩ / (α·σ_{l,p}),
 *
 * final state = the final RMSNorm output with its gain (the lm_head input), ṽ = the site's own unit
 * direction (attention site = resid_mid, MLP site = resid_post), flipped if it points away from v_ref.
 *
 * The edit touches only the last position, and attention is causal, so the prompt's other positions
 * are computed once per prompt into a KV cache; each edited pass then runs only the last token on
 * that cache (and truncates it back) — the same numbers as a full pass, at a fraction of the cost.
 */
import { compileInterventions } from '../../interventions/compile.js';
import { forward, type ModelRuntime } from '../../model/forward.js';
import { layerHook } from '../../model/hookNames.js';
import type { Hook } from '../../model/hooks.js';
import { KVCache } from '../../model/kvCache.js';
import type { ActivationStore } from '../collection/activationStore.js';
import { DIRECTION_SITES, SITE_ACTIVATION, type DirectionSet, type DirectionSite } from '../directions/directionSet.js';
import { referenceDirection } from '../directions/referenceDirection.js';

export type Sublayer = DirectionSite;
export const SUBLAYERS = DIRECTION_SITES;
/** The hook each sublayer's output passes through. */
export const SUBLAYER_HOOK = { attn: 'hook_attn_out', mlp: 'hook_mlp_out' } as const;
export const DEFAULT_ALPHAS: readonly number[] = [0.1, 0.3, 0.5, 0.7];

/** σ per sublayer and layer: [L] each. */
export type SiteScales = Record<Sublayer, Float64Array>;

/**
 * σ_{l,p}: the RMS of the site's residual (resid_mid for attn, resid_post for mlp) at the last
 * prompt token, averaged over `rows` of the store (the instructed train prompts).
 */
export function siteScales(store: ActivationStore, rows: readonly number[]): SiteScales {
  const scales = {} as SiteScales;
  for (const site of SUBLAYERS) {
    const x = store.read(SITE_ACTIVATION[site], rows); // [n, L, d]
    const sigma = new Float64Array(x.layers);
    for (let r = 0; r < x.rows; r++) {
      for (let l = 0; l < x.layers; l++) {
        const base = (r * x.layers + l) * x.width;
        let sumSquares = 0;
        for (let i = 0; i < x.width; i++) sumSquares += x.data[base + i] * x.data[base + i];
        sigma[l] += Math.sqrt(sumSquares / x.width);
      }
    }
    scales[site] = sigma.map((s) => s / Math.max(x.rows, 1));
  }
  return scales;
}

/** ṽ: the site's unit direction for emotion e at layer l, flipped to agree with v_ref. [d] */
export function alignedSiteDirection(directions: DirectionSet, site: Sublayer, e: number, layer: number, reference: Float32Array): Float32Array {
  const { layers, width } = directions[site];
  const start = (e * layers + layer) * width;
  const v = directions[site].directions.subarray(start, start + width);
  let dot = 0;
  for (let i = 0; i < width; i++) dot += v[i] * reference[i];
  return dot < 0 ? v.map((x) => -x) : Float32Array.from(v);
}

export interface InfluenceOptions {
  readonly alphas?: readonly number[];
  /** Emotion indices to measure (default: all). */
  readonly emotions?: readonly number[];
  /** Prompts per forward pass. Default 32. */
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
}

/** Influence of one emotion: per sublayer, I per α ([A][L]) and the mean over α ([L]). */
export interface EmotionInfluence {
  readonly reference: Float32Array;
  readonly influence: Record<Sublayer, { byAlpha: number[][]; mean: number[] }>;
}

/** The projections ⟨final state[last], v⟩ of a batch under `hooks`, for several v: [V][B]. */
function finalProjections(model: ModelRuntime, batch: readonly (readonly number[])[], caches: KVCache[], references: readonly Float32Array[], hooks: readonly Hook[]): Float64Array[] {
  const d = model.config.hiddenSize;
  const gain = model.weights.finalNorm;
  const out = references.map(() => new Float64Array(batch.length));
  const capture: Hook = {
    name: 'ln_final.hook_normalized',
    fn: (activation, context) => {
      const T = activation.shape[0];
      const last = activation.data.subarray((T - 1) * d, T * d);
      references.forEach((v, k) => {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += last[i] * gain[i] * v[i];
        out[k][context.sequence] = dot;
      });
    },
  };
  const inputs = batch.map((ids, b) => (caches[b].length > 0 ? { ids: [ids[ids.length - 1]], cache: caches[b] } : { ids, cache: caches[b] }));
  const before = caches.map((c) => c.length);
  forward(model, inputs, { hooks: [...hooks, capture], logits: 'none' });
  caches.forEach((c, b) => c.truncate(before[b]));
  return out;
}

/** Sublayer influence of every (emotion, layer, sublayer, α) over `prompts` (token ids). */
export function sublayerInfluence(model: ModelRuntime, prompts: readonly (readonly number[])[], directions: DirectionSet, sigma: SiteScales, options: InfluenceOptions = {}): EmotionInfluence[] {
  const { config } = model;
  const L = config.numLayers;
  const alphas = options.alphas ?? DEFAULT_ALPHAS;
  const emotions = options.emotions ?? Array.from({ length: directions.mlp.directions.length / (L * directions.mlp.width) }, (_, e) => e);
  const batchSize = options.batchSize ?? 32;
  const references = emotions.map((e) => referenceDirection(directions, e));
  // sums[k][site][a][l]: Σ over prompts of the change of the projection on v_ref.
  const sums = emotions.map(() => Object.fromEntries(SUBLAYERS.map((site) => [site, alphas.map(() => new Float64Array(L))])) as Record<Sublayer, Float64Array[]>);
  // The edits, compiled once: [k][site][l][a].
  const edits = emotions.map((e, k) => Object.fromEntries(SUBLAYERS.map((site) => [site, Array.from({ length: L }, (_, l) => {
    const v = alignedSiteDirection(directions, site, e, l, references[k]);
    return alphas.map((alpha) => compileInterventions([{ hook: layerHook(l, SUBLAYER_HOOK[site]), op: 'add', vector: Array.from(v), coeff: alpha * sigma[site][l], positions: 'last' }], config));
  })])) as Record<Sublayer, Hook[][][]>);
  for (let start = 0; start < prompts.length; start += batchSize) {
    const batch = prompts.slice(start, start + batchSize);
    const caches = batch.map((ids) => new KVCache(L, config.numKvHeads * config.headDim, ids.length));
    const prefixes = batch.map((ids) => ids.slice(0, -1));
    const withPrefix = batch.map((_, b) => b).filter((b) => prefixes[b].length > 0);
    if (withPrefix.length > 0) forward(model, withPrefix.map((b) => ({ ids: prefixes[b], cache: caches[b] })), { logits: 'none' });
    const baseline = finalProjections(model, batch, caches, references, []);
    emotions.forEach((_, k) => {
      for (const site of SUBLAYERS) {
        for (let l = 0; l < L; l++) {
          alphas.forEach((_alpha, a) => {
            const [edited] = finalProjections(model, batch, caches, [references[k]], edits[k][site][l][a]);
            for (let b = 0; b < batch.length; b++) sums[k][site][a][l] += edited[b] - baseline[k][b];
          });
        }
      }
    });
    options.log?.(`sublayer influence: ${Math.min(start + batchSize, prompts.length)}/${prompts.length} prompts`);
  }
  return emotions.map((_, k) => ({
    reference: references[k],
    influence: Object.fromEntries(SUBLAYERS.map((site) => {
      const byAlpha = alphas.map((alpha, a) => Array.from(sums[k][site][a], (s, l) => s / (prompts.length * alpha * sigma[site][l])));
      const mean = Array.from({ length: L }, (_, l) => byAlpha.reduce((acc, row) => acc + row[l], 0) / alphas.length);
      return [site, { byAlpha, mean }];
    })) as EmotionInfluence['influence'],
  }));
}

/** w = max(I, 0) normalised to sum 1; uniform (and `uniform: true`) when every I ≤ 0. */
export function sublayerWeights(influence: readonly number[]): { weights: number[]; uniform: boolean } {
  const clipped = influence.map((x) => Math.max(x, 0));
  const total = clipped.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return { weights: influence.map(() => 1 / influence.length), uniform: true };
  return { weights: clipped.map((x) => x / total), uniform: false };
}
