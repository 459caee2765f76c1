/**
 * `emotion-circuits runs`: the run folders under a directory, with model, dataset, and each
 * finished stage's wall time and peak memory (from the manifests; nothing is loaded or run).
 */
import { formatBytes, formatDuration, listRuns, type RunSummary } from '../../pipeline/run/runList.js';
import { parseFlags } from '../args.js';

export const RUNS_USAGE = `emotion-circuits runs [--runs DIR] [--json]
  Lists the run folders under DIR (default runs/): model, dataset, seed, and the stages done with
  their wall time and peak memory (resident set). --json prints the same as a JSON array.
  Example: emotion-circuits runs --runs runs --json`;

/** The human-readable listing (one block per run). */
export function formatRuns(runs: readonly RunSummary[], runsDir: string): string {
  if (runs.length === 0) return `no run folders under ${runsDir} (make one with \`emotion-circuits start\`)\n`;
  const lines: string[] = [];
  for (const run of runs) {
    if (run.error) {
      lines.push(`${run.dir}  (${run.error})`, '');
      continue;
    }
    lines.push(`${run.dir}  model ${run.model}  dataset ${run.dataset} (${run.train} train / ${run.test} test scenarios)  seed ${run.seed ?? '?'}  ${run.tool}`);
    if (run.stages.length === 0) lines.push('  no stage finished yet');
    const width = Math.max(0, ...run.stages.map((s) => s.name.length));
    for (const stage of run.stages) {
      const time = stage.wallMs !== undefined ? formatDuration(stage.wallMs) : '–';
      const memory = stage.peakRssBytes !== undefined ? `${formatBytes(stage.peakRssBytes)} peak RSS${stage.peakRssSource === 'sampled' ? ' (sampled)' : ''}` : '';
      lines.push(`  ${stage.name.padEnd(width)}  ${time.padStart(12)}  ${memory.padEnd(26)}  ${stage.completedAt}`);
    }
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
