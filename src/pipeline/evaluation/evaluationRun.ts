/**
 * The `evaluation` stage (DESIGN.md §3 step 10) on a run folder: every arm × emotion × valence on the
 * test split, generated, scored and judged into `generations.jsonl` (resumable), then summarised
 * into `evaluation.json` — accuracy with 95 % bootstrap intervals, judge failures and fluency per
 * arm. The stage is skipped when its inputs (arms, decoding, judge, upstream stages) are unchanged.
 *
 * @example
 * const judge = createJudge('builtin');
 * const report = await runEvaluation({ runDir: 'runs/my-run', judge });
 * console.log(accuracyTable(report.arms));
 */
import * as fs from 'node:fs';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import { LanguageModel } from '../../model/languageModel.js';
import type { WeightsMode } from '../../model/weights.js';
import { TextTokenizer } from '../../tokenizer/tokenizer.js';
import { loadArmResources } from '../control/armResources.js';
import { ARM_METHODS, defaultArm, type ArmResources, type ArmSpec } from '../control/arms.js';
import { resolveDecoding, type DecodingSettings } from '../control/decoding.js';
import { limitPerTheme } from '../directions/directionsRun.js';
import { hashJson, writeJsonAtomic } from '../run/atomicWrite.js';
import { RunFolder, type Manifest } from '../run/runStore.js';
import { stageWeights, weightsHashPart } from '../run/weightsMode.js';
import { loadSev, type SevItem, type SevSplit } from '../stimuli/sev.js';
import { DEFAULT_BOOTSTRAP, type BootstrapSettings } from './bootstrap.js';
import { generateAndJudge } from './generateAndJudge.js';
import { JsonlLog } from './generationsLog.js';
import { evaluationPlan } from './plan.js';
import type { EvaluationJudge, GenerationRecord } from './records.js';
import { summarizeArms, type ArmSummary } from './summary.js';
import { compareArmsWithTwin, type EvaluationTwinReport } from './evaluationTwin.js';

export const GENERATIONS_FILE = 'generations.jsonl';
export const EVALUATION_FILE = 'evaluation.json';
export const EVALUATION_FORMAT = 'emotion-circuits/evaluation@1';

/** Every arm with its default settings: unsteered, prompting, direction steering, circuit, random circuits. */
export const DEFAULT_ARMS: readonly ArmSpec[] = ARM_METHODS.map((method) => defaultArm(method));

export interface EvaluationRunOptions {
  readonly runDir: string;
  readonly judge: EvaluationJudge;
  /** Default {@link DEFAULT_ARMS}. */
  readonly arms?: readonly ArmSpec[];
  /** At most this many test scenarios per theme (after the run's own limit). */
  readonly limit?: number;
  /** The SEV split whose scenarios are generated: 'test' (default), or 'train' for tuning (sweeps). */
  readonly split?: SevSplit;
  /** Overrides of the shared decoding setting. */
  readonly decoding?: Partial<DecodingSettings>;
  readonly bootstrap?: Partial<BootstrapSettings>;
  readonly batchSize?: number;
  /** A loaded model of the run (else loaded from the manifest and disposed at the end). */
  readonly model?: LanguageModel;
  /**
   * Weights the replies are generated with (and `model` was loaded with); default: the run's
   * (manifest.model.weights). Part of every generation's key: replies of another mode are not reused.
   */
  readonly weights?: WeightsMode;
  /** Resources of the arms (else read from the run folder). */
  readonly resources?: ArmResources;
  /** Stage name and files (sweeps use their own). */
  readonly stage?: string;
  readonly generationsFile?: string;
  readonly outputFile?: string;
  /**
   * The random-weight twin's evaluation (records of the same arms on the same prompts, the hash of its
   * stage, its folder relative to the run): the report gains `twin` (evaluationTwin.ts).
   */
  readonly twin?: { readonly records: readonly GenerationRecord[]; readonly inputsHash: string; readonly dir: string };
  /** Turns the report into what `outputFile` holds (sweeps write their own table). Default: the report. */
  readonly finalize?: (report: EvaluationReport) => unknown;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
  readonly log?: (line: string) => void;
}

export interface EvaluationReport {
  readonly format: typeof EVALUATION_FORMAT;
  readonly judge: string;
  readonly decoding: DecodingSettings;
  readonly bootstrap: BootstrapSettings;
  /** Scenarios generated (of the test split unless `split` says otherwise). */
  readonly testScenarios: number;
  /** The split the scenarios came from. */
  readonly split: SevSplit;
  readonly definitions: Record<string, string>;
  readonly arms: ArmSummary[];
  /** Circuit modulation on the model against its random-weight twin; absent without a twin. */
  readonly twin?: EvaluationTwinReport;
}

export interface EvaluationRunResult {
  readonly stage: 'ran' | 'skipped';
  /** What `outputFile` holds: the report, or what `finalize` made of it. */
  readonly output: unknown;
  readonly records: GenerationRecord[];
}

/** The run's scenarios of `split` (default test): its own --limit per theme, then `limit`. */
export function testScenarios(manifest: Manifest, limit?: number, split: SevSplit = 'test'): SevItem[] {
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new UsageError(`--limit must be a positive integer, got ${limit}`);
  const runLimit = (manifest.settings.limit as number | null | undefined) ?? undefined;
  return limitPerTheme(limitPerTheme(loadSev(manifest.dataset.spec, split), runLimit), limit);
}

