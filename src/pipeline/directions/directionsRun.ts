/**
 * The `directions` stage end to end on a run folder: SEV → prompts → activation collection →
 * directions → consistency, and the same for the model's random-weight twin (the discrimination
 * check, twinComparison.ts; on by default for models of at most 50M parameters, since it doubles
 * the collection). Each stage is skipped when its inputs hash matches the manifest's
 * record, and the collection resumes chunk by chunk after an interruption.
 *
 * Everything that can reject the input (dataset lines, model folder, tokenizer, options) is checked
 * before the run folder is touched, so a bad dataset writes nothing.
 *
 * @example
 * const result = await runDirections({ model: 'models/tinystories-656k', dataset: 'sev', out: 'runs/t' });
 * console.log(result.consistency.sites.mlp.accuracy.best);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../../errors.js';
import { Checkpoint } from '../../model/checkpoint.js';
import { LanguageModel } from '../../model/languageModel.js';
import { WEIGHTS_MODES, type WeightsMode } from '../../model/weights.js';
import { parameterCount, writeRandomTwin } from '../../model/randomTwin.js';
import { TextTokenizer } from '../../tokenizer/tokenizer.js';
import { ActivationStore } from '../collection/activationStore.js';
import { hashJson, writeJsonAtomic } from '../run/atomicWrite.js';
import { ACTIVATIONS_DIR, buildPrompts, collectActivations, INDEX_FILE, SAMPLES_FILE, type CollectProgress, type PreparedPrompt } from '../collection/collect.js';
import { engineBuildHash } from '../collection/engineBuild.js';
import { computeConsistency, CONSISTENCY_FILE, type ConsistencyReport } from './consistency.js';
import { compareDirectionsWithTwin } from './twinComparison.js';
import { valenceAlignment } from './valenceAlignment.js';
import type { EmotionJudge } from '../../judge/judge.js';
import { runJudgeFilter, type JudgeFilterResult } from './judgeFilter.js';
import {
  DIRECTION_SITES, DIRECTIONS_FILE, labelledRows, readDirections, SITE_ACTIVATION, siteDirections, writeDirections, type DirectionSet,
} from './directionSet.js';
import { hashModelFiles, RunFolder, toolVersion, TWIN_DIR } from '../run/runStore.js';
import { weightsHashPart } from '../run/weightsMode.js';
import { groupByTheme, loadSev, sevHash, type SevItem, type SevSplit } from '../stimuli/sev.js';

export interface DirectionsRunOptions {
  /** Local Hugging Face model folder. */
  model: string;
  /** `sev` (the project's own SEV), a folder with train/test.jsonl, or one JSONL file (split 75/25 by theme). */
  dataset: string;
  /** Run folder (created if needed). */
  out: string;
  /** At most this many scenarios per theme in each split. */
  limit?: number;
  /** Seed of the permutation control, theme halves and PCA. Default 0. */
  seed?: number;
  /** Prompts per forward pass. Default 16. */
  batchSize?: number;
  /** Prompts per activation chunk file (the unit of resumption). Default 64. */
  chunkSize?: number;
  /** Label shuffles in the permutation control. Default 20. */
  permutations?: number;
  /**
   * Also run everything on the model's random-weight twin and compare (doubles the collection).
   * Default: on for models of at most {@link TWIN_DEFAULT_MAX_PARAMETERS} parameters.
   */
  twin?: boolean;
  /**
   * Judge filter (off by default): generate each instructed train prompt's reply, judge it against
   * its emotion, and compute the directions (and every later stage) from the accepted ones only.
   */
  judgeFilter?: EmotionJudge;
  /** New tokens per filter reply. Default: the shared decoding's 100. */
  judgeFilterMaxNewTokens?: number;
  /**
   * The run's weights mode (default 'stored'): the model (and its twin) run with these weights in
   * every stage of the run unless a stage's own option says otherwise; recorded in the manifest. A
   * changed mode re-runs the collection and so every stage after it.
   */
  weights?: WeightsMode;
  onProgress?: (progress: CollectProgress) => void;
  log?: (line: string) => void;
}

