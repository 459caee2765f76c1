/**
 * `emotion-circuits attribute`: attribution patching on a run made by `directions` and `components`
 * — the estimated effect of zeroing every head and neuron on the final emotion projection, from one
 * backward pass per batch of prompts, checked against exact ablations of a sample of units.
 */
import { UsageError } from '../../errors.js';
import { runAttribution, type Correlation } from '../../pipeline/attribution/attributionRun.js';
import { WEIGHTS_FLAG, parseFlags, parseInteger, parseOptionalWeights } from '../args.js';

export const ATTRIBUTE_USAGE = `emotion-circuits attribute --run RUN_DIR [--samples 24] [--exact-neurons 8] [--batch-size 16] [--weights stored] [--quiet]
  Estimates, with one backward pass per batch of held-out prompts, the change of the final emotion
  projection m = <final normed state[last], v_ref> when each head (attn.hook_z, every position) or
  neuron (mlp.hook_post, last position) is zeroed: -(dm/da)·a. Measures the exact change for every
  head and the top/bottom/random --exact-neurons neurons of each layer, and reports the Spearman rank
  correlation per emotion (attribution.json, attribution.safetensors; estimates added to heads.json
  and neurons.json). Needs a Llama-layout model without biases, q/k norms or RoPE scaling, and the
  stored weights: on a run made with --weights int8, pass --weights stored (backward passes do not
  run on int8 weights; the stage record says which weights it used).
  Examples:
    emotion-circuits attribute --run runs/my-run
    emotion-circuits attribute --run runs/my-run --samples 48 --exact-neurons 16`;

export async function runAttributeCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('attribute', argv, {
    run: { type: 'string' },
    samples: { type: 'string' },
    'exact-neurons': { type: 'string' },
    'batch-size': { type: 'string' },
    quiet: { type: 'boolean', default: false },
    ...WEIGHTS_FLAG,
  });
  if (!values.run) throw new UsageError(`attribute: --run RUN_DIR is required\n${ATTRIBUTE_USAGE}`);
  const { stage, file } = await runAttribution({
    runDir: values.run,
    samples: parseInteger('attribute', 'samples', values.samples),
    exactNeurons: parseInteger('attribute', 'exact-neurons', values['exact-neurons']),
    batchSize: parseInteger('attribute', 'batch-size', values['batch-size']),
    weights: parseOptionalWeights('attribute', values.weights),
    log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  const rho = (c: Correlation): string => (c.spearman === null ? '   n/a' : c.spearman.toFixed(3).padStart(6));
  process.stdout.write(`run ${values.run}: attribution ${stage}\nSpearman ρ(estimate, exact effect), pooled over layers: heads  neurons  random neurons\n`);
  for (const [emotion, entry] of Object.entries(file.emotions)) {
    process.stdout.write(`  ${emotion.padEnd(34)} ${rho(entry.heads.correlation)}   ${rho(entry.neurons.correlation)}   ${rho(entry.neurons.randomCorrelation)}\n`);
  }
  const mean = (x: { meanSpearman: number | null }): string => (x.meanSpearman === null ? '   n/a' : x.meanSpearman.toFixed(3).padStart(6));
  const { summary } = file;
  process.stdout.write(`  ${'mean'.padEnd(34)} ${mean(summary.heads)}   ${mean(summary.neurons)}   ${mean(summary.randomNeurons)}\n`);
  process.stdout.write(`  ${'mean within a layer'.padEnd(34)} ${mean(summary.headsWithinLayer)}   ${mean(summary.neuronsWithinLayer)}\n`);
  const { estimateSeconds, exactSeconds, measuredUnits, exhaustiveUnits } = file.timing;
  process.stdout.write(`estimates of all ${exhaustiveUnits} units: ${estimateSeconds.toFixed(1)} s; exact effects of ${measuredUnits} units: ${exactSeconds.toFixed(1)} s (all ${exhaustiveUnits} would take ≈ ${((exactSeconds * exhaustiveUnits) / measuredUnits).toFixed(0)} s)\n`);
}
