/**
 * The two prompt forms of the method (DESIGN.md §3, step 1), as chat messages. The strings are
 * fixed: changing a character changes every activation the pipeline reads, so the tests pin them.
 */
import type { Emotion, Valence } from '../../emotions.js';
import type { SevItem } from './sev.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** System line shared by both prompt forms. */
export const LENGTH_INSTRUCTION = 'Keep the reply to at most two sentences.';

/** The system message of a prompt: instructed with `emotion`, or uninstructed (null). */
export function systemInstruction(emotion: Emotion | null): string {
  return emotion === null ? LENGTH_INSTRUCTION : `Always reply in ${emotion}.\n${LENGTH_INSTRUCTION}`;
}

/** The user turn: the scenario, a newline, then the event of the chosen valence. */
export function sevUserContent(item: SevItem, valence: Valence): string {
  return `${item.scenario}\n${item.event[valence]}`;
}

/**
 * Instructed prompt: the system message asks for `emotion`.
 *
 * @example
 * instructedMessages(item, 'negative', 'anger')[0].content
 * // 'Always reply in anger.\nKeep the reply to at most two sentences.'
 */
export function instructedMessages(item: SevItem, valence: Valence, emotion: Emotion): ChatMessage[] {
  return [
    { role: 'system', content: systemInstruction(emotion) },
    { role: 'user', content: sevUserContent(item, valence) },
  ];
}

/** Uninstructed prompt: no emotion is named, so any emotion in the reply follows the event. */
export function uninstructedMessages(item: SevItem, valence: Valence): ChatMessage[] {
  return [
    { role: 'system', content: systemInstruction(null) },
    { role: 'user', content: sevUserContent(item, valence) },
  ];
}