/** Models up to this size get the random-weight twin by default. */
export const TWIN_DEFAULT_MAX_PARAMETERS = 50_000_000;

/** Whether a run computes the twin: the flag when given, else by model size. */
export function twinEnabled(modelDir: string, flag: boolean | undefined): boolean {
  return flag ?? parameterCount(modelDir) <= TWIN_DEFAULT_MAX_PARAMETERS;
}

export interface DirectionsRunResult {
  runDir: string;
  templateKind: 'model' | 'plain';
  prompts: number;
  tokens: number;
  stages: Record<'collect' | 'directions' | 'consistency', 'ran' | 'skipped'> & Partial<Record<'twin' | 'judgeFilter', 'ran' | 'skipped'>>;
  /** The judge filter's result; null without a filter. */
  judgeFilter: JudgeFilterResult | null;
  /** Wall time of the collection in this invocation (0 when skipped), ms. */
  collectMs: number;
  consistency: ConsistencyReport;
}

/** First `limit` items of each theme, themes and items in file order. */
export function limitPerTheme(items: readonly SevItem[], limit: number | undefined): SevItem[] {
  if (limit === undefined) return [...items];
  const keep = new Set([...groupByTheme(items).values()].flatMap((list) => list.slice(0, limit)));
  return items.filter((item) => keep.has(item));
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new UsageError(`${name} must be a positive integer, got ${value}`);
}

/** Hash of the exact token ids and sample labels the collection will run. */
function promptsHash(prompts: readonly PreparedPrompt[]): string {
  return hashJson(prompts.map((p) => [p.sample, p.ids]));
}

