/**
 * SEV (Scenario–Event with Valence) stimuli: reading, validating, splitting and hashing.
 *
 * One JSON object per line, the format of the paper's release:
 * `{"theme","scenario","event":{"positive","neutral","negative"},"skeleton_id"}`.
 * The project ships its own original SEV under `<package root>/data/sev/{train,test}.jsonl`
 * (see `data/sev/DATASHEET.md`); any file in the same format can be used instead.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatasetError, UsageError } from '../../errors.js';
import { VALENCES, type Valence } from '../../emotions.js';
import { seededRandom, shuffleInPlace } from '../../random.js';

export interface SevItem {
  /** Theme label, e.g. `work` (ours) or `Work/Job` (the paper's). */
  theme: string;
  /** First-person, valence-neutral setting of the scene. */
  scenario: string;
  /** One event per valence; the three differ only in valence. */
  event: Record<Valence, string>;
  /** Unique id of the scenario within its file (`skeleton_id` on disk). */
  skeletonId: string;
}

export type SevSplit = 'train' | 'test';

export interface SevSplitResult {
  train: SevItem[];
  test: SevItem[];
}

/** Options for {@link loadSev} when the spec names a single file that has no split of its own. */
export interface LoadSevOptions {
  /** Share of each theme's scenarios that goes to the test split. Default 0.25. */
  testFraction?: number;
  /** Seed of the deterministic split. Default 0. */
  seed?: number;
}

export const DEFAULT_TEST_FRACTION = 0.25;
export const DEFAULT_SPLIT_SEED = 0;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  return `a ${typeof value}`;
}

function requireText(record: Record<string, unknown>, key: string, where: string, label = key): string {
  const value = record[key];
  if (typeof value !== 'string' || value.trim() === '') {
    const got = key in record ? describe(value) : 'nothing (field missing)';
    throw new DatasetError(where, `expected "${label}" to be a non-empty string, got ${got}`);
  }
  return value;
}

/**
 * Parses SEV JSONL text. Blank lines are skipped; every other line must be one SEV object.
 * Unknown extra fields are ignored. Throws a {@link DatasetError} located at `source:line`
 * (1-based) on the first bad line — invalid JSON, a missing, empty or mistyped field, or a
 * repeated `skeleton_id` — and returns nothing partial.
 *
 * @param text   file contents
 * @param source file name used in error messages
 */
