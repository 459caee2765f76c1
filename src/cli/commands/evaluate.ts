/** `emotion-circuits evaluate` and `emotion-circuits sweep`: the control arms judged on the test split. */
import { createJudge } from '../../judge/createJudge.js';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import type { EvaluationReport } from '../../pipeline/evaluation/evaluationRun.js';
import { twinEvaluationText } from '../../pipeline/evaluation/evaluationTwin.js';
import { runEvaluationWithTwin } from '../../pipeline/twin/twinEvaluation.js';
import { accuracyTable } from '../../pipeline/evaluation/summary.js';
import { applySweepChoice, testSplitTuningWarnings, readSweep, runSweep, SWEEP_METHODS, type SweepMethod, type SweepSetting } from '../../pipeline/evaluation/sweep.js';
import { RUN_WEIGHTS_USAGE, WEIGHTS_FLAG, parseFlags, parseInteger, parseOptionalWeights, parseJudgeKind } from '../args.js';
import { ARM_FLAGS, ARM_FLAGS_USAGE, armFromFlags, decodingFlags, parseArmMethods, parseBand } from '../armFlags.js';

export const EVALUATE_USAGE = `emotion-circuits evaluate --run RUN_DIR [--judge builtin|openai] [--arms …] [--limit N] [--use-sweep] [--no-twin]
  [--lambda λ] [--alpha α] [--band 0.39-0.71] [--random-seeds 0,1,2] [--max-new-tokens 100] [--batch 16] [--weights stored|int8]
  Generates a reply for every arm × emotion × test scenario × valence (uninstructed prompts; the
  prompting arm uses the instructed one), judges it, and writes generations.jsonl (resumable: run the
  same command again after an interruption) and evaluation.json (accuracy with 95 % bootstrap
  intervals per arm, emotion, valence and emotion × valence; judge failures; fluency). --limit N keeps N
  test scenarios per theme; --use-sweep takes λ, α and the band chosen by \`sweep\`. On a run with a
  random-weight twin, the circuit arms (and the unsteered baseline) also run on the twin's own
  circuits and evaluation.json → twin says whether the model beats it (--no-twin: skip that).
${RUN_WEIGHTS_USAGE}
  Examples:
    emotion-circuits evaluate --run runs/my-run --limit 2
    emotion-circuits evaluate --run runs/my-run --judge openai --use-sweep
${ARM_FLAGS_USAGE}`;

export const SWEEP_USAGE = `emotion-circuits sweep --run RUN_DIR --method circuit|direction [--judge builtin|openai] [--limit 2]
  [--lambdas 0.25,0.5,1,1.5,2,3] [--alphas 2,4,8,12,16] [--bands 0.39-0.71,0.2-0.5,0.5-0.8] [--max-perplexity-ratio 2]
  [--target 0.9] [--split train|test] [--weights stored|int8]
  Evaluates circuit modulation over λ, or direction steering over α × depth band, against the unsteered
  reference on a subset of the train split (--limit scenarios per theme; the evaluation's test split
  never tunes its own settings), and writes sweep.json with accuracy and fluency per setting, the
  accuracy–fluency Pareto front, the chosen setting, and per emotion the lowest-perplexity setting
  whose accuracy on it reaches --target. \`evaluate --use-sweep\` uses both.
${RUN_WEIGHTS_USAGE}
  Examples:
    emotion-circuits sweep --run runs/my-run --method circuit --lambdas 0.5,1,2
    emotion-circuits sweep --run runs/my-run --method direction --alphas 4,8,12 --bands 0.39-0.71,0.5-0.8`;

const COMMON_FLAGS = {
  run: { type: 'string' },
  judge: { type: 'string', default: 'builtin' },
  limit: { type: 'string' },
  'max-new-tokens': { type: 'string' },
  'min-new-tokens': { type: 'string' },
  batch: { type: 'string' },
  quiet: { type: 'boolean', default: false },
  ...WEIGHTS_FLAG,
} as const;

