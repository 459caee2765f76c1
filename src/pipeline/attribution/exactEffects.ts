/**
 * The exact effects that attribution patching estimates: zero one unit with a real forward pass of
 * the engine (an intervention, as validation does: heads at every position, neurons at the last
 * prompt position) and measure the change of m = ⟨final RMSNorm output with gain [last], v_ref⟩,
 * averaged over the prompts. One forward pass per unit, so only a sample of the units is measured.
 */
import { compileInterventions } from '../../interventions/compile.js';
import type { LanguageModel } from '../../model/languageModel.js';
import { seededRandom, shuffleInPlace } from '../../random.js';
import { componentIntervention, type UnitKind } from '../components/validation.js';
import { probe } from '../components/siteProbe.js';

/** Why a unit was picked for an exact measurement. */
export type SampleGroup = 'all' | 'top' | 'bottom' | 'random';

export interface SampledUnit {
  readonly kind: UnitKind;
  readonly layer: number;
  readonly unit: number;
  readonly group: SampleGroup;
}

/**
 * Units to measure exactly: every head of every layer, and per layer the `perGroup` neurons with the
 * largest estimated effect (top), the `perGroup` with the smallest (bottom) and `perGroup` drawn at
 * random from the rest (fewer when the layer is narrower). `neuronEffects`: estimates, [L, dff].
 */
export function sampleUnits(layers: number, heads: number, neuronEffects: Float64Array, perGroup: number, seed: number): SampledUnit[] {
  const dff = neuronEffects.length / layers;
  const units: SampledUnit[] = [];
  for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) units.push({ kind: 'heads', layer: l, unit: h, group: 'all' });
  for (let l = 0; l < layers; l++) {
    const order = Array.from({ length: dff }, (_, n) => n).sort((a, b) => neuronEffects[l * dff + b] - neuronEffects[l * dff + a] || a - b);
    const take = Math.min(perGroup, Math.floor(dff / 2));
    const top = order.slice(0, take);
    const bottom = order.slice(dff - take).reverse();
    const rest = order.slice(take, dff - take);
    const random = shuffleInPlace(rest, seededRandom(seed * 7919 + l)).slice(0, perGroup);
    for (const [group, list] of [['top', top], ['bottom', bottom], ['random', random]] as const) {
      for (const n of list) units.push({ kind: 'neurons', layer: l, unit: n, group });
    }
  }
  return units;
}

/**
 * For each unit: mean over `prompts` of m(unit zeroed) − m, from forward passes of `model`.
 * Returns the baseline m per prompt too (what the gradient model's forward pass must match).
 */
export function exactEffects(
  model: LanguageModel,
  prompts: readonly (readonly number[])[],
  reference: Float32Array,
  units: readonly SampledUnit[],
  batchSize = 16,
): { effects: Float64Array; baseline: Float64Array } {
  // probe() also measures a site projection; only its final projection is used here.
  const request = { site: 'attn' as const, layer: 0, direction: reference, reference };
  const baseline = probe(model, prompts, request, [], batchSize).final;
  const effects = new Float64Array(units.length);
  units.forEach((u, i) => {
    const hooks = compileInterventions([componentIntervention(u.kind, 'ablate', u.layer, [u.unit], new Float32Array(0), 0)], model.config);
    const ablated = probe(model, prompts, request, hooks, batchSize).final;
    let sum = 0;
    for (let p = 0; p < prompts.length; p++) sum += ablated[p] - baseline[p];
    effects[i] = prompts.length > 0 ? sum / prompts.length : 0;
  });
  return { effects, baseline };
}
