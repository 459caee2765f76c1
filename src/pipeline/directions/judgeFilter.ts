/**
 * The judge filter (DESIGN.md §3 steps 1–2, as the paper did): each instructed train prompt's reply
 * is generated with the shared decoding (control/decoding.ts) as ragged batches, judged against its
 * instructed emotion, and only the accepted samples feed the directions and every later stage.
 *
 * Files in the run folder:
 * - `judge_filter.jsonl`: one record per instructed train prompt (store row, emotion, valence,
 *   text, verdict), appended batch by batch, so an interrupted filter resumes;
 * - `judge_filter.json`: the judge, the decoding, the accepted store rows and the accepted share
 *   per emotion × valence. A failed judgement (match = null) counts as a rejection and is counted.
 *
 * @example
 * const filter = await runJudgeFilter(run, prompts, modelDir, judge, { maxNewTokens: 40 });
 * const rows = labelledRows(store, 'train', 'resid_post', filter.accepted);
 */
import * as fs from 'node:fs';
import { EmotionCircuitsError } from '../../errors.js';
import { EMOTIONS, VALENCES, type Emotion, type Valence } from '../../emotions.js';
import type { EmotionJudge, JudgeVerdict } from '../../judge/judge.js';
import { LanguageModel } from '../../model/languageModel.js';
import type { WeightsMode } from '../../model/weights.js';
import type { PreparedPrompt } from '../collection/collect.js';
import { generationOptions, resolveDecoding, type DecodingSettings } from '../control/decoding.js';
import { JsonlLog } from '../evaluation/generationsLog.js';
import { hashJson, writeJsonAtomic } from '../run/atomicWrite.js';
import type { Manifest, RunFolder } from '../run/runStore.js';
import { weightsHashPart } from '../run/weightsMode.js';

export const JUDGE_FILTER_LOG = 'judge_filter.jsonl';
export const JUDGE_FILTER_FILE = 'judge_filter.json';
export const JUDGE_FILTER_FORMAT = 'emotion-circuits/judge-filter@1';
/** The manifest stage of the filter. */
export const JUDGE_FILTER_STAGE = 'judgeFilter';

export interface JudgeFilterRecord {
  /** `{row}|{judge}|{decoding hash}`: a record is reused only for the same judge and decoding. */
  key: string;
  row: number;
  skeletonId: string;
  emotion: Emotion;
  valence: Valence;
  text: string;
  newTokens: number;
  judge: string;
  verdict: JudgeVerdict;
}

/** Accepted / total instructed train replies of one emotion × valence cell. */
export interface AcceptedShare {
  accepted: number;
  total: number;
  share: number;
}

export interface JudgeFilterSummary {
  format: typeof JUDGE_FILTER_FORMAT;
  judge: string;
  decoding: DecodingSettings;
  definition: string;
  /** Verdicts with match = null (counted as rejections). */
  failures: number;
  /** shares[emotion][valence], plus `all` per emotion. */
  shares: Record<Emotion, Record<Valence | 'all', AcceptedShare>>;
  /** Store rows whose reply was accepted, ascending. */
  acceptedRows: number[];
}

export interface JudgeFilterResult {
  summary: JudgeFilterSummary;
  accepted: ReadonlySet<number>;
  /** The filter stage's inputs hash (part of the directions' inputs). */
  inputsHash: string;
  stage: 'ran' | 'skipped';
}

export interface JudgeFilterOptions {
  /** New tokens per reply (a shorter filter for quick runs). Default: the shared decoding's 100. */
  readonly maxNewTokens?: number;
  /** Sequences per generation batch. Default 16. */
  readonly batchSize?: number;
  /** Hash of the collected prompts and model (the filter reruns when they change). */
  readonly promptsHash: string;
  /** Weights the replies are generated with (default 'stored'). */
  readonly weights?: WeightsMode;
  readonly log?: (line: string) => void;
}

function share(accepted: number, total: number): AcceptedShare {
  return { accepted, total, share: total > 0 ? accepted / total : 0 };
}

/** The summary of a complete set of records (one per instructed train prompt). */
export function summarizeJudgeFilter(records: readonly JudgeFilterRecord[], judge: string, decoding: DecodingSettings): JudgeFilterSummary {
  const shares = {} as JudgeFilterSummary['shares'];
  for (const emotion of EMOTIONS) {
    const mine = records.filter((r) => r.emotion === emotion);
    const cells = Object.fromEntries(VALENCES.map((valence) => {
      const cell = mine.filter((r) => r.valence === valence);
      return [valence, share(cell.filter((r) => r.verdict.match === true).length, cell.length)];
    })) as Record<Valence, AcceptedShare>;
    shares[emotion] = { ...cells, all: share(mine.filter((r) => r.verdict.match === true).length, mine.length) };
  }
  return {
    format: JUDGE_FILTER_FORMAT,
    judge,
    decoding,
    definition: 'each instructed train prompt is answered with the shared decoding and judged against its instructed emotion; only accepted replies (match = true) feed the directions, rankings, difference vectors and sublayer influence; a failed judgement counts as rejected',
    failures: records.filter((r) => r.verdict.match === null).length,
    shares,
    acceptedRows: records.filter((r) => r.verdict.match === true).map((r) => r.row).sort((a, b) => a - b),
  };
}

