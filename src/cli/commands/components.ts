/**
 * `emotion-circuits components`: emotion neurons and heads of a run made by `directions`, with their
 * causal validation. Reuses the collected activations; runs the model only for interventions.
 */
import { UsageError } from '../../errors.js';
import { runComponents } from '../../pipeline/components/componentsRun.js';
import { RUN_WEIGHTS_USAGE, WEIGHTS_FLAG, parseFlags, parseInteger, parseIntegerList, parseNumber, parseOptionalWeights, twinFlag } from '../args.js';

export const COMPONENTS_USAGE = `emotion-circuits components --run RUN_DIR [--top 20] [--ks 1,2,4,8,16,32] [--seeds 3] [--lambda 1] [--samples 24] [--layers 0,1,…] [--twin|--no-twin] [--weights stored|int8] [--quiet]
  Ranks MLP neurons by their contribution along the emotion direction and heads by the effect of
  zeroing them (from cached values), writes neurons.json/.safetensors, heads.json,
  diff_vectors.safetensors, and validates the rankings by ablating / enhancing the top-k units
  against k random ones on held-out prompts (validation.json: paired per-prompt margins with t
  intervals). When the run has a random-weight twin (see directions), the twin is validated too and
  compared prompt by prompt; --no-twin skips it.
${RUN_WEIGHTS_USAGE}
  Examples:
    emotion-circuits components --run runs/my-run
    emotion-circuits components --run runs/my-run --ks 1,2,4,8 --seeds 3 --samples 24`;

export async function runComponentsCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('components', argv, {
    run: { type: 'string' },
    top: { type: 'string' },
    ks: { type: 'string' },
    seeds: { type: 'string' },
    lambda: { type: 'string' },
    samples: { type: 'string' },
    layers: { type: 'string' },
    twin: { type: 'boolean' },
    'no-twin': { type: 'boolean' },
    quiet: { type: 'boolean', default: false },
    ...WEIGHTS_FLAG,
  });
  if (!values.run) throw new UsageError(`components: --run RUN_DIR is required\n${COMPONENTS_USAGE}`);
  const result = await runComponents({
    runDir: values.run,
    top: parseInteger('components', 'top', values.top),
    ks: parseIntegerList('components', 'ks', values.ks),
    seeds: parseInteger('components', 'seeds', values.seeds),
    lambda: values.lambda === undefined ? undefined : parseNumber('components', 'lambda', values.lambda, 1),
    samples: parseInteger('components', 'samples', values.samples),
    layers: parseIntegerList('components', 'layers', values.layers),
    twin: twinFlag('components', values.twin, values['no-twin']),
    weights: parseOptionalWeights('components', values.weights),
    log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const stageText = Object.entries(result.stages).map(([stage, state]) => `${stage} ${state}`).join(', ');
  process.stdout.write(`run ${values.run}: ${stageText}\n`);
  for (const [key, { wins, significant, total }] of Object.entries(result.summary)) {
    process.stdout.write(`${key}: top-k beats random-k in ${wins}/${total} conditions (95% interval above 0 in ${significant})\n`);
  }
  for (const line of result.twin?.statements ?? []) process.stdout.write(`twin check: ${line}\n`);
}