export function parseSevJsonl(text: string, source: string): SevItem[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const items: SevItem[] = [];
  const lineOfId = new Map<string, number>();
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    if (line.trim() === '') continue;
    const where = `${source}:${index + 1}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new DatasetError(where, `expected one JSON object per line, but the line is not valid JSON (${reason})`);
    }
    if (!isRecord(parsed)) {
      throw new DatasetError(where, `expected a JSON object with theme, scenario, event and skeleton_id, got ${describe(parsed)}`);
    }
    const theme = requireText(parsed, 'theme', where);
    const scenario = requireText(parsed, 'scenario', where);
    const skeletonId = requireText(parsed, 'skeleton_id', where);
    const rawEvent = parsed.event;
    if (!isRecord(rawEvent)) {
      const got = 'event' in parsed ? describe(rawEvent) : 'nothing (field missing)';
      throw new DatasetError(where, `expected "event" to be an object with positive, neutral and negative, got ${got}`);
    }
    const event = {} as Record<Valence, string>;
    for (const valence of VALENCES) event[valence] = requireText(rawEvent, valence, where, `event.${valence}`);
    const firstLine = lineOfId.get(skeletonId);
    if (firstLine !== undefined) {
      throw new DatasetError(where, `expected a unique skeleton_id, but "${skeletonId}" was already used on line ${firstLine}`);
    }
    lineOfId.set(skeletonId, index + 1);
    items.push({ theme, scenario, event, skeletonId });
  }
  if (items.length === 0) throw new DatasetError(source, 'expected at least one SEV item, but the file has none');
  return items;
}

/** Reads and parses one SEV JSONL file. */
export function loadSevFile(path: string): SevItem[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new DatasetError(path, `cannot read SEV file (${reason})`);
  }
  return parseSevJsonl(text, path);
}

let packageRootCache: string | undefined;

/**
 * The package root: the nearest folder above this module holding `package.json` and `data/sev`.
 * Compiled code runs from `dist/src/pipeline/`, sources from `src/pipeline/`; both find it.
 */
export function packageRoot(): string {
  if (packageRootCache !== undefined) return packageRootCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'data', 'sev'))) {
      packageRootCache = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      throw new DatasetError(fileURLToPath(import.meta.url), 'cannot find the package root (a folder with package.json and data/sev) above this module');
    }
    dir = parent;
  }
}

/** Path of the project's own SEV split, `<package root>/data/sev/<split>.jsonl`. */
export function builtinSevPath(split: SevSplit): string {
  return join(packageRoot(), 'data', 'sev', `${split}.jsonl`);
}

/**
 * Loads one split of a SEV dataset.
 *
 * - `'sev'`: the project's own SEV (`data/sev/train.jsonl`, `data/sev/test.jsonl`).
 * - a folder: `<folder>/<split>.jsonl`.
 * - a file: the whole file is split by {@link splitItems} (by theme and scenario, seeded), as
 *   for the paper's release, which has a single file.
 */
export function loadSev(spec: 'sev' | string, split: SevSplit, options: LoadSevOptions = {}): SevItem[] {
  if (spec === 'sev') return loadSevFile(builtinSevPath(split));
  if (existsSync(spec) && statSync(spec).isDirectory()) return loadSevFile(join(spec, `${split}.jsonl`));
  const items = loadSevFile(spec);
  const parts = splitItems(items, options.testFraction ?? DEFAULT_TEST_FRACTION, options.seed ?? DEFAULT_SPLIT_SEED);
  return parts[split];
}

/** Groups items by theme, keeping first-appearance order of themes and items. */
export function groupByTheme(items: readonly SevItem[]): Map<string, SevItem[]> {
  const byTheme = new Map<string, SevItem[]>();
  for (const item of items) {
    const list = byTheme.get(item.theme);
    if (list) list.push(item);
    else byTheme.set(item.theme, [item]);
  }
  return byTheme;
}

/** Lower-case, single-spaced, without trailing punctuation: two spellings of one scenario match. */
function scenarioKey(scenario: string): string {
  return scenario.toLowerCase().replace(/\s+/g, ' ').replace(/[\s.!?]+$/, '').trim();
}

/** 32-bit FNV-1a, to derive a per-theme seed from a theme name. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * Deterministic train/test split for a dataset shipped as one file. Stratified by theme: within
 * each theme, items are grouped by scenario (case and spacing ignored), the groups are shuffled
 * with a PRNG seeded by `seed` and the theme name, and `round(groups × testFraction)` of them
 * (at least one when the theme has two or more groups) go to test. A scenario never lands in
 * both splits. Items keep their input order within each split.
 */
export function splitItems(items: readonly SevItem[], testFraction: number, seed: number): SevSplitResult {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new UsageError(`testFraction must be strictly between 0 and 1, got ${testFraction}`);
  }
  if (!Number.isInteger(seed)) throw new UsageError(`seed must be an integer, got ${seed}`);
  const testItems = new Set<SevItem>();
  for (const [theme, themeItems] of groupByTheme(items)) {
    const groups = new Map<string, SevItem[]>();
    for (const item of themeItems) {
      const key = scenarioKey(item.scenario);
      const group = groups.get(key);
      if (group) group.push(item);
      else groups.set(key, [item]);
    }
    // Each theme gets its own stream, so adding a theme does not reshuffle the others.
    const keys = shuffleInPlace([...groups.keys()], seededRandom((Math.imul(seed, 31) ^ fnv1a(theme)) | 0));
    let nTest = Math.round(keys.length * testFraction);
    if (keys.length >= 2) nTest = Math.min(Math.max(nTest, 1), keys.length - 1);
    for (const key of keys.slice(0, nTest)) for (const item of groups.get(key) ?? []) testItems.add(item);
  }
  return {
    train: items.filter((item) => !testItems.has(item)),
    test: items.filter((item) => testItems.has(item)),
  };
}

/** The canonical JSON line of an item: on-disk field names in a fixed order. */
export function canonicalSevJson(item: SevItem): string {
  return JSON.stringify({
    theme: item.theme,
    scenario: item.scenario,
    event: { positive: item.event.positive, neutral: item.event.neutral, negative: item.event.negative },
    skeleton_id: item.skeletonId,
  });
}

/** SHA-256 (hex) of the items' canonical JSON lines joined by `\n`, for run manifests. */
export function sevHash(items: readonly SevItem[]): string {
  return createHash('sha256').update(items.map(canonicalSevJson).join('\n')).digest('hex');
}