function numberList(command: string, name: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((part) => {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${command}: --${name} expects comma-separated numbers, got ${JSON.stringify(value)}`);
    return n;
  });
}

/** Ctrl-C stops between generation steps; what was appended stays, and the same command resumes. */
function interruptible(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = (): void => controller.abort(new EmotionCircuitsError('RUN', 'interrupted; run the same command again to resume'));
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, release: () => process.off('SIGINT', onSigint) };
}

function progressLine(label: string): (done: number, total: number) => void {
  let lastStep = -1;
  return (done, total) => {
    const step = Math.floor((10 * done) / Math.max(1, total));
    if (step === lastStep) return;
    lastStep = step;
    process.stderr.write(`${label} ${done}/${total} judged texts (${Math.round((100 * done) / Math.max(1, total))}%)\n`);
  };
}

/** Judge, subset, decoding, batch size and progress output from the flags both commands share. */
function commonOptions(command: 'evaluate' | 'sweep', values: { judge: string; limit?: string; batch?: string; quiet: boolean; 'max-new-tokens'?: string; 'min-new-tokens'?: string; weights?: string }) {
  return {
    weights: parseOptionalWeights(command, values.weights),
    judge: createJudge(parseJudgeKind(command, 'judge', values.judge)),
    limit: parseInteger(command, 'limit', values.limit),
    decoding: decodingFlags(command, values),
    batchSize: parseInteger(command, 'batch', values.batch),
    onProgress: values.quiet ? undefined : progressLine(command),
    log: values.quiet ? undefined : (line: string) => void process.stderr.write(`${line}\n`),
  };
}

export async function runEvaluateCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('evaluate', argv, { ...COMMON_FLAGS, ...ARM_FLAGS, 'use-sweep': { type: 'boolean', default: false }, 'no-twin': { type: 'boolean', default: false } });
  if (!values.run) throw new UsageError(`evaluate: --run RUN_DIR is required\n${EVALUATE_USAGE}`);
  let arms = parseArmMethods('evaluate', values.arms).map((method) => armFromFlags('evaluate', method, values));
  if (values['use-sweep']) {
    const sweep = readSweep(values.run);
    if (!sweep) throw new UsageError(`evaluate: --use-sweep needs sweep.json in ${values.run}: run \`emotion-circuits sweep\` first`);
    arms = applySweepChoice(arms, sweep);
    for (const warning of testSplitTuningWarnings(sweep)) process.stderr.write(`evaluate --use-sweep: ${warning}\n`);
  }
  const { signal, release } = interruptible();
  try {
    const { evaluation: result } = await runEvaluationWithTwin({
      runDir: values.run,
      ...commonOptions('evaluate', values),
      arms,
      twin: values['no-twin'] ? false : undefined,
      signal,
    });
    const report = result.output as EvaluationReport;
    process.stdout.write(`evaluation (${result.stage}; judge ${report.judge}; ${report.testScenarios} test scenarios; accuracy % with 95 % interval)\n`);
    process.stdout.write(accuracyTable(report.arms) + '\n');
    if (report.twin) process.stdout.write(twinEvaluationText(report.twin) + '\n');
  } finally {
    release();
  }
}

function settingLabel(setting: SweepSetting): string {
  return 'lambda' in setting ? `λ ${setting.lambda}` : `α ${setting.alpha} band ${setting.band.from}-${setting.band.to}`;
}

export async function runSweepCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('sweep', argv, {
    ...COMMON_FLAGS,
    method: { type: 'string' },
    lambdas: { type: 'string' },
    alphas: { type: 'string' },
    bands: { type: 'string' },
    'max-perplexity-ratio': { type: 'string' },
    target: { type: 'string' },
    split: { type: 'string' },
  });
  if (!values.run || !values.method) throw new UsageError(`sweep: --run and --method are required\n${SWEEP_USAGE}`);
  if (!(SWEEP_METHODS as readonly string[]).includes(values.method)) throw new UsageError(`sweep: --method must be circuit or direction, got ${JSON.stringify(values.method)}`);
  const ratio = numberList('sweep', 'max-perplexity-ratio', values['max-perplexity-ratio'])?.[0];
  const target = numberList('sweep', 'target', values.target)?.[0];
  if (values.split !== undefined && values.split !== 'train' && values.split !== 'test') throw new UsageError(`sweep: --split must be train or test, got ${JSON.stringify(values.split)}`);
  const { signal, release } = interruptible();
  try {
    const { stage, section } = await runSweep({
      runDir: values.run,
      ...commonOptions('sweep', values),
      method: values.method as SweepMethod,
      lambdas: numberList('sweep', 'lambdas', values.lambdas),
      alphas: numberList('sweep', 'alphas', values.alphas),
      bands: values.bands?.split(',').map((b) => parseBand('sweep', b)!),
      maxPerplexityRatio: ratio,
      target,
      split: values.split as 'train' | 'test' | undefined,
      signal,
    });
    const pct = (x: number): string => (100 * x).toFixed(1);
    process.stdout.write(`sweep ${section.method} (${stage}; judge ${section.judge}; ${section.testScenarios} ${section.split ?? 'test'} scenarios)\n`);
    process.stdout.write(`| setting | accuracy % [95 % CI] | perplexity | distinct-2 | front |\n|---|---|---|---|---|\n`);
    process.stdout.write(`| ${section.reference.arm} (reference) | ${pct(section.reference.accuracy.rate)} [${pct(section.reference.accuracy.low)}, ${pct(section.reference.accuracy.high)}] | ${section.reference.fluency.perplexity?.toFixed(2) ?? '—'} | ${section.reference.fluency.distinct2?.toFixed(3) ?? '—'} | |\n`);
    for (const row of section.settings) {
      process.stdout.write(`| ${row.arm} | ${pct(row.accuracy.rate)} [${pct(row.accuracy.low)}, ${pct(row.accuracy.high)}] | ${row.fluency.perplexity?.toFixed(2) ?? '—'} | ${row.fluency.distinct2?.toFixed(3) ?? '—'} | ${row.onFront ? '●' : ''} |\n`);
    }
    process.stdout.write(`chosen: ${section.chosen ? section.chosen.arm : 'none'}\n`);
    const perEmotion = Object.entries(section.chosenPerEmotion ?? {}).map(([emotion, c]) => `${emotion} ${settingLabel(c!.setting)} (${pct(c!.accuracy)} %${c!.reachesTarget ? '' : ', below target'})`);
    if (perEmotion.length > 0) process.stdout.write(`per emotion: ${perEmotion.join('; ')}\n`);
  } finally {
    release();
  }
}
