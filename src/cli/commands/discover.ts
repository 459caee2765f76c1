/**
 * `emotion-circuits discover` (and `start`, the main job): every stage of the method on one model,
 * from activation collection to the evaluation of the control arms, skipping finished stages.
 */
import { join } from 'node:path';
import { createJudge } from '../../judge/createJudge.js';
import { UsageError } from '../../errors.js';
import { modelFolderName } from '../../model/hub.js';
import { runDiscover } from '../../pipeline/discover/discover.js';
import { accuracyTable } from '../../pipeline/evaluation/summary.js';
import { twinEvaluationText } from '../../pipeline/evaluation/evaluationTwin.js';
import { writeReport } from '../../report/report.js';
import { DEFAULT_MODEL_TUNING, defaultModelDataset } from '../../organism/defaultModel.js';
import { WEIGHTS_FLAG, parseFlags, parseInteger, parseWeights, resolveModelChoice, twinFlag, parseJudgeKind, parseIntegerList } from '../args.js';
import { ARM_FLAGS, ARM_FLAGS_USAGE, armFromFlags, decodingFlags, parseArmMethods } from '../armFlags.js';
import { CIRCUIT_FLAG_USAGE, parseCircuitFlag } from '../circuitFlags.js';
import { progressReporter } from '../progress.js';
import { judgeFilterFlag } from './directions.js';

export const DISCOVER_USAGE = `emotion-circuits discover --model DIR --out RUN_DIR [--dataset sev|FILE] [--limit N] [--judge builtin|openai]
  [--max-new-tokens 100] [--samples 24] [--ks 1,2,4,8,16,32] [--twin|--no-twin] [--judge-filter builtin|openai]
  [--weights stored|int8] [--circuit KEY=VALUE,…] [--tune|--no-tune] [--twin-limit N] [arm flags]
  Runs every stage into RUN_DIR: activation collection, directions and consistency, emotion neurons
  and heads with validation, sublayer influence, circuits, and the evaluation of the control arms
  (generations.jsonl, evaluation.json), then writes RUN_DIR/report.html. Finished stages are
  skipped, interrupted ones resume. --twin / --no-twin: also run the discovery stages on a
  random-weight twin of the model — directions, component rankings, and circuit modulation (the
  twin's own circuits; circuit and unsteered arms, on --twin-limit test scenarios per theme, default
  all) — and say where the model does not beat it (default: on for models up to 50M parameters; it
  doubles the collection).
  --limit N keeps N scenarios per theme in each split (a quick run). --judge-filter builtin|openai
  (off by default): directions and every later stage from the instructed train replies the judge
  accepted (see \`directions --help\`). --tune (default off; on for \`start\` on the embedded organism):
  before the evaluation, sweep circuit λ and direction α on one train scenario per theme and evaluate
  with the sweep's choices, per emotion (\`sweep --help\`); the test split never tunes itself. --weights int8: every stage runs
  the model with int8 weights (quantised at load time: faster on large models, slightly different
  activations; recorded in manifest.json; default stored, the checkpoint's dtype).
  Examples:
    emotion-circuits discover --model path/to/hf-folder --out runs/my-run --limit 2
    emotion-circuits discover --model Qwen/Qwen2.5-1.5B-Instruct --out runs/qwen --judge openai
    emotion-circuits discover --model path/to/hf-folder --out runs/paper --circuit max-kind-share=1,lambda.anger=0.8
${CIRCUIT_FLAG_USAGE}
${ARM_FLAGS_USAGE}`;

export const START_USAGE = `emotion-circuits start [--model DIR] [--out RUN_DIR] [--dataset sev|FILE] [--limit N] [--judge builtin|openai] [--twin|--no-twin] [--judge-filter builtin|openai] [--tune|--no-tune] [--twin-limit N] [--weights stored|int8]
  The main job: \`discover\` on the model into RUN_DIR (default runs/<model folder name>), then
  RUN_DIR/report.html. The model: --model, else $EMOTION_CIRCUITS_MODEL, else the embedded emotion
  model organism (models/organism), which is evaluated on its held-out SEV sets (data/organism-sev)
  with a lighter validation (k ≤ 8, 2 random draws, 12 prompts per emotion), two random-circuit
  draws, the twin's circuit arm on 2 scenarios per theme, and the strengths tuned on its train
  split (--tune) unless flags say otherwise.
  Examples:
    emotion-circuits start
    emotion-circuits start --model path/to/hf-folder --limit 2
    EMOTION_CIRCUITS_MODEL=Qwen/Qwen2.5-1.5B-Instruct emotion-circuits start`;

