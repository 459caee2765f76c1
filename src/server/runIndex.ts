/**
 * The runs the web UI serves, taken from `listRuns` so that the UI and `emotion-circuits runs`
 * agree. A run is addressed by its name: a run folder directly under the runs root, or, when the
 * root is itself a run folder, the root (named after its folder, listed first). A run's
 * random-weight twin (RUN/twin, a run folder of its own) is nested in its run as `NAME/twin` (URLs
 * /runs/NAME/twin/…, /api/runs/NAME/twin), never a run of its own. Symlinked run folders are not
 * listed (as in `runs`); a run or twin whose real folder lies outside the root is neither listed
 * nor served.
 *
 * @example
 * const runs = servedRuns(realRoot); // [{ name: 'a', …, twin: { name: 'a/twin', … } }, …]
 * const twinDir = servedRunFolder(realRoot, 'a', true);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findListedRun, listRuns, twinFolder, type RunSummary } from '../pipeline/run/runList.js';
import { TWIN_DIR } from '../pipeline/run/runStore.js';
import { REPORT_FILE } from '../report/index.js';
import { HttpError } from './generateRoute.js';
import { decodeSegment, realUnderRoot } from './safePath.js';

/** One run as /api/runs lists it (and the runs page shows it). */
export interface ServedRun {
  /** How URLs and the playground name it: NAME, or NAME/twin for a twin. */
  name: string;
  /** The model folder's name, '' when the manifest has none. */
  model: string;
  dataset: string;
  /** Finished stages in the order they completed. */
  stages: string[];
  hasReport: boolean;
  /** Set when manifest.json cannot be read. */
  error?: string;
  /** The run's random-weight twin; absent when it has none. */
  twin?: ServedRun;
}

/** Whether the run folder `runDir` has a twin (RUN/twin with a manifest.json) that lies inside the root. */
export function hasServedTwin(realRoot: string, runDir: string): boolean {
  const twinDir = twinFolder(runDir);
  return twinDir !== null && realUnderRoot(realRoot, twinDir).kind === 'ok';
}

function served(name: string, summary: RunSummary): ServedRun {
  return {
    name,
    model: summary.model,
    dataset: summary.dataset,
    stages: summary.stages.map((stage) => stage.name),
    hasReport: fs.existsSync(path.join(summary.dir, REPORT_FILE)),
    ...(summary.error !== undefined ? { error: summary.error } : {}),
  };
}

/** The runs under `realRoot` (a realpath) in `listRuns` order, each with its twin as `twin`. */
export function servedRuns(realRoot: string): ServedRun[] {
  // listRuns lists no symlinked run folder; RUN/twin is followed, so it is checked here.
  return listRuns(realRoot).map((summary) => {
    const run = served(summary.name, summary);
    return summary.twin && realUnderRoot(realRoot, summary.twin.dir).kind === 'ok' ? { ...run, twin: served(runName(summary.name, true), summary.twin) } : run;
  });
}

/** The name a run (or its twin) is shown and requested by: NAME or NAME/twin. */
export function runName(name: string, twin: boolean): string {
  return twin ? `${name}/${TWIN_DIR}` : name;
}

/**
 * The real folder of the run named by the raw (percent-encoded) URL segment `rawName`, or of its
 * twin; otherwise an HttpError: 400/403 for a refused segment, 404 for no such run or twin, 403 when
 * the folder's real path lies outside the root.
 */
export function servedRunFolder(realRoot: string, rawName: string, twin: boolean): string {
  const decoded = decodeSegment(rawName);
  if (!decoded.ok) throw new HttpError(decoded.status, decoded.reason);
  const listed = findListedRun(realRoot, decoded.name);
  if (!listed) throw new HttpError(404, 'no such run (a run folder has a manifest.json)');
  const dir = twin ? twinFolder(listed) : listed;
  if (!dir) throw new HttpError(404, `this run has no random-weight twin (${TWIN_DIR}/ with a manifest.json)`);
  const real = realUnderRoot(realRoot, dir);
  if (real.kind !== 'ok') throw new HttpError(real.status, real.reason);
  return real.path;
}

/** The real folder of the run the playground names `name` (NAME or NAME/twin, not encoded). */
export function playgroundRunFolder(realRoot: string, name: string): string {
  const [run, ...rest] = name.split('/');
  if (rest.length > 1 || (rest.length === 1 && rest[0] !== TWIN_DIR)) throw new HttpError(404, `run: expected a run's name or NAME/${TWIN_DIR}`);
  return servedRunFolder(realRoot, encodeURIComponent(run), rest.length === 1);
}
