/**
 * The self-contained HTML report of a run folder (DESIGN.md §5): one section per kind of result
 * the run has, each plot with its numbers one click away. Sections whose file is absent are left
 * out; a file in a format this version does not know becomes a note in the page.
 *
 * @example
 * const file = await writeReport('runs/tinystories-656k'); // runs/tinystories-656k/report.html
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError } from '../errors.js';
import { writeFileAtomic } from '../atomicFile.js';
import { formatBytes, formatDuration, summariseManifest } from '../pipeline/run/runList.js';
import { MANIFEST_FILE, type Manifest } from '../pipeline/run/runStore.js';
import { weightsSummary } from '../pipeline/run/weightsMode.js';
import { pageHtml, type Section } from './html.js';
import { componentsSections } from './sections/componentsSection.js';
import { directionsSections } from './sections/directionsSection.js';
import { circuitsSections } from './sections/circuitsSection.js';
import { evaluationSections } from './sections/evaluationSection.js';

export const REPORT_FILE = 'report.html';

function readManifest(runDir: string): Manifest {
  const file = path.join(runDir, MANIFEST_FILE);
  if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', `not a run folder: ${MANIFEST_FILE} is missing (make one with \`emotion-circuits start\`)`, runDir);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (error) {
    throw new EmotionCircuitsError('RUN', `cannot read ${MANIFEST_FILE}: ${(error as Error).message}`, file);
  }
}

/** The run section: what produced it and each stage's time and memory. */
function runSection(runDir: string, manifest: Manifest): Section {
  const summary = summariseManifest(runDir, manifest);
  return {
    id: 'run',
    title: 'Run',
    intro: 'Stages in the order they finished, with the wall time and the peak resident memory of the invocation that finished each.',
    blocks: [{
      kind: 'table',
      id: 'stages',
      title: 'Stages',
      columns: ['stage', 'completed', 'wall time', 'wall ms', 'peak RSS', 'peak RSS bytes', 'outputs'],
      rows: summary.stages.map((stage) => ({
        stage: stage.name,
        completed: stage.completedAt,
        'wall time': stage.wallMs !== undefined ? formatDuration(stage.wallMs) : null,
        'wall ms': stage.wallMs ?? null,
        'peak RSS': stage.peakRssBytes !== undefined ? formatBytes(stage.peakRssBytes) + (stage.peakRssSource === 'sampled' ? ' (sampled)' : '') : null,
        'peak RSS bytes': stage.peakRssBytes ?? null,
        outputs: manifest.stages[stage.name].outputs.join(', '),
      })),
    }],
  };
}

/** The sections of the report of `runDir`, with the rows of every figure and table (nothing rendered). */
export function reportSections(runDir: string): Section[] {
  const manifest = readManifest(runDir);
  return [
    runSection(runDir, manifest),
    ...directionsSections(runDir),
    ...componentsSections(runDir),
    ...circuitsSections(runDir),
    ...evaluationSections(runDir),
  ];
}

/** The report of `runDir` as one HTML string (nothing is written). */
export async function renderReport(runDir: string): Promise<string> {
  const manifest = readManifest(runDir);
  const sections = reportSections(runDir);
  const summary = summariseManifest(runDir, manifest);
  const meta: Array<[string, string]> = [
    ['model', `${manifest.model?.dir ?? '?'}`],
    ['weights', manifest.model ? weightsSummary(manifest) : '?'],
    ['dataset', `${summary.dataset} (${summary.train} train / ${summary.test} test scenarios, hash ${manifest.dataset?.hash?.slice(0, 12) ?? '?'})`],
    ['seed', String(summary.seed ?? '?')],
    ['settings', JSON.stringify(manifest.settings ?? {})],
    ['tool', summary.tool],
    ['last stage', summary.updatedAt || 'none'],
  ];
  return pageHtml(`emotion-circuits report — ${summary.model || path.basename(path.resolve(runDir))}`, meta, sections);
}

/** Writes `runDir/report.html` (atomically) and returns its path. */
export async function writeReport(runDir: string): Promise<string> {
  const html = await renderReport(runDir);
  const file = path.join(runDir, REPORT_FILE);
  writeFileAtomic(file, html);
  return file;
}