/** Throws a typed error naming the first emotion of which no reply was accepted. */
export function checkEveryEmotionAccepted(summary: JudgeFilterSummary, where: string): void {
  const none = EMOTIONS.find((emotion) => summary.shares[emotion].all.accepted === 0);
  if (none) {
    throw new EmotionCircuitsError('RUN', `the judge filter (${summary.judge}) accepted no ${none} reply of the ${summary.shares[none].all.total} instructed train prompts; directions need at least one per emotion (use more scenarios, another judge, or no filter)`, where);
  }
}

/**
 * Generates, judges (resuming from `judge_filter.jsonl`) and summarises the instructed train
 * prompts' replies; skipped when the stage's inputs are unchanged.
 */
export async function runJudgeFilter(run: RunFolder, prompts: readonly PreparedPrompt[], modelDir: string, judge: EmotionJudge, options: JudgeFilterOptions): Promise<JudgeFilterResult> {
  const log = options.log ?? (() => {});
  const decoding = resolveDecoding(options.maxNewTokens === undefined ? {} : { maxNewTokens: options.maxNewTokens, minNewTokens: Math.min(10, options.maxNewTokens) });
  const batchSize = options.batchSize ?? 16;
  const weights = options.weights ?? 'stored';
  // Replies journalled under another weights mode are not reused ('stored' keeps older keys).
  const decodingHash = hashJson(weights === 'stored' ? decoding : { decoding, ...weightsHashPart(weights) });
  const inputsHash = hashJson({ stage: 'judge-filter@1', prompts: options.promptsHash, judge: judge.name, decoding });
  const finish = (summary: JudgeFilterSummary, stage: 'ran' | 'skipped'): JudgeFilterResult => {
    checkEveryEmotionAccepted(summary, run.path(JUDGE_FILTER_FILE));
    return { summary, accepted: new Set(summary.acceptedRows), inputsHash, stage };
  };
  if (run.isStageDone(JUDGE_FILTER_STAGE, inputsHash)) return finish(readJudgeFilter(run.dir), 'skipped');
  run.invalidateStage(JUDGE_FILTER_STAGE);

  const train = prompts.filter((p) => p.sample.split === 'train' && p.sample.kind === 'instructed');
  const keyOf = (p: PreparedPrompt): string => `${p.sample.row}|${judge.name}|${decodingHash}`;
  const journal = JsonlLog.open<JudgeFilterRecord>(run.path(JUDGE_FILTER_LOG));
  const pending = train.filter((p) => !journal.get(keyOf(p)));
  log(`judge filter (${judge.name}): ${train.length - pending.length} of ${train.length} instructed train replies already judged`);
  if (pending.length > 0) {
    const model = await LanguageModel.load(modelDir, { weights });
    try {
      for (let start = 0; start < pending.length; start += batchSize) {
        const batch = pending.slice(start, start + batchSize);
        const generations = await model.generateAsync(batch.map((p) => p.ids), generationOptions(decoding));
        const texts = generations.map((g) => model.decode(g.ids));
        const verdicts = await judge.judge(batch.map((p, i) => ({ text: texts[i], target: p.sample.emotion! })));
        journal.append(batch.map((p, i) => ({
          key: keyOf(p), row: p.sample.row, skeletonId: p.sample.skeletonId, emotion: p.sample.emotion!, valence: p.sample.valence,
          text: texts[i], newTokens: generations[i].ids.length, judge: judge.name, verdict: verdicts[i],
        })));
        log(`judge filter: ${Math.min(start + batchSize, pending.length)}/${pending.length} replies generated and judged`);
      }
    } finally {
      await model.dispose();
    }
  }
  const summary = summarizeJudgeFilter(train.map((p) => journal.get(keyOf(p))!), judge.name, decoding);
  writeJsonAtomic(run.path(JUDGE_FILTER_FILE), summary);
  run.completeStage(JUDGE_FILTER_STAGE, inputsHash, [JUDGE_FILTER_FILE, JUDGE_FILTER_LOG], { weights });
  return finish(summary, 'ran');
}

/** Reads `judge_filter.json` of a run. */
export function readJudgeFilter(runDir: string): JudgeFilterSummary {
  const file = `${runDir}/${JUDGE_FILTER_FILE}`;
  if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', 'the run says a judge filter ran but judge_filter.json is missing; re-run `directions`', file);
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as JudgeFilterSummary;
  if (json.format !== JUDGE_FILTER_FORMAT || !Array.isArray(json.acceptedRows)) throw new EmotionCircuitsError('RUN', `expected format ${JUDGE_FILTER_FORMAT} with acceptedRows`, file);
  return json;
}

/**
 * The judge filter later stages must honour: the accepted store rows and the filter's inputs hash,
 * or null when the run's last `directions` ran without a filter.
 */
export function runJudgeFilterRows(manifest: Manifest, runDir: string): { accepted: ReadonlySet<number>; inputsHash: string } | null {
  if (!manifest.settings.judgeFilter) return null;
  const record = manifest.stages[JUDGE_FILTER_STAGE];
  if (!record) throw new EmotionCircuitsError('RUN', 'the run was set up with a judge filter that never finished; re-run `directions`', runDir);
  return { accepted: new Set(readJudgeFilter(runDir).acceptedRows), inputsHash: record.inputsHash };
}
