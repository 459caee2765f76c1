/**
 * The server's HTML pages (no framework, no CDN): the runs list (each run's twin in a row under
 * it), one run's page, a folder listing, and the playground shell whose script is served from
 * /assets/playground.js. Every value that comes from disk is escaped.
 */
import { EMOTIONS } from '../emotions.js';
import { escapeHtml } from '../report/html.js';
import { METHODS } from './playgroundArms.js';
import type { ServedRun } from './runIndex.js';

/** A URL path segment for a run or file name. */
export function segment(name: string): string {
  return encodeURIComponent(name);
}

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; color: #1d1d1f; }
header a { margin-right: 1rem; } table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: .3rem .6rem; text-align: left; vertical-align: top; }
code, pre { background: #f4f4f6; border-radius: 4px; padding: .1rem .3rem; } pre { padding: .6rem; overflow: auto; max-height: 30rem; }
form.play { display: grid; grid-template-columns: 9rem 1fr; gap: .4rem .8rem; align-items: center; max-width: 48rem; }
textarea { width: 100%; min-height: 4rem; } .panes { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; margin-top: 1rem; }
.pane { border: 1px solid #ccc; border-radius: 6px; padding: .6rem; min-height: 6rem; white-space: pre-wrap; } .pane h3 { margin: 0 0 .4rem; font-size: 1rem; }
#status { margin-top: .6rem; color: #555; } .muted { color: #777; } tr.twin td { border-bottom-style: dotted; } span.twin { padding-left: 1.2rem; }`;

export function page(title: string, body: string, options: { script?: string } = {}): string {
  const script = options.script ? `<script type="module" src="${escapeHtml(options.script)}"></script>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>${escapeHtml(title)} · emotion-circuits</title><style>${STYLE}</style></head>
<body><header><a href="/">Runs</a><a href="/playground">Playground</a></header>
<h1>${escapeHtml(title)}</h1>
${body}
${script}
</body></html>`;
}

/** The path of run `name` (NAME or NAME/twin) under /runs/, each segment encoded. */
export function runPath(name: string): string {
  return `/runs/${name.split('/').map(segment).join('/')}`;
}

/** One table row: the run's name cell (given), model, dataset, stages, report and playground links. */
function runRow(run: ServedRun, nameCell: string, rowClass = ''): string {
  const base = runPath(run.name);
  const stages = run.error !== undefined ? `<span class="muted">${escapeHtml(run.error)}</span>` : escapeHtml(run.stages.join(', ') || '–');
  return `<tr${rowClass ? ` class="${rowClass}"` : ''}><td>${nameCell}</td><td>${escapeHtml(run.model || '–')}</td><td>${escapeHtml(run.dataset || '–')}</td>
<td>${stages}</td><td><a href="${base}/report">report</a>${run.hasReport ? '' : ' <span class="muted">(rendered on open)</span>'}</td>
<td><a href="/playground?run=${segment(run.name)}">playground</a></td></tr>`;
}

/** The runs table: each run, and under it its random-weight twin (an indented "twin" row). */
export function runsPage(runsDir: string, runs: readonly ServedRun[]): string {
  const rows = runs.map((r) => [
    runRow(r, `<a href="${runPath(r.name)}/">${escapeHtml(r.name)}</a>`),
    ...(r.twin ? [runRow(r.twin, `<span class="twin">↳ <a href="${runPath(r.twin.name)}/">twin</a> <span class="muted">random-weight twin</span></span>`, 'twin')] : []),
  ].join('\n'));
  const table = runs.length
    ? `<table><thead><tr><th>Run</th><th>Model</th><th>Dataset</th><th>Stages</th><th>Report</th><th></th></tr></thead><tbody>${rows.join('\n')}</tbody></table>`
    : `<p>No run folders (with a manifest.json) in <code>${escapeHtml(runsDir)}</code>. Make one with <code>emotion-circuits directions --model DIR --dataset sev --out ${escapeHtml(runsDir)}/my-run</code>.</p>`;
  return page('Runs', table);
}

/**
 * One run's page: report and playground links, its files, its manifest. `related` links the run's
 * twin (on the run's page) or the twin's run (on the twin's page), by name.
 */
export function runPage(name: string, manifestJson: string, entries: readonly { name: string; isDir: boolean; size: number }[], hasReport: boolean, related: { twin?: string; twinOf?: string } = {}): string {
  const base = runPath(name);
  const files = entries.map((e) => `<tr><td><a href="${base}/files/${segment(e.name)}${e.isDir ? '/' : ''}">${escapeHtml(e.name)}${e.isDir ? '/' : ''}</a></td><td>${e.isDir ? '' : e.size.toLocaleString('en')}</td></tr>`);
  const report = `<a href="${base}/report">Open the report</a>${hasReport ? '' : ' <span class="muted">(no report.html yet: rendered now; <code>emotion-circuits report --run RUN_DIR</code> writes one)</span>'}`;
  const link = (label: string, run: string) => `<p>${label}: <a href="${runPath(run)}/">${escapeHtml(run)}</a></p>`;
  const relatedLine = related.twin ? link('Random-weight twin', related.twin) : related.twinOf ? link('Random-weight twin of', related.twinOf) : '';
  return page(`Run ${name}`, `<p>${report} · <a href="/playground?run=${segment(name)}">Steer in the playground</a></p>
${relatedLine}<h2>Files</h2><table><tbody>${files.join('\n')}</tbody></table>
<h2>Manifest</h2><pre>${escapeHtml(manifestJson)}</pre>`);
}

export function folderPage(title: string, hrefBase: string, entries: readonly { name: string; isDir: boolean; size: number }[]): string {
  const rows = entries.map((e) => `<tr><td><a href="${hrefBase}${segment(e.name)}${e.isDir ? '/' : ''}">${escapeHtml(e.name)}${e.isDir ? '/' : ''}</a></td><td>${e.isDir ? '' : e.size.toLocaleString('en')}</td></tr>`);
  return page(title, `<table><tbody>${rows.join('\n')}</tbody></table>`);
}

export function playgroundPage(limits: { maxPromptChars: number; maxNewTokens: number }): string {
  const options = (values: readonly string[]) => values.map((v) => `<option value="${v}">${v}</option>`).join('');
  return page(
    'Steering playground',
    `<form class="play" id="play">
<label for="run">Run</label><select id="run" name="run"></select>
<label for="prompt">Prompt</label><textarea id="prompt" name="prompt" maxlength="${limits.maxPromptChars}" required>Tom found a lost puppy in the rain.</textarea>
<label for="emotion">Emotion</label><select id="emotion" name="emotion">${options(EMOTIONS)}</select>
<label for="method">Method</label><select id="method" name="method">${options(METHODS)}</select>
<label for="strength">Strength</label><input id="strength" name="strength" type="number" step="any" value="">
<label for="maxNewTokens">New tokens</label><input id="maxNewTokens" name="maxNewTokens" type="number" min="1" max="${limits.maxNewTokens}" value="60">
<span></span><span><button type="submit" id="generate">Generate</button> <button type="button" id="cancel" disabled>Cancel</button></span>
</form>
<p class="muted" id="hint">Strength: α for direction (α·RMS(h)·v on the residual at 39–71 % depth); λ for circuit and random (empty: the circuit's own λ); unused by none and prompt. random = a random circuit with the same per-layer counts.</p>
<div id="status" role="status">Idle.</div>
<div class="panes"><div class="pane"><h3>Unsteered</h3><div id="unsteered"></div></div><div class="pane"><h3>Steered</h3><div id="steered"></div></div></div>`,
    { script: '/assets/playground.js' },
  );
}
