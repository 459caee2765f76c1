/**
 * `emotion-circuits circuits`: sublayer influence and the global emotion circuits of a run made by
 * `directions` and `components` (DESIGN.md §3 steps 6–8), each skipped when its inputs are unchanged.
 */
import { UsageError } from '../../errors.js';
import { runCircuits } from '../../pipeline/circuits/index.js';
import { runSublayers } from '../../pipeline/sublayers/sublayersRun.js';
import { parseFlags } from '../args.js';
import { CIRCUIT_FLAG_USAGE, parseCircuitFlag } from '../circuitFlags.js';

export const CIRCUITS_USAGE = `emotion-circuits circuits --run RUN_DIR [--circuit KEY=VALUE,…] [--quiet]
  Measures sublayer influence (sublayers.json) and builds one circuit per emotion
  (circuits/{emotion}.json with its neurons and heads per layer, circuits/{emotion}.safetensors with
  the equivalent per-layer vector pair) on a run made by \`directions\` and \`components\`.
${CIRCUIT_FLAG_USAGE}
  Examples:
    emotion-circuits circuits --run runs/my-run
    emotion-circuits circuits --run runs/my-run --circuit max-kind-share=1,lambda.anger=0.8`;

export async function runCircuitsCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('circuits', argv, { run: { type: 'string' }, circuit: { type: 'string' }, quiet: { type: 'boolean', default: false } });
  if (!values.run) throw new UsageError(`circuits: --run RUN_DIR is required\n${CIRCUITS_USAGE}`);
  const settings = parseCircuitFlag('circuits', values.circuit);
  const log = values.quiet ? undefined : (line: string): void => void process.stderr.write(`${line}\n`);
  const sublayers = await runSublayers({ runDir: values.run, log });
  const { stage, circuits } = await runCircuits({ runDir: values.run, settings, log });
  process.stdout.write(`run ${values.run}: sublayers ${sublayers.stage}, circuits ${stage}\n`);
  process.stdout.write('emotion     λ     neurons  heads  (per layer: neurons/heads)  log10 distinct random circuits\n');
  for (const circuit of Object.values(circuits)) {
    const perLayer = circuit.layers.map((layer) => `${layer.used.neurons}/${layer.used.heads}`).join(' ');
    process.stdout.write(`  ${circuit.emotion.padEnd(10)}${String(circuit.lambda).padEnd(6)}${String(circuit.budget.neurons).padStart(7)}${String(circuit.budget.heads).padStart(7)}  ${perLayer.padEnd(27)} ${circuit.randomCircuitsLog10.toFixed(1)}\n`);
  }
}
