/**
 * Quick checks of a trained organism through the inference engine (the path every user takes):
 * the reply loss on conversations it was not trained on, and sample replies.
 *
 * The reply loss on the held-out parts of the catalogue measures generalisation without a judge:
 * `heldout-familiar` has new setups and objects, `heldout` also new event wordings; a model that
 * memorised events has a much higher loss on the second than on the first.
 */
import type { Emotion, Valence } from '../emotions.js';
import type { LanguageModel } from '../model/languageModel.js';
import { instructedMessages, uninstructedMessages } from '../pipeline/stimuli/prompts.js';
import type { SevItem } from '../pipeline/stimuli/sev.js';
import type { TrainingExample } from './dataset.js';

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
