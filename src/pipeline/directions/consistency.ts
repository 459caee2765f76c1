/**
 * How consistent the emotion directions are (DESIGN.md §3, step 2), written to `consistency.json`.
 * Per site (attn, mlp) and layer:
 *
 * - **splitHalfThemes**: the train themes are shuffled (seeded) and cut into two disjoint halves;
 *   directions from each half's groups; cos(v_e^A, v_e^B) per emotion.
 * - **valence**: directions from the groups of one valence only; cos between each pair of
 *   valences, and between each valence and the all-valence direction.
 * - **crossLayer**: cos(v_e^l, v_e^l') for every pair of layers, per emotion and averaged.
 * - **emotionCosine**: cos(v_e, v_e') for every pair of emotions.
 * - **accuracy** (held out): test-split instructed prompts, classified per layer as
 *   argmax_e cos(δ, v_e), where δ is the test activation minus the mean of its own group (the six
 *   instructed prompts of the same test scenario × valence — the label-free analogue of the
 *   centring that defines v_e; "groupCentred"). "trainMeanCentred" subtracts instead the mean of
 *   all train instructed activations (no test-time grouping). Chance is 1/6. The permutation
 *   control recomputes the directions with emotion labels shuffled within each train group (K
 *   seeded shuffles) and classifies the same test rows; it should sit at chance.
 * - **pca**: 2-D PCA fitted on the group-centred train activations; coordinates of the
 *   group-centred test activations (with their emotion) and of the six directions.
 */
import type { ActivationStore } from '../collection/activationStore.js';
import {
  centreBy, centreWithinGroups, cosine, EMOTION_COUNT, meanRow, nearestDirectionAccuracy, shuffleEmotionsWithinGroups,
} from './directions.js';
import {
  DIRECTION_SITES, labelledRows, SITE_ACTIVATION, SITE_HOOK, siteDirections, type DirectionSet, type DirectionSite, type LabelledRows, type SiteDirections,
} from './directionSet.js';
import { EMOTIONS, VALENCES } from '../../emotions.js';
import { fitPca, projectDirection, projectPoint } from './pca.js';
import { seededRandom, shuffleInPlace } from '../../random.js';
import type { DirectionsTwinReport } from './twinComparison.js';
import type { ValenceAlignment } from './valenceAlignment.js';

export const CONSISTENCY_FILE = 'consistency.json';

export interface ConsistencyOptions {
  seed: number;
  /** Number of label shuffles in the permutation control. Default 20. */
  permutations?: number;
}

export interface SiteAccuracy {
  groupCentred: number[];
  trainMeanCentred: number[];
  /** Recall per emotion, group-centred, [L][E]. */
  perEmotion: number[][];
  permutation: { groupCentred: number[]; trainMeanCentred: number[]; runs: number[][] };
  chance: number;
  bestLayer: number;
  best: { layer: number; groupCentred: number; permutation: number; trainMeanCentred: number; chance: number };
}

export interface SiteConsistency {
  hook: string;
  splitHalfThemes: { halves: [string[], string[]]; cosine: number[][]; meanByLayer: number[] } | null;
  valence: {
    pairs: Record<string, number[][]>;
    meanByLayer: Record<string, number[]>;
    vsAll: Record<string, number[][]>;
  };
  crossLayer: { byEmotion: number[][][]; mean: number[][] };
  emotionCosine: number[][][];
  accuracy: SiteAccuracy;
  pca: Array<{
    layer: number;
    explainedVariance: number[];
    test: { x: number[]; y: number[]; emotion: number[] };
    directions: number[][];
  }>;
}

export interface ConsistencyReport {
  format: 'emotion-circuits/consistency@1';
  emotions: readonly string[];
  layers: number;
  seed: number;
  permutations: number;
  counts: { trainRows: number; trainGroups: number; testRows: number; testGroups: number };
  definitions: Record<string, string>;
  sites: Record<DirectionSite, SiteConsistency>;
  /** Accepted share per emotion × valence when the directions came from a judge filter; null (or absent) without one. */
  judgeFilter?: { judge: string; failures: number; shares: Record<string, Record<string, { accepted: number; total: number; share: number }>> } | null;
  /** Uninstructed-valence alignment of the model (valenceAlignment.ts), per site and layer. */
  valenceAlignment?: ValenceAlignment['sites'];
  /** The random-weight twin's figures and the paired comparison; null when the twin was not run. */
  twin?: DirectionsTwinReport | null;
}

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

/** cos(v_e^l of a, v_e^l of b), [L][E]. */
function directionCosines(a: SiteDirections, b: SiteDirections): number[][] {
  const { layers, width } = a;
  return Array.from({ length: layers }, (_, l) =>
    EMOTIONS.map((_e, e) => round(cosine(a.directions, (e * layers + l) * width, b.directions, (e * layers + l) * width, width))));
}

