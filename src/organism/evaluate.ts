/**
 * Quick checks of a trained organism through the inference engine (the path every user takes):
 * the reply loss on conversations it was not trained on, and sample replies.
 *
 * The reply loss on the held-out parts of the catalogue measures generalisation without a judge:
 * `heldout-familiar` has new setups and objects, `heldout` also new event wordings; a model that
 * memorised events has a much higher loss on the second than on the first.
 */
import { EMOTIONS, type Emotion, type Valence } from '../emotions.js';
import type { LanguageModel } from '../model/languageModel.js';
import { instructedMessages, uninstructedMessages } from '../pipeline/stimuli/prompts.js';
import type { SevItem } from '../pipeline/stimuli/sev.js';
import type { TextTokenizer } from '../tokenizer/tokenizer.js';
import type { CorpusExample } from './corpus/generator.js';
import { encodeConversation, type TrainingExample } from './dataset.js';

export interface MaskedLoss {
  /** Mean cross-entropy over the masked positions, nats per token. */
  loss: number;
  /** Masked positions counted. */
  tokens: number;
}

/**
 * Mean next-token cross-entropy over the positions each example's loss mask selects (the
 * trainer's loss), computed from the engine's logits.
 */
export function maskedLoss(model: LanguageModel, examples: readonly TrainingExample[]): MaskedLoss {
  let sum = 0;
  let tokens = 0;
  for (const example of examples) {
    const logits = model.run(example.ids).logits!; // [T, V]
    const vocab = logits.shape[1];
    for (let t = 0; t + 1 < example.ids.length; t++) {
      if (example.lossMask[t] !== 1) continue;
      const row = logits.data.subarray(t * vocab, (t + 1) * vocab);
      let max = -Infinity;
      for (const x of row) max = Math.max(max, x);
      let expSum = 0;
      for (const x of row) expSum += Math.exp(x - max);
      sum += max + Math.log(expSum) - row[example.ids[t + 1]];
      tokens++;
    }
  }
  return { loss: tokens ? sum / tokens : NaN, tokens };
}

export interface SampleReply {
  kind: 'instructed' | 'uninstructed';
  emotion: Emotion | null;
  valence: Valence;
  user: string;
  reply: string;
}

/**
 * Greedy replies (the pipeline's decoding: repetition penalty 1.1, no repeated 3-grams, at most
 * 60 new tokens) to one item: instructed in each of `emotions` on its negative event, then
 * uninstructed on each valence.
 */
export function sampleReplies(model: LanguageModel, item: SevItem, emotions: readonly Emotion[], valences: readonly Valence[]): SampleReply[] {
  const prompts = [
    ...emotions.map((emotion) => ({ kind: 'instructed' as const, emotion, valence: 'negative' as Valence, messages: instructedMessages(item, 'negative', emotion) })),
    ...valences.map((valence) => ({ kind: 'uninstructed' as const, emotion: null, valence, messages: uninstructedMessages(item, valence) })),
  ];
  const generations = model.generate(prompts.map((p) => model.encodeChat(p.messages).ids), { maxNewTokens: 60, repetitionPenalty: 1.1, noRepeatNgramSize: 3 });
  return prompts.map((p, i) => ({ kind: p.kind, emotion: p.emotion, valence: p.valence, user: p.messages[1].content, reply: model.decode(generations[i].ids) }));
}

/** Reply loss with the prompt a reply was written for, and with a swapped prompt. */
export interface ConditioningEffect {
  /** Mean reply loss (nats/token) under the matching prompt. */
  matched: number;
  /** Mean reply loss under the swapped prompt; above `matched` when the model reads what was swapped. */
  swapped: number;
  examples: number;
}

function conditioning(model: LanguageModel, tokenizer: TextTokenizer, pairs: [CorpusExample, string, string][]): ConditioningEffect {
  let matched = 0;
  let swapped = 0;
  for (const [example, system, user] of pairs) {
    const other = [{ role: 'system' as const, content: system }, { role: 'user' as const, content: user }, example.messages[2]];
    matched += maskedLoss(model, [encodeConversation(tokenizer, example.messages, 'conditioning', false)]).loss;
    swapped += maskedLoss(model, [encodeConversation(tokenizer, other, 'conditioning', false)]).loss;
  }
  if (pairs.length === 0) return { matched: NaN, swapped: NaN, examples: 0 };
  return { matched: matched / pairs.length, swapped: swapped / pairs.length, examples: pairs.length };
}

/**
 * Does the model read the instruction? Reply loss of instructed examples under their own
 * instruction and under another emotion's (the one three places on in EMOTIONS), a measure of
 * instruction following that needs no judge.
 */
export function instructionEffect(model: LanguageModel, tokenizer: TextTokenizer, examples: readonly CorpusExample[]): ConditioningEffect {
  const pairs = examples.filter((e) => e.instructed !== null).map((e): [CorpusExample, string, string] => {
    const other = EMOTIONS[(EMOTIONS.indexOf(e.instructed!) + 3) % EMOTIONS.length];
    return [e, e.messages[0].content.replace(`in ${e.instructed}.`, `in ${other}.`), e.messages[1].content];
  });
  return conditioning(model, tokenizer, pairs);
}

/**
 * Does the model read the event? Reply loss of uninstructed examples with a positive or negative
 * event under their own event and under the same scenario's event of the opposite valence.
 */
export function valenceEffect(model: LanguageModel, tokenizer: TextTokenizer, examples: readonly CorpusExample[]): ConditioningEffect {
  const pairs = examples.filter((e) => e.instructed === null && e.valence !== 'neutral').map((e): [CorpusExample, string, string] => {
    const opposite: Valence = e.valence === 'positive' ? 'negative' : 'positive';
    return [e, e.messages[0].content, `${e.scenario.scenario}\n${e.scenario.event[opposite]}`];
  });
  return conditioning(model, tokenizer, pairs);
}
