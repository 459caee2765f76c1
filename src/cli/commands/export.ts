/** `emotion-circuits export`: a run's emotion direction or circuit as a control vector (GGUF for llama.cpp, or safetensors). */
import { EMOTIONS, type Emotion } from '../../emotions.js';
import { UsageError } from '../../errors.js';
import { exportControlVector, type ExportFormat, type ExportWhat } from '../../pipeline/export/controlVectorExport.js';
import { parseFlags, parseNumber } from '../args.js';

export const EXPORT_USAGE = `emotion-circuits export --run RUN_DIR --emotion E --what direction|circuit --format gguf|safetensors --out FILE [--alpha 8]
  Writes one vector per layer N >= 1 (tensor direction.N, length d), to be added to the residual after
  decoder block N at every position: llama.cpp's control-vector layout (llama-cli --control-vector FILE,
  repeng), or the same tensors in safetensors. direction: alpha * sigma_l * v_l (unit MLP-site direction,
  sigma_l = mean residual RMS at the last token of the instructed train prompts) at layers
  round(0.39*L)..round(0.71*L)-1. circuit: attn_out + mlp_out of circuits/E.safetensors per layer (an
  approximation of the circuit, printed and written into the file's metadata).
  Examples:
    emotion-circuits export --run runs/my-run --emotion anger --what direction --format gguf --out anger.gguf
    llama-cli -m model.gguf --control-vector-scaled anger.gguf 1.0 -p "Tell me about your day."
    emotion-circuits export --run runs/my-run --emotion fear --what circuit --format safetensors --out fear.safetensors`;

export async function runExportCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('export', argv, {
    run: { type: 'string' },
    emotion: { type: 'string' },
    what: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
    alpha: { type: 'string' },
  });
  const missing = (['run', 'emotion', 'what', 'format', 'out'] as const).filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new UsageError(`export: ${missing.map((k) => `--${k}`).join(', ')} required\n${EXPORT_USAGE}`);
  if (!EMOTIONS.includes(values.emotion as Emotion)) throw new UsageError(`export: --emotion must be one of ${EMOTIONS.join(', ')}, got ${JSON.stringify(values.emotion)}`);
  if (values.what !== 'direction' && values.what !== 'circuit') throw new UsageError(`export: --what must be direction or circuit, got ${JSON.stringify(values.what)}`);
  if (values.format !== 'gguf' && values.format !== 'safetensors') throw new UsageError(`export: --format must be gguf or safetensors, got ${JSON.stringify(values.format)}`);
  const result = exportControlVector({
    runDir: values.run!,
    emotion: values.emotion as Emotion,
    what: values.what as ExportWhat,
    format: values.format as ExportFormat,
    out: values.out!,
    alpha: parseNumber('export', 'alpha', values.alpha, 8),
  });
  for (const line of result.summary) process.stdout.write(`${line}\n`);
}
