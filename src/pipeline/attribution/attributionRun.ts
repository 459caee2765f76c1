/**
 * The `attribute` stage on a run folder made by `directions` and `components`: attribution-patching
 * estimates of the effect of zeroing every head and every neuron on the final emotion projection m
 * (one backward pass per batch of prompts), checked against the exact effects of a sample of units
 * (one forward pass each) by Spearman rank correlation. Writes
 *   attribution.safetensors  every unit's estimate: `heads.{emotion}` [L, H], `neurons.{emotion}` [L, dff]
 *   attribution.json         definitions, the measured units (estimate beside exact effect), ρ per emotion and kind
 * and adds to each unit listed in heads.json / neurons.json its estimate (`attributionPatching`),
 * with a top-level `attributionPatching` record naming these files. Skipped when its inputs are unchanged.
 *
 * @example
 * const { file } = await runAttribution({ runDir: 'runs/tinystories' });
 * console.log(file.summary.heads.meanSpearman);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import { EMOTIONS, type Emotion } from '../../emotions.js';
import { LanguageModel } from '../../model/languageModel.js';
import type { WeightsMode } from '../../model/weights.js';
import { SafetensorsReader } from '../../model/safetensors.js';
import { ActivationStore } from '../collection/activationStore.js';
import { ACTIVATIONS_DIR } from '../collection/collect.js';
import { HEADS_JSON, NEURONS_JSON, validationPrompts } from '../components/componentsRun.js';
import { DIRECTIONS_FILE, readDirections } from '../directions/directionSet.js';
import { referenceDirection } from '../directions/referenceDirection.js';
import { hashJson, writeJsonAtomic, writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { openLaterStage } from '../run/laterStage.js';
import { requireStoredWeights, stageWeights } from '../run/weightsMode.js';
import { attributionEstimates, gradModelOf } from './attributionPatching.js';
import { exactEffects, sampleUnits, type SampleGroup } from './exactEffects.js';
import { spearman } from './rankCorrelation.js';

export const ATTRIBUTION_JSON = 'attribution.json';
export const ATTRIBUTION_TENSORS = 'attribution.safetensors';
export const ATTRIBUTION_FORMAT = 'emotion-circuits/attribution@1';

export interface AttributionRunOptions {
  readonly runDir: string;
  /** Held-out prompts per emotion (the first ones, as validation takes them). Default 24. */
  readonly samples?: number;
  /** Neurons per layer measured exactly in each group (top, bottom, random by estimate). Default 8. */
  readonly exactNeurons?: number;
  /** Prompts per forward/backward pass. Default 16. */
  readonly batchSize?: number;
  /**
   * Weights; default: the run's (manifest.model.weights). Backward passes need the stored weights:
   * 'int8' (given or the run's) is a typed error that says to pass 'stored'.
   */
  readonly weights?: WeightsMode;
  readonly log?: (line: string) => void;
}

/** ρ and the number of units it is computed over; null when undefined (n < 2 or a constant side). */
export interface Correlation {
  spearman: number | null;
  n: number;
}

export interface MeasuredUnit {
  layer: number;
  unit: number;
  group: SampleGroup;
  /** Attribution-patching estimate of the change of m. */
  estimate: number;
  /** Change of m measured with the unit zeroed. */
  exact: number;
}

export interface AttributionEmotion {
  prompts: number;
  /** Mean m without edits. */
  baseline: number;
  /** Largest |m(gradient model) − m(engine)| over the prompts, and the largest |m| for scale. */
  forwardCheck: { maxAbsDifference: number; maxAbsProjection: number };
  /** `correlation` pooled over layers; `byLayer` within each layer (the pipeline ranks units within a layer). */
  heads: { correlation: Correlation; byLayer: Correlation[]; units: MeasuredUnit[] };
  /** As heads; `randomCorrelation` over the random group alone, pooled over layers. */
  neurons: { correlation: Correlation; byLayer: Correlation[]; randomCorrelation: Correlation; units: MeasuredUnit[] };
}

