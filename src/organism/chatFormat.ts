/**
 * The organism's chat format and tokenizer files: special tokens, the Jinja chat template, and
 * the `tokenizer.json` / `tokenizer_config.json` / `generation_config.json` a Hugging Face folder
 * holds, so the organism loads through exactly the path every other model takes
 * (TextTokenizer.load, LanguageModel.load).
 *
 * A conversation renders as
 * `<|bos|><|system|>{system}<|end|><|user|>{user}<|end|><|assistant|>{reply}<|end|>`, and the
 * generation prompt is everything up to and including `<|assistant|>`. `<|end|>` is the EOS, so
 * generation stops at the end of the assistant's turn; a prompt is always a token prefix of the
 * full conversation, because special tokens split the text before BPE runs.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicFile.js';
import { trainBpe, tokenizerJson, type BpeModel } from '../tokenizer/bpeTrainer.js';
import type { ChatMessage } from '../tokenizer/chatTemplate.js';

export const BOS_TOKEN = '<|bos|>';
export const EOS_TOKEN = '<|end|>';
export const PAD_TOKEN = '<|pad|>';

/** Special tokens, ids 0… in this order. */
export const SPECIAL_TOKENS = [BOS_TOKEN, EOS_TOKEN, '<|system|>', '<|user|>', '<|assistant|>', PAD_TOKEN] as const;

/** The chat template (Jinja, as HF `apply_chat_template` renders it). */
export const ORGANISM_CHAT_TEMPLATE =
  '{{- bos_token }}' +
  '{%- for message in messages %}' +
  "{%- if message['role'] not in ['system', 'user', 'assistant'] %}" +
  "{{- raise_exception('unknown role ' + message['role']) }}" +
  '{%- endif %}' +
  "{{- '<|' + message['role'] + '|>' + message['content'] + eos_token }}" +
  '{%- endfor %}' +
  "{%- if add_generation_prompt %}{{- '<|assistant|>' }}{%- endif %}";

/** Maximum sequence length of the organism (its max_position_embeddings). */
export const ORGANISM_MAX_LENGTH = 256;

/**
 * Trains the organism's byte-level BPE on the texts of `conversations` (each message content on
 * its own, as encoding sees them between special tokens).
 */
export function trainOrganismTokenizer(conversations: Iterable<readonly ChatMessage[]>, vocabSize: number): BpeModel {
  function* texts(): Generator<string> {
    for (const messages of conversations) for (const m of messages) yield m.content;
  }
  return trainBpe(texts(), { vocabSize, specialTokens: SPECIAL_TOKENS });
}

/** tokenizer_config.json: special tokens, the chat template, no clean-up of spaces on decode. */
export function organismTokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: BOS_TOKEN,
    eos_token: EOS_TOKEN,
    pad_token: PAD_TOKEN,
    unk_token: null,
    add_bos_token: true,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: ORGANISM_MAX_LENGTH,
    chat_template: ORGANISM_CHAT_TEMPLATE,
  };
}

/** The ids of the special tokens in `model`. */
export function specialTokenIds(model: BpeModel): { bos: number; eos: number; pad: number } {
  const id = (token: string): number => {
    const v = model.vocab.get(token);
    if (v === undefined) throw new RangeError(`the tokenizer has no ${token}`);
    return v;
  };
  return { bos: id(BOS_TOKEN), eos: id(EOS_TOKEN), pad: id(PAD_TOKEN) };
}

/** generation_config.json: EOS = end of the assistant turn; greedy by default. */
export function organismGenerationConfig(model: BpeModel): Record<string, unknown> {
  const ids = specialTokenIds(model);
  return { bos_token_id: ids.bos, eos_token_id: ids.eos, pad_token_id: ids.pad, do_sample: false, max_new_tokens: 100 };
}

/** Writes tokenizer.json, tokenizer_config.json and generation_config.json into `dir`. */
export function writeTokenizerFiles(dir: string, model: BpeModel): void {
  const json = (value: unknown): string => JSON.stringify(value, null, 2) + '\n';
  writeFileAtomic(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(model, { bosToken: BOS_TOKEN })));
  writeFileAtomic(path.join(dir, 'tokenizer_config.json'), json(organismTokenizerConfig()));
  writeFileAtomic(path.join(dir, 'generation_config.json'), json(organismGenerationConfig(model)));
}