export async function runDirections(options: DirectionsRunOptions): Promise<DirectionsRunResult> {
  const log = options.log ?? (() => {});
  const seed = options.seed ?? 0;
  const batchSize = options.batchSize ?? 16;
  const chunkSize = options.chunkSize ?? 64;
  const permutations = options.permutations ?? 20;
  positiveInteger('--limit', options.limit);
  positiveInteger('--batch', batchSize);
  positiveInteger('--chunk', chunkSize);
  positiveInteger('--permutations', permutations);
  if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${seed}`);
  const weights = options.weights ?? 'stored';
  if (!WEIGHTS_MODES.includes(weights)) throw new UsageError(`--weights must be ${WEIGHTS_MODES.join(' or ')}, got ${JSON.stringify(weights)}`);

  // 1. Everything that can fail on the input, before the run folder is touched.
  const splits = {} as Record<SevSplit, SevItem[]>;
  for (const split of ['train', 'test'] as const) splits[split] = limitPerTheme(loadSev(options.dataset, split), options.limit);
  const checkpoint = Checkpoint.open(options.model); // validates config and weights (headers only)
  checkpoint.close();
  // Tokenize with the tokenizer alone (as LanguageModel.encodeChat does), so a re-run whose
  // collection is already done never loads the weights.
  const tokenizer = TextTokenizer.load(options.model);
  const encoder = {
    encodeChat: (messages: Parameters<LanguageModel['encodeChat']>[0]) => {
      const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
      return { ids: tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens }), prompt };
    },
  };
  const { prompts, templateKind } = buildPrompts(encoder, splits);
  const tokens = prompts.reduce((n, p) => n + p.ids.length, 0);
  log(`dataset ${options.dataset}: ${splits.train.length} train + ${splits.test.length} test scenarios → ${prompts.length} prompts, ${tokens} tokens (${templateKind} chat template)`);

  // 2. The run folder.
  const modelFiles = hashModelFiles(options.model);
  const withTwin = twinEnabled(options.model, options.twin);
  positiveInteger('--judge-filter-max-new-tokens', options.judgeFilterMaxNewTokens);
  const settings = { limit: options.limit ?? null, batchSize, chunkSize, permutations, templateKind, twin: withTwin, judgeFilter: options.judgeFilter?.name ?? null };
  const run = RunFolder.open(options.out, {
    tool: toolVersion(),
    model: { dir: options.model, files: modelFiles, weights },
    dataset: { spec: options.dataset, hash: hashJson({ train: sevHash(splits.train), test: sevHash(splits.test) }), train: splits.train.length, test: splits.test.length },
    settings,
    seed,
  });
  const stages: DirectionsRunResult['stages'] = { collect: 'skipped', directions: 'skipped', consistency: 'skipped' };

  // 3. Collection (resumable) and directions, for the model and (optionally) its twin.
  const collectSettings = { prompts, batchSize, chunkSize, templateKind, weights, onProgress: options.onProgress, log };
  const collected = await collect(run, '', options.model, modelFiles, collectSettings);
  // The judge filter on the model's own replies; the twin uses the same accepted rows.
  let filter: JudgeFilterResult | null = null;
  if (options.judgeFilter) {
    try {
      filter = await runJudgeFilter(run, prompts, options.model, options.judgeFilter, { promptsHash: collected.collectHash, maxNewTokens: options.judgeFilterMaxNewTokens, batchSize, weights, log });
    } catch (error) {
      // Never leave directions of another filter for the later stages to mix with this one's rows.
      for (const stage of ['directions', `${TWIN_DIR}.directions`]) run.invalidateStage(stage);
      throw error;
    }
    stages.judgeFilter = filter.stage;
    log(`judge filter (${filter.summary.judge}): accepted ${acceptedSharesText(filter)}`);
  }
  const main = direct(run, '', collected, filter);
  if (main.collectMs > 0) stages.collect = 'ran';
  if (main.directionsRan) stages.directions = 'ran';
  let twin: ReturnType<typeof direct> | null = null;
  if (withTwin) {
    const twinModelDir = run.path(TWIN_DIR, 'model');
    const twinModelHash = hashJson({ stage: 'twin-model@1', source: modelFiles, seed });
    if (!run.isStageDone('twin.model', twinModelHash)) {
      run.invalidateStage('twin.model');
      writeRandomTwin(options.model, seed, twinModelDir);
      run.completeStage('twin.model', twinModelHash, [path.join(TWIN_DIR, 'model', 'model.safetensors')]);
    }
    log(`random-weight twin (seed ${seed}) in ${twinModelDir}`);
    twin = direct(run, TWIN_DIR, await collect(run, TWIN_DIR, twinModelDir, hashModelFiles(twinModelDir), collectSettings), filter);
    stages.twin = twin.collectMs > 0 || twin.directionsRan ? 'ran' : 'skipped';
  }

  // 4. Consistency (with the twin comparison when there is a twin).
  const consistencyHash = hashJson({ stage: 'consistency@3', directions: main.directionsHash, twin: twin?.directionsHash ?? null, seed, permutations });
  let consistency: ConsistencyReport;
  if (!run.isStageDone('consistency', consistencyHash)) {
    run.invalidateStage('consistency');
    const directions = readDirections(run.path(DIRECTIONS_FILE));
    consistency = computeConsistency(main.store, directions, { seed, permutations });
    consistency.valenceAlignment = valenceAlignment(main.store, directions).sites;
    consistency.judgeFilter = filter ? { judge: filter.summary.judge, failures: filter.summary.failures, shares: filter.summary.shares } : null;
    consistency.twin = twin
      ? compareDirectionsWithTwin({ store: main.store, directions }, { store: twin.store, directions: readDirections(run.path(TWIN_DIR, DIRECTIONS_FILE)) }, seed)
      : null;
    writeJsonAtomic(run.path(CONSISTENCY_FILE), consistency);
    run.completeStage('consistency', consistencyHash, [CONSISTENCY_FILE]);
    stages.consistency = 'ran';
  } else {
    consistency = JSON.parse(fs.readFileSync(run.path(CONSISTENCY_FILE), 'utf8')) as ConsistencyReport;
  }
  for (const line of consistency.twin?.statements ?? []) log(`twin check: ${line}`);
  return { runDir: run.dir, templateKind, prompts: prompts.length, tokens, stages, judgeFilter: filter, collectMs: main.collectMs + (twin?.collectMs ?? 0), consistency };
}

/** `anger 0.83, sadness 1.00, …`: the accepted share of each emotion over all valences. */
export function acceptedSharesText(filter: JudgeFilterResult): string {
  return Object.entries(filter.summary.shares).map(([emotion, cells]) => `${emotion} ${cells.all.accepted}/${cells.all.total}`).join(', ');
}

interface CollectSettings {
  prompts: readonly PreparedPrompt[];
  batchSize: number;
  chunkSize: number;
  templateKind: 'model' | 'plain';
  weights: WeightsMode;
  onProgress?: (progress: CollectProgress) => void;
  log: (line: string) => void;
}

const prefixedStage = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);
const prefixedFile = (prefix: string, ...parts: string[]): string => (prefix ? path.join(prefix, ...parts) : path.join(...parts));

/**
 * Collection (resumable) of one model into `prefix` of the run folder ('' for the model, 'twin'
 * for its twin); stage names are prefixed the same way.
 */
async function collect(run: RunFolder, prefix: string, modelDir: string, modelFiles: Record<string, string>, settings: CollectSettings) {
  const { prompts, batchSize, chunkSize, templateKind, weights, log } = settings;
  const stage = (name: string): string => prefixedStage(prefix, name);
  const file = (...parts: string[]): string => prefixedFile(prefix, ...parts);
  // The engine build (compiled model and kernel files), so chunks computed by another build are never mixed in.
  const collectHash = hashJson({ stage: 'collect@2', engine: engineBuildHash(), tool: toolVersion(), modelFiles, prompts: promptsHash(prompts), batchSize, chunkSize, ...weightsHashPart(weights) });
  const activationsDir = run.path(file(ACTIVATIONS_DIR));
  let collectMs = 0;
  if (!run.isStageDone(stage('collect'), collectHash)) {
    run.invalidateStage(stage('collect'));
    const model = await LanguageModel.load(modelDir, { weights });
    try {
      const started = Date.now();
      await collectActivations(model, prompts, activationsDir, { batchSize, chunkSize, inputsHash: collectHash, templateKind, onProgress: settings.onProgress });
      collectMs = Date.now() - started;
    } finally {
      await model.dispose();
    }
    run.completeStage(stage('collect'), collectHash, [file(ACTIVATIONS_DIR, INDEX_FILE), file(ACTIVATIONS_DIR, SAMPLES_FILE)], { weights });
    const tokens = prompts.reduce((n, p) => n + p.ids.length, 0);
    log(`${prefix ? `${prefix}: ` : ''}collected ${prompts.length} prompts in ${(collectMs / 1000).toFixed(1)} s (${((tokens / Math.max(collectMs, 1)) * 1000).toFixed(0)} tokens/s)`);
  }
  return { store: ActivationStore.open(activationsDir), collectMs, collectHash };
}

/**
 * Directions of one collected model into `prefix` of the run folder, from the judge filter's
 * accepted rows when there is a filter (groups centred over their accepted emotions).
 */
function direct(run: RunFolder, prefix: string, collected: Awaited<ReturnType<typeof collect>>, filter: JudgeFilterResult | null) {
  const { store, collectMs, collectHash } = collected;
  const stage = (name: string): string => prefixedStage(prefix, name);
  const file = (...parts: string[]): string => prefixedFile(prefix, ...parts);
  const directionsHash = hashJson({ stage: 'directions@1', collect: collectHash, ...(filter ? { judgeFilter: filter.inputsHash } : {}) });
  let directionsRan = false;
  if (!run.isStageDone(stage('directions'), directionsHash)) {
    run.invalidateStage(stage('directions'));
    const set = {} as DirectionSet;
    for (const site of DIRECTION_SITES) set[site] = siteDirections(labelledRows(store, 'train', SITE_ACTIVATION[site], filter?.accepted), undefined, filter !== null);
    writeDirections(run.path(file(DIRECTIONS_FILE)), set);
    run.completeStage(stage('directions'), directionsHash, [file(DIRECTIONS_FILE)]);
    directionsRan = true;
  }
  return { store, collectMs, directionsRan, directionsHash };
}