export interface AttributionFile {
  format: typeof ATTRIBUTION_FORMAT;
  definitions: Record<string, string>;
  settings: { samplesPerEmotion: number; exactNeuronsPerGroup: number; seed: number };
  /**
   * Wall time of this run, all emotions: the estimates (one forward + backward pass per batch) and
   * the exact effects (one forward pass per batch and measured unit); ablating every unit exactly
   * would take `exhaustiveUnits` passes per batch.
   */
  timing: { estimateSeconds: number; exactSeconds: number; measuredUnits: number; exhaustiveUnits: number };
  /** Mean ρ over the emotions (and layers, for the within-layer figures) where it is defined. */
  summary: Record<'heads' | 'neurons' | 'randomNeurons' | 'headsWithinLayer' | 'neuronsWithinLayer', { meanSpearman: number | null; count: number }>;
  emotions: Record<Emotion, AttributionEmotion>;
}

export interface AttributionRunResult {
  stage: 'ran' | 'skipped';
  file: AttributionFile;
}

const DEFINITIONS = {
  m: 'm = <final RMSNorm output with its gain [last prompt token], v_ref>, v_ref = referenceDirection (both sites, 75-90% depth)',
  estimate: 'attribution patching: change of m when the unit is zeroed ~ -(dm/da).a, a = attn.hook_z (head: its dh slice, every position) or mlp.hook_post (neuron: last prompt position); gradients from one backward pass of the float32 gradient model on the engine weights; mean over the prompts',
  exact: 'm(unit zeroed) - m from a forward pass of the engine with the unit zeroed (heads at every position, neurons at the last prompt position); mean over the prompts',
  prompts: 'the first samplesPerEmotion held-out (test) prompts instructed with the emotion, as in validation',
  sample: 'exact effects for every head of every layer, and per layer the exactNeuronsPerGroup neurons with the largest estimates (top), the smallest (bottom) and as many random others (random)',
  correlation: 'Spearman rank correlation (average ranks for ties) between estimate and exact effect over the measured units of the emotion: pooled over layers (correlation) and within each layer (byLayer, the ranking the pipeline uses); top/bottom neurons widen the range, so randomCorrelation (random neurons alone, pooled) is the harder neuron figure',
};

function correlation(units: readonly MeasuredUnit[]): Correlation {
  const rho = spearman(units.map((u) => u.estimate), units.map((u) => u.exact));
  return { spearman: Number.isFinite(rho) ? rho : null, n: units.length };
}

function meanOf(values: Array<number | null>): { meanSpearman: number | null; count: number } {
  const defined = values.filter((v): v is number => v !== null);
  return { meanSpearman: defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : null, count: defined.length };
}

function byLayer(units: readonly MeasuredUnit[], layers: number): Correlation[] {
  return Array.from({ length: layers }, (_, l) => correlation(units.filter((u) => u.layer === l)));
}

/** Reads and checks `attribution.json` of a run. */
export function readAttribution(runDir: string): AttributionFile {
  const file = path.join(runDir, ATTRIBUTION_JSON);
  if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', 'no attribution patching in this run: run `emotion-circuits attribute` first', file);
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as AttributionFile;
  if (json.format !== ATTRIBUTION_FORMAT) throw new EmotionCircuitsError('RUN', `expected format ${ATTRIBUTION_FORMAT}, got ${JSON.stringify(json.format)}`, file);
  for (const key of ['heads', 'neurons', 'randomNeurons', 'headsWithinLayer', 'neuronsWithinLayer'] as const) {
    if (typeof json.summary?.[key] !== 'object') throw new EmotionCircuitsError('RUN', 'expected { meanSpearman, count }', `${file}: summary.${key}`);
  }
  if (typeof json.timing?.exactSeconds !== 'number') throw new EmotionCircuitsError('RUN', 'expected the timing of the run', `${file}: timing`);
  for (const emotion of EMOTIONS) {
    if (!Array.isArray(json.emotions?.[emotion]?.heads?.units) || !Array.isArray(json.emotions[emotion].neurons?.units)) {
      throw new EmotionCircuitsError('RUN', 'expected heads.units and neurons.units', `${file}: emotions.${emotion}`);
    }
  }
  return json;
}

