/**
 * The emotion and valence vocabularies of the method (DESIGN.md §3). Everything downstream —
 * directions, neurons, heads, circuits, judges — is indexed by these two tuples, in this order.
 */

/** The six basic emotions studied, in the order used for every per-emotion table. */
export const EMOTIONS = ['anger', 'sadness', 'happiness', 'fear', 'surprise', 'disgust'] as const;

export type Emotion = (typeof EMOTIONS)[number];

/** The valence of an SEV event: each scenario has one event of each. */
export const VALENCES = ['positive', 'neutral', 'negative'] as const;

export type Valence = (typeof VALENCES)[number];

/** True when `value` names one of {@link EMOTIONS}. */
export function isEmotion(value: string): value is Emotion {
  return (EMOTIONS as readonly string[]).includes(value);
}

/** True when `value` names one of {@link VALENCES}. */
export function isValence(value: string): value is Valence {
  return (VALENCES as readonly string[]).includes(value);
}
