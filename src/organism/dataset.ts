/**
 * Corpus → training examples for the trainer: each conversation rendered with the model's chat
 * template, encoded, and given a loss mask that selects the assistant's reply.
 *
 * Convention (the trainer's): the loss at position t predicts token t+1 from tokens 0…t and counts
 * only where `lossMask[t] = 1`. With P the length of the generation prompt (everything up to and
 * including `<|assistant|>`) and T the length of the whole conversation, the reply tokens and the
 * closing EOS are ids[P … T−1]; they are predicted from positions P−1 … T−2, so exactly those
 * positions carry a 1. The last position (nothing to predict) and every prompt position carry 0.
 */
import { DatasetError } from '../errors.js';
import type { ChatMessage } from '../tokenizer/chatTemplate.js';
import type { TextTokenizer } from '../tokenizer/tokenizer.js';
import type { TrainExample } from '../train/dataset.js';

/** One training sequence: the trainer's example type (ids [T], lossMask [T]). */
export type TrainingExample = TrainExample;

/**
 * Encodes one conversation whose last message is the assistant's reply: the generation prompt
 * and the rest of the rendered conversation (the reply and what closes it) are encoded apart and
 * joined, which is exact when the prompt ends at a special token (tokenizers split there before
 * anything else). With `verify`, the whole conversation is also encoded in one piece and must
 * give the same ids. Throws a DatasetError when the rendered prompt is not a prefix of the
 * rendered conversation, when verification fails, or when the conversation does not end with EOS.
 */
export function encodeConversation(tokenizer: TextTokenizer, messages: readonly ChatMessage[], where = 'conversation', verify = true): TrainingExample {
  const last = messages[messages.length - 1];
  if (!last || last.role !== 'assistant') throw new DatasetError(where, 'expected the last message to be the assistant reply');
  const prompt = tokenizer.applyChatTemplate(messages.slice(0, -1), { addGenerationPrompt: true });
  const full = tokenizer.applyChatTemplate([...messages], { addGenerationPrompt: false });
  if (!full.text.startsWith(prompt.text)) {
    throw new DatasetError(where, 'expected the chat template to render the generation prompt as a prefix of the conversation');
  }
  const promptIds = tokenizer.encode(prompt.text, { addSpecialTokens: prompt.addSpecialTokens });
  const replyIds = tokenizer.encode(full.text.slice(prompt.text.length), { addSpecialTokens: false });
  const ids = [...promptIds, ...replyIds];
  if (verify) {
    const whole = tokenizer.encode(full.text, { addSpecialTokens: full.addSpecialTokens });
    if (whole.length !== ids.length || whole.some((id, i) => ids[i] !== id)) {
      throw new DatasetError(where, 'expected the conversation to encode as its prompt followed by its reply (does the prompt end at a special token?)');
    }
  }
  if (replyIds.length === 0 || !tokenizer.eosTokenIds.includes(ids[ids.length - 1])) {
    throw new DatasetError(where, `expected the conversation to end with EOS (${tokenizer.eosTokenIds.join(', ')}), got token ${ids[ids.length - 1]}`);
  }
  const lossMask = new Uint8Array(ids.length);
  lossMask.fill(1, promptIds.length - 1, ids.length - 1);
  return { ids, lossMask };
}

/** Examples whose encoding is verified in one piece: the first 64, then every 97th. */
const verifies = (index: number): boolean => index < 64 || index % 97 === 0;

export interface DatasetStats {
  examples: number;
  /** All tokens. */
  tokens: number;
  /** Tokens with a loss (mask = 1). */
  trainedTokens: number;
  maxLength: number;
  meanLength: number;
}

/**
 * Encodes every conversation (a deterministic sample is verified against a one-piece encoding,
 * see {@link encodeConversation}). Throws a DatasetError naming the example when one is longer than
 * `maxLength` tokens.
 */
export function buildDataset(tokenizer: TextTokenizer, conversations: readonly (readonly ChatMessage[])[], maxLength: number): TrainingExample[] {
  return conversations.map((messages, i) => {
    const example = encodeConversation(tokenizer, messages, `corpus example ${i}`, verifies(i));
    if (example.ids.length > maxLength) {
      throw new DatasetError(`corpus example ${i}`, `expected at most ${maxLength} tokens, got ${example.ids.length}`);
    }
    return example;
  });
}

/** Sizes of a dataset, for logs and the model card. */
export function datasetStats(examples: readonly TrainingExample[]): DatasetStats {
  let tokens = 0;
  let trainedTokens = 0;
  let maxLength = 0;
  for (const e of examples) {
    tokens += e.ids.length;
    for (const m of e.lossMask) trainedTokens += m;
    maxLength = Math.max(maxLength, e.ids.length);
  }
  return { examples: examples.length, tokens, trainedTokens, maxLength, meanLength: examples.length ? tokens / examples.length : 0 };
}
