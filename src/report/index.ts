/** The HTML report of a run folder: `renderReport(runDir)` → HTML string, `writeReport(runDir)` → path of report.html. */
export { renderReport, reportSections, writeReport, REPORT_FILE } from './report.js';
export type { Block, Section, TableBlock } from './html.js';
export type { Figure, Row } from './figure.js';
