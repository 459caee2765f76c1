/**
 * The statistics of causal validation (DESIGN.md §3 step 5), separate from the model runs so they
 * can be checked on their own:
 *
 * - every random-k control draw is a distinct unit set (drawn without repetition; when fewer
 *   distinct sets exist than seeds, all of them, and the count says so);
 * - the random control's per-prompt change is the mean over its draws *per prompt* — the draws
 *   share the prompts, so they are never counted as independent observations;
 * - top-k and random-k are compared on the same prompts: the per-prompt margin (ablate: random −
 *   top, so positive = the top units lower s more; enhance: top − random) gets a Student-t interval;
 * - a real model and its random-weight twin are compared the same way on the same prompts, after
 *   putting each model's margins in its own units: per-prompt margin divided by the standard
 *   deviation of that model's unedited s over the prompts (the scale of s differs between models:
 *   the twin's norm gains are 1), then real minus twin.
 */
import { seededRandom } from '../../random.js';
import { intervalsOverlap, meanInterval, meanOverDraws, pairedDifferences, pairedVerdict, sampleStd, separatedAbove, type MeanInterval } from '../stats/intervals.js';

export type UnitKind = 'neurons' | 'heads';
export type EditKind = 'ablate' | 'enhance';

/** Per-prompt changes of the two measured projections. */
export interface PromptChanges {
  site: number[];
  final: number[];
}

export interface RandomControl {
  site: MeanInterval;
  final: MeanInterval;
  /** The unit sets drawn, one per seed actually used (distinct). */
  draws: number[][];
  /** How many distinct k-sets exist outside the top k: C(units − k, k) (capped at 1e15). */
  possibleDraws: number;
}

export interface ConditionStatistics {
  top: { site: MeanInterval; final: MeanInterval };
  random: RandomControl;
  /** Paired per-prompt margin in the expected direction, with its t interval. */
  margin: { site: MeanInterval; final: MeanInterval };
  /** The per-prompt margins themselves (so a twin can be compared prompt by prompt). */
  promptMargins: PromptChanges;
  /** Standard deviation over the prompts of the unedited values (the model's own scale of s). */
  scale: { site: number; final: number };
}

/** C(n, k), exact for small values, capped at 1e15. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) {
    result = (result * (n - Math.min(k, n - k) + i)) / i;
    if (result > 1e15) return 1e15;
  }
  return Math.round(result);
}

/** Every k-subset of `items` in lexicographic order (only for small counts). */
function allSubsets(items: readonly number[], k: number): number[][] {
  const out: number[][] = [];
  const pick = (start: number, chosen: number[]): void => {
    if (chosen.length === k) {
      out.push([...chosen]);
      return;
    }
    for (let i = start; i <= items.length - (k - chosen.length); i++) pick(i + 1, [...chosen, items[i]]);
  };
  pick(0, []);
  return out;
}

/**
 * `count` distinct k-subsets of `items` (each sorted), seeded: all of them (in a seeded order) when
 * no more than `count` exist, otherwise drawn without repetition.
 */
export function distinctDraws(items: readonly number[], k: number, count: number, seed: number): { draws: number[][]; possible: number } {
  const possible = binomial(items.length, k);
  const random = seededRandom(seed);
  if (possible <= count) {
    const all = allSubsets(items, k);
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    return { draws: all, possible };
  }
  const seen = new Set<string>();
  const draws: number[][] = [];
  while (draws.length < count) {
    const pool = [...items];
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    const draw = pool.slice(0, k).sort((a, b) => a - b);
    const key = draw.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    draws.push(draw);
  }
  return { draws, possible };
}

