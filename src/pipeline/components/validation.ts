/**
 * Causal validation of the component rankings (DESIGN.md §3 step 5). For each emotion, unit kind
 * and layer, and k ∈ {1, 2, 4, …}: ablate (zero) the top-k units, or enhance them by adding λ·Δ
 * (Δμ_e on neurons, Δz_e on heads), and do the same with k random units of that layer (several
 * distinct draws). Effects are measured on held-out (test) prompts as the change of s at the layer
 * and of the final projection on v_ref:
 *   ablation: on prompts instructed with e (s should fall),
 *   enhancement: on uninstructed prompts (s should rise).
 * Top-k and random-k are compared per prompt (validationStatistics.ts): the random draws are
 * averaged per prompt first, and the paired margin gets a Student-t interval over prompts.
 * Neuron edits apply at the last prompt position, head edits at every position, as in modulation.
 *
 * What is measured for neurons: s at the MLP site, ⟨RMSNorm(resid_post)·g_next, v_e⟩ — what the next
 * layer reads. The neuron *ranking* scores the direct, un-normalised contribution a_n·(W_downᵀv_e)_n to
 * ⟨resid_post, v_e⟩ (the paper's attribution, additive over neurons). The two differ by the RMS
 * normalisation (a common positive factor per prompt, which does not change the ranking within a
 * prompt) and by the gain g_next, which re-weights coordinates; the validation therefore tests
 * whether the linear attribution predicts the effect on the normalised read-out, as intended.
 */
import type { Intervention } from '../../interventions/intervention.js';
import { compileInterventions } from '../../interventions/compile.js';
import { layerHook } from '../../model/hookNames.js';
import type { LanguageModel } from '../../model/languageModel.js';
import type { UnitStatistics } from './componentRanking.js';
import { topUnits } from './componentRanking.js';
import { diffVector, type DiffVectors } from './diffVectors.js';
import type { DirectionSet } from '../directions/directionSet.js';
import { EMOTIONS } from '../../emotions.js';
import { meanInterval, type MeanInterval } from '../stats/intervals.js';
import { probe, type ProbeResult, type ProbeSite } from './siteProbe.js';
import { referenceDirection } from '../directions/referenceDirection.js';
import {
  conditionSeed, conditionStatistics, distinctDraws, type ConditionStatistics, type EditKind, type PromptChanges, type UnitKind,
} from './validationStatistics.js';

export { validationSummary, type EditKind, type UnitKind } from './validationStatistics.js';

export interface ValidationOptions {
  /** Sizes to try; each is kept only while 2k ≤ units of the layer (so k random units exist outside the top k). */
  readonly ks: readonly number[];
  /** Random control draws per condition (distinct unit sets; fewer when fewer exist). */
  readonly seeds: number;
  /** Enhancement strength λ. */
  readonly lambda: number;
  /** Layers to validate (default: all). */
  readonly layers?: readonly number[];
  readonly seed: number;
  readonly log?: (line: string) => void;
}

/** Mean and 95 % Student-t interval of per-prompt changes. */
export type Effect = MeanInterval;

export interface ConditionResult extends ConditionStatistics {
  emotion: string;
  kind: UnitKind;
  edit: EditKind;
  layer: number;
  k: number;
  /** The top-k units. */
  units: number[];
}

export interface ValidationPrompts {
  /** Test prompts instructed with each emotion, by emotion. */
  instructed: Record<string, number[][]>;
  /** Test uninstructed prompts. */
  uninstructed: number[][];
}

/** Mean and 95 % Student-t interval over prompts. */
export function effect(values: ArrayLike<number>): Effect {
  return meanInterval(values);
}

function differences(after: ProbeResult, before: ProbeResult): PromptChanges {
  return {
    site: Array.from(after.site, (x, i) => x - before.site[i]),
    final: Array.from(after.final, (x, i) => x - before.final[i]),
  };
}

/** The intervention that ablates or enhances `units` of `kind` at layer l for emotion e. */
export function componentIntervention(kind: UnitKind, edit: EditKind, layer: number, units: number[], delta: Float32Array, lambda: number): Intervention {
  const hook = layerHook(layer, kind === 'neurons' ? 'mlp.hook_post' : 'attn.hook_z');
  const positions = kind === 'neurons' ? 'last' : 'all';
  const select = kind === 'neurons' ? { neurons: units } : { heads: units };
  if (edit === 'ablate') return { hook, op: 'zero', positions, ...select };
  return { hook, op: 'add', vector: Array.from(delta), coeff: lambda, positions, ...select };
}

export function runValidation(
  model: LanguageModel,
  prompts: ValidationPrompts,
  directions: DirectionSet,
  diffVectors: DiffVectors,
  rankings: Record<UnitKind, UnitStatistics>,
  options: ValidationOptions,
): ConditionResult[] {
  const { config } = model;
  const d = config.hiddenSize;
  const layers = options.layers ?? Array.from({ length: config.numLayers }, (_, l) => l);
  const results: ConditionResult[] = [];
  EMOTIONS.forEach((emotion, e) => {
    const reference = referenceDirection(directions, e);
    for (const kind of ['neurons', 'heads'] as const) {
      const site: ProbeSite = kind === 'neurons' ? 'mlp' : 'attn';
      const stats = rankings[kind];
      for (const layer of layers) {
        const start = (e * config.numLayers + layer) * d;
        const request = { site, layer, direction: directions[site].directions.subarray(start, start + d), reference };
        const delta = diffVector(kind === 'neurons' ? diffVectors.mlp : diffVectors.attn, emotion, layer);
        for (const edit of ['ablate', 'enhance'] as const) {
          const promptSet = edit === 'ablate' ? prompts.instructed[emotion] : prompts.uninstructed;
          if (promptSet.length === 0) continue;
          const baseline = probe(model, promptSet, request);
          for (const k of options.ks) {
            if (2 * k > stats.units) continue;
            const top = topUnits(stats, e, layer, k);
            const measure = (units: number[]) => {
              const hooks = compileInterventions([componentIntervention(kind, edit, layer, units, delta, options.lambda)], config);
              return differences(probe(model, promptSet, request, hooks), baseline);
            };
            const others = Array.from({ length: stats.units }, (_, u) => u).filter((u) => !top.includes(u));
            const { draws, possible } = distinctDraws(others, k, options.seeds, conditionSeed(options.seed, [emotion, kind, edit, layer, k]));
            const statistics = conditionStatistics(edit, measure(top), draws.map(measure), draws, possible, { site: [...baseline.site], final: [...baseline.final] });
            results.push({ emotion, kind, edit, layer, k, units: top, ...statistics });
          }
          options.log?.(`validated ${emotion} ${kind} layer ${layer} ${edit}`);
        }
      }
    }
  });
  return results;
}
