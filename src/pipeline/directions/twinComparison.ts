/**
 * The discrimination check of the `directions` stage: the same figures for the model and for its
 * random-weight twin (src/model/randomTwin.ts), on the same prompts, and whether the model beats
 * the twin. Written into consistency.json as `twin`.
 *
 * Compared per site and layer, each as a paired difference (model − twin) with a Student-t interval:
 * - held-out accuracy, group-centred and train-mean-centred: per test group (scenario × valence),
 *   the share of its six instructed prompts classified correctly; groups are the paired units;
 * - uninstructed-valence alignment (valenceAlignment.ts): the per-scenario gap.
 * `better` is 'model' when the interval lies above 0, 'twin' when below, else 'neither'. Each figure
 * also gets its own t interval over the same units for the model and for the twin, and `overlap`
 * says whether those two intervals overlap: the model *separates* from its twin at a layer when it
 * is higher and the intervals do not overlap (the stricter test the statements report).
 */
import type { ActivationStore } from '../collection/activationStore.js';
import { intervalsOverlap, meanInterval, pairedDifferences, pairedVerdict, type MeanInterval } from '../stats/intervals.js';
import { centreBy, centreWithinGroups, meanRow, nearestDirectionAccuracy, rowsByGroup } from './directions.js';
import { DIRECTION_SITES, labelledRows, SITE_ACTIVATION, type DirectionSet, type DirectionSite } from './directionSet.js';
import { valenceAlignment, type ValenceAlignment } from './valenceAlignment.js';

export type Better = 'model' | 'twin' | 'neither';

export interface PairedFigure {
  model: number;
  twin: number;
  /** Each one's own 95 % t interval over the same units. */
  modelInterval: MeanInterval;
  twinInterval: MeanInterval;
  /** Whether modelInterval and twinInterval overlap. */
  overlap: boolean;
  /** Model − twin over the paired units. */
  difference: MeanInterval;
  better: Better;
}

/** True where the model is higher than its twin and their intervals do not overlap. */
export function separates(figure: Pick<PairedFigure, 'model' | 'twin' | 'overlap'>): boolean {
  return !figure.overlap && figure.model > figure.twin;
}

export interface TwinLayerComparison {
  layer: number;
  groupCentred: PairedFigure;
  trainMeanCentred: PairedFigure;
  valenceGap: PairedFigure;
}

export interface DirectionsTwinReport {
  seed: number;
  definitions: Record<string, string>;
  /** The twin's own figures, as for the model. */
  twin: { accuracy: Record<DirectionSite, { groupCentred: number[]; trainMeanCentred: number[] }>; valenceAlignment: ValenceAlignment['sites'] };
  comparison: Record<DirectionSite, TwinLayerComparison[]>;
  /** One line per site and measure: where the model beats its twin and where it does not. */
  statements: string[];
}

/** Per layer, per test group: share of the group's rows classified correctly. [L][groups] */
function groupAccuracies(store: ActivationStore, directions: DirectionSet, site: DirectionSite, centring: 'group' | 'trainMean'): number[][] {
  const train = labelledRows(store, 'train', SITE_ACTIVATION[site]);
  const test = labelledRows(store, 'test', SITE_ACTIVATION[site]);
  const centred = centring === 'group' ? centreWithinGroups(test.x, test.labels.group) : centreBy(test.x, meanRow(train.x));
  const { predictions } = nearestDirectionAccuracy(centred, test.x.rows, test.x.layers, test.x.width, directions[site].directions, test.labels.emotion);
  const groups = rowsByGroup(test.labels.group);
  return predictions.map((predicted) => groups.map((rows) => rows.filter((r) => predicted[r] === test.labels.emotion[r]).length / rows.length));
}

/** The paired comparison of two measurements of the same units (exported for its test). */
export function paired(model: number[], twin: number[]): PairedFigure {
  const difference = meanInterval(pairedDifferences(model, twin));
  const better: Better = pairedVerdict(difference, 'model', 'twin');
  const modelInterval = meanInterval(model);
  const twinInterval = meanInterval(twin);
  return { model: modelInterval.mean, twin: twinInterval.mean, modelInterval, twinInterval, overlap: intervalsOverlap(modelInterval, twinInterval), difference, better };
}

