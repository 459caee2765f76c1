/**
 * `emotion-circuits runs`: the run folders under a directory, with model, dataset, and each
 * finished stage's wall time and peak memory (from the manifests; nothing is loaded or run).
 */
import { formatBytes, formatDuration, listRuns, type RunSummary, type StageSummary } from '../../pipeline/run/runList.js';
import { parseFlags } from '../args.js';

export const RUNS_USAGE = `emotion-circuits runs [--runs DIR] [--json]
  Lists the run folders under DIR (default runs/; DIR may be one run folder): model, dataset, seed,
  and the stages done with their wall time and peak memory (resident set). A run's random-weight
  twin (RUN/twin) is shown inside its run's block. --json prints the same as a JSON array (the
  twin as the run's "twin" field).
  Example: emotion-circuits runs --runs runs --json`;

/** A run's stages, one line each, under `indent`. */
function stageLines(stages: readonly StageSummary[], indent: string): string[] {
  if (stages.length === 0) return [`${indent}no stage finished yet`];
  const width = Math.max(0, ...stages.map((s) => s.name.length));
  return stages.map((stage) => {
    const time = stage.wallMs !== undefined ? formatDuration(stage.wallMs) : '–';
    const memory = stage.peakRssBytes !== undefined ? `${formatBytes(stage.peakRssBytes)} peak RSS${stage.peakRssSource === 'sampled' ? ' (sampled)' : ''}` : '';
    return `${indent}${stage.name.padEnd(width)}  ${time.padStart(12)}  ${memory.padEnd(26)}  ${stage.completedAt}`;
  });
}

/** The twin's block inside its run's: a `twin` line, then its stages indented one step further. */
function twinLines(twin: RunSummary): string[] {
  if (twin.error) return [`  twin ${twin.dir}  (${twin.error})`];
  return [`  twin ${twin.dir}  random-weight twin`, ...stageLines(twin.stages, '    ')];
}

/** The human-readable listing (one block per run, its twin's block nested in it). */
export function formatRuns(runs: readonly RunSummary[], runsDir: string): string {
  if (runs.length === 0) return `no run folders under ${runsDir} (make one with \`emotion-circuits start\`)\n`;
  const lines: string[] = [];
  for (const run of runs) {
    if (run.error) lines.push(`${run.dir}  (${run.error})`);
    else lines.push(`${run.dir}  model ${run.model}  dataset ${run.dataset} (${run.train} train / ${run.test} test scenarios)  seed ${run.seed ?? '?'}  ${run.tool}`, ...stageLines(run.stages, '  '));
    if (run.twin) lines.push(...twinLines(run.twin));
    lines.push('');
  }
  return lines.join('\n');
}

export async function runRunsCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('runs', argv, {
    runs: { type: 'string', default: 'runs' },
    json: { type: 'boolean', default: false },
  });
  const runs = listRuns(values.runs);
  process.stdout.write(values.json ? `${JSON.stringify(runs, null, 2)}\n` : formatRuns(runs, values.runs));
}
