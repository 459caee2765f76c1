/** The evaluation plan: arms × random draws × emotions × test scenarios × valences. */
import { EMOTIONS, VALENCES, type Emotion } from '../../emotions.js';
import type { ChatPrompt } from '../../tokenizer/tokenizer.js';
import type { ChatMessage } from '../stimuli/prompts.js';
import { instructedMessages, uninstructedMessages } from '../stimuli/prompts.js';
import type { SevItem } from '../stimuli/sev.js';
import { hashJson } from '../run/atomicWrite.js';
import { armLabel, armPromptKind, armSeeds, type ArmSpec } from '../control/arms.js';
import { resolveDecoding, type DecodingSettings } from '../control/decoding.js';
import type { PlanItem } from './records.js';

export interface PlanInput {
  readonly arms: readonly ArmSpec[];
  readonly items: readonly SevItem[];
  readonly emotions?: readonly Emotion[];
  /** The shared decoding setting (an arm's own `decoding` overrides it). */
  readonly decoding: DecodingSettings;
  /** Anything else the texts depend on (model files, upstream stage hashes). */
  readonly context: unknown;
  readonly encodeChat: (messages: ChatMessage[]) => { ids: number[]; prompt: ChatPrompt };
}

/** Every plan item, in a fixed order (arm, draw, emotion, scenario, valence). */
export function evaluationPlan(input: PlanInput): PlanItem[] {
  const emotions = input.emotions ?? EMOTIONS;
  const promptCache = new Map<string, readonly number[]>();
  const promptIds = (item: SevItem, valence: (typeof VALENCES)[number], emotion: Emotion | null): readonly number[] => {
    const cacheKey = `${item.skeletonId}\u0000${valence}\u0000${emotion}`;
    let ids = promptCache.get(cacheKey);
    if (!ids) {
      ids = input.encodeChat(emotion === null ? uninstructedMessages(item, valence) : instructedMessages(item, valence, emotion)).ids;
      promptCache.set(cacheKey, ids);
    }
    return ids;
  };
  const plan: PlanItem[] = [];
  for (const arm of input.arms) {
    const decoding = resolveDecoding(arm.decoding, input.decoding);
    const armHash = hashJson({ arm, decoding, context: input.context }).slice(0, 16);
    const label = armLabel(arm);
    const promptKind = armPromptKind(arm);
    for (const seed of armSeeds(arm)) {
      for (const emotion of emotions) {
        for (const item of input.items) {
          for (const valence of VALENCES) {
            // The unsteered arm's text does not depend on the target emotion: one text, six verdicts.
            const generationKey = `${armHash}|${seed ?? '-'}|${arm.method === 'none' ? '*' : emotion}|${item.skeletonId}|${valence}`;
            plan.push({
              key: `${generationKey}|${emotion}`,
              generationKey,
              arm,
              armLabel: label,
              seed,
              decoding,
              emotion,
              valence,
              skeletonId: item.skeletonId,
              theme: item.theme,
              promptKind,
              promptIds: promptIds(item, valence, promptKind === 'instructed' ? emotion : null),
            });
          }
        }
      }
    }
  }
  return plan;
}