/** Seed of one condition's random stream: distinct for every (base seed, emotion, kind, edit, layer, k). */
export function conditionSeed(base: number, parts: readonly (string | number)[]): number {
  let h = 0x811c9dc5 ^ base;
  for (const ch of `${base}|${parts.join('|')}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h | 0;
}

/**
 * The statistics of one condition from the top-k changes and one set of changes per random draw,
 * all measured on the same prompts in the same order.
 */
export function conditionStatistics(
  edit: EditKind, top: PromptChanges, randomDraws: readonly PromptChanges[], draws: number[][], possibleDraws: number, baseline: PromptChanges,
): ConditionStatistics {
  if (randomDraws.length === 0) throw new RangeError('conditionStatistics: no random draws');
  const randomSite = meanOverDraws(randomDraws.map((r) => r.site));
  const randomFinal = meanOverDraws(randomDraws.map((r) => r.final));
  const margin = (topValues: number[], randomValues: number[]): number[] =>
    edit === 'ablate' ? pairedDifferences(randomValues, topValues) : pairedDifferences(topValues, randomValues);
  const promptMargins = { site: margin(top.site, randomSite), final: margin(top.final, randomFinal) };
  return {
    top: { site: meanInterval(top.site), final: meanInterval(top.final) },
    random: { site: meanInterval(randomSite), final: meanInterval(randomFinal), draws, possibleDraws },
    margin: { site: meanInterval(promptMargins.site), final: meanInterval(promptMargins.final) },
    promptMargins,
    scale: { site: sampleStd(baseline.site), final: sampleStd(baseline.final) },
  };
}

/** What validationSummary counts per unit kind and edit. */
export interface SummaryCell {
  /** Conditions whose mean margin on s is positive. */
  wins: number;
  /** Conditions whose 95 % interval of the margin on s lies above 0. */
  significant: number;
  total: number;
}

/** Per unit kind and edit: how often top-k beats random-k on s (mean margin > 0; interval above 0). */
export function validationSummary(results: readonly { kind: UnitKind; edit: EditKind; margin: { site: MeanInterval } }[]): Record<`${UnitKind}.${EditKind}`, SummaryCell> {
  const summary = {} as Record<`${UnitKind}.${EditKind}`, SummaryCell>;
  for (const r of results) {
    const key = `${r.kind}.${r.edit}` as const;
    summary[key] ??= { wins: 0, significant: 0, total: 0 };
    summary[key].total++;
    if (r.margin.site.mean > 0) summary[key].wins++;
    if (r.margin.site.low > 0) summary[key].significant++;
  }
  return summary;
}

export interface ConditionKey {
  emotion: string;
  kind: UnitKind;
  edit: EditKind;
  layer: number;
  k: number;
}

export interface TwinComparison extends ConditionKey {
  /** Per-prompt margin on s in each model's scale units, real minus twin (same prompts): mean and t interval. */
  site: MeanInterval;
  final: MeanInterval;
  /** The same on s in raw units (no scaling): the scale of s differs between the models, so read it with care. */
  siteRaw: MeanInterval;
  /** 'real' when the interval on s (scaled) lies above 0, 'twin' when below, 'neither' otherwise. */
  better: 'real' | 'twin' | 'neither';
  /** Each model's own per-prompt margin on s in its scale units, mean and t interval. */
  realSite: MeanInterval;
  twinSite: MeanInterval;
  /** Whether realSite and twinSite overlap; `separated` = no overlap and the real margin is higher. */
  overlap: boolean;
  separated: boolean;
}

const keyOf = (c: ConditionKey): string => `${c.emotion}|${c.kind}|${c.edit}|${c.layer}|${c.k}`;

type Compared = ConditionKey & { promptMargins: PromptChanges; scale: { site: number; final: number } };

/** Margins divided by the model's scale of s (left as they are when the scale is 0). */
function scaled(values: number[], scale: number): number[] {
  return scale > 0 ? values.map((v) => v / scale) : values;
}

/** Compares the conditions present in both runs prompt by prompt (real margin − twin margin, each in its own scale). */
export function compareWithTwin(real: readonly Compared[], twin: readonly Compared[]): TwinComparison[] {
  const twinByKey = new Map(twin.map((c) => [keyOf(c), c]));
  const out: TwinComparison[] = [];
  for (const r of real) {
    const t = twinByKey.get(keyOf(r));
    if (!t) continue;
    const [realMargins, twinMargins] = [scaled(r.promptMargins.site, r.scale.site), scaled(t.promptMargins.site, t.scale.site)];
    const site = meanInterval(pairedDifferences(realMargins, twinMargins));
    const [realSite, twinSite] = [meanInterval(realMargins), meanInterval(twinMargins)];
    const overlap = intervalsOverlap(realSite, twinSite);
    const final = meanInterval(pairedDifferences(scaled(r.promptMargins.final, r.scale.final), scaled(t.promptMargins.final, t.scale.final)));
    const siteRaw = meanInterval(pairedDifferences(r.promptMargins.site, t.promptMargins.site));
    const better = pairedVerdict(site, 'real', 'twin');
    out.push({ emotion: r.emotion, kind: r.kind, edit: r.edit, layer: r.layer, k: r.k, site, final, siteRaw, better, realSite, twinSite, overlap, separated: separatedAbove(realSite, realSite.mean, twinSite, twinSite.mean) });
  }
  return out;
}

/** compareWithTwin's verdicts of one unit kind and edit: paired (real/twin/neither) and separated (no overlap, real higher). */
export interface TwinSummaryCell {
  real: number;
  twin: number;
  neither: number;
  separated: number;
  total: number;
}

/** Counts of compareWithTwin's verdicts per unit kind and edit. */
export function twinSummary(comparisons: readonly TwinComparison[]): Record<string, TwinSummaryCell> {
  const summary: Record<string, TwinSummaryCell> = {};
  for (const c of comparisons) {
    const cell = (summary[`${c.kind}.${c.edit}`] ??= { real: 0, twin: 0, neither: 0, separated: 0, total: 0 });
    cell[c.better]++;
    if (c.separated) cell.separated++;
    cell.total++;
  }
  return summary;
}
