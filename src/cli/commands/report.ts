/**
 * `emotion-circuits report`: writes a run folder's self-contained report.html (inline SVG plots,
 * every plot's numbers one click away, nothing fetched at view time).
 */
import { UsageError } from '../../errors.js';
import { writeReport } from '../../report/report.js';
import { parseFlags } from '../args.js';

export const REPORT_USAGE = `emotion-circuits report --run RUN_DIR
  Writes RUN_DIR/report.html: direction cosine maps, held-out accuracy and consistency beside their
  controls, PCA per layer, emotion heads and neurons, ablation/enhancement curves, sublayer
  influence, circuit diagrams, the evaluation table and example generations — each section when
  the run has its data. Open it in any browser; it needs no network.
  Example: emotion-circuits report --run runs/tinystories-656k`;

export async function runReportCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('report', argv, { run: { type: 'string' } });
  if (!values.run) throw new UsageError(`report: --run RUN_DIR is required\n${REPORT_USAGE}`);
  const file = await writeReport(values.run);
  process.stdout.write(`${file}\n`);
}
