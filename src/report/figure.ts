/**
 * A report figure: a Vega-Lite spec and the rows it plots. The rows are the single source of the
 * numbers: they go into the spec as inline data, into the table under the plot, and into the
 * CSV download, so the three cannot disagree.
 *
 * Rendering is headless (Vega's `renderer: 'none'` view, `toSVG()`): no canvas, no browser, no
 * network, and the SVG is inlined into the page.
 *
 * @example
 * const svg = await renderSvg({ id: 'acc', title: 'Accuracy', rows: [{ layer: 0, accuracy: 0.5 }],
 *   spec: { mark: 'line', encoding: { x: { field: 'layer' }, y: { field: 'accuracy' } } } });
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export type Cell = number | string | null;
export type Row = Record<string, Cell>;

export interface Figure {
  /** Unique in the page; also the download's file name. */
  id: string;
  title: string;
  /** What is plotted and how to read it. */
  caption?: string;
  /** Vega-Lite spec without `data` (the rows are added as inline values). */
  spec: Record<string, unknown>;
  rows: Row[];
  /** Columns of the data table, in order (default: the keys of the first row). */
  columns?: string[];
}

const CONFIG = {
  font: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif',
  view: { stroke: '#ddd' },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#eee' },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/** The figure's full Vega-Lite spec, with its rows inline. */
export function fullSpec(figure: Figure): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CONFIG,
    background: 'white',
    padding: 6,
    ...figure.spec,
    data: { values: figure.rows },
  } as unknown as TopLevelSpec;
}

/** The figure as an SVG string (Vega-Lite → Vega → headless view). */
export async function renderSvg(figure: Figure): Promise<string> {
  const view = new vega.View(vega.parse(compile(fullSpec(figure)).spec), { renderer: 'none', logLevel: vega.Warn });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Columns of a figure's table. */
export function figureColumns(figure: Pick<Figure, 'rows' | 'columns'>): string[] {
  return figure.columns ?? Object.keys(figure.rows[0] ?? {});
}

function csvCell(value: Cell): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The rows as CSV (header line first). */
export function toCsv(rows: readonly Row[], columns: readonly string[]): string {
  return [columns.map(csvCell).join(','), ...rows.map((row) => columns.map((c) => csvCell(row[c] ?? null)).join(','))].join('\n') + '\n';
}