function meanOf(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / Math.max(values.length, 1);
}

function classify(test: LabelledRows, centred: Float64Array, dirs: SiteDirections): ReturnType<typeof nearestDirectionAccuracy> {
  return nearestDirectionAccuracy(centred, test.x.rows, test.x.layers, test.x.width, dirs.directions, test.labels.emotion);
}

function siteConsistency(
  site: DirectionSite, train: LabelledRows, test: LabelledRows, dirs: SiteDirections, options: Required<ConsistencyOptions>,
): SiteConsistency {
  const { layers, width } = dirs;
  const E = EMOTION_COUNT;

  // Split-half over themes.
  const themes = [...new Set(train.samples.map((s) => s.theme))];
  let splitHalfThemes: SiteConsistency['splitHalfThemes'] = null;
  if (themes.length >= 2) {
    const shuffled = shuffleInPlace([...themes], seededRandom(options.seed));
    const half = new Set(shuffled.slice(0, Math.ceil(shuffled.length / 2)));
    const a = siteDirections(train, (row) => half.has(train.samples[row].theme));
    const b = siteDirections(train, (row) => !half.has(train.samples[row].theme));
    const cos = directionCosines(a, b);
    splitHalfThemes = {
      halves: [themes.filter((t) => half.has(t)), themes.filter((t) => !half.has(t))],
      cosine: cos,
      meanByLayer: cos.map((row) => round(meanOf(row))),
    };
  }

  // Per valence.
  const byValence = new Map(VALENCES.map((v) => [v, siteDirections(train, (row) => train.samples[row].valence === v)]));
  const pairs: Record<string, number[][]> = {};
  const meanByLayer: Record<string, number[]> = {};
  const vsAll: Record<string, number[][]> = {};
  VALENCES.forEach((v, i) => {
    vsAll[v] = directionCosines(byValence.get(v)!, dirs);
    for (const w of VALENCES.slice(i + 1)) {
      const cos = directionCosines(byValence.get(v)!, byValence.get(w)!);
      pairs[`${v}-${w}`] = cos;
      meanByLayer[`${v}-${w}`] = cos.map((row) => round(meanOf(row)));
    }
  });

  // Across layers and across emotions.
  const byEmotion = EMOTIONS.map((_e, e) =>
    Array.from({ length: layers }, (_, l) => Array.from({ length: layers }, (_u, m) =>
      round(cosine(dirs.directions, (e * layers + l) * width, dirs.directions, (e * layers + m) * width, width)))));
  const crossMean = Array.from({ length: layers }, (_, l) => Array.from({ length: layers }, (_u, m) => round(meanOf(byEmotion.map((x) => x[l][m])))));
  const emotionCosine = Array.from({ length: layers }, (_, l) => EMOTIONS.map((_e, e) => EMOTIONS.map((_f, f) =>
    round(cosine(dirs.directions, (e * layers + l) * width, dirs.directions, (f * layers + l) * width, width)))));

  // Held-out accuracy, real and permuted.
  const testGroupCentred = centreWithinGroups(test.x, test.labels.group);
  const testTrainCentred = centreBy(test.x, meanRow(train.x));
  const real = classify(test, testGroupCentred, dirs);
  const realTrainMean = classify(test, testTrainCentred, dirs);
  const runs: number[][] = [];
  const runsTrainMean: number[][] = [];
  for (let k = 0; k < options.permutations; k++) {
    const shuffled = shuffleEmotionsWithinGroups(train.labels, options.seed * 1000 + k + 1);
    const permuted = siteDirections({ ...train, labels: shuffled });
    runs.push(classify(test, testGroupCentred, permuted).accuracy.map(round));
    runsTrainMean.push(classify(test, testTrainCentred, permuted).accuracy.map(round));
  }
  const layerMean = (rs: number[][]): number[] => Array.from({ length: layers }, (_, l) => round(meanOf(rs.map((r) => r[l]))));
  const permutationMean = layerMean(runs);
  const groupCentred = real.accuracy.map(round);
  const bestLayer = groupCentred.indexOf(Math.max(...groupCentred));
  const accuracy: SiteAccuracy = {
    groupCentred,
    trainMeanCentred: realTrainMean.accuracy.map(round),
    perEmotion: real.recall.map((r) => r.map(round)),
    permutation: { groupCentred: permutationMean, trainMeanCentred: layerMean(runsTrainMean), runs },
    chance: round(1 / E),
    bestLayer,
    best: {
      layer: bestLayer,
      groupCentred: groupCentred[bestLayer],
      permutation: permutationMean[bestLayer],
      trainMeanCentred: round(realTrainMean.accuracy[bestLayer]),
      chance: round(1 / E),
    },
  };

  // 2-D PCA per layer on group-centred train activations.
  const trainCentred = centreWithinGroups(train.x, train.labels.group);
  const pca: SiteConsistency['pca'] = [];
  for (let l = 0; l < layers; l++) {
    const points = new Float64Array(train.x.rows * width);
    for (let r = 0; r < train.x.rows; r++) points.set(trainCentred.subarray((r * layers + l) * width, (r * layers + l + 1) * width), r * width);
    const fit = fitPca(points, train.x.rows, width, { components: 2, seed: options.seed });
    const x: number[] = [];
    const y: number[] = [];
    for (let r = 0; r < test.x.rows; r++) {
      const [px, py] = projectPoint(fit, testGroupCentred.subarray((r * layers + l) * width, (r * layers + l + 1) * width));
      x.push(round(px));
      y.push(round(py));
    }
    pca.push({
      layer: l,
      explainedVariance: fit.variances.map((v) => round(fit.totalVariance > 0 ? v / fit.totalVariance : 0)),
      test: { x, y, emotion: [...test.labels.emotion] },
      directions: EMOTIONS.map((_e, e) => projectDirection(fit, dirs.directions.subarray((e * layers + l) * width, (e * layers + l + 1) * width)).map(round)),
    });
  }

  return { hook: SITE_HOOK[site], splitHalfThemes, valence: { pairs, meanByLayer, vsAll }, crossLayer: { byEmotion, mean: crossMean }, emotionCosine, accuracy, pca };
}