interface RankingFile {
  attributionPatching?: { inputsHash: string };
  emotions: Record<string, Array<{ layer: number; top: Array<Record<string, unknown>> }>>;
}

/**
 * Adds each listed unit's estimate (from attribution.safetensors) to heads.json and neurons.json,
 * unless they already carry the estimates of `inputsHash` (components may have rewritten them).
 */
function annotateRankings(runDir: string, inputsHash: string): void {
  const tensors = SafetensorsReader.open(path.join(runDir, ATTRIBUTION_TENSORS));
  try {
    for (const [fileName, kind, unitKey] of [[HEADS_JSON, 'heads', 'head'], [NEURONS_JSON, 'neurons', 'neuron']] as const) {
      const file = path.join(runDir, fileName);
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as RankingFile;
      if (json.attributionPatching?.inputsHash === inputsHash) continue;
      for (const emotion of EMOTIONS) {
        const estimates = tensors.readF32(`${kind}.${emotion}`);
        const [, width] = tensors.info(`${kind}.${emotion}`).shape;
        for (const { layer, top } of json.emotions[emotion] ?? []) {
          for (const entry of top) entry.attributionPatching = estimates[layer * width + (entry[unitKey] as number)];
        }
      }
      json.attributionPatching = {
        inputsHash,
        file: ATTRIBUTION_JSON,
        tensors: `${ATTRIBUTION_TENSORS} (${kind}.{emotion})`,
        definition: `each listed ${unitKey}'s attributionPatching = estimated change of m when it is zeroed (${DEFINITIONS.estimate}); exact effects and rank correlations in ${ATTRIBUTION_JSON}`,
      } as RankingFile['attributionPatching'];
      writeJsonAtomic(file, json);
    }
  } finally {
    tensors.close();
  }
}

