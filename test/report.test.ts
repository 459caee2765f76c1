/**
 * The HTML report on a TinyStories-656K run (directions + components; the later stages from
 * hand-made files in their formats): every plot's rows and every table equal the JSON numbers,
 * the page shows them, files in an unknown format become notes, and the page renders in headless
 * Chromium with no console error and no network request.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { runComponents } from '../src/pipeline/components/componentsRun.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import type { Figure, Row } from '../src/report/figure.js';
import type { Section, TableBlock } from '../src/report/html.js';
import { renderReport, reportSections, writeReport } from '../src/report/report.js';
import { EMOTIONS } from '../src/emotions.js';
import { FIXTURE_ALPHAS, FIXTURE_ARMS, fixtureInfluence, writeReportFixtures, writeSweepFixture } from './helpers/reportFixtures.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const CHROMIUM = '/usr/bin/chromium';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function readJson(runDir: string, file: string): Json {
  return JSON.parse(fs.readFileSync(path.join(runDir, file), 'utf8'));
}

function figure(sections: Section[], id: string): Figure {
  for (const s of sections) for (const b of s.blocks) if (b.kind === 'figure' && b.figure.id === id) return b.figure;
  throw new Error(`no figure ${id}`);
}

function table(sections: Section[], id: string): TableBlock {
  for (const s of sections) for (const b of s.blocks) if (b.kind === 'table' && b.id === id) return b;
  throw new Error(`no table ${id}`);
}

function unescape(html: string): string {
  return html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The cells of the folded numbers table of figure `id` in the page, row by row. */
function pageDataTable(html: string, id: string): string[][] {
  const start = html.indexOf(`<details class="data" data-figure="${id}">`);
  assert.ok(start >= 0, `numbers of ${id} in the page`);
  const body = html.slice(html.indexOf('<tbody>', start), html.indexOf('</tbody>', start));
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => unescape(c[1])));
}

/** The CSV download of figure or table `id`, parsed (no quoted commas in these tests). */
function pageCsv(html: string, id: string): string[][] {
  const match = new RegExp(`download="${id}\\.csv" href="data:text/csv;charset=utf-8,([^"]*)"`).exec(html);
  assert.ok(match, `CSV of ${id}`);
  return decodeURIComponent(unescape(match[1])).trim().split('\n').map((line) => line.split(','));
}

