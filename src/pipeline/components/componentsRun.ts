/**
 * The `components` stage on a run folder made by `directions` (issue: emotion neurons and heads):
 * neuron and head rankings from the stored activations (no model run), difference vectors, the
 * total effect of the top heads, and causal validation by ablation and enhancement on held-out
 * prompts. Each part is skipped when its inputs are unchanged.
 *
 * @example
 * const result = await runComponents({ runDir: 'runs/tinystories' });
 * console.log(result.summary['neurons.ablate']);
 */
import * as fs from 'node:fs';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import { compileInterventions } from '../../interventions/compile.js';
import { adapterFor } from '../../model/adapters.js';
import { Checkpoint } from '../../model/checkpoint.js';
import { layerHook } from '../../model/hookNames.js';
import { LanguageModel } from '../../model/languageModel.js';
import type { WeightsMode } from '../../model/weights.js';
import { ActivationStore } from '../collection/activationStore.js';
import { hashJson, writeJsonAtomic, writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { ACTIVATIONS_DIR } from '../collection/collect.js';
import { rebuildRunPrompts } from '../collection/runPrompts.js';
import { rankHeads, rankNeurons, topUnits, unitIndex, type ComponentWeights, type UnitStatistics } from './componentRanking.js';
import { computeDiffVectors, DIFF_VECTORS_FILE, readDiffVectors, writeDiffVectors } from './diffVectors.js';
import { DIRECTIONS_FILE, readDirections, type DirectionSet } from '../directions/directionSet.js';
import { EMOTIONS, VALENCES } from '../../emotions.js';
import { probe } from './siteProbe.js';
import { referenceDirection } from '../directions/referenceDirection.js';
import { hashModelFiles, RunFolder, TWIN_DIR, type Manifest } from '../run/runStore.js';
import { stageWeights, weightsHashPart } from '../run/weightsMode.js';
import { effect, runValidation, validationSummary, type ConditionResult, type Effect, type ValidationPrompts } from './validation.js';
import { validateTwin, type TwinValidationReport } from './twinValidation.js';
import { runJudgeFilterRows } from '../directions/judgeFilter.js';

export const NEURONS_JSON = 'neurons.json';
export const NEURONS_TENSORS = 'neurons.safetensors';
export const HEADS_JSON = 'heads.json';
export const VALIDATION_JSON = 'validation.json';

export interface ComponentsRunOptions {
  readonly runDir: string;
  /** Units listed per layer and emotion in neurons.json / heads.json. Default 20. */
  readonly top?: number;
  /** Validation sizes. Default 1, 2, 4, 8, 16, 32. */
  readonly ks?: readonly number[];
  /** Random control draws. Default 3. */
  readonly seeds?: number;
  /** Enhancement strength. Default 1. */
  readonly lambda?: number;
  /** Held-out prompts per emotion used for validation. Default 24. */
  readonly samples?: number;
  /** Layers to validate (default all). */
  readonly layers?: readonly number[];
  /** Heads (per emotion, ranked over all layers) whose total effect is measured. Default 8. */
  readonly totalEffectHeads?: number;
  /**
   * Validate the random-weight twin too (needs a run whose `directions` made the twin). Default:
   * whenever the run has the twin. `true` on a run without one is an error.
   */
  readonly twin?: boolean;
  /** Weights the model runs with (head effects, validation); default: the run's (manifest.model.weights). */
  readonly weights?: WeightsMode;
  readonly log?: (line: string) => void;
}

export interface ComponentsRunResult {
  stages: Record<'neurons' | 'heads' | 'diffVectors' | 'validation', 'ran' | 'skipped'>;
  /** Time of each ranking in this invocation (0 when every stage using it was skipped), ms. */
  rankingMs: { neurons: number; heads: number };
  summary: ReturnType<typeof validationSummary>;
  validation: ConditionResult[];
  /** The twin's validation and the comparison; null without a twin. */
  twin: TwinValidationReport | null;
}

/** Reads the per-layer weights the rankings need straight from the checkpoint (no model load). */
export function checkpointComponentWeights(checkpoint: Checkpoint): ComponentWeights {
  const adapter = adapterFor(checkpoint.config);
  return {
    layers: checkpoint.config.numLayers,
    heads: checkpoint.config.numHeads,
    eps: checkpoint.config.rmsNormEps,
    downWeight: (l) => checkpoint.readF32(adapter.layer(l).down),
    oWeight: (l) => checkpoint.readF32(adapter.layer(l).o),
    postAttnNorm: (l) => checkpoint.readF32(adapter.layer(l).postAttnNorm),
  };
}

/** The safetensors entries of a ranking: mean, std and per-valence means per emotion, [L, units] each. */
export function statisticsTensors(prefix: string, stats: UnitStatistics) {
  const size = stats.layers * stats.units;
  return EMOTIONS.flatMap((emotion, e) => [
    { name: `${prefix}mean.${emotion}`, shape: [stats.layers, stats.units], data: Float32Array.from(stats.mean.subarray(e * size, (e + 1) * size)) },
    { name: `${prefix}std.${emotion}`, shape: [stats.layers, stats.units], data: Float32Array.from(stats.std.subarray(e * size, (e + 1) * size)) },
    ...VALENCES.map((valence, v) => ({
      name: `${prefix}valence.${valence}.${emotion}`,
      shape: [stats.layers, stats.units],
      data: Float32Array.from(stats.byValence.subarray((e * VALENCES.length + v) * size, (e * VALENCES.length + v + 1) * size)),
    })),
  ]);
}

/** The top `count` units of each layer and emotion with their statistics, for JSON. */
function topTable(stats: UnitStatistics, count: number, unitName: 'neuron' | 'head') {
  const size = stats.layers * stats.units;
  return Object.fromEntries(
    EMOTIONS.map((emotion, e) => [
      emotion,
      Array.from({ length: stats.layers }, (_, l) => ({
        layer: l,
        top: topUnits(stats, e, l, count).map((u) => {
          const i = unitIndex(stats, e, l, u);
          const valence = Object.fromEntries(VALENCES.map((name, v) => [name, stats.byValence[(e * VALENCES.length + v) * size + l * stats.units + u]]));
          return { [unitName]: u, mean: stats.mean[i], std: stats.std[i], valence };
        }),
      })),
    ]),
  );
}

/** The heads of all layers ranked by mean importance for emotion e. */
function globalTopHeads(stats: UnitStatistics, e: number, count: number): Array<{ layer: number; head: number; mean: number }> {
  const all: Array<{ layer: number; head: number; mean: number }> = [];
  for (let l = 0; l < stats.layers; l++) for (let h = 0; h < stats.units; h++) all.push({ layer: l, head: h, mean: stats.mean[unitIndex(stats, e, l, h)] });
  return all.sort((a, b) => b.mean - a.mean || a.layer - b.layer || a.head - b.head).slice(0, count);
}

/** Re-tokenizes the run's prompts and returns the held-out ones used for validation. */
export function validationPrompts(manifest: Manifest, store: ActivationStore, perEmotion: number): ValidationPrompts {
  const prompts = rebuildRunPrompts(manifest, store);
  const test = prompts.filter((p) => p.sample.split === 'test');
  const instructed = Object.fromEntries(EMOTIONS.map((emotion) => [emotion, test.filter((p) => p.sample.emotion === emotion).slice(0, perEmotion).map((p) => [...p.ids])]));
  const uninstructed = test.filter((p) => p.sample.kind === 'uninstructed').slice(0, perEmotion).map((p) => [...p.ids]);
  return { instructed, uninstructed };
}

export async function runComponents(options: ComponentsRunOptions): Promise<ComponentsRunResult> {
  const log = options.log ?? (() => {});
  const top = options.top ?? 20;
  const ks = options.ks ?? [1, 2, 4, 8, 16, 32];
  const seeds = options.seeds ?? 3;
  const lambda = options.lambda ?? 1;
  const samples = options.samples ?? 24;
  const totalEffectHeads = options.totalEffectHeads ?? 8;
  for (const [name, value] of Object.entries({ top, seeds, samples, totalEffectHeads })) {
    if (!Number.isInteger(value) || value <= 0) throw new UsageError(`components: --${name} must be a positive integer, got ${value}`);
  }
  if (ks.some((k) => !Number.isInteger(k) || k <= 0)) throw new UsageError(`components: --ks must be positive integers, got ${ks.join(',')}`);
  if (!Number.isFinite(lambda)) throw new UsageError(`components: --lambda must be a number, got ${lambda}`);

  const manifest = RunFolder.read(options.runDir);
  const directionsRecord = manifest.stages.directions;
  if (!directionsRecord) throw new EmotionCircuitsError('RUN', 'no directions in this run: run `emotion-circuits directions` first', options.runDir);
  const modelFiles = hashModelFiles(manifest.model.dir);
  if (JSON.stringify(modelFiles) !== JSON.stringify(manifest.model.files)) {
    throw new EmotionCircuitsError('RUN', `the model files in ${manifest.model.dir} changed since the activations were collected; re-run \`directions\``, options.runDir);
  }
  const { stages: _stages, ...header } = manifest;
  const run = RunFolder.open(options.runDir, header);
  const store = ActivationStore.open(run.path(ACTIVATIONS_DIR));
  const directions: DirectionSet = readDirections(run.path(DIRECTIONS_FILE));
  const filter = runJudgeFilterRows(manifest, run.dir);
  const layers = options.layers ?? Array.from({ length: store.index.layers }, (_, l) => l);
  if (layers.some((l) => !Number.isInteger(l) || l < 0 || l >= store.index.layers)) throw new UsageError(`components: --layers must be within [0, ${store.index.layers})`);

  const twinRecord = manifest.stages['twin.directions'];
  if (options.twin === true && !twinRecord) throw new UsageError('components: --twin needs a run whose `directions` computed the random-weight twin (run `directions --twin`)');
  const withTwin = options.twin !== false && twinRecord !== undefined;

  const stages: ComponentsRunResult['stages'] = { neurons: 'skipped', heads: 'skipped', diffVectors: 'skipped', validation: 'skipped' };
  const rankingMs = { neurons: 0, heads: 0 };
  const checkpoint = Checkpoint.open(manifest.model.dir);
  const weights = checkpointComponentWeights(checkpoint);
  const weightsMode = stageWeights(manifest, options.weights, 'components', log);
  let model: LanguageModel | null = null;
  const loadModel = async (): Promise<LanguageModel> => (model ??= await LanguageModel.load(manifest.model.dir, { weights: weightsMode }));
  try {
    // Neurons.
    const neuronsHash = hashJson({ stage: 'neurons@1', directions: directionsRecord.inputsHash, top });
    // Rankings are computed only when a stage that needs them runs (they read every stored row).
    let neuronRanking: UnitStatistics | null = null;
    let headRanking: UnitStatistics | null = null;
    const rankedNeurons = (): UnitStatistics => {
      if (!neuronRanking) {
        const started = Date.now();
        neuronRanking = rankNeurons(store, directions, weights, filter?.accepted);
        rankingMs.neurons = Date.now() - started;
        log(`neurons ranked in ${(rankingMs.neurons / 1000).toFixed(2)} s`);
      }
      return neuronRanking;
    };
    const rankedHeads = (): UnitStatistics => {
      if (!headRanking) {
        const started = Date.now();
        headRanking = rankHeads(store, directions, weights, filter?.accepted);
        rankingMs.heads = Date.now() - started;
        log(`heads ranked in ${(rankingMs.heads / 1000).toFixed(2)} s (cached values, ${store.index.layers * weights.heads} heads)`);
      }
      return headRanking;
    };
    if (!run.isStageDone('neurons', neuronsHash)) {
      run.invalidateStage('neurons');
      const neurons = rankedNeurons();
      writeSafetensorsAtomic(run.path(NEURONS_TENSORS), statisticsTensors('', neurons), { format: 'emotion-circuits/neurons@1', site: 'blocks.{l}.mlp.hook_post', readout: 'a_n * (W_down^T v_e)_n, v_e = mlp-site direction' });
      writeJsonAtomic(run.path(NEURONS_JSON), {
        format: 'emotion-circuits/neurons@1',
        definition: 'contribution of neuron n = mean over train prompts instructed with e of a_n * beta_n, beta = W_down^T v_e (MLP-site direction, same layer); a = mlp.hook_post at the last prompt token',
        measuredBy: 'this is the direct, un-normalised contribution to <resid_post, v_e> (additive over neurons); validation.json measures s = <RMSNorm(resid_post) * g_next, v_e> instead (what the next layer reads): see validation.json definitions.neuronRankingVsMeasure',
        samplesPerEmotion: Object.fromEntries(EMOTIONS.map((e, i) => [e, neurons.samples[i]])),
        emotions: topTable(neurons, top, 'neuron'),
      });
      run.completeStage('neurons', neuronsHash, [NEURONS_JSON, NEURONS_TENSORS]);
      stages.neurons = 'ran';
    }

    // Heads, with the total effect of the top heads (later layers recomputed).
    const headsHash = hashJson({ stage: 'heads@1', directions: directionsRecord.inputsHash, top, totalEffectHeads, samples, ...weightsHashPart(weightsMode) });
    let prompts: ValidationPrompts | null = null;
    if (!run.isStageDone('heads', headsHash)) {
      run.invalidateStage('heads');
      const heads = rankedHeads();
      const m = await loadModel();
      prompts ??= validationPrompts(manifest, store, samples);
      const totalEffects: Record<string, Array<{ layer: number; head: number; importance: number; finalChange: Effect }>> = {};
      EMOTIONS.forEach((emotion, e) => {
        const reference = referenceDirection(directions, e);
        const set = prompts!.instructed[emotion];
        const d = m.config.hiddenSize;
        const request = (layer: number) => ({ site: 'attn' as const, layer, direction: directions.attn.directions.subarray((e * store.index.layers + layer) * d, (e * store.index.layers + layer + 1) * d), reference });
        totalEffects[emotion] = globalTopHeads(heads, e, totalEffectHeads).map(({ layer, head, mean }) => {
          const baseline = probe(m, set, request(layer));
          const hooks = compileInterventions([{ hook: layerHook(layer, 'attn.hook_z'), op: 'zero', heads: [head], positions: 'all' }], m.config);
          const ablated = probe(m, set, request(layer), hooks);
          return { layer, head, importance: mean, finalChange: effect(Array.from(ablated.final, (x, i) => x - baseline.final[i])) };
        });
      });
      writeSafetensorsAtomic(run.path('heads.safetensors'), statisticsTensors('', heads), { format: 'emotion-circuits/heads@1', site: 'blocks.{l}.attn.hook_z' });
      writeJsonAtomic(run.path(HEADS_JSON), {
        format: 'emotion-circuits/heads@1',
        definition: 'importance of head h = mean over train prompts instructed with e of s - s(head h zeroed in attn.hook_z), s = <RMSNorm(resid_mid[last]) * post_attention_layernorm, v_e (attention site)>, computed from cached values',
        totalEffectDefinition: 'change of <final hidden state[last], v_ref> on held-out prompts instructed with e when the head is zeroed at every position and later layers are recomputed',
        samplesPerEmotion: Object.fromEntries(EMOTIONS.map((e, i) => [e, heads.samples[i]])),
        emotions: topTable(heads, Math.min(top, weights.heads), 'head'),
        totalEffect: totalEffects,
      });
      run.completeStage('heads', headsHash, [HEADS_JSON, 'heads.safetensors'], { weights: weightsMode });
      stages.heads = 'ran';
    }

    // Difference vectors.
    const diffHash = hashJson({ stage: 'diff-vectors@1', collect: manifest.stages.collect?.inputsHash ?? null, ...(filter ? { judgeFilter: filter.inputsHash } : {}) });
    if (!run.isStageDone('diffVectors', diffHash)) {
      run.invalidateStage('diffVectors');
      writeDiffVectors(run.path(DIFF_VECTORS_FILE), computeDiffVectors(store, filter?.accepted));
      run.completeStage('diffVectors', diffHash, [DIFF_VECTORS_FILE]);
      stages.diffVectors = 'ran';
    }

    // Validation.
    const validationHash = hashJson({
      stage: 'validation@3', neuronsHash, headsHash, diffHash, ks, seeds, lambda, samples, layers, seed: manifest.seed, twin: withTwin ? twinRecord.inputsHash : null,
      ...weightsHashPart(weightsMode),
    });
    let validation: ConditionResult[];
    let twin: TwinValidationReport | null = null;
    if (!run.isStageDone('validation', validationHash)) {
      run.invalidateStage('validation');
      const m = await loadModel();
      prompts ??= validationPrompts(manifest, store, samples);
      const validationOptions = { ks, seeds, lambda, layers, seed: manifest.seed, log };
      validation = runValidation(m, prompts, directions, readDiffVectors(run.path(DIFF_VECTORS_FILE)), { neurons: rankedNeurons(), heads: rankedHeads() }, validationOptions);
      if (withTwin) twin = await validateTwin(run.path(TWIN_DIR), checkpointComponentWeights, prompts, validation, validationOptions, weightsMode, filter?.accepted);
      writeJsonAtomic(run.path(VALIDATION_JSON), {
        format: 'emotion-circuits/validation@2',
        settings: { ks, seeds, lambda, samplesPerEmotion: samples, layers },
        definitions: {
          site: 'neurons: s = <RMSNorm(resid_post[l]) * gain of the next norm, v_e (MLP site)>; heads: s = <RMSNorm(resid_mid[l]) * post_attention_layernorm, v_e (attention site)>; last prompt token',
          final: '<final hidden state (lm_head input)[last], v_ref>, v_ref = normalised sum of the directions of both sites at 75-90% depth, sign-aligned',
          ablate: 'zero the units (neurons at the last position, heads at every position); held-out prompts instructed with e',
          enhance: 'add lambda * (Δμ_e on neurons | Δz_e on heads) on the units; held-out uninstructed prompts',
          random: `up to ${seeds} distinct draws of k units of the same layer outside the top k (random.draws lists them; fewer when only random.possibleDraws = C(units - k, k) exist); per prompt, the change is averaged over the draws`,
          margin: 'per prompt, on the same prompts: ablate = random change - top change (positive: the top units lower s more); enhance = top change - random change; promptMargins lists them',
          interval: '95% Student-t interval over prompts (n = prompts; draws are never counted as observations)',
          summary: 'wins = conditions with mean margin on s > 0; significant = conditions whose margin interval lies above 0',
          neuronRankingVsMeasure: 'neurons are ranked by their direct contribution a_n (W_down^T v_e)_n to <resid_post, v_e> (un-normalised, additive over neurons); validation measures s = <RMSNorm(resid_post) * g_next, v_e>, what the next layer reads. They differ by the per-prompt RMS factor and the gain g_next; the validation tests whether the linear attribution predicts the effect on the normalised read-out',
        },
        summary: validationSummary(validation),
        twin: twin ? { summary: twin.summary, comparisonSummary: twin.comparisonSummary, statements: twin.statements, definitions: twin.definitions, comparison: twin.comparison, conditions: twin.conditions } : null,
        conditions: validation,
      });
      run.completeStage('validation', validationHash, [VALIDATION_JSON], { weights: weightsMode });
      stages.validation = 'ran';
    } else {
      const stored = JSON.parse(fs.readFileSync(run.path(VALIDATION_JSON), 'utf8')) as { conditions: ConditionResult[]; twin: TwinValidationReport | null };
      validation = stored.conditions;
      twin = stored.twin;
    }
    for (const line of twin?.statements ?? []) log(`twin check: ${line}`);
    return { stages, rankingMs, summary: validationSummary(validation), validation, twin };
  } finally {
    checkpoint.close();
    if (model) await (model as LanguageModel).dispose();
  }
}
