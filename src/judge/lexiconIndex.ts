/**
 * Compiles the lexicon data (lexicon.ts) into lookup tables, and finds the longest entry — an
 * emotion cue, a modifier or a negator, one word or a phrase — that starts at a token.
 */
import { EMOTIONS, type Emotion } from '../emotions.js';
import { EMOTICON_ENTRIES, EMOTION_ENTRIES, MODIFIERS, NEGATORS, NO_EMOTION } from './lexicon.js';
import type { TextToken } from './textTokens.js';

/** One emotion a lexicon entry carries, with its strength. */
export interface Cue {
  readonly emotion: Emotion;
  readonly weight: number;
}

/** What the entry found at a token is, and how many tokens it spans. */
export type LexiconMatch =
  | { readonly kind: 'cue'; readonly length: number; readonly cues: readonly Cue[]; readonly text: string; readonly stretched: boolean }
  | { readonly kind: 'modifier'; readonly length: number; readonly factor: number; readonly text: string }
  | { readonly kind: 'negator'; readonly length: 1; readonly text: string };

const STRENGTHS = { strong: 2, normal: 1, weak: 0.5 } as const;

interface Tables {
  /** Whole words and phrases (words joined by ' ') → cues; an empty list blocks a `*` match. */
  readonly exact: Map<string, Cue[]>;
  /** Prefixes of `*` entries → cues. */
  readonly prefix: Map<string, Cue[]>;
  /** The longest phrase length, in words. */
  readonly longestPhrase: number;
}

function addCue(table: Map<string, Cue[]>, key: string, cue: Cue): void {
  const cues = table.get(key) ?? [];
  const same = cues.find((c) => c.emotion === cue.emotion);
  // An entry listed twice for one emotion keeps its strongest weight.
  if (same) cues[cues.indexOf(same)] = { emotion: cue.emotion, weight: Math.max(same.weight, cue.weight) };
  else cues.push(cue);
  table.set(key, cues);
}

function buildTables(): Tables {
  const exact = new Map<string, Cue[]>();
  const prefix = new Map<string, Cue[]>();
  let longestPhrase = 1;
  for (const emotion of EMOTIONS) {
    for (const [strength, weight] of Object.entries(STRENGTHS)) {
      const list = EMOTION_ENTRIES[emotion][strength as keyof typeof STRENGTHS] ?? '';
      for (const entry of list.split(/\s+/).filter(Boolean)) {
        if (entry.endsWith('*')) addCue(prefix, entry.slice(0, -1), { emotion, weight });
        else addCue(exact, entry.replace(/_/g, ' '), { emotion, weight });
        longestPhrase = Math.max(longestPhrase, entry.split('_').length);
      }
    }
    for (const emoticon of EMOTICON_ENTRIES[emotion].split(/\s+/).filter(Boolean)) addCue(exact, emoticon, { emotion, weight: 1 });
  }
  for (const entry of NO_EMOTION.split(/\s+/).filter(Boolean)) {
    exact.set(entry.replace(/_/g, ' '), []);
    longestPhrase = Math.max(longestPhrase, entry.split('_').length);
  }
  for (const key of MODIFIERS.keys()) longestPhrase = Math.max(longestPhrase, key.split('_').length);
  return { exact, prefix, longestPhrase };
}

const TABLES = buildTables();

/** The cues of one word form: an exact entry, else the longest `*` prefix; null when none. */
function lookupWord(form: string): Cue[] | null {
  const exact = TABLES.exact.get(form);
  if (exact) return exact;
  for (let end = form.length; end >= 3; end--) {
    const cues = TABLES.prefix.get(form.slice(0, end));
    if (cues) return cues;
  }
  return null;
}

/** The key of `length` words from `start` (plain lower-case forms), or null when a token is not a word. */
function phraseKey(tokens: readonly TextToken[], start: number, length: number): string | null {
  const words: string[] = [];
  for (let k = start; k < start + length; k++) {
    const token = tokens[k];
    if (!token || token.kind !== 'word') return null;
    words.push(token.text);
  }
  return words.join(' ');
}

/**
 * The longest lexicon entry starting at `tokens[start]`: phrases first (longest wins), then the word
 * itself (as written, then with stretched letters squeezed: "sooo" → "so"). A word that is both a
 * modifier and a cue ("really", "damn") is a modifier when a word follows it ("really good"), and a
 * cue when it stands alone ("Really?", "Damn, …").
 */
export function matchAt(tokens: readonly TextToken[], start: number): LexiconMatch | null {
  const nextIsWord = (): boolean => tokens[start + 1]?.kind === 'word';
  const token = tokens[start];
  if (token.kind === 'emoticon' || token.kind === 'emoji') {
    const cues = TABLES.exact.get(token.text);
    return cues && cues.length > 0 ? { kind: 'cue', length: 1, cues, text: token.text, stretched: false } : null;
  }
  if (token.kind !== 'word') return null;
  for (let length = TABLES.longestPhrase; length >= 2; length--) {
    const key = phraseKey(tokens, start, length);
    if (key === null) continue;
    const modifier = MODIFIERS.get(key.replace(/ /g, '_'));
    if (modifier !== undefined) return { kind: 'modifier', length, factor: modifier, text: key };
    const cues = TABLES.exact.get(key);
    if (cues) return { kind: 'cue', length, cues, text: key, stretched: false };
  }
  for (const [index, form] of token.forms.entries()) {
    if (NEGATORS.has(form)) return { kind: 'negator', length: 1, text: form };
    const modifier = MODIFIERS.get(form);
    const cues = lookupWord(form);
    if (modifier !== undefined && (!cues || cues.length === 0 || nextIsWord())) return { kind: 'modifier', length: 1, factor: modifier, text: form };
    if (cues) return cues.length > 0 ? { kind: 'cue', length: 1, cues, text: form, stretched: index > 0 } : null;
  }
  return null;
}
