/**
 * `emotion-circuits start` (what `npm start` runs): the main job — every pipeline stage that exists
 * so far (directions, then components), on the model given by --model or EMOTION_CIRCUITS_MODEL,
 * into runs/<model folder name>/. Finished stages are skipped and interrupted ones resume.
 */
import { join } from 'node:path';
import { modelFolderName } from '../../model/hub.js';
import { runComponents } from '../../pipeline/components/componentsRun.js';
import { runDirections } from '../../pipeline/directions/directionsRun.js';
import { parseFlags, parseInteger, resolveModelSpec } from '../args.js';
import { progressReporter } from '../progress.js';

export const START_USAGE = `emotion-circuits start [--model DIR] [--out RUN_DIR] [--dataset sev|FILE] [--limit N]
  The main job: emotion directions and their consistency, then emotion neurons and heads with their
  causal validation, on the model (default: $EMOTION_CIRCUITS_MODEL) into RUN_DIR (default
  runs/<model folder name>). Until the embedded default model exists, a model must be given.
  Examples:
    emotion-circuits start --model path/to/hf-folder --limit 2        # a quick run
    EMOTION_CIRCUITS_MODEL=Qwen/Qwen2.5-1.5B-Instruct emotion-circuits start`;

export async function runStartCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('start', argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    dataset: { type: 'string', default: 'sev' },
    limit: { type: 'string' },
  });
  const modelDir = await resolveModelSpec('start', values.model);
  const out = values.out ?? join('runs', modelFolderName(modelDir));
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  log(`emotion-circuits start: model ${modelDir} → run folder ${out}`);
  const limit = parseInteger('start', 'limit', values.limit);
  const directions = await runDirections({ model: modelDir, dataset: values.dataset, out, limit, onProgress: progressReporter('collect'), log });
  for (const site of ['attn', 'mlp'] as const) {
    const best = directions.consistency.sites[site].accuracy.best;
    log(`directions (${site} site): best held-out accuracy ${best.groupCentred.toFixed(3)} at layer ${best.layer} (permuted labels ${best.permutation.toFixed(3)}, chance ${best.chance.toFixed(3)})`);
  }
  const components = await runComponents({ runDir: out, log });
  for (const [key, { wins, total }] of Object.entries(components.summary)) log(`components ${key}: top-k beats random-k in ${wins}/${total} conditions`);
  process.stdout.write(`run folder: ${out}\n`);
}
