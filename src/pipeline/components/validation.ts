/**
 * Causal validation of the component rankings (DESIGN.md §3 step 5). For each emotion, unit kind
 * and layer, and k ∈ {1, 2, 4, …}: ablate (zero) the top-k units, or enhance them by adding λ·Δ
 * (Δμ_e on neurons, Δz_e on heads), and do the same with k random units of that layer (several seeds).
 * Effects are measured on held-out (test) prompts as the change of s at the layer and of the final
 * projection on v_ref, with 95 % intervals over prompts:
 *   ablation: on prompts instructed with e (s should fall),
 *   enhancement: on uninstructed prompts (s should rise).
 * Neuron edits apply at the last prompt position, head edits at every position, as in modulation.
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
import { seededRandom, shuffleInPlace } from '../../random.js';
import { probe, type ProbeResult, type ProbeSite } from './siteProbe.js';
import { referenceDirection } from '../directions/referenceDirection.js';

export type UnitKind = 'neurons' | 'heads';
export type EditKind = 'ablate' | 'enhance';

export interface ValidationOptions {
  /** Sizes to try; each is kept only while 2k ≤ units of the layer (so k random units exist outside the top k). */
  readonly ks: readonly number[];
  /** Random control draws per condition. */
  readonly seeds: number;
  /** Enhancement strength λ. */
  readonly lambda: number;
  /** Layers to validate (default: all). */
  readonly layers?: readonly number[];
  readonly seed: number;
  readonly log?: (line: string) => void;
}

/** Mean and 95 % interval (normal approximation) of per-prompt changes. */
export interface Effect {
  mean: number;
  low: number;
  high: number;
  n: number;
}

export interface ConditionResult {
  emotion: string;
  kind: UnitKind;
  edit: EditKind;
  layer: number;
  k: number;
  units: number[];
  top: { site: Effect; final: Effect };
  /** Pooled over all random draws. */
  random: { site: Effect; final: Effect };
}

export interface ValidationPrompts {
  /** Test prompts instructed with each emotion, by emotion. */
  instructed: Record<string, number[][]>;
  /** Test uninstructed prompts. */
  uninstructed: number[][];
}

export function effect(values: ArrayLike<number>): Effect {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  const half = n > 1 ? 1.96 * Math.sqrt(ss / (n - 1) / n) : 0;
  return { mean, low: mean - half, high: mean + half, n };
}

function differences(after: ProbeResult, before: ProbeResult): { site: number[]; final: number[] } {
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
            const topEffect = measure(top);
            const others = Array.from({ length: stats.units }, (_, u) => u).filter((u) => !top.includes(u));
            const random = { site: [] as number[], final: [] as number[] };
            for (let s = 0; s < options.seeds; s++) {
              const draw = shuffleInPlace([...others], seededRandom(options.seed * 1_000_003 + s * 7919 + layer * 31 + k * 17 + e)).slice(0, k);
              const changes = measure(draw);
              random.site.push(...changes.site);
              random.final.push(...changes.final);
            }
            results.push({
              emotion, kind, edit, layer, k, units: top,
              top: { site: effect(topEffect.site), final: effect(topEffect.final) },
              random: { site: effect(random.site), final: effect(random.final) },
            });
          }
          options.log?.(`validated ${emotion} ${kind} layer ${layer} ${edit}`);
        }
      }
    }
  });
  return results;
}

/** Share of conditions where the top units beat the random ones in the expected direction. */
export function validationSummary(results: readonly ConditionResult[]): Record<`${UnitKind}.${EditKind}`, { wins: number; total: number }> {
  const summary = {} as Record<`${UnitKind}.${EditKind}`, { wins: number; total: number }>;
  for (const r of results) {
    const key = `${r.kind}.${r.edit}` as const;
    summary[key] ??= { wins: 0, total: 0 };
    summary[key].total++;
    const win = r.edit === 'ablate' ? r.top.site.mean < r.random.site.mean : r.top.site.mean > r.random.site.mean;
    if (win) summary[key].wins++;
  }
  return summary;
}
