/**
 * `emotion-circuits start` (what `npm start` runs): the main job — every pipeline stage that exists
 * so far, on the model given by --model or EMOTION_CIRCUITS_MODEL, into runs/<model name>/.
 */
import { basename, join } from 'node:path';
import { parseFlags, resolveModelDir } from '../args.js';

export const START_USAGE = `emotion-circuits start [--model DIR] [--out RUN_DIR]
  The main job: runs the pipeline stages that exist on the model (default: $EMOTION_CIRCUITS_MODEL)
  into RUN_DIR (default runs/<model folder name>). Until the embedded default model exists, a model
  must be given.`;

export async function runStartCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('start', argv, { model: { type: 'string' }, out: { type: 'string' } });
  const modelDir = resolveModelDir('start', values.model);
  const out = values.out ?? join('runs', basename(modelDir));
  process.stderr.write(`emotion-circuits start: model ${modelDir} → run folder ${out}\n`);
  process.stderr.write('No pipeline stage is wired into the main job yet; use trace / generate.\n');
}
