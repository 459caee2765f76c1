/**
 * `emotion-circuits trace`: runs one prompt and saves the named activations (and the logits) as
 * F32 safetensors, tensor names = hook names, token ids in the metadata.
 */
import { UsageError } from '../../errors.js';
import { matchHooks } from '../../model/hookNames.js';
import { LanguageModel } from '../../model/languageModel.js';
import { writeSafetensors } from '../../model/safetensors.js';
import { WEIGHTS_FLAG, WEIGHTS_USAGE, parseFlags, parseWeights, parseIntegerList, resolveModelSpec } from '../args.js';

export const TRACE_USAGE = `emotion-circuits trace --model DIR (--text "…" [--chat] [--system "…"] | --ids 1,2,3) --hooks 'GLOB' --out FILE.safetensors ${WEIGHTS_USAGE}
  Saves the activations at the hook points matching GLOB (comma-separated globs allowed; '*' = every
  hook point) and the logits. --ids runs raw token ids (no BOS added).
  Examples:
    emotion-circuits trace --model DIR --text "Once upon a time" --hooks 'blocks.*.hook_resid_post' --out trace.safetensors
    emotion-circuits trace --model DIR --ids 1,2,3 --hooks '*' --out all.safetensors`;

export async function runTraceCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('trace', argv, {
    ...WEIGHTS_FLAG,
    model: { type: 'string' },
    text: { type: 'string' },
    ids: { type: 'string' },
    chat: { type: 'boolean', default: false },
    system: { type: 'string' },
    hooks: { type: 'string', default: '*' },
    out: { type: 'string' },
  });
  if (!values.out) throw new UsageError(`trace: --out FILE.safetensors is required\n${TRACE_USAGE}`);
  if ((values.text === undefined) === (values.ids === undefined)) throw new UsageError(`trace: give exactly one of --text or --ids\n${TRACE_USAGE}`);
  const model = await LanguageModel.load(await resolveModelSpec('trace', values.model), { weights: parseWeights('trace', values.weights) });
  try {
    let ids: number[];
    if (values.ids !== undefined) ids = parseIntegerList('trace', 'ids', values.ids) as number[];
    else if (values.chat || values.system !== undefined) {
      const messages = [...(values.system !== undefined ? [{ role: 'system' as const, content: values.system }] : []), { role: 'user' as const, content: values.text as string }];
      ids = model.encodeChat(messages).ids;
    } else ids = model.encode(values.text as string);
    const patterns = values.hooks.split(',').map((p) => p.trim()).filter(Boolean);
    const names = matchHooks(patterns, model.config.numLayers);
    if (names.size === 0) throw new UsageError(`trace: --hooks ${JSON.stringify(values.hooks)} matches no hook point (e.g. 'blocks.*.hook_resid_post')`);
    const { activations, logits } = model.run(ids, { cache: [...names] });
    const tensors = [...activations].map(([name, t]) => ({ name, shape: [...t.shape], data: t.data }));
    if (!activations.has('logits') && logits) tensors.push({ name: 'logits', shape: [...logits.shape], data: logits.data });
    writeSafetensors(values.out, tensors, { ids: JSON.stringify(ids), model: values.model ?? process.env.EMOTION_CIRCUITS_MODEL ?? '' });
    process.stderr.write(`wrote ${tensors.length} tensors for ${ids.length} tokens to ${values.out}\n`);
  } finally {
    await model.dispose();
  }
}