/** The statement of one site and measure over its layers: paired verdict, then the overlap verdict. */
export function layerStatement(label: string, layers: readonly { layer: number; figure: PairedFigure }[]): string {
  const interval = (m: MeanInterval): string => `[${fmt(m.low)}, ${fmt(m.high)}]`;
  const values = layers.map(({ layer, figure: f }) => `L${layer} ${fmt(f.model)} ${interval(f.modelInterval)} vs ${fmt(f.twin)} ${interval(f.twinInterval)}`).join(', ');
  const beats = layers.filter(({ figure }) => figure.better === 'model').map(({ layer }) => layer);
  const separated = layers.filter(({ figure }) => separates(figure)).map(({ layer }) => layer);
  const overlap = separated.length > 0
    ? `their intervals do not overlap at layer(s) ${separated.join(', ')}`
    : 'their intervals overlap (or the twin is higher) at every layer';
  return beats.length > 0
    ? `${label}: the model beats its random-weight twin at layer(s) ${beats.join(', ')} (paired interval above 0); ${overlap} (${values})`
    : `${label}: the model does NOT beat its random-weight twin at any layer; ${overlap} (${values})`;
}

const fmt = (x: number): string => x.toFixed(3);

/** Everything in the module comment. Both stores must hold the same prompts (same run settings). */
export function compareDirectionsWithTwin(
  model: { store: ActivationStore; directions: DirectionSet }, twin: { store: ActivationStore; directions: DirectionSet }, seed: number,
): DirectionsTwinReport {
  const modelValence = valenceAlignment(model.store, model.directions);
  const twinValence = valenceAlignment(twin.store, twin.directions);
  const comparison = {} as DirectionsTwinReport['comparison'];
  const twinAccuracy = {} as DirectionsTwinReport['twin']['accuracy'];
  const statements: string[] = [];
  for (const site of DIRECTION_SITES) {
    const accuracies = (which: typeof model, centring: 'group' | 'trainMean') => groupAccuracies(which.store, which.directions, site, centring);
    const [mg, tg, mt, tt] = [accuracies(model, 'group'), accuracies(twin, 'group'), accuracies(model, 'trainMean'), accuracies(twin, 'trainMean')];
    const layers = mg.map((_, l) => ({
      layer: l,
      groupCentred: paired(mg[l], tg[l]),
      trainMeanCentred: paired(mt[l], tt[l]),
      valenceGap: paired(modelValence.gaps[site][l], twinValence.gaps[site][l]),
    }));
    comparison[site] = layers;
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / Math.max(v.length, 1);
    twinAccuracy[site] = { groupCentred: tg.map(mean), trainMeanCentred: tt.map(mean) };
    for (const measure of ['groupCentred', 'trainMeanCentred', 'valenceGap'] as const) {
      statements.push(layerStatement(`${site} ${measure}`, layers.map((c) => ({ layer: c.layer, figure: c[measure] }))));
    }
  }
  return {
    seed,
    definitions: {
      twin: 'same config, tokenizer and shapes; weights N(0, 0.02^2), norm gains 1, from `seed`; same prompts, same pipeline',
      groupCentred: 'held-out accuracy as in sites.*.accuracy.groupCentred; paired per test group (scenario x valence): model share correct minus twin share correct; t interval over groups',
      trainMeanCentred: 'as groupCentred with the train-mean centring',
      valenceGap: 'uninstructed prompts: per scenario, [cos(d, v_happiness) - mean cos(d, v_{sadness,anger,fear})] of the positive event minus that of the negative event, d = h minus the scenario\'s mean over its three valences; paired per scenario; t interval',
      better: '"model" when the 95% interval of model minus twin lies above 0, "twin" when below, else "neither"',
      overlap: 'whether the model\'s own 95% t interval (modelInterval) and the twin\'s (twinInterval), over the same units, overlap; the model separates from its twin where it is higher and they do not overlap',
    },
    twin: { accuracy: twinAccuracy, valenceAlignment: twinValence.sites },
    comparison,
    statements,
  };
}
