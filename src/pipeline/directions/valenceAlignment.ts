/**
 * Uninstructed-valence alignment: do prompts that name no emotion at all project onto the emotion
 * directions in line with their event's valence? For each uninstructed prompt (both splits: the
 * uninstructed prompts never enter the directions), per site and layer:
 *
 *   δ      = h − mean of the same scenario's three uninstructed prompts (positive, neutral, negative)
 *   score  = cos(δ, v_happiness) − mean over e ∈ {sadness, anger, fear} of cos(δ, v_e)
 *   gap    = score(positive event) − score(negative event), one per scenario
 *
 * A model whose emotion directions carry what its events mean gives gap > 0 (positive events nearer
 * happiness); a random-weight model, whose directions only reflect the emotion *words* of the
 * instructed prompts, has no reason to. Reported: mean gap with a Student-t interval over scenarios,
 * and the share of scenarios with gap > 0.
 */
import type { ActivationStore } from '../collection/activationStore.js';
import { EMOTIONS } from '../../emotions.js';
import { meanInterval, type MeanInterval } from '../stats/intervals.js';
import { cosine, type SiteActivations } from './directions.js';
import { SITE_ACTIVATION, type DirectionSet, type DirectionSite } from './directionSet.js';

const POSITIVE_EMOTION = EMOTIONS.indexOf('happiness');
const NEGATIVE_EMOTIONS = (['sadness', 'anger', 'fear'] as const).map((e) => EMOTIONS.indexOf(e));

export interface LayerValenceAlignment {
  /** Mean gap and 95 % t interval over scenarios. */
  gap: MeanInterval;
  /** Share of scenarios whose gap is positive. */
  positiveShare: number;
}

export interface ValenceAlignment {
  scenarios: number;
  /** Per site: per layer. */
  sites: Record<DirectionSite, LayerValenceAlignment[]>;
  /** Per site, [layer][scenario] gaps in scenario order (for paired comparisons with a twin). */
  gaps: Record<DirectionSite, number[][]>;
}

/** Scenarios (split + skeleton) with their positive, neutral and negative uninstructed rows. */
function uninstructedScenarios(store: ActivationStore): Array<{ positive: number; neutral: number; negative: number }> {
  const byScenario = new Map<string, Partial<Record<'positive' | 'neutral' | 'negative', number>>>();
  for (const s of store.samples) {
    if (s.kind !== 'uninstructed') continue;
    const key = `${s.split}\u0000${s.skeletonId}`;
    const entry = byScenario.get(key) ?? {};
    entry[s.valence] = s.row;
    byScenario.set(key, entry);
  }
  return [...byScenario.values()]
    .filter((e) => e.positive !== undefined && e.neutral !== undefined && e.negative !== undefined)
    .map((e) => ({ positive: e.positive!, neutral: e.neutral!, negative: e.negative! }));
}

/**
 * The per-scenario gaps of one site, [L][S]: `x` holds 3 rows per scenario in the order positive,
 * neutral, negative ([3·S, L, d]); `directions` is [E, L, d].
 */
export function valenceGaps(x: SiteActivations, directions: Float32Array): number[][] {
  const { layers, width } = x;
  const scenarios = x.rows / 3;
  const delta = new Float64Array(width);
  const score = (scenario: number, which: number, l: number): number => {
    for (let i = 0; i < width; i++) {
      let m = 0;
      for (let v = 0; v < 3; v++) m += x.data[((3 * scenario + v) * layers + l) * width + i];
      delta[i] = x.data[((3 * scenario + which) * layers + l) * width + i] - m / 3;
    }
    const toward = (e: number): number => cosine(delta, 0, directions, (e * layers + l) * width, width);
    return toward(POSITIVE_EMOTION) - NEGATIVE_EMOTIONS.reduce((s, e) => s + toward(e), 0) / NEGATIVE_EMOTIONS.length;
  };
  return Array.from({ length: layers }, (_, l) => Array.from({ length: scenarios }, (_s, j) => score(j, 0, l) - score(j, 2, l)));
}

/** The measure in the module comment, for both sites and every layer. */
export function valenceAlignment(store: ActivationStore, directions: DirectionSet): ValenceAlignment {
  const scenarios = uninstructedScenarios(store);
  const sites = {} as ValenceAlignment['sites'];
  const gaps = {} as ValenceAlignment['gaps'];
  for (const site of ['attn', 'mlp'] as const) {
    const rows = scenarios.flatMap((s) => [s.positive, s.neutral, s.negative]);
    gaps[site] = valenceGaps(store.read(SITE_ACTIVATION[site], rows), directions[site].directions);
    sites[site] = gaps[site].map((g) => ({
      gap: g.length > 0 ? meanInterval(g) : { mean: 0, low: 0, high: 0, n: 0 },
      positiveShare: g.length > 0 ? g.filter((v) => v > 0).length / g.length : 0,
    }));
  }
  return { scenarios: scenarios.length, sites, gaps };
}
