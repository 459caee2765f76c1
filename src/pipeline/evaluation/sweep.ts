/**
 * Strength sweeps on a subset of the train split (so the evaluation's test split never tunes its own
 * settings): circuit modulation over λ, direction steering over α and the depth band, each against
 * the unsteered reference. `sweep.json` holds, per method, accuracy and fluency per setting, the
 * accuracy–fluency Pareto front, the chosen setting, and a chosen setting per emotion: the
 * least-perplexity setting that reaches the target accuracy on that emotion (`evaluate --use-sweep`
 * reads both). Texts go to `sweep_generations.jsonl` (resumable).
 *
 * @example
 * const result = await runSweep({ runDir: 'runs/my-run', judge: createJudge('builtin'), method: 'direction' });
 * console.log(result.section.chosen);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import { EMOTIONS, type Emotion } from '../../emotions.js';
import type { ArmSpec, PerEmotion } from '../control/arms.js';
import type { SevSplit } from '../stimuli/sev.js';
import { DEFAULT_STEERING_BAND, type DepthBand } from '../control/directionSteering.js';
import { runEvaluation, type EvaluationReport, type EvaluationRunOptions } from './evaluationRun.js';
import { chooseSetting, paretoFront } from './pareto.js';
import type { RateInterval } from './bootstrap.js';
import type { FluencySummary } from './fluency.js';

export const SWEEP_FILE = 'sweep.json';
export const SWEEP_GENERATIONS_FILE = 'sweep_generations.jsonl';
export const SWEEP_METHODS = ['circuit', 'direction'] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

/** Scenarios per theme a sweep uses unless told otherwise (a subset of its split). */
export const DEFAULT_SWEEP_LIMIT = 2;
/** Accuracy on an emotion a per-emotion choice must reach unless told otherwise. */
export const DEFAULT_SWEEP_TARGET = 0.9;
export const DEFAULT_LAMBDAS: readonly number[] = [0.25, 0.5, 1, 1.5, 2, 3];
export const DEFAULT_ALPHAS: readonly number[] = [2, 4, 8, 12, 16];
export const DEFAULT_BANDS: readonly DepthBand[] = [DEFAULT_STEERING_BAND, { from: 0.2, to: 0.5 }, { from: 0.5, to: 0.8 }];

export type SweepSetting = { readonly lambda: number } | { readonly alpha: number; readonly band: DepthBand };

export interface SweepRow {
  readonly arm: string;
  readonly setting: SweepSetting;
  readonly accuracy: RateInterval;
  readonly byEmotion: Record<string, RateInterval>;
  readonly judgeFailures: number;
  readonly fluency: FluencySummary;
  readonly onFront: boolean;
}

export interface SweepSection {
  readonly method: SweepMethod;
  readonly judge: string;
  readonly testScenarios: number;
  readonly reference: { readonly arm: string; readonly accuracy: RateInterval; readonly fluency: FluencySummary };
  readonly settings: SweepRow[];
  readonly chosen: { readonly arm: string; readonly setting: SweepSetting } | null;
  readonly rule: string;
  /** The split the sweep generated from (older sweep files: the test split). */
  readonly split?: SevSplit;
  /** Per emotion: the setting of the per-emotion rule, with its accuracy on that emotion. */
  readonly chosenPerEmotion?: Partial<Record<Emotion, { readonly setting: SweepSetting; readonly accuracy: number; readonly reachesTarget: boolean }>>;
  readonly perEmotionRule?: string;
}

export interface SweepFile {
  readonly format: 'emotion-circuits/sweep@1';
  readonly methods: Partial<Record<SweepMethod, SweepSection>>;
}

export interface SweepOptions extends Omit<EvaluationRunOptions, 'arms' | 'stage' | 'generationsFile' | 'outputFile' | 'finalize'> {
  readonly method: SweepMethod;
  readonly lambdas?: readonly number[];
  readonly alphas?: readonly number[];
  readonly bands?: readonly DepthBand[];
  /** The chosen setting's perplexity may be at most this multiple of the unsteered one. Default 2. */
  readonly maxPerplexityRatio?: number;
  /** Accuracy a per-emotion choice must reach (default {@link DEFAULT_SWEEP_TARGET}). */
  readonly target?: number;
}