describe('report on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-report-'));
  let sections: Section[];
  let html: string;
  before(async () => {
    await runDirections({ model: sharedPath('models', 'tinystories-656k'), dataset: 'sev', out: runDir, limit: 2, permutations: 2 });
    await runComponents({ runDir, ks: [1, 2], seeds: 1, samples: 4, totalEffectHeads: 2 });
    writeReportFixtures(runDir, 2);
    writeSweepFixture(runDir);
    sections = reportSections(runDir);
    html = await renderReport(runDir);
  });
  after(() => fs.rmSync(runDir, { recursive: true, force: true }));

  test('direction maps, accuracy and PCA rows equal consistency.json', () => {
    const consistency = readJson(runDir, 'consistency.json');
    for (const site of ['attn', 'mlp']) {
      const s = consistency.sites[site];
      const expected: Row[] = [];
      for (let l = 0; l < consistency.layers; l++) {
        for (let a = 0; a < 6; a++) for (let b = 0; b < 6; b++) expected.push({ site, layer: l, emotion_a: EMOTIONS[a], emotion_b: EMOTIONS[b], cosine: s.emotionCosine[l][a][b] });
      }
      assert.deepEqual(figure(sections, `emotion-cosine-${site}`).rows, expected);
      const pca = figure(sections, `pca-${site}`).rows;
      for (const entry of s.pca) {
        const points = pca.filter((r) => r.layer === entry.layer && r.kind === 'test prompt');
        assert.deepEqual(points.map((r) => [r.x, r.y, r.emotion]), entry.test.x.map((x: number, i: number) => [x, entry.test.y[i], EMOTIONS[entry.test.emotion[i]]]));
        const dirs = pca.filter((r) => r.layer === entry.layer && r.kind === 'direction');
        assert.deepEqual(dirs.map((r) => [r.x, r.y]), entry.directions);
      }
    }
    const accuracy = figure(sections, 'accuracy-by-layer').rows;
    const series = (site: string, name: string) => accuracy.filter((r) => r.site === site && r.series === name).map((r) => r.accuracy);
    for (const site of ['attn', 'mlp']) {
      const a = consistency.sites[site].accuracy;
      assert.deepEqual(series(site, 'held-out, group-centred'), a.groupCentred);
      assert.deepEqual(series(site, 'held-out, train-mean-centred'), a.trainMeanCentred);
      assert.deepEqual(series(site, 'permuted labels, group-centred'), a.permutation.groupCentred);
      assert.deepEqual(series(site, 'chance'), Array(consistency.layers).fill(1 / 6).map((x) => Math.round(x * 1e6) / 1e6));
    }
    const cross = figure(sections, 'cross-layer-cosine').rows.filter((r) => r.site === 'mlp');
    assert.deepEqual(cross.map((r) => r.cosine), consistency.sites.mlp.crossLayer.mean.flat());
    // The page's numbers are the JSON's, to the last digit, in the table and in the CSV.
    const shown = pageDataTable(html, 'emotion-cosine-attn');
    assert.equal(shown.length, 2 * 36);
    assert.deepEqual(shown[7], ['attn', '0', 'sadness', 'sadness', String(consistency.sites.attn.emotionCosine[0][1][1])]);
    assert.deepEqual(shown.map((r) => Number(r[4])), consistency.sites.attn.emotionCosine.flat(2));
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(ids.filter((id, i) => ids.indexOf(id) !== i), [], 'element ids are unique');
    const csv = pageCsv(html, 'emotion-cosine-attn');
    assert.deepEqual(csv[0], ['site', 'layer', 'emotion_a', 'emotion_b', 'cosine']);
    assert.deepEqual(csv.slice(1).map((r) => Number(r[4])), consistency.sites.attn.emotionCosine.flat(2));
  });

  test('heads, neurons and validation rows equal heads.json, neurons.json and validation.json', () => {
    const heads = readJson(runDir, 'heads.json');
    const expectedHeads: Row[] = [];
    for (const emotion of EMOTIONS) for (const layer of heads.emotions[emotion]) for (const u of layer.top) expectedHeads.push({ emotion, layer: layer.layer, head: u.head, importance: u.mean });
    assert.deepEqual(figure(sections, 'heads-heatmap').rows, expectedHeads);
    assert.deepEqual(table(sections, 'heads-total-effect').rows.map((r) => [r.emotion, r.head, r['Δ final mean'], r['Δ final low']]),
      EMOTIONS.flatMap((e) => heads.totalEffect[e].map((t: Json) => [e, t.head, t.finalChange.mean, t.finalChange.low])));

    const neurons = readJson(runDir, 'neurons.json');
    for (const emotion of EMOTIONS) {
      const rows = table(sections, `neurons-${emotion}`).rows;
      const expected = neurons.emotions[emotion].flatMap((l: Json) => l.top.slice(0, 10).map((u: Json, i: number) => [l.layer, i + 1, u.neuron, u.mean, u.std, u.valence.negative]));
      assert.deepEqual(rows.map((r) => [r.layer, r.rank, r.neuron, r.mean, r.std, r.negative]), expected);
    }

    const validation = readJson(runDir, 'validation.json');
    for (const kind of ['neurons', 'heads']) {
      for (const edit of ['ablate', 'enhance']) {
        const rows = figure(sections, `validation-${kind}-${edit}`).rows;
        const expected = validation.conditions.filter((c: Json) => c.kind === kind && c.edit === edit).flatMap((c: Json) =>
          ['top', 'random'].flatMap((arm) => ['site', 'final'].map((m) => [c.emotion, c.layer, c.k, `${arm}-k`, m, c[arm][m].mean, c[arm][m].low, c[arm][m].high])));
        assert.ok(expected.length > 0);
        assert.deepEqual(rows.map((r) => [r.emotion, r.layer, r.k, r.units, r.measure, r.mean, r.low, r.high]), expected);
      }
    }
  });

  test('sublayers, circuits, evaluation and generations from their files', () => {
    const influence = figure(sections, 'sublayer-influence').rows;
    assert.equal(influence.length, 6 * 2 * 2);
    const r = influence.find((x) => x.emotion === 'fear' && x.sublayer === 'MLP' && x.layer === 1)!;
    const e = EMOTIONS.indexOf('fear');
    assert.equal(r[`I at alpha ${FIXTURE_ALPHAS[1]}`], fixtureInfluence(e, 1, 1, 1));
    assert.equal(r.influence, (fixtureInfluence(e, 1, 0, 1) + fixtureInfluence(e, 1, 1, 1)) / 2);
    const sublayers = readJson(runDir, 'sublayers.json');
    assert.equal(r.weight, sublayers.emotions.fear.weights.mlp[1]);

    const diagram = figure(sections, 'circuit-diagram').rows;
    assert.equal(diagram.length, 6 * 2 * 2, 'random control circuits are not drawn');
    for (const emotion of EMOTIONS) {
      const circuit = readJson(runDir, path.join('circuits', `${emotion}.json`));
      for (const layer of circuit.layers) {
        const neurons = diagram.find((x) => x.emotion === emotion && x.layer === layer.layer && x.sublayer === 'MLP neurons')!;
        assert.equal(neurons.units, layer.neurons.length);
        assert.equal(neurons.unit_ids, layer.neurons.map((u: Json) => u.index).join(' '));
        const headsNode = diagram.find((x) => x.emotion === emotion && x.layer === layer.layer && x.sublayer === 'attention heads')!;
        assert.equal(headsNode.units, layer.heads.length);
        assert.equal(headsNode.shortfall, layer.shortfall.heads);
      }
    }

    const evaluation = readJson(runDir, 'evaluation.json');
    const accuracy = table(sections, 'evaluation-table').rows;
    assert.deepEqual(accuracy.map((x) => [x.arm, x.accuracy, x.low, x.high, x['judge failures'], x.perplexity]),
      evaluation.arms.map((a: Json) => [a.arm, a.accuracy.overall.rate, a.accuracy.overall.low, a.accuracy.overall.high, a.judgeFailures, a.fluency.perplexity]));
    const byEmotion = figure(sections, 'evaluation-by-emotion').rows;
    assert.deepEqual(byEmotion.map((x) => [x.arm, x.emotion, x.accuracy, x.high]),
      evaluation.arms.flatMap((a: Json) => EMOTIONS.map((em) => [a.arm, em, a.accuracy.byEmotion[em].rate, a.accuracy.byEmotion[em].high])));

    const generations = table(sections, 'generation-examples');
    assert.deepEqual(generations.columns, ['target', 'valence', 'prompt', ...FIXTURE_ARMS.map((a) => `arm: ${a}`)]);
    assert.equal(generations.rows.length, 6 * 2, 'two prompts per emotion');
    assert.equal(generations.rows[0]['arm: circuit'], 'circuit text for anger s1 & more\n— ✗ does not match (judged neutral)');
    assert.equal(generations.rows[0]['arm: direction'], 'direction text for anger s1 & more\n— ✓ matches (judged anger)');
    assert.equal(generations.rows[0].prompt, 'Tell a story about s1 <b>');
    // Text is escaped in the page.
    assert.ok(html.includes('Tell a story about s1 &lt;b&gt;'));
    assert.ok(!html.includes('s1 <b>'));
  });

  test('a file in an unknown format becomes a note, the other sections stay', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-report-bad-'));
    try {
      for (const f of ['manifest.json', 'consistency.json', 'heads.json']) fs.copyFileSync(path.join(runDir, f), path.join(copy, f));
      fs.writeFileSync(path.join(copy, 'sublayers.json'), JSON.stringify({ format: 'emotion-circuits/sublayers@9', something: 'else' }));
      fs.writeFileSync(path.join(copy, 'evaluation.json'), '{ not json');
      const page = await renderReport(copy);
      assert.match(page, /sublayers\.json is present but its format is not one this report knows/);
      assert.match(page, /evaluation\.json cannot be read/);
      assert.ok(page.includes('id="direction-maps"') && page.includes('id="heads"'));
      assert.ok(!page.includes('id="neurons"') && !page.includes('id="circuits"') && !page.includes('id="validation"'), 'no section without its file');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('random-weight twin (consistency.json, validation.json) and sweep.json, in the layouts their stages write', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-report-twin-'));
    try {
      for (const f of ['manifest.json', 'consistency.json', 'validation.json']) fs.copyFileSync(path.join(runDir, f), path.join(copy, f));
      const consistency = readJson(copy, 'consistency.json');
      const twinAcc = { groupCentred: [0.31, 0.32], trainMeanCentred: [0.21, 0.22] };
      consistency.twin = { seed: 1, twin: { accuracy: { attn: twinAcc, mlp: { groupCentred: [0.41, 0.42], trainMeanCentred: [0.51, 0.52] } } }, statements: ['attn groupCentred: the model does NOT beat its random-weight twin at any layer'] };
      fs.writeFileSync(path.join(copy, 'consistency.json'), JSON.stringify(consistency));
      const validation = readJson(copy, 'validation.json');
      validation.twin = { statements: ['neurons ablate: the model beats its twin in 3/4'], comparison: [{ emotion: 'fear', kind: 'neurons', edit: 'ablate', layer: 1, k: 2, site: { mean: 0.25, low: 0.125, high: 0.375, n: 4 }, better: 'real', overlap: false }] };
      fs.writeFileSync(path.join(copy, 'validation.json'), JSON.stringify(validation));
      const rate = (r: number, low: number, high: number) => ({ n: 36, successes: Math.round(36 * r), rate: r, low, high });
      fs.writeFileSync(path.join(copy, 'evaluation.json'), JSON.stringify({
        format: 'emotion-circuits/evaluation@1', judge: 'builtin@1', testScenarios: 2,
        arms: [{ arm: 'circuit(lambda=circuit)', method: 'circuit', accuracy: { overall: rate(0.75, 0.6, 0.9) }, fluency: {} }],
        twin: {
          dir: 'twin',
          statements: ['circuit(lambda=circuit): the model beats its random-weight twin and the intervals do not overlap'],
          arms: [{ arm: 'circuit(lambda=circuit)', role: 'steering', prompts: 36, model: rate(0.75, 0.6, 0.9), twin: rate(0.25, 0.1, 0.4), difference: { mean: 0.5, low: 0.3, high: 0.7, n: 36 }, better: 'model', overlap: false, separated: true }],
        },
      }));
      writeSweepFixture(copy);
      const twinSections = reportSections(copy);
      const accuracy = figure(twinSections, 'accuracy-by-layer').rows;
      assert.deepEqual(accuracy.filter((r) => r.site === 'attn' && r.series === 'random-weight twin, group-centred').map((r) => r.accuracy), twinAcc.groupCentred);
      assert.deepEqual(accuracy.filter((r) => r.site === 'mlp' && r.series === 'random-weight twin, train-mean-centred').map((r) => r.accuracy), [0.51, 0.52]);
      const notes = twinSections.flatMap((s) => s.blocks).filter((b) => b.kind === 'note').map((b) => (b as { text: string }).text);
      assert.ok(notes.includes('Random-weight twin: attn groupCentred: the model does NOT beat its random-weight twin at any layer'));
      assert.ok(notes.includes('Random-weight twin: neurons ablate: the model beats its twin in 3/4'));
      assert.deepEqual(table(twinSections, 'validation-twin').rows, [{ emotion: 'fear', kind: 'neurons', edit: 'ablate', layer: 1, k: 2, 'margin difference (s)': 0.25, low: 0.125, high: 0.375, better: 'real', 'intervals overlap': 'false' }]);
      assert.ok(notes.includes('Random-weight twin: circuit(lambda=circuit): the model beats its random-weight twin and the intervals do not overlap'));
      assert.deepEqual(table(twinSections, 'evaluation-twin').rows, [{
        arm: 'circuit(lambda=circuit)', role: 'steering', prompts: 36, model: 0.75, 'model low': 0.6, 'model high': 0.9, twin: 0.25, 'twin low': 0.1, 'twin high': 0.4,
        difference: 0.5, 'difference low': 0.3, 'difference high': 0.7, 'intervals overlap': 'false', better: 'model',
      }]);
      // The caption quotes each rule once, as sweep.json words it.
      assert.match(figure(twinSections, 'sweep-front').caption ?? '', /circuit \(train split\): the rule circuit, per emotion: the lowest-perplexity setting whose accuracy on that emotion is ≥ 0\.9, else the most accurate on it\.$/);
      const sweep = figure(twinSections, 'sweep-front').rows;
      assert.deepEqual(sweep.map((r) => [r.setting, r.status, r.chosen, r.accuracy, r.perplexity]), [
        ['unsteered', 'unsteered reference', '', 0.125, 4.5],
        ['λ=0.5', 'on the front', '', 0.2, 5],
        ['λ=1', 'on the front', 'chosen', 0.30000000000000004, 8],
        ['λ=2', 'off the front', '', 0.4, 11],
      ]);
      assert.deepEqual(table(twinSections, 'sweep-per-emotion').rows, [
        { method: 'circuit', emotion: 'anger', setting: 'λ=0.5', accuracy: 0.95, 'reaches target': 'yes' },
        { method: 'circuit', emotion: 'fear', setting: 'λ=2', accuracy: 0.5, 'reaches target': 'no' },
      ]);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  test('renders in headless Chromium: every section, no console error, no network request', { skip: fs.existsSync(CHROMIUM) || process.env.CI ? false : `${CHROMIUM} is missing (apt-get install chromium)` }, async () => {
    const file = await writeReport(runDir);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const pageUrl = pathToFileURL(path.resolve(file)).href;
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') errors.push(message.text()); });
      page.on('pageerror', (error) => errors.push(error.message));
      await page.route('**/*', (route) => (route.request().url() === pageUrl ? route.continue() : route.abort()));
      await page.goto(pageUrl, { waitUntil: 'load' });
      for (const id of ['run', 'direction-maps', 'accuracy', 'pca', 'heads', 'neurons', 'validation', 'sublayers', 'circuits', 'evaluation', 'generations']) {
        assert.equal(await page.locator(`section#${id}`).count(), 1, `section ${id}`);
      }
      // Every figure has a drawn SVG and its numbers one click away.
      const figures = await page.locator('figure.block').all();
      assert.ok(figures.length >= 14, `${figures.length} figures`);
      for (const fig of figures) {
        const box = await fig.locator('svg').first().boundingBox();
        assert.ok(box && box.width > 50 && box.height > 50, `svg of ${await fig.getAttribute('id')}`);
      }
      const numbers = page.locator('details[data-figure="accuracy-by-layer"]');
      assert.equal(await numbers.locator('table').isVisible(), false);
      await numbers.locator('summary').click();
      assert.equal(await numbers.locator('table').isVisible(), true);
      assert.ok(await numbers.locator('tbody tr').count() > 0);
      // The heat map draws one rect per row of its data.
      const cells = await page.locator('#emotion-cosine-mlp svg g.mark-rect.role-mark path').count();
      assert.equal(cells, figure(sections, 'emotion-cosine-mlp').rows.length);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, [pageUrl], 'the page fetches nothing');
    } finally {
      await browser.close();
    }
  });
});
