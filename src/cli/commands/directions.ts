/**
 * `emotion-circuits directions`: collects last-token activations for every SEV prompt (resumable),
 * computes the emotion directions of both sites at every layer and their consistency, in RUN_DIR:
 * manifest.json, activations/, directions.safetensors, consistency.json.
 */
import { UsageError } from '../../errors.js';
import { createJudge } from '../../judge/createJudge.js';
import { acceptedSharesText, runDirections } from '../../pipeline/directions/directionsRun.js';
import { WEIGHTS_FLAG, parseFlags, parseInteger, parseWeights, resolveModelSpec, twinFlag, parseJudgeKind } from '../args.js';
import { progressReporter } from '../progress.js';

export const DIRECTIONS_USAGE = `emotion-circuits directions --model DIR --dataset sev|FILE --out RUN_DIR [--limit N] [--seed S] [--batch B] [--chunk C] [--permutations K] [--twin|--no-twin] [--judge-filter builtin|openai [--judge-filter-max-new-tokens N]] [--weights stored|int8] [--quiet]
  Emotion directions (attn = hook_resid_mid, mlp = hook_resid_post, every layer) and their
  consistency. --dataset: "sev" (the project's SEV), a folder with train.jsonl/test.jsonl, or one SEV
  JSONL file in the paper's format (split 75/25 within each theme). --limit N: at most N scenarios
  per theme in each split. --seed: permutation control, theme halves, PCA (default 0). --batch:
  prompts per forward pass (16). --chunk: prompts per activation file, the unit of resumption (64).
  --permutations: label shuffles in the permutation control (20). An interrupted run resumes;
  finished stages are skipped. --twin / --no-twin: also run everything on a random-weight twin of
  the model and say where the model does (not) beat it (default: on for models up to 50M parameters;
  it doubles the collection). --judge-filter builtin|openai (off by default, as the paper did):
  generate each instructed train prompt's reply (shared decoding; up to --judge-filter-max-new-tokens,
  default 100), judge it against its emotion, and compute the directions and every later stage from
  the accepted replies only (judge_filter.jsonl, judge_filter.json with the accepted share per
  emotion × valence). The held-out evaluation is not filtered. --weights int8: the run's weights
  mode (default stored, the checkpoint's dtype): quantised weights, faster on large models, slightly
  different activations; recorded in manifest.json and used by every later stage of the run; a
  changed mode re-collects (and so re-runs every later stage).
  Examples:
    emotion-circuits directions --model path/to/hf-folder --dataset sev --out runs/my-run --limit 2
    emotion-circuits directions --model org/name --dataset paper-sev.jsonl --out runs/paper`;

export async function runDirectionsCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('directions', argv, {
    model: { type: 'string' },
    dataset: { type: 'string' },
    out: { type: 'string' },
    limit: { type: 'string' },
    seed: { type: 'string' },
    batch: { type: 'string' },
    chunk: { type: 'string' },
    permutations: { type: 'string' },
    twin: { type: 'boolean' },
    'no-twin': { type: 'boolean' },
    'judge-filter': { type: 'string' },
    'judge-filter-max-new-tokens': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    ...WEIGHTS_FLAG,
  });
  const judgeFilter = judgeFilterFlag('directions', values['judge-filter']);
  if (!values.dataset) throw new UsageError(`directions: --dataset sev|FILE is required\n${DIRECTIONS_USAGE}`);
  if (!values.out) throw new UsageError(`directions: --out RUN_DIR is required\n${DIRECTIONS_USAGE}`);
  const result = await runDirections({
    model: await resolveModelSpec('directions', values.model),
    dataset: values.dataset,
    out: values.out,
    limit: parseInteger('directions', 'limit', values.limit),
    seed: parseInteger('directions', 'seed', values.seed),
    batchSize: parseInteger('directions', 'batch', values.batch),
    chunkSize: parseInteger('directions', 'chunk', values.chunk),
    permutations: parseInteger('directions', 'permutations', values.permutations),
    twin: twinFlag('directions', values.twin, values['no-twin']),
    weights: parseWeights('directions', values.weights),
    judgeFilter,
    judgeFilterMaxNewTokens: parseInteger('directions', 'judge-filter-max-new-tokens', values['judge-filter-max-new-tokens']),
    onProgress: values.quiet ? undefined : progressReporter('collect'),
    log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const stageText = Object.entries(result.stages).map(([stage, state]) => `${stage} ${state}`).join(', ');
  process.stdout.write(`run ${result.runDir}: ${stageText}; ${result.prompts} prompts (${result.templateKind} chat template)\n`);
  for (const site of ['attn', 'mlp'] as const) {
    const acc = result.consistency.sites[site].accuracy;
    const best = acc.best;
    process.stdout.write(
      `${site}: held-out accuracy by layer ${acc.groupCentred.map((a) => a.toFixed(3)).join(' ')}; best layer ${best.layer}: ` +
        `${best.groupCentred.toFixed(3)} (permuted labels ${best.permutation.toFixed(3)}, chance ${best.chance.toFixed(3)})\n`,
    );
  }
  for (const line of result.consistency.twin?.statements ?? []) process.stdout.write(`twin check: ${line}\n`);
  if (result.judgeFilter) process.stdout.write(`judge filter (${result.judgeFilter.summary.judge}): accepted ${acceptedSharesText(result.judgeFilter)}\n`);
}

/** The judge of `--judge-filter KIND`, or undefined when the flag is absent. */
export function judgeFilterFlag(command: string, kind: string | undefined) {
  if (kind === undefined) return undefined;
  return createJudge(parseJudgeKind(command, 'judge-filter', kind));
}
