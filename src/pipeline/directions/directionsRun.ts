/**
 * The `directions` stage end to end on a run folder: SEV → prompts → activation collection →
 * directions → consistency. Each stage is skipped when its inputs hash matches the manifest's
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
import { TextTokenizer } from '../../tokenizer/tokenizer.js';
import { ActivationStore } from '../collection/activationStore.js';
import { hashJson, writeJsonAtomic } from '../run/atomicWrite.js';
import { ACTIVATIONS_DIR, buildPrompts, collectActivations, INDEX_FILE, SAMPLES_FILE, type CollectProgress, type PreparedPrompt } from '../collection/collect.js';
import { computeConsistency, CONSISTENCY_FILE, type ConsistencyReport } from './consistency.js';
import {
  DIRECTION_SITES, DIRECTIONS_FILE, labelledRows, readDirections, SITE_ACTIVATION, siteDirections, writeDirections, type DirectionSet,
} from './directionSet.js';
import { hashModelFiles, RunFolder, toolVersion } from '../run/runStore.js';
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
  onProgress?: (progress: CollectProgress) => void;
  log?: (line: string) => void;
}

export interface DirectionsRunResult {
  runDir: string;
  templateKind: 'model' | 'plain';
  prompts: number;
  tokens: number;
  stages: Record<'collect' | 'directions' | 'consistency', 'ran' | 'skipped'>;
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
  const settings = { limit: options.limit ?? null, batchSize, chunkSize, permutations, templateKind };
  const run = RunFolder.open(options.out, {
    tool: toolVersion(),
    model: { dir: options.model, files: modelFiles },
    dataset: { spec: options.dataset, hash: hashJson({ train: sevHash(splits.train), test: sevHash(splits.test) }), train: splits.train.length, test: splits.test.length },
    settings,
    seed,
  });
  const stages: DirectionsRunResult['stages'] = { collect: 'skipped', directions: 'skipped', consistency: 'skipped' };

  // 3. Collection (resumable).
  // The tool version stands in for the engine: chunks computed by another build are never mixed in.
  const collectHash = hashJson({ stage: 'collect@1', engine: toolVersion(), modelFiles, prompts: promptsHash(prompts), batchSize, chunkSize });
  const activationsDir = run.path(ACTIVATIONS_DIR);
  let collectMs = 0;
  if (!run.isStageDone('collect', collectHash)) {
    run.invalidateStage('collect');
    const model = await LanguageModel.load(options.model);
    try {
      const started = Date.now();
      await collectActivations(model, prompts, activationsDir, { batchSize, chunkSize, inputsHash: collectHash, templateKind, onProgress: options.onProgress });
      collectMs = Date.now() - started;
    } finally {
      await model.dispose();
    }
    run.completeStage('collect', collectHash, [path.join(ACTIVATIONS_DIR, INDEX_FILE), path.join(ACTIVATIONS_DIR, SAMPLES_FILE)]);
    stages.collect = 'ran';
    log(`collected ${prompts.length} prompts in ${(collectMs / 1000).toFixed(1)} s (${((tokens / collectMs) * 1000).toFixed(0)} tokens/s)`);
  }
  const store = ActivationStore.open(activationsDir);

  // 4. Directions.
  const directionsHash = hashJson({ stage: 'directions@1', collect: collectHash });
  if (!run.isStageDone('directions', directionsHash)) {
    run.invalidateStage('directions');
    const set = {} as DirectionSet;
    for (const site of DIRECTION_SITES) set[site] = siteDirections(labelledRows(store, 'train', SITE_ACTIVATION[site]));
    writeDirections(run.path(DIRECTIONS_FILE), set);
    run.completeStage('directions', directionsHash, [DIRECTIONS_FILE]);
    stages.directions = 'ran';
  }

  // 5. Consistency.
  const consistencyHash = hashJson({ stage: 'consistency@1', directions: directionsHash, seed, permutations });
  let consistency: ConsistencyReport;
  if (!run.isStageDone('consistency', consistencyHash)) {
    run.invalidateStage('consistency');
    consistency = computeConsistency(store, readDirections(run.path(DIRECTIONS_FILE)), { seed, permutations });
    writeJsonAtomic(run.path(CONSISTENCY_FILE), consistency);
    run.completeStage('consistency', consistencyHash, [CONSISTENCY_FILE]);
    stages.consistency = 'ran';
  } else {
    consistency = JSON.parse(fs.readFileSync(run.path(CONSISTENCY_FILE), 'utf8')) as ConsistencyReport;
  }
  return { runDir: run.dir, templateKind, prompts: prompts.length, tokens, stages, collectMs, consistency };
}