/** The swept arms with their settings, in order. */
export function sweepArms(options: Pick<SweepOptions, 'method' | 'lambdas' | 'alphas' | 'bands'>): Array<{ arm: ArmSpec; setting: SweepSetting }> {
  if (options.method === 'circuit') {
    const lambdas = options.lambdas ?? DEFAULT_LAMBDAS;
    if (lambdas.length === 0 || lambdas.some((l) => !Number.isFinite(l))) throw new UsageError('sweep: --lambdas must be finite numbers');
    return lambdas.map((lambda) => ({ arm: { method: 'circuit', lambda }, setting: { lambda } }));
  }
  const alphas = options.alphas ?? DEFAULT_ALPHAS;
  const bands = options.bands ?? DEFAULT_BANDS;
  if (alphas.length === 0 || alphas.some((a) => !Number.isFinite(a))) throw new UsageError('sweep: --alphas must be finite numbers');
  if (bands.length === 0) throw new UsageError('sweep: at least one band is needed');
  return bands.flatMap((band) => alphas.map((alpha) => ({ arm: { method: 'direction', alpha, band } as ArmSpec, setting: { alpha, band } })));
}

/**
 * Per emotion, among the settings whose accuracy on that emotion reaches `target`, the one with the
 * lowest perplexity (ties: the earlier setting); if none reaches it, the most accurate on that
 * emotion (ties: lower perplexity, then the earlier setting).
 */
export function choosePerEmotion(rows: ReadonlyArray<{ readonly byEmotion: Record<string, RateInterval>; readonly perplexity: number | null }>, target: number): Partial<Record<Emotion, { index: number; accuracy: number; reachesTarget: boolean }>> {
  const chosen: Partial<Record<Emotion, { index: number; accuracy: number; reachesTarget: boolean }>> = {};
  const ppl = (i: number): number => rows[i].perplexity ?? Infinity;
  for (const emotion of EMOTIONS) {
    const candidates = rows.map((row, index) => ({ index, accuracy: row.byEmotion[emotion]?.rate })).filter((c): c is { index: number; accuracy: number } => typeof c.accuracy === 'number');
    if (candidates.length === 0) continue;
    const reaching = candidates.filter((c) => c.accuracy >= target);
    const best = reaching.length > 0
      ? reaching.reduce((a, b) => (ppl(b.index) < ppl(a.index) ? b : a))
      : candidates.reduce((a, b) => (b.accuracy > a.accuracy || (b.accuracy === a.accuracy && ppl(b.index) < ppl(a.index)) ? b : a));
    chosen[emotion] = { ...best, reachesTarget: reaching.length > 0 };
  }
  return chosen;
}

/** The sweep table of one method from an evaluation report of [unsteered, ...swept] arms. */
export function sweepSection(method: SweepMethod, report: EvaluationReport, settings: readonly SweepSetting[], maxPerplexityRatio: number, target: number = DEFAULT_SWEEP_TARGET): SweepSection {
  const [reference, ...swept] = report.arms;
  const points = swept.map((a) => ({ accuracy: a.accuracy.overall.rate, perplexity: a.fluency.perplexity }));
  const front = paretoFront(points);
  const limit = reference.fluency.perplexity === null ? Infinity : maxPerplexityRatio * reference.fluency.perplexity;
  const chosen = chooseSetting(points, limit);
  const perEmotion = choosePerEmotion(swept.map((a) => ({ byEmotion: a.accuracy.byEmotion, perplexity: a.fluency.perplexity })), target);
  return {
    method,
    judge: report.judge,
    testScenarios: report.testScenarios,
    reference: { arm: reference.arm, accuracy: reference.accuracy.overall, fluency: reference.fluency },
    settings: swept.map((a, i) => ({
      arm: a.arm,
      setting: settings[i],
      accuracy: a.accuracy.overall,
      byEmotion: a.accuracy.byEmotion,
      judgeFailures: a.judgeFailures,
      fluency: a.fluency,
      onFront: front[i],
    })),
    chosen: chosen === null ? null : { arm: swept[chosen].arm, setting: settings[chosen] },
    rule: `front = no other setting has higher-or-equal accuracy and lower-or-equal perplexity (one strictly); chosen = the most accurate front setting with perplexity ≤ ${maxPerplexityRatio} × unsteered, else the front setting with the lowest perplexity`,
    split: report.split,
    chosenPerEmotion: Object.fromEntries(Object.entries(perEmotion).map(([emotion, c]) => [emotion, { setting: settings[c.index], accuracy: c.accuracy, reachesTarget: c.reachesTarget }])),
    perEmotionRule: `per emotion: the lowest-perplexity setting whose accuracy on that emotion is ≥ ${target}, else the most accurate on it`,
  };
}

