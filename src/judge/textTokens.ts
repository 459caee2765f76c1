/**
 * Splits a text into the tokens the built-in judge reads: lower-cased words (contractions with
 * "n't" split into the word and "not"), punctuation, emoticons and emoji, grouped into sentences.
 * Each token remembers whether it was written in capitals (shouting) and whether it was stretched
 * ("sooo"), which the judge reads as intensity.
 */

export type TokenKind = 'word' | 'punct' | 'emoticon' | 'emoji';

export interface TextToken {
  /** Lower-cased form ('not' for a split "n't"); emoticons keep their characters, e.g. ':)'. */
  readonly text: string;
  readonly kind: TokenKind;
  /** A word of 2+ letters written all in capitals ("ANGRY"). */
  readonly shouted: boolean;
  /** Forms to look up, most literal first: the word, then its letter runs of 3+ squeezed to 2 and to 1. */
  readonly forms: readonly string[];
}

/** A run of tokens closed by sentence punctuation; `exclamations` and `questions` count its ! and ?. */
export interface Sentence {
  readonly tokens: readonly TextToken[];
  readonly exclamations: number;
  readonly questions: number;
}

// Emoticons only count between spaces (or at the ends), so "Note:Dog" or "10:30" never match.
const EMOTICONS = [':-)', ':)', '(:', ':-D', ':D', ';-)', ';)', ':-(', ':(', "):", ":'(", ':/', ':-/', ':P', ':p', 'xD', 'XD', ':O', ':o', 'D:', '>:(', '<3', '</3', '-_-', 'T_T', ';_;'];
const EMOTICON_SOURCE = EMOTICONS.map((e) => e.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|');
const TOKEN_PATTERN = new RegExp(
  `(?<=^|\\s)(?:${EMOTICON_SOURCE})(?=$|\\s|[.,!?])|\\p{Extended_Pictographic}|[\\p{L}\\p{N}]+(?:['’][\\p{L}]+)*|[!?]|[.;:,()\\-—–…]`,
  'gu',
);

// Negated auxiliaries written without the apostrophe ("dont") read like "do not".
const BARE_NEGATIONS = new Set(['dont', 'cant', 'wont', 'didnt', 'doesnt', 'isnt', 'arent', 'wasnt', 'werent', 'couldnt', 'shouldnt', 'wouldnt', 'havent', 'hasnt', 'hadnt', 'aint', 'cannot', 'mustnt', 'neednt']);

const CLAUSE_BREAKS = new Set([',', ';', ':', '(', ')', '-', '—', '–', '…']);

/** True for punctuation that ends the reach of a negation or intensifier (commas, dashes…). */
export function isClauseBreak(token: TextToken): boolean {
  return token.kind === 'punct' && CLAUSE_BREAKS.has(token.text);
}

function squeezedForms(word: string): string[] {
  const forms = [word];
  const two = word.replace(/(\p{L})\1{2,}/gu, '$1$1');
  const one = word.replace(/(\p{L})\1{2,}/gu, '$1');
  if (two !== word) forms.push(two);
  if (one !== word && one !== two) forms.push(one);
  return forms;
}

function word(text: string, shouted: boolean): TextToken {
  return { text, kind: 'word', shouted, forms: squeezedForms(text) };
}

/** The tokens of `text`, in order (see {@link TextToken}). */
export function tokenize(text: string): TextToken[] {
  const tokens: TextToken[] = [];
  for (const match of text.matchAll(TOKEN_PATTERN)) {
    const raw = match[0];
    if (EMOTICONS.includes(raw)) {
      tokens.push({ text: raw, kind: 'emoticon', shouted: false, forms: [raw] });
      continue;
    }
    if (/^\p{Extended_Pictographic}$/u.test(raw)) {
      tokens.push({ text: raw, kind: 'emoji', shouted: false, forms: [raw] });
      continue;
    }
    if (!/[\p{L}\p{N}]/u.test(raw)) {
      tokens.push({ text: raw === '…' ? '…' : raw, kind: 'punct', shouted: false, forms: [raw] });
      continue;
    }
    const lower = raw.toLowerCase().replace(/’/g, "'");
    const shouted = raw.length >= 2 && /\p{Lu}/u.test(raw) && raw === raw.toUpperCase() && /^\p{L}/u.test(raw);
    if (lower.endsWith("n't") && lower.length > 3) {
      const base = lower === "can't" ? 'can' : lower === "won't" ? 'will' : lower.slice(0, -3);
      tokens.push(word(base, shouted), word('not', shouted));
    } else if (BARE_NEGATIONS.has(lower)) {
      const base = lower === 'cannot' || lower === 'cant' ? 'can' : lower === 'wont' ? 'will' : lower === 'aint' ? 'is' : lower.slice(0, -2);
      tokens.push(word(base, shouted), word('not', shouted));
    } else {
      tokens.push(word(lower, shouted));
    }
  }
  return tokens;
}

/** `tokens` grouped into sentences, each closed by a run of . ! ? (or the end of the text). */
export function splitSentences(tokens: readonly TextToken[]): Sentence[] {
  const sentences: Sentence[] = [];
  let current: TextToken[] = [];
  let exclamations = 0;
  let questions = 0;
  const close = (): void => {
    if (current.length > 0 || exclamations > 0 || questions > 0) sentences.push({ tokens: current, exclamations, questions });
    current = [];
    exclamations = 0;
    questions = 0;
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const isEnd = token.kind === 'punct' && (token.text === '!' || token.text === '?' || token.text === '.');
    if (!isEnd) {
      current.push(token);
      continue;
    }
    if (token.text === '!') exclamations++;
    else if (token.text === '?') questions++;
    const next = tokens[i + 1];
    const runContinues = next && next.kind === 'punct' && (next.text === '!' || next.text === '?' || next.text === '.');
    if (!runContinues) close();
  }
  close();
  return sentences;
}
