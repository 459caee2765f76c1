/**
 * `emotion-circuits directions`: collects last-token activations for every SEV prompt (resumable),
 * computes the emotion directions of both sites at every layer and their consistency, in RUN_DIR:
 * manifest.json, activations/, directions.safetensors, consistency.json.
 */
import { UsageError } from '../../errors.js';
import { runDirections } from '../../pipeline/directions/directionsRun.js';
import { parseFlags, parseInteger, resolveModelSpec, twinFlag } from '../args.js';
import { progressReporter } from '../progress.js';

export const DIRECTIONS_USAGE = `emotion-circuits directions --model DIR --dataset sev|FILE --out RUN_DIR [--limit N] [--seed S] [--batch B] [--chunk C] [--permutations K] [--twin|--no-twin] [--quiet]
  Emotion directions (attn = hook_resid_mid, mlp = hook_resid_post, every layer) and their
  consistency. --dataset: "sev" (the project's SEV), a folder with train.jsonl/test.jsonl, or one SEV
  JSONL file in the paper's format (split 75/25 within each theme). --limit N: at most N scenarios
  per theme in each split. --seed: permutation control, theme halves, PCA (default 0). --batch:
  prompts per forward pass (16). --chunk: prompts per activation file, the unit of resumption (64).
  --permutations: label shuffles in the permutation control (20). An interrupted run resumes;
  finished stages are skipped. --twin / --no-twin: also run everything on a random-weight twin of
  the model and say where the model does (not) beat it (default: on for models up to 50M parameters;
  it doubles the collection).
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
    quiet: { type: 'boolean', default: false },
  });
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
}