/** Hashes of the upstream stages the arms read. */
export function upstreamHashes(manifest: Manifest): Record<string, string | null> {
  return Object.fromEntries(['directions', 'diffVectors', 'circuits'].map((stage) => [stage, manifest.stages[stage]?.inputsHash ?? null]));
}

export const EVALUATION_DEFINITIONS: Record<string, string> = {
  accuracy: 'share of texts the judge says express the target emotion; a failed judgement counts as a miss and is counted in judgeFailures',
  interval: 'percentile bootstrap over prompts (emotion × scenario × valence; a random arm\'s draws on one prompt are resampled together)',
  prompts: 'test split (sweeps: train split); uninstructed prompt for every arm except prompting (instructed prompt)',
  perplexity: 'exp(mean NLL per new token) of each text under the unsteered model given the prompt its arm used',
  distinct: 'mean over the arm\'s distinct texts of (distinct word n-grams / word n-grams) within each text',
  repeatedWord3gramShare: 'mean over texts of the share of word 3-grams repeating an earlier one in the same text (token 3-grams cannot repeat under the 3-gram ban)',
  hitTokenLimitShare: 'share of texts that stopped at maxNewTokens',
};

export async function runEvaluation(options: EvaluationRunOptions): Promise<EvaluationRunResult> {
  const log = options.log ?? (() => {});
  const stage = options.stage ?? 'evaluation';
  const generationsFile = options.generationsFile ?? GENERATIONS_FILE;
  const outputFile = options.outputFile ?? EVALUATION_FILE;
  const arms = options.arms ?? DEFAULT_ARMS;
  if (arms.length === 0) throw new UsageError('evaluation: no arms to evaluate');
  const decoding = resolveDecoding(options.decoding);
  const bootstrap = { ...DEFAULT_BOOTSTRAP, ...options.bootstrap };
  const manifest = RunFolder.read(options.runDir);
  if (!manifest.stages.directions) throw new EmotionCircuitsError('RUN', 'no directions in this run: run `emotion-circuits directions` (or `discover`) first', options.runDir);
  const split = options.split ?? 'test';
  const items = testScenarios(manifest, options.limit, split);
  const { stages: _stages, ...header } = manifest;
  const run = RunFolder.open(options.runDir, header);
  const weights = stageWeights(manifest, options.weights, stage, log);
  const context = { model: manifest.model.files, upstream: upstreamHashes(manifest), ...weightsHashPart(weights) };
  const stageHash = hashJson({
    stage: `${stage}@1`, arms, decoding, bootstrap, judge: options.judge.name, scenarios: items.map((i) => i.skeletonId), context,
    ...(split === 'test' ? {} : { split }), ...(options.twin ? { twin: options.twin.inputsHash } : {}),
  });
  const tokenizer = TextTokenizer.load(manifest.model.dir);
  const plan = evaluationPlan({
    arms,
    items,
    decoding,
    context,
    encodeChat: (messages) => {
      const prompt = tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true });
      return { ids: tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens }), prompt };
    },
  });
  const generations = JsonlLog.open<GenerationRecord>(run.path(generationsFile));
  if (run.isStageDone(stage, stageHash)) {
    const output = JSON.parse(fs.readFileSync(run.path(outputFile), 'utf8')) as unknown;
    // The plan's records only: the log may also hold texts of earlier settings.
    const records = plan.map((item) => generations.get(item.key)).filter((r): r is GenerationRecord => r?.judge === options.judge.name);
    return { stage: 'skipped', output, records };
  }
  run.invalidateStage(stage);
  const resumed = plan.filter((item) => generations.get(item.key)?.judge === options.judge.name).length;
  log(`${stage}: ${plan.length} judged texts planned (${arms.length} arms × ${items.length} ${split} scenarios × 3 valences × emotions${resumed > 0 ? `; ${resumed} already in ${generationsFile}` : ''})`);
  // Loaded only when a text must be generated: a plan whose texts are all logged (e.g. after only
  // the twin changed) is re-summarised without loading, or re-quantising, the model.
  let loaded: LanguageModel | null = null;
  const model = options.model ?? (async () => (loaded ??= await LanguageModel.load(manifest.model.dir, { weights })));
  let records: GenerationRecord[];
  try {
    records = await generateAndJudge(plan, {
      model,
      resources: options.resources ?? loadArmResources(options.runDir),
      judge: options.judge,
      log: generations,
      batchSize: options.batchSize,
      signal: options.signal,
      onProgress: options.onProgress,
    });
  } finally {
    await (loaded as LanguageModel | null)?.dispose();
  }
  const report: EvaluationReport = {
    format: EVALUATION_FORMAT,
    judge: options.judge.name,
    decoding,
    bootstrap,
    testScenarios: items.length,
    split,
    definitions: EVALUATION_DEFINITIONS,
    arms: summarizeArms(records, bootstrap),
    ...(options.twin ? { twin: compareArmsWithTwin(records, options.twin.records, bootstrap, options.twin.dir) } : {}),
  };
  const output = options.finalize ? options.finalize(report) : report;
  writeJsonAtomic(run.path(outputFile), output);
  run.completeStage(stage, stageHash, [generationsFile, outputFile], { weights });
  return { stage: 'ran', output, records };
}
