/**
 * The web UI's runs (no model needed), on loopback: /api/runs and the runs page list each run with
 * its random-weight twin (RUN/twin) nested under it and never as a run of its own, both for a folder
 * of runs and for one run folder given as the root (served under its folder's name); the twin's
 * pages, files, report and API answer under /runs/NAME/twin/ and /api/runs/NAME/twin; runs and twins
 * that are symlinks out of the root are neither listed nor served.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startServer, type RunningServer } from '../src/server/server.js';
import { rawRequest, streamGenerate } from './helpers/httpClient.js';
import { writeFakeManifest } from './helpers/runFixtures.js';

const SECRET = 'secret-outside-the-runs-root';
const RUN_FILE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; sandbox allow-scripts allow-downloads";

/** Writes DIR/manifest.json with `stages` (name → completion time) and returns the manifest. */
function writeRun(dir: string, modelDir: string, stages: Record<string, string>): Record<string, unknown> {
  const records = Object.fromEntries(Object.entries(stages).map(([name, completedAt]) => [name, { inputsHash: 'x', outputs: [], completedAt }]));
  return writeFakeManifest(dir, modelDir, records) as unknown as Record<string, unknown>;
}

/** A run as `directions` leaves it with a twin: the run's records and RUN/twin with its own manifest and directions file. */
function writeRunWithTwin(dir: string): Record<string, unknown> {
  writeRun(dir, 'models/m1', { 'twin.directions': '2026-01-01T00:00:02.000Z', directions: '2026-01-01T00:00:01.000Z' });
  const twin = writeRun(path.join(dir, 'twin'), path.join(dir, 'twin', 'model'), { directions: '2026-01-01T00:00:02.000Z' });
  fs.writeFileSync(path.join(dir, 'twin', 'directions.safetensors'), '');
  fs.writeFileSync(path.join(dir, 'twin', 'report.html'), '<p>twin report</p>');
  fs.writeFileSync(path.join(dir, 'twin', 'notes.txt'), 'twin notes');
  return twin;
}

/** Each runs-table body row as [its class, the first link's href, the first link's text]. */
function tableRows(html: string): [string, string, string][] {
  const tbody = /<tbody>([\s\S]*)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...tbody.matchAll(/<tr(?: class="([^"]*)")?>[\s\S]*?<a href="([^"]*)">([^<]*)<\/a>[\s\S]*?<\/tr>/g)].map((m) => [m[1] ?? '', m[2], m[3]]);
}

const TWIN_OF_A = { name: 'a/twin', model: 'model', dataset: 'sev', stages: ['directions'], hasReport: true };

