/**
 * The run folders under a directory, summarised from their manifests (for `emotion-circuits runs`,
 * the web UI and the report): model, dataset, seed, and each finished stage with its timing. A
 * run's random-weight twin (RUN/twin, a run folder of its own) is part of its run's summary, never
 * a run of the listing.
 *
 * @example
 * for (const run of listRuns('runs')) console.log(run.dir, run.stages.map((s) => s.name), run.twin?.dir);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FILE, TWIN_DIR, type Manifest } from './runStore.js';

export interface StageSummary {
  name: string;
  completedAt: string;
  /** Absent for stages recorded before timings existed. */
  wallMs?: number;
  peakRssBytes?: number;
  peakRssSource?: 'vmhwm' | 'sampled';
}

export interface RunSummary {
  /** The run folder (as found under the listed directory). */
  dir: string;
  name: string;
  /** Set when manifest.json cannot be read; the other fields are then empty. */
  error?: string;
  model: string;
  dataset: string;
  train: number;
  test: number;
  seed: number | null;
  tool: string;
  /** Stages in the order they completed. */
  stages: StageSummary[];
  /** Latest completion time, or '' when no stage finished. */
  updatedAt: string;
  /** The run's random-weight twin (RUN/twin with its manifest.json); absent when it has none. */
  twin?: RunSummary;
}

/** One run's summary from its manifest object. */
export function summariseManifest(dir: string, manifest: Manifest): RunSummary {
  const stages = Object.entries(manifest.stages ?? {})
    .map(([name, record]): StageSummary => ({
      name,
      completedAt: record.completedAt,
      ...(record.wallMs !== undefined ? { wallMs: record.wallMs } : {}),
      ...(record.peakRssBytes !== undefined ? { peakRssBytes: record.peakRssBytes, peakRssSource: record.peakRssSource } : {}),
    }))
    .sort((a, b) => a.completedAt.localeCompare(b.completedAt));
  return {
    dir,
    name: path.basename(dir),
    model: manifest.model?.dir ? path.basename(manifest.model.dir) : '',
    dataset: manifest.dataset?.spec ?? '',
    train: manifest.dataset?.train ?? 0,
    test: manifest.dataset?.test ?? 0,
    seed: typeof manifest.seed === 'number' ? manifest.seed : null,
    tool: manifest.tool ? `${manifest.tool.name} ${manifest.tool.version}` : '',
    stages,
    updatedAt: stages.length ? stages[stages.length - 1].completedAt : '',
  };
}

function readSummary(dir: string): RunSummary {
  try {
    return summariseManifest(dir, JSON.parse(fs.readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as Manifest);
  } catch (error) {
    return { dir, name: path.basename(dir), error: `cannot read ${MANIFEST_FILE}: ${(error as Error).message}`, model: '', dataset: '', train: 0, test: 0, seed: null, tool: '', stages: [], updatedAt: '' };
  }
}

function isRunFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, MANIFEST_FILE));
}

/** RUN/twin when it is a run folder (with its manifest.json), else null. */
export function twinFolder(runDir: string): string | null {
  const twinDir = path.join(runDir, TWIN_DIR);
  return isRunFolder(twinDir) ? twinDir : null;
}

/** A run's summary with its twin's (when RUN/twin is a run folder) as `twin`. */
function readRunWithTwin(dir: string): RunSummary {
  const summary = readSummary(dir);
  const twinDir = twinFolder(dir);
  return twinDir ? { ...summary, twin: readSummary(twinDir) } : summary;
}

/**
 * The run folder that `name` (a plain folder name, no separators) addresses among `listRuns(runsDir)`,
 * or null: `runsDir` itself when it is a run folder named `name` (it comes first), else the run
 * folder `runsDir/name`, except a run folder's own twin. Unlike listRuns this follows a symlinked
 * `runsDir/name`; callers that must stay inside `runsDir` check where it leads.
 */
export function findListedRun(runsDir: string, name: string): string | null {
  const isRun = isRunFolder(runsDir);
  if (isRun && name === path.basename(runsDir)) return runsDir;
  if (isRun && name === TWIN_DIR) return null;
  const dir = path.join(runsDir, name);
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() && isRunFolder(dir) ? dir : null;
}

/**
 * Every folder directly under `runsDir` that holds a manifest.json (and `runsDir` itself, first,
 * when it is a run folder), sorted by name, each with its twin as `twin`. When `runsDir` is a run
 * folder its twin is listed only there, not as a run of its own. A missing `runsDir` lists nothing.
 */
export function listRuns(runsDir: string): RunSummary[] {
  if (!fs.existsSync(runsDir) || !fs.statSync(runsDir).isDirectory()) return [];
  const isRun = isRunFolder(runsDir);
  const dirs = fs.readdirSync(runsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !(isRun && entry.name === TWIN_DIR) && isRunFolder(path.join(runsDir, entry.name)))
    .map((entry) => path.join(runsDir, entry.name))
    .sort();
  if (isRun) dirs.unshift(runsDir);
  return dirs.map(readRunWithTwin);
}

/** "1.2 s", "3 min 4 s", "1 h 2 min". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Bytes as MiB or GiB. */
export function formatBytes(bytes: number): string {
  const mib = bytes / 2 ** 20;
  return mib < 1024 ? `${mib.toFixed(0)} MiB` : `${(mib / 1024).toFixed(2)} GiB`;
}