const FLAGS = {
  model: { type: 'string' },
  out: { type: 'string' },
  dataset: { type: 'string' },
  limit: { type: 'string' },
  judge: { type: 'string', default: 'builtin' },
  'max-new-tokens': { type: 'string' },
  samples: { type: 'string' },
  ks: { type: 'string' },
  twin: { type: 'boolean' },
  'no-twin': { type: 'boolean' },
  'judge-filter': { type: 'string' },
  circuit: { type: 'string' },
  tune: { type: 'boolean' },
  'no-tune': { type: 'boolean' },
  'twin-limit': { type: 'string' },
  ...WEIGHTS_FLAG,
  ...ARM_FLAGS,
} as const;

/** --tune / --no-tune: the organism's tuning grid when on (the default for the embedded organism), else off. */
function tuneFlag(command: string, tune: boolean | undefined, noTune: boolean | undefined, defaultModel: boolean): typeof DEFAULT_MODEL_TUNING | undefined {
  if (tune && noTune) throw new UsageError(`${command}: --tune and --no-tune contradict each other`);
  return (tune ?? (noTune ? false : defaultModel)) ? DEFAULT_MODEL_TUNING : undefined;
}

async function discover(command: 'discover' | 'start', argv: string[]): Promise<void> {
  const { values } = parseFlags(command, argv, FLAGS);
  const twin = twinFlag(command, values.twin, values['no-twin']);
  const { dir: modelDir, source } = await resolveModelChoice(command, values.model);
  // The embedded organism is evaluated on its own held-out SEV sets unless a dataset is given.
  const dataset = values.dataset ?? (source === 'default' ? defaultModelDataset() : 'sev');
  if (command === 'discover' && !values.out) throw new UsageError(`discover: --out RUN_DIR is required\n${DISCOVER_USAGE}`);
  const out = values.out ?? join('runs', modelFolderName(modelDir));
  const judgeKind = parseJudgeKind(command, 'judge', values.judge);
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`emotion-circuits ${command}: model ${modelDir} → run folder ${out}`);
  const ks = parseIntegerList(command, 'ks', values.ks);
  const result = await runDiscover({
    model: modelDir,
    out,
    dataset,
    limit: parseInteger(command, 'limit', values.limit),
    twin,
    judgeFilter: judgeFilterFlag(command, values['judge-filter']),
    weights: parseWeights(command, values.weights),
    judge: createJudge(judgeKind),
    circuits: parseCircuitFlag(command, values.circuit),
    tune: tuneFlag(command, values.tune, values['no-tune'], source === 'default'),
    // On the embedded organism, a lighter validation (k ≤ 8, 2 random draws, 12 held-out prompts per
    // emotion) keeps `npm start` within minutes; flags override it.
    components: source === 'default'
      ? { samples: parseInteger(command, 'samples', values.samples) ?? 12, ks: ks ?? [1, 2, 4, 8], seeds: 2 }
      : { samples: parseInteger(command, 'samples', values.samples), ks },
    // On the organism: two random-circuit draws, and the twin's circuit arm on 2 scenarios per theme.
    evaluation: {
      arms: parseArmMethods(command, values.arms).map((method) => armFromFlags(command, method, source === 'default' ? { 'random-seeds': '0,1', ...values } : values)),
      decoding: decodingFlags(command, values),
    },
    twinLimit: parseInteger(command, 'twin-limit', values['twin-limit']) ?? (source === 'default' ? 2 : undefined),
    onCollectProgress: progressReporter('collect'),
    log,
  });
  for (const site of ['attn', 'mlp'] as const) {
    const best = result.directions.consistency.sites[site].accuracy.best;
    log(`directions (${site} site): best held-out accuracy ${best.groupCentred.toFixed(3)} at layer ${best.layer} (permuted labels ${best.permutation.toFixed(3)}, chance ${best.chance.toFixed(3)})`);
  }
  process.stdout.write(`evaluation (judge ${result.evaluation.judge}; ${result.evaluation.testScenarios} test scenarios; accuracy % with 95 % interval)\n`);
  process.stdout.write(accuracyTable(result.evaluation.arms) + '\n');
  if (result.evaluation.twin) process.stdout.write(twinEvaluationText(result.evaluation.twin) + '\n');
  log(`report: ${await writeReport(out)}`);
  process.stdout.write(`run folder: ${out}\n`);
}

export const runDiscoverCommand = (argv: string[]): Promise<void> => discover('discover', argv);
export const runStartCommand = (argv: string[]): Promise<void> => discover('start', argv);
