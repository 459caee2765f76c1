/**
 * The report page: sections of figures and tables as one self-contained HTML document (inline
 * CSS and SVG, downloads as data: URLs, no script, nothing fetched at view time).
 */
import { figureColumns, renderSvg, toCsv, type Cell, type Figure, type Row } from './figure.js';

/** A table shown in the page (not folded away), with its CSV download. */
export interface TableBlock {
  kind: 'table';
  id: string;
  title: string;
  caption?: string;
  columns: string[];
  rows: Row[];
  /** Columns whose cells are long text (wrapped, wider). */
  textColumns?: string[];
}

export type Block =
  | { kind: 'figure'; figure: Figure }
  | TableBlock
  | { kind: 'note'; text: string };

export interface Section {
  id: string;
  title: string;
  intro?: string;
  blocks: Block[];
}

/** Rows shown in a folded data table; the download always has every row. */
export const MAX_TABLE_ROWS = 400;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A number as a reader wants it: integers as they are, others to 4 significant digits. */
export function formatCell(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : Number(value.toPrecision(4)).toString();
  return value;
}

function tableHtml(columns: readonly string[], rows: readonly Row[], format: (v: Cell) => string, textColumns: readonly string[] = []): string {
  const head = columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${columns.map((c) => {
      const value = row[c] ?? null;
      const cls = textColumns.includes(c) ? ' class="text"' : typeof value === 'number' ? ' class="num"' : '';
      return `<td${cls}>${escapeHtml(format(value))}</td>`;
    }).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function downloadLink(id: string, columns: readonly string[], rows: readonly Row[]): string {
  const href = `data:text/csv;charset=utf-8,${encodeURIComponent(toCsv(rows, columns))}`;
  return `<a class="download" download="${escapeHtml(id)}.csv" href="${href}">download CSV (${rows.length} rows)</a>`;
}

/** The folded table of a figure's exact numbers (first MAX_TABLE_ROWS rows) and the CSV of all. */
function dataDetails(id: string, columns: readonly string[], rows: readonly Row[]): string {
  const shown = rows.slice(0, MAX_TABLE_ROWS);
  const more = rows.length > shown.length ? `<p class="muted">first ${shown.length} of ${rows.length} rows; the CSV has all</p>` : '';
  return `<details class="data" data-figure="${escapeHtml(id)}"><summary>numbers (${rows.length} rows)</summary>${downloadLink(id, columns, rows)}${more}${tableHtml(columns, shown, (v) => (v === null ? '' : String(v)))}</details>`;
}

async function blockHtml(block: Block): Promise<string> {
  if (block.kind === 'note') return `<p class="note">${escapeHtml(block.text)}</p>`;
  if (block.kind === 'table') {
    const caption = block.caption ? `<p class="caption">${escapeHtml(block.caption)}</p>` : '';
    return `<div class="block" id="${escapeHtml(block.id)}"><h3>${escapeHtml(block.title)}</h3>${caption}<div class="scroll">${tableHtml(block.columns, block.rows, formatCell, block.textColumns)}</div>${downloadLink(block.id, block.columns, block.rows)}</div>`;
  }
  const { figure } = block;
  const caption = figure.caption ? `<p class="caption">${escapeHtml(figure.caption)}</p>` : '';
  const svg = await renderSvg(figure);
  return `<figure class="block" id="${escapeHtml(figure.id)}"><h3>${escapeHtml(figure.title)}</h3>${caption}<div class="plot scroll">${svg}</div>${dataDetails(figure.id, figureColumns(figure), figure.rows)}</figure>`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0; background: #fafafa; }
header, main { max-width: 1200px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 16px; }
h1 { font-size: 22px; margin: 8px 0; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 4px 0; }
section > p, .caption, .note { max-width: 80ch; }
.caption { color: #444; margin: 2px 0 8px; }
.note { background: #fff8e1; border-left: 3px solid #e0b000; padding: 6px 10px; }
.muted { color: #777; }
.block { background: white; border: 1px solid #e3e3e3; border-radius: 6px; padding: 10px 14px; margin: 12px 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; }
th, td { border: 1px solid #e3e3e3; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.text { min-width: 22ch; max-width: 60ch; white-space: pre-wrap; }
details.data { margin-top: 6px; }
details.data > table { max-height: 400px; }
summary { cursor: pointer; color: #1a5fb4; }
a.download { display: inline-block; margin: 4px 0; font-size: 12.5px; }
nav ol { columns: 2; margin: 6px 0 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dl.meta dt { color: #666; }
dl.meta dd { margin: 0; word-break: break-all; }
`;

/** The whole page. `meta` is shown as a definition list under the title. */
export async function pageHtml(title: string, meta: ReadonlyArray<[string, string]>, sections: readonly Section[]): Promise<string> {
  const parts: string[] = [];
  for (const section of sections) {
    const blocks: string[] = [];
    for (const block of section.blocks) blocks.push(await blockHtml(block));
    const intro = section.intro ? `<p>${escapeHtml(section.intro)}</p>` : '';
    parts.push(`<section id="${escapeHtml(section.id)}"><h2>${escapeHtml(section.title)}</h2>${intro}\n${blocks.join('\n')}</section>`);
  }
  const nav = sections.map((s) => `<li><a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a></li>`).join('');
  const metaHtml = meta.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><dl class="meta">${metaHtml}</dl><nav><ol>${nav}</ol></nav></header>
<main>
${parts.join('\n')}
</main>
</body>
</html>
`;
}
