/**
 * The building blocks of the organism's training corpus: event categories (what can happen, per
 * valence), themes (scenario setups and their slots), and the reply emotions.
 *
 * Templates use `{slot}` placeholders. `{obj}` is the scenario's main object (one value per
 * scenario, shared by the scenario, the events and the replies); `{person}` the theme's person;
 * other names come from the theme's or the global slot lists (see slots.ts).
 */
import type { Emotion } from '../../emotions.js';

/** The emotion an uninstructed reply takes; `calm` (no emotion) for neutral events. */
export type ReplyEmotion = Emotion | 'calm';

export const POSITIVE_EMOTIONS = ['happiness', 'surprise'] as const;
export const NEGATIVE_EMOTIONS = ['anger', 'sadness', 'fear', 'disgust'] as const;
export type PositiveEmotion = (typeof POSITIVE_EMOTIONS)[number];
export type NegativeEmotion = (typeof NEGATIVE_EMOTIONS)[number];

/**
 * What can happen to a subject, per valence. Each outcome is the predicate that follows the
 * subject ("The {obj}" + "arrived a day early."), past tense, without the final full stop. Positive
 * and negative outcomes are grouped by the emotion that an uninstructed reply to them shows.
 */
export interface EventCategory {
  name: string;
  /** The event's subject, e.g. `The {obj}` or `{Person}` (capitalised slot = capitalised value). */
  subject: string;
  /** How a reply refers to what happened, e.g. `the {obj}` or `{person}` (lower case). */
  thing: string;
  positive: Partial<Record<PositiveEmotion, string[]>>;
  neutral: string[];
  negative: Partial<Record<NegativeEmotion, string[]>>;
}

/** One scenario template of a theme. */
export interface Setup {
  /** First-person scene setting, valence-neutral, one sentence ending in a full stop. */
  text: string;
  /** Name of the theme's object list that fills `{obj}`. */
  object: string;
  /** Name of the {@link EventCategory} of its events. */
  category: string;
}

export interface Theme {
  name: string;
  /** Object lists by name; `{obj}` of a setup comes from `objects[setup.object]`. */
  objects: Record<string, string[]>;
  /** Theme-specific slot lists (`person`, `place`, …), lower case. */
  slots: Record<string, string[]>;
  setups: Setup[];
}