/** Everything in the module comment, for both sites. Deterministic for a seed. */
export function computeConsistency(store: ActivationStore, directions: DirectionSet, options: ConsistencyOptions): ConsistencyReport {
  const resolved: Required<ConsistencyOptions> = { seed: options.seed, permutations: options.permutations ?? 20 };
  const sites = {} as Record<DirectionSite, SiteConsistency>;
  let counts: ConsistencyReport['counts'] | null = null;
  for (const site of DIRECTION_SITES) {
    const train = labelledRows(store, 'train', SITE_ACTIVATION[site]);
    const test = labelledRows(store, 'test', SITE_ACTIVATION[site]);
    counts ??= {
      trainRows: train.x.rows, trainGroups: new Set(train.labels.group).size,
      testRows: test.x.rows, testGroups: new Set(test.labels.group).size,
    };
    sites[site] = siteConsistency(site, train, test, directions[site], resolved);
  }
  return {
    format: 'emotion-circuits/consistency@1',
    emotions: EMOTIONS,
    layers: directions.attn.layers,
    seed: resolved.seed,
    permutations: resolved.permutations,
    counts: counts!,
    definitions: {
      sites: 'attn = blocks.{l}.hook_resid_mid, mlp = blocks.{l}.hook_resid_post, at the last prompt token',
      direction: 'v_e = c_e/|c_e|, c_e = mean over train groups g (scenario x valence) of h_{g,e} - mean_e h_{g,e}; instructed prompts only',
      splitHalfThemes: 'train themes shuffled with the seed and cut into two disjoint halves; cosine of the directions computed from each half; [layer][emotion]',
      valence: 'directions from the groups of one valence only; pairs: cosine between valences; vsAll: cosine with the all-valence direction; [layer][emotion]',
      crossLayer: 'cosine of an emotion\'s directions at two layers; byEmotion [emotion][layer][layer], mean over emotions [layer][layer]',
      emotionCosine: 'cosine between the directions of two emotions at one layer; [layer][emotion][emotion]',
      'accuracy.groupCentred': 'test-split instructed prompts; delta = h minus the mean of the six instructed prompts of its own test group (scenario x valence); predicted emotion = argmax_e cos(delta, v_e); share correct, per layer',
      'accuracy.trainMeanCentred': 'as groupCentred, but delta = h minus the mean of all train instructed activations (no test-time grouping)',
      'accuracy.permutation': 'directions recomputed with emotion labels shuffled within each train group (seeded, `permutations` times); same test rows and rule; mean per layer, and every run. One run varies a lot (a strong signal maps each true emotion to one shuffled label, so a run scores about (fixed points of a random permutation)/6); read the mean',
      'accuracy.chance': '1/6',
      valenceAlignment: 'uninstructed prompts (no emotion word; both splits, never used for the directions): per scenario, gap = score(positive event) - score(negative event), score = cos(d, v_happiness) - mean over sadness, anger, fear of cos(d, v_e), d = h minus the mean of the scenario\'s three uninstructed prompts; per site and layer: mean gap with 95% t interval over scenarios, share of scenarios with gap > 0',
      twin: 'the same figures for a random-weight twin of the model, compared per test group / scenario (see twin.definitions); null when the twin was not run (--no-twin, or a model above 50M parameters without --twin)',
      pca: 'per layer: 2 principal axes of the group-centred train activations; coordinates of the group-centred test activations (emotion index into `emotions`) and of the unit directions; explainedVariance = share of total variance',
    },
    sites,
  };
}
