/**
 * The `sublayers` stage on a run folder made by `directions`: σ per site from the stored
 * activations, then the sublayer influence of every emotion × layer × sublayer on the uninstructed
 * train prompts, written as `sublayers.json` (skipped when its inputs are unchanged).
 *
 * @example
 * const result = await runSublayers({ runDir: 'runs/tinystories' });
 * console.log(result.file.emotions.anger.weights.mlp);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import { EMOTIONS, type Emotion } from '../../emotions.js';
import { LanguageModel } from '../../model/languageModel.js';
import type { WeightsMode } from '../../model/weights.js';
import { ActivationStore } from '../collection/activationStore.js';
import { ACTIVATIONS_DIR } from '../collection/collect.js';
import { rebuildRunPrompts } from '../collection/runPrompts.js';
import { DIRECTIONS_FILE, groupKey, readDirections } from '../directions/directionSet.js';
import { runJudgeFilterRows } from '../directions/judgeFilter.js';
import { referenceLayers } from '../directions/referenceDirection.js';
import { hashJson, writeJsonAtomic } from '../run/atomicWrite.js';
import { openLaterStage } from '../run/laterStage.js';
import { stageWeights, weightsHashPart } from '../run/weightsMode.js';
import { DEFAULT_ALPHAS, siteScales, SUBLAYERS, sublayerInfluence, sublayerWeights, type Sublayer } from './sublayerInfluence.js';

export const SUBLAYERS_FILE = 'sublayers.json';
export const SUBLAYERS_FORMAT = 'emotion-circuits/sublayers@1';

export interface SublayersRunOptions {
  readonly runDir: string;
  /** Edit strengths α. Default 0.1, 0.3, 0.5, 0.7. */
  readonly alphas?: readonly number[];
  /** Prompts per forward pass. Default 32. */
  readonly batchSize?: number;
  /** Weights the model runs with; default: the run's (manifest.model.weights). */
  readonly weights?: WeightsMode;
  readonly log?: (line: string) => void;
}

/** One emotion's entry in sublayers.json. */
export interface SublayerEmotion {
  /** v_ref, [d]. */
  reference: number[];
  /** I per sublayer: each α's value ([A][L], α in the file's order) and their mean ([L]). */
  influence: Record<Sublayer, { byAlpha: number[][]; mean: number[] }>;
  /** w = max(mean I, 0) normalised within the kind, [L]. */
  weights: Record<Sublayer, number[]>;
  /** True where every I of the kind was ≤ 0 and the weights fell back to uniform. */
  uniformWeights: Record<Sublayer, boolean>;
}

export interface SublayersFile {
  format: typeof SUBLAYERS_FORMAT;
  definitions: Record<string, string>;
  alphas: number[];
  prompts: number;
  /** With a judge filter: uninstructed prompts per emotion (the train groups of its accepted replies). */
  promptsPerEmotion?: Record<Emotion, number>;
  /** Layers whose directions make v_ref. */
  referenceLayers: number[];
  /** σ per sublayer, [L]. */
  sigma: Record<Sublayer, number[]>;
  emotions: Record<Emotion, SublayerEmotion>;
}

export interface SublayersRunResult {
  stage: 'ran' | 'skipped';
  file: SublayersFile;
}

/** Reads and checks `sublayers.json` of a run. */
export function readSublayers(runDir: string): SublayersFile {
  const file = path.join(runDir, SUBLAYERS_FILE);
  if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', 'no sublayer influence in this run: run `emotion-circuits circuits` first', file);
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as SublayersFile;
  if (json.format !== SUBLAYERS_FORMAT) throw new EmotionCircuitsError('RUN', `expected format ${SUBLAYERS_FORMAT}, got ${JSON.stringify(json.format)}`, file);
  for (const emotion of EMOTIONS) {
    for (const site of SUBLAYERS) {
      const weights = json.emotions?.[emotion]?.weights?.[site];
      if (!Array.isArray(weights) || weights.some((w) => typeof w !== 'number' || !(w >= 0))) {
        throw new EmotionCircuitsError('RUN', 'expected an array of weights ≥ 0', `${file}: emotions.${emotion}.weights.${site}`);
      }
    }
  }
  return json;
}

