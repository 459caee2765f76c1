/**
 * Reads an LLM judge's reply into {match, reason, label}, repairing the usual damage: ``` fences,
 * prose around the object, trailing commas, single quotes, unquoted keys, Python booleans, and a
 * bare "yes"/"no" instead of JSON.
 */
import { isEmotion, type Emotion } from '../emotions.js';

export interface ParsedVerdict {
  readonly match: boolean;
  readonly reason?: string;
  readonly label: Emotion | 'neutral' | null;
}

/** The first balanced {...} of `text` (braces inside strings ignored), or null. */
export function firstJsonObject(text: string): string | null {
  const start = text.indexOf('{');
  if (start < 0) return null;
  let depth = 0;
  let quote: string | null = null;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return text.slice(start, i + 1);
  }
  return null;
}

/** Rewrites near-JSON into JSON: single-quoted strings, unquoted keys, trailing commas, True/False. */
export function repairJson(objectText: string): string {
  let out = '';
  for (let i = 0; i < objectText.length; i++) {
    const ch = objectText[i];
    if (ch === '"') {
      // Copy a double-quoted string unchanged.
      let j = i + 1;
      while (j < objectText.length && objectText[j] !== '"') j += objectText[j] === '\\' ? 2 : 1;
      out += objectText.slice(i, j + 1);
      i = j;
    } else if (ch === "'") {
      let j = i + 1;
      let body = '';
      while (j < objectText.length && objectText[j] !== "'") {
        if (objectText[j] === '\\' && objectText[j + 1] === "'") {
          body += "'";
          j += 2;
        } else body += objectText[j++];
      }
      out += JSON.stringify(body);
      i = j;
    } else out += ch;
  }
  return out
    .replace(/([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:/g, '$1"$2":')
    .replace(/,\s*([}\]])/g, '$1')
    .replace(/:\s*True\b/g, ': true')
    .replace(/:\s*False\b/g, ': false');
}

function toBoolean(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : null;
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  if (['true', 'yes', 'y', 'match', 'matches'].includes(word)) return true;
  if (['false', 'no', 'n', 'no match', 'mismatch'].includes(word)) return false;
  return null;
}

function toLabel(value: unknown): Emotion | 'neutral' | null {
  if (typeof value !== 'string') return null;
  const word = value.trim().toLowerCase();
  if (word === 'joy') return 'happiness';
  return isEmotion(word) || word === 'neutral' ? (word as Emotion | 'neutral') : null;
}

/** The verdict in `reply`, or an error string saying why none could be read. */
export function parseVerdictReply(reply: string): ParsedVerdict | { readonly error: string } {
  const unfenced = reply.replace(/```[a-zA-Z]*\s*/g, '').trim();
  const objectText = firstJsonObject(unfenced);
  if (objectText !== null) {
    let value: unknown;
    try {
      value = JSON.parse(objectText);
    } catch {
      try {
        value = JSON.parse(repairJson(objectText));
      } catch (error) {
        return { error: `reply is not valid JSON even after repair (${(error as Error).message}): ${reply.slice(0, 200)}` };
      }
    }
    const record = (value ?? {}) as Record<string, unknown>;
    const match = toBoolean(record.match);
    if (match === null) return { error: `reply has no boolean "match": ${reply.slice(0, 200)}` };
    const reason = typeof record.reason === 'string' ? record.reason : undefined;
    return { match, reason, label: toLabel(record.label ?? record.emotion) };
  }
  const firstWord = /^[\s"'*]*([A-Za-z]+)/.exec(unfenced)?.[1];
  const match = firstWord === undefined ? null : toBoolean(firstWord);
  if (match === null) return { error: `reply holds no JSON object and no yes/no: ${reply.slice(0, 200)}` };
  return { match, reason: unfenced.slice(firstWord!.length).replace(/^[\s.,:;-]+/, '') || undefined, label: null };
}