export async function runAttribution(options: AttributionRunOptions): Promise<AttributionRunResult> {
  const log = options.log ?? (() => {});
  const samples = options.samples ?? 24;
  const exactNeurons = options.exactNeurons ?? 8;
  const batchSize = options.batchSize ?? 16;
  for (const [name, value] of Object.entries({ samples, 'exact-neurons': exactNeurons, 'batch-size': batchSize })) {
    if (!Number.isInteger(value) || value <= 0) throw new UsageError(`attribute: --${name} must be a positive integer, got ${value}`);
  }
  const { manifest, run, required } = openLaterStage(options.runDir, 'attribute', { directions: 'directions', neurons: 'components', heads: 'components' });
  const weights = stageWeights(manifest, options.weights, 'attribute', log);
  requireStoredWeights(weights, 'attribute', run.dir);
  const inputsHash = hashJson({
    stage: 'attribution@3', directions: required.directions.inputsHash, neurons: required.neurons.inputsHash, heads: required.heads.inputsHash,
    samples, exactNeurons, seed: manifest.seed,
  });
  if (run.isStageDone('attribution', inputsHash)) {
    annotateRankings(run.dir, inputsHash);
    return { stage: 'skipped', file: readAttribution(run.dir) };
  }
  run.invalidateStage('attribution');

  const store = ActivationStore.open(run.path(ACTIVATIONS_DIR));
  const directions = readDirections(run.path(DIRECTIONS_FILE));
  const prompts = validationPrompts(manifest, store, samples).instructed;
  const model = await LanguageModel.load(manifest.model.dir);
  const emotions = {} as Record<Emotion, AttributionEmotion>;
  const tensors: Array<{ name: string; shape: number[]; data: Float32Array }> = [];
  const timing = { estimateSeconds: 0, exactSeconds: 0, measuredUnits: 0, exhaustiveUnits: 0 };
  try {
    const grad = gradModelOf(model);
    const { layers: L, heads: H, dff } = grad.shape;
    EMOTIONS.forEach((emotion, e) => {
      const set = prompts[emotion];
      if (set.length === 0) throw new EmotionCircuitsError('RUN', `the test split has no prompts instructed with ${emotion}`, run.dir);
      const reference = referenceDirection(directions, e);
      let started = performance.now();
      const estimates = attributionEstimates(grad, set, reference, model.weights.finalNorm, batchSize);
      timing.estimateSeconds += (performance.now() - started) / 1000;
      const units = sampleUnits(L, H, estimates.neuronEffects, exactNeurons, manifest.seed * 31 + e);
      started = performance.now();
      const exact = exactEffects(model, set, reference, units, batchSize);
      timing.exactSeconds += (performance.now() - started) / 1000;
      timing.measuredUnits = units.length;
      timing.exhaustiveUnits = L * (H + dff);
      const measured = (kind: 'heads' | 'neurons'): MeasuredUnit[] => units.flatMap((u, i) => (u.kind !== kind ? [] : [{
        layer: u.layer, unit: u.unit, group: u.group,
        estimate: kind === 'heads' ? estimates.headEffects[u.layer * H + u.unit] : estimates.neuronEffects[u.layer * dff + u.unit],
        exact: exact.effects[i],
      }]));
      const headUnits = measured('heads');
      const neuronUnits = measured('neurons');
      let maxAbsDifference = 0;
      let maxAbsProjection = 0;
      exact.baseline.forEach((m, p) => {
        maxAbsDifference = Math.max(maxAbsDifference, Math.abs(estimates.projections[p] - m));
        maxAbsProjection = Math.max(maxAbsProjection, Math.abs(m));
      });
      if (maxAbsDifference > 1e-3 * Math.max(1, maxAbsProjection)) log(`warning: ${emotion}: the gradient model's m differs from the engine's by ${maxAbsDifference.toExponential(2)}`);
      emotions[emotion] = {
        prompts: set.length,
        baseline: exact.baseline.reduce((a, b) => a + b, 0) / set.length,
        forwardCheck: { maxAbsDifference, maxAbsProjection },
        heads: { correlation: correlation(headUnits), byLayer: byLayer(headUnits, L), units: headUnits },
        neurons: { correlation: correlation(neuronUnits), byLayer: byLayer(neuronUnits, L), randomCorrelation: correlation(neuronUnits.filter((u) => u.group === 'random')), units: neuronUnits },
      };
      tensors.push({ name: `heads.${emotion}`, shape: [L, H], data: Float32Array.from(estimates.headEffects) });
      tensors.push({ name: `neurons.${emotion}`, shape: [L, dff], data: Float32Array.from(estimates.neuronEffects) });
      const rho = (c: Correlation): string => (c.spearman === null ? 'n/a' : c.spearman.toFixed(3));
      log(`${emotion}: Spearman ρ(estimate, exact) heads ${rho(emotions[emotion].heads.correlation)} (n=${headUnits.length}), neurons ${rho(emotions[emotion].neurons.correlation)} (n=${neuronUnits.length}), random neurons ${rho(emotions[emotion].neurons.randomCorrelation)}`);
    });
  } finally {
    await model.dispose();
  }
  const file: AttributionFile = {
    format: ATTRIBUTION_FORMAT,
    definitions: DEFINITIONS,
    settings: { samplesPerEmotion: samples, exactNeuronsPerGroup: exactNeurons, seed: manifest.seed },
    timing,
    summary: {
      heads: meanOf(EMOTIONS.map((e) => emotions[e].heads.correlation.spearman)),
      neurons: meanOf(EMOTIONS.map((e) => emotions[e].neurons.correlation.spearman)),
      randomNeurons: meanOf(EMOTIONS.map((e) => emotions[e].neurons.randomCorrelation.spearman)),
      headsWithinLayer: meanOf(EMOTIONS.flatMap((e) => emotions[e].heads.byLayer.map((c) => c.spearman))),
      neuronsWithinLayer: meanOf(EMOTIONS.flatMap((e) => emotions[e].neurons.byLayer.map((c) => c.spearman))),
    },
    emotions,
  };
  writeSafetensorsAtomic(run.path(ATTRIBUTION_TENSORS), tensors, { format: ATTRIBUTION_FORMAT, definition: DEFINITIONS.estimate });
  writeJsonAtomic(run.path(ATTRIBUTION_JSON), file);
  annotateRankings(run.dir, inputsHash);
  run.completeStage('attribution', inputsHash, [ATTRIBUTION_JSON, ATTRIBUTION_TENSORS], { weights });
  return { stage: 'ran', file };
}