export async function runSublayers(options: SublayersRunOptions): Promise<SublayersRunResult> {
  const log = options.log ?? (() => {});
  const alphas = [...(options.alphas ?? DEFAULT_ALPHAS)];
  if (alphas.length === 0 || alphas.some((a) => !Number.isFinite(a) || a <= 0)) throw new UsageError(`sublayers: --alphas must be positive numbers, got ${alphas.join(',')}`);
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize <= 0) throw new UsageError(`sublayers: --batch-size must be a positive integer, got ${batchSize}`);
  const { manifest, run, required } = openLaterStage(options.runDir, 'sublayers', { directions: 'directions' });
  const weights = stageWeights(manifest, options.weights, 'sublayers', log);
  const inputsHash = hashJson({ stage: 'sublayers@1', directions: required.directions.inputsHash, alphas, ...weightsHashPart(weights) });
  if (run.isStageDone('sublayers', inputsHash)) return { stage: 'skipped', file: readSublayers(run.dir) };
  run.invalidateStage('sublayers');

  const store = ActivationStore.open(run.path(ACTIVATIONS_DIR));
  const directions = readDirections(run.path(DIRECTIONS_FILE));
  // With a judge filter: σ over the accepted instructed rows, and each emotion's influence on the
  // uninstructed prompts of the train groups (scenario × valence) whose reply in that emotion was accepted.
  const filter = runJudgeFilterRows(manifest, run.dir);
  const sigma = siteScales(store, store.select((s) => s.split === 'train' && s.kind === 'instructed' && (!filter || filter.accepted.has(s.row))));
  const uninstructed = rebuildRunPrompts(manifest, store).filter((p) => p.sample.split === 'train' && p.sample.kind === 'uninstructed');
  const prompts = uninstructed.map((p) => p.ids);
  if (prompts.length === 0) throw new EmotionCircuitsError('RUN', 'the train split has no uninstructed prompts', run.dir);
  const acceptedGroups = filter
    ? EMOTIONS.map((emotion) => new Set(store.samples.filter((s) => filter.accepted.has(s.row) && s.emotion === emotion).map(groupKey)))
    : null;
  const promptsOf = (e: number): (readonly number[])[] => uninstructed.filter((p) => acceptedGroups![e].has(groupKey(p.sample))).map((p) => p.ids);
  log(`sublayer influence on ${prompts.length} uninstructed train prompts${filter ? ' (judge-filtered groups per emotion)' : ''}, α ∈ {${alphas.join(', ')}}`);
  const model = await LanguageModel.load(manifest.model.dir, { weights });
  let influences;
  try {
    influences = acceptedGroups
      ? EMOTIONS.map((_, e) => sublayerInfluence(model, promptsOf(e), directions, sigma, { alphas, batchSize, log, emotions: [e] })[0])
      : sublayerInfluence(model, prompts, directions, sigma, { alphas, batchSize, log });
  } finally {
    await model.dispose();
  }
  const emotions = {} as Record<Emotion, SublayerEmotion>;
  EMOTIONS.forEach((emotion, e) => {
    const { reference, influence } = influences[e];
    const weights = {} as Record<Sublayer, number[]>;
    const uniformWeights = {} as Record<Sublayer, boolean>;
    for (const site of SUBLAYERS) ({ weights: weights[site], uniform: uniformWeights[site] } = sublayerWeights(influence[site].mean));
    emotions[emotion] = { reference: Array.from(reference), influence, weights, uniformWeights };
  });
  const file: SublayersFile = {
    format: SUBLAYERS_FORMAT,
    definitions: {
      edit: 'add alpha * sigma[l,p] * v~[l,p] to blocks.{l}.hook_attn_out (p = attn) or blocks.{l}.hook_mlp_out (p = mlp) at the last prompt token; uninstructed train prompts',
      direction: "v~ = the site's unit direction for the emotion (attn: resid_mid, mlp: resid_post), flipped if <v, v_ref> < 0",
      sigma: "RMS of the site's residual (resid_mid / resid_post) at the last prompt token, averaged over the instructed train prompts",
      reference: 'v_ref = normalised sum of the unit directions of both sites over referenceLayers, each sign-aligned to the first (attention site of the first layer)',
      influence: 'I = mean over prompts of the change of <final RMSNorm output with gain [last], v_ref> / (alpha * sigma); mean = average over alphas',
      weights: 'w = max(mean I, 0) normalised within attention sublayers and within MLP sublayers; uniform when every I of the kind is <= 0 (uniformWeights)',
    },
    alphas,
    prompts: prompts.length,
    ...(acceptedGroups ? { promptsPerEmotion: Object.fromEntries(EMOTIONS.map((emotion, e) => [emotion, promptsOf(e).length])) as Record<Emotion, number> } : {}),
    referenceLayers: referenceLayers(store.index.layers),
    sigma: { attn: Array.from(sigma.attn), mlp: Array.from(sigma.mlp) },
    emotions,
  };
  writeJsonAtomic(run.path(SUBLAYERS_FILE), file);
  run.completeStage('sublayers', inputsHash, [SUBLAYERS_FILE], { weights });
  for (const emotion of EMOTIONS) for (const site of SUBLAYERS) if (emotions[emotion].uniformWeights[site]) log(`${emotion}: every ${site} influence is ≤ 0; uniform ${site} weights`);
  return { stage: 'ran', file };
}