export function readSweep(runDir: string): SweepFile | null {
  const file = path.join(runDir, SWEEP_FILE);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SweepFile;
  } catch (error) {
    throw new EmotionCircuitsError('RUN', `not valid JSON (${(error as Error).message})`, file);
  }
}

export async function runSweep(options: SweepOptions): Promise<{ stage: 'ran' | 'skipped'; section: SweepSection }> {
  const swept = sweepArms(options);
  const maxPerplexityRatio = options.maxPerplexityRatio ?? 2;
  const target = options.target ?? DEFAULT_SWEEP_TARGET;
  if (!(target > 0 && target <= 1)) throw new UsageError(`sweep: the target accuracy must be in (0, 1], got ${target}`);
  const previous = readSweep(options.runDir);
  const result = await runEvaluation({
    ...options,
    split: options.split ?? 'train',
    limit: options.limit ?? DEFAULT_SWEEP_LIMIT,
    arms: [{ method: 'none' }, ...swept.map((s) => s.arm)],
    stage: `sweep.${options.method}`,
    generationsFile: SWEEP_GENERATIONS_FILE,
    outputFile: SWEEP_FILE,
    finalize: (report): SweepFile => ({
      format: 'emotion-circuits/sweep@1',
      methods: { ...previous?.methods, [options.method]: sweepSection(options.method, report, swept.map((s) => s.setting), maxPerplexityRatio, target) },
    }),
  });
  const section = (result.output as SweepFile).methods[options.method];
  if (!section) throw new EmotionCircuitsError('RUN', `holds no ${options.method} sweep`, path.join(options.runDir, SWEEP_FILE));
  return { stage: result.stage, section };
}

/** The per-emotion choices of a sweep section, mapped to what an arm holds. */
function perEmotionSettings<T>(section: SweepSection | undefined, pick: (setting: SweepSetting) => T | null): PerEmotion<T> | undefined {
  if (!section?.chosenPerEmotion) return undefined;
  const entries = Object.entries(section.chosenPerEmotion).map(([emotion, c]) => [emotion, c ? pick(c.setting) : null] as const).filter(([, v]) => v !== null);
  return entries.length > 0 ? (Object.fromEntries(entries) as PerEmotion<T>) : undefined;
}

/**
 * One line per swept method whose choice was tuned on the test split (`sweep --split test`, or a
 * sweep file from before splits were recorded): applying it lets the test split tune its own
 * setting, so the evaluation of that method is no longer held out.
 */
export function testSplitTuningWarnings(sweep: SweepFile): string[] {
  return Object.entries(sweep.methods)
    .filter(([, section]) => section && (section.split ?? 'test') !== 'train')
    .map(([method]) => `${method}: the sweep chose its setting on the test split, so the test results of the ${method} arm are not held out (sweep --split train avoids this)`);
}

/**
 * The arms of `evaluate --use-sweep`: each swept method's arm takes the chosen setting and, where
 * the sweep has them, the per-emotion choices (random circuits take the circuit's λ per emotion).
 */
export function applySweepChoice(arms: readonly ArmSpec[], sweep: SweepFile): ArmSpec[] {
  const circuit = sweep.methods.circuit?.chosen?.setting;
  const direction = sweep.methods.direction?.chosen?.setting;
  const lambdas = perEmotionSettings(sweep.methods.circuit, (s) => ('lambda' in s ? s.lambda : null));
  const steering = perEmotionSettings(sweep.methods.direction, (s) => ('alpha' in s ? { alpha: s.alpha, band: s.band } : null));
  return arms.map((arm) => {
    if ((arm.method === 'circuit' || arm.method === 'random') && circuit && 'lambda' in circuit) return { ...arm, lambda: circuit.lambda, ...(lambdas ? { perEmotion: lambdas } : {}) };
    if (arm.method === 'direction' && direction && 'alpha' in direction) return { ...arm, alpha: direction.alpha, band: direction.band, ...(steering ? { perEmotion: steering } : {}) };
    return arm;
  });
}
