/**
 * Defensive reading of a run folder's artefacts for the report: a missing file means "no
 * section"; a file that cannot be parsed, or whose shape is not the one a section knows, means a
 * note in the page instead of the section (the report never fails because one stage's format
 * changed).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type Loaded<T> =
  | { state: 'missing' }
  | { state: 'unreadable'; file: string; reason: string }
  | { state: 'ok'; file: string; value: T };

/** Parses `runDir/file` as JSON (or JSON lines when `lines`). */
export function loadJson(runDir: string, file: string, lines = false): Loaded<unknown> {
  const full = path.join(runDir, file);
  if (!fs.existsSync(full)) return { state: 'missing' };
  try {
    const text = fs.readFileSync(full, 'utf8');
    const value = lines ? text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown) : JSON.parse(text) as unknown;
    return { state: 'ok', file, value };
  } catch (error) {
    return { state: 'unreadable', file, reason: (error as Error).message };
  }
}

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isNumberArray(value: unknown, length?: number): value is number[] {
  return Array.isArray(value) && (length === undefined || value.length === length) && value.every((v) => typeof v === 'number');
}

/** A [n][m] matrix of numbers. */
export function isMatrix(value: unknown, n?: number, m?: number): value is number[][] {
  return Array.isArray(value) && (n === undefined || value.length === n) && value.every((row) => isNumberArray(row, m));
}

export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** `obj.a.b.c`, or undefined where any step is missing. */
export function pick(obj: unknown, ...keys: (string | number)[]): unknown {
  let at = obj;
  for (const key of keys) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

/** The note shown when a file exists but a section cannot read it. */
export function unrecognised(file: string, what: string): string {
  return `${file} is present but its format is not one this report knows (${what}); the section is left out. Regenerate the report with a newer emotion-circuits, or read the file directly.`;
}