describe('web UI runs: a run\'s twin is nested in its run', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-serve-runs-'));
  const runsDir = path.join(tmp, 'runs');
  const soloDir = path.join(tmp, 'solo');
  let runsServer: RunningServer;
  let soloServer: RunningServer;
  let twinManifest: Record<string, unknown>;

  before(async () => {
    // A folder of runs: a (with a twin), b (none, with a report), c (its twin a symlink out of the
    // root), evil (a symlink out of the root), notes (no manifest).
    twinManifest = writeRunWithTwin(path.join(runsDir, 'a'));
    writeRun(path.join(runsDir, 'b'), 'models/m2', { directions: '2026-01-02T00:00:00.000Z' });
    fs.writeFileSync(path.join(runsDir, 'b', 'report.html'), '<p>b report</p>');
    writeRun(path.join(runsDir, 'c'), 'models/m1', {});
    writeRun(path.join(tmp, 'outside'), 'models/secret', { [SECRET]: '2026-01-01T00:00:00.000Z' });
    fs.writeFileSync(path.join(tmp, 'outside', 'secret.txt'), SECRET);
    fs.symlinkSync(path.join(tmp, 'outside'), path.join(runsDir, 'c', 'twin'));
    fs.symlinkSync(path.join(tmp, 'outside'), path.join(runsDir, 'evil'));
    fs.mkdirSync(path.join(runsDir, 'notes'));
    // One run folder as the root.
    writeRunWithTwin(soloDir);
    fs.writeFileSync(path.join(tmp, 'secret.txt'), SECRET);
    runsServer = await startServer({ runsDir, port: 0 });
    soloServer = await startServer({ runsDir: soloDir, port: 0 });
  });

  after(async () => {
    await runsServer?.close();
    await soloServer?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const getJson = async (server: RunningServer, url: string): Promise<unknown> => {
    const res = await rawRequest(server.port, 'GET', url);
    assert.equal(res.status, 200, `${url}: ${res.body}`);
    return JSON.parse(res.body) as unknown;
  };

  test('a folder of runs: /api/runs nests the twin, the page shows it in a row under its run', async () => {
    assert.deepStrictEqual(await getJson(runsServer, '/api/runs'), [
      { name: 'a', model: 'm1', dataset: 'sev', stages: ['directions', 'twin.directions'], hasReport: false, twin: TWIN_OF_A },
      { name: 'b', model: 'm2', dataset: 'sev', stages: ['directions'], hasReport: true },
      { name: 'c', model: 'm1', dataset: 'sev', stages: [], hasReport: false },
    ]);
    const page = await rawRequest(runsServer.port, 'GET', '/');
    assert.deepStrictEqual(tableRows(page.body), [
      ['', '/runs/a/', 'a'],
      ['twin', '/runs/a/twin/', 'twin'],
      ['', '/runs/b/', 'b'],
      ['', '/runs/c/', 'c'],
    ]);
    assert.ok(!page.body.includes(SECRET) && !page.body.includes('evil'), 'nothing from outside the root');
  });

  test('a folder of runs: the twin\'s page, files, report and API, and what is refused', async () => {
    const run = await rawRequest(runsServer.port, 'GET', '/runs/a/');
    assert.match(run.body, /Random-weight twin: <a href="\/runs\/a\/twin\/">a\/twin<\/a>/);
    const twin = await rawRequest(runsServer.port, 'GET', '/runs/a/twin/');
    assert.equal(twin.status, 200);
    assert.match(twin.body, /<h1>Run a\/twin<\/h1>/);
    assert.match(twin.body, /Random-weight twin of: <a href="\/runs\/a\/">a<\/a>/);
    assert.match(twin.body, /href="\/runs\/a\/twin\/files\/notes.txt">notes.txt</);
    assert.match(twin.body, /href="\/playground\?run=a%2Ftwin"/);
    const redirect = await rawRequest(runsServer.port, 'GET', '/runs/a/twin');
    assert.deepStrictEqual([redirect.status, redirect.headers.location], [301, '/runs/a/twin/']);
    const report = await rawRequest(runsServer.port, 'GET', '/runs/a/twin/report');
    assert.deepStrictEqual([report.status, report.body, report.headers['content-security-policy']], [200, '<p>twin report</p>', RUN_FILE_CSP]);
    assert.equal((await rawRequest(runsServer.port, 'GET', '/runs/a/twin/files/notes.txt')).body, 'twin notes');
    assert.equal((await rawRequest(runsServer.port, 'GET', '/runs/a/files/twin/notes.txt')).body, 'twin notes');
    assert.equal((await rawRequest(runsServer.port, 'GET', '/runs/b/report')).body, '<p>b report</p>');
    for (const url of ['/runs/b/', '/runs/c/']) assert.doesNotMatch((await rawRequest(runsServer.port, 'GET', url)).body, /Random-weight twin/, `${url}: no twin (c's leads outside the root)`);
    assert.deepStrictEqual(await getJson(runsServer, '/api/runs/a/twin'), {
      name: 'a/twin',
      methods: { none: true, prompt: true, direction: true, circuit: false, random: false },
      manifest: twinManifest,
    });
    assert.deepStrictEqual(((await getJson(runsServer, '/api/runs/a')) as { methods: unknown }).methods, { none: true, prompt: true, direction: false, circuit: false, random: false });
    const refused: [string, number][] = [
      ['/runs/b/twin/', 404], ['/api/runs/b/twin', 404], ['/runs/twin/', 404], ['/api/runs/twin', 404],
      ['/runs/c/twin/', 403], ['/runs/c/twin/files/secret.txt', 403], ['/api/runs/c/twin', 403], ['/runs/evil/', 403],
      ['/runs/a/twin/files/%2e%2e/manifest.json', 403], ['/runs/a/twin/files/../../b/report.html', 403], ['/runs/a/twin/other', 404],
    ];
    for (const [url, status] of refused) {
      const res = await rawRequest(runsServer.port, 'GET', url);
      assert.equal(res.status, status, url);
      assert.ok(!res.body.includes(SECRET), `${url}: leaked`);
    }
    // The playground names the twin NAME/twin: it resolves (then lacks circuits: 400), other names do not (404).
    const body = { prompt: 'Hi.', emotion: 'anger', method: 'circuit' };
    const answers = [];
    for (const run of ['a/twin', 'b/twin', 'a/other', 'twin', 'a/twin/x']) answers.push([run, (await streamGenerate(runsServer.port, { ...body, run })).status]);
    assert.deepStrictEqual(answers, [['a/twin', 400], ['b/twin', 404], ['a/other', 404], ['twin', 404], ['a/twin/x', 404]]);
  });

  test('one run folder as the root: served as that run, by its folder\'s name, its twin nested', async () => {
    assert.deepStrictEqual(await getJson(soloServer, '/api/runs'), [
      { name: 'solo', model: 'm1', dataset: 'sev', stages: ['directions', 'twin.directions'], hasReport: false, twin: { ...TWIN_OF_A, name: 'solo/twin' } },
    ]);
    const page = await rawRequest(soloServer.port, 'GET', '/');
    assert.deepStrictEqual(tableRows(page.body), [
      ['', '/runs/solo/', 'solo'],
      ['twin', '/runs/solo/twin/', 'twin'],
    ]);
    const run = await rawRequest(soloServer.port, 'GET', '/runs/solo/');
    assert.equal(run.status, 200);
    assert.match(run.body, /<h1>Run solo<\/h1>/);
    assert.match(run.body, /Random-weight twin: <a href="\/runs\/solo\/twin\/">solo\/twin<\/a>/);
    assert.equal((await rawRequest(soloServer.port, 'GET', '/runs/solo/twin/report')).body, '<p>twin report</p>');
    assert.equal((await rawRequest(soloServer.port, 'GET', '/runs/solo/twin/files/notes.txt')).body, 'twin notes');
    assert.equal((await rawRequest(soloServer.port, 'GET', '/runs/solo/files/twin/notes.txt')).body, 'twin notes');
    assert.equal(((await getJson(soloServer, '/api/runs/solo/twin')) as { name: string }).name, 'solo/twin');
    assert.equal(((await getJson(soloServer, '/api/runs/solo')) as { name: string }).name, 'solo');
    for (const url of ['/runs/twin/', '/api/runs/twin', '/runs/twin/files/notes.txt', '/runs/solo/files/%2e%2e/secret.txt', '/runs/solo/files/../secret.txt', '/runs/%2e%2e/files/secret.txt']) {
      const res = await rawRequest(soloServer.port, 'GET', url);
      assert.ok([403, 404].includes(res.status), `${url}: ${res.status}`);
      assert.ok(!res.body.includes(SECRET), `${url}: leaked`);
    }
    assert.equal((await rawRequest(soloServer.port, 'GET', '/runs/twin/')).status, 404, 'the twin is no run of its own');
    const generate = await streamGenerate(soloServer.port, { run: 'solo/twin', prompt: 'Hi.', emotion: 'anger', method: 'circuit' });
    assert.equal(generate.status, 400, 'the twin resolves (and lacks circuits)');
  });
});
