/**
 * The web UI end to end in headless Debian Chromium (playwright-core driving /usr/bin/chromium, no
 * downloaded browser): a TinyStories-656K run made here (directions with limit 2), opened from the
 * runs list with its report (rendered on the fly), steered by direction in the playground (both
 * texts appear), a long generation cancelled from the page, and the run's twin in a row under it and
 * in the playground as tiny/twin. No console errors, no request leaves the server.
 * Needs `apt-get install chromium`; skips with a message when it is absent.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { openTwinRun } from '../src/pipeline/twin/twinRun.js';
import { startServer, type RunningServer, type ServerStatus } from '../src/server/server.js';
import { pollUntil, rawRequest } from './helpers/httpClient.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = !SHARED_DIR ? SHARED_SKIP_MESSAGE : !fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing: apt-get install -y chromium` : false;

describe('web UI in headless Chromium', { skip }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-e2e-'));
  const runsDir = path.join(tmp, 'runs');
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    await runDirections({ model: sharedPath('models', 'tinystories-656k'), dataset: 'sev', out: path.join(runsDir, 'tiny'), limit: 2, permutations: 2 });
    // RUN/twin as a run folder of its own (as evaluate leaves it): listed under its run, never as a run.
    assert.ok(openTwinRun(path.join(runsDir, 'tiny')), 'the run has a twin');
    server = await startServer({ runsDir, port: 0, limits: { maxNewTokens: 480 } });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.url}/`)) problems.push(`request outside the server: ${request.url()}`);
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const status = async (): Promise<ServerStatus> => JSON.parse((await rawRequest(server.port, 'GET', '/api/status')).body) as ServerStatus;

  test('open the run, steer by direction, see both texts', async () => {
    await page.goto(`${server.url}/`);
    await page.click('a[href="/runs/tiny/"]');
    await page.waitForSelector('h1:has-text("Run tiny")');
    assert.match(await page.textContent('body') ?? '', /directions\.safetensors/);
    // The run has no report.html: the server renders the report for this view.
    await page.click('text=Open the report');
    await page.waitForSelector('h1:has-text("emotion-circuits report")');
    assert.match(await page.textContent('body') ?? '', /direction/i);
    await page.goBack();
    await page.click('text=Steer in the playground');
    await page.waitForFunction(() => (document.getElementById('run') as HTMLSelectElement).value === 'tiny');
    // The run has directions but no circuit: the circuit method is disabled.
    await page.waitForFunction(() => (document.querySelector('#method option[value="circuit"]') as HTMLOptionElement).disabled);
    await page.fill('#prompt', 'Tom lost his red ball in the garden.');
    await page.selectOption('#emotion', 'anger');
    await page.selectOption('#method', 'direction');
    await page.fill('#strength', '8');
    await page.fill('#maxNewTokens', '30');
    await page.click('#generate');
    await page.waitForFunction(() => document.getElementById('status')!.textContent!.startsWith('Done'), undefined, { timeout: 60_000 });
    const unsteered = (await page.textContent('#unsteered')) ?? '';
    const steered = (await page.textContent('#steered')) ?? '';
    assert.ok(unsteered.length > 0 && steered.length > 0, 'both texts shown');
    assert.notEqual(steered, unsteered, 'steering changed the text');
  });

  test('cancel a long generation from the page', async () => {
    const before = await status();
    await page.selectOption('#method', 'none');
    await page.fill('#maxNewTokens', '440');
    await page.click('#generate');
    // Cancel once tokens are streaming.
    await page.waitForFunction(() => document.getElementById('steered')!.textContent!.length > 0, undefined, { timeout: 60_000 });
    await page.click('#cancel');
    await page.waitForFunction(() => /^Cancelled/.test(document.getElementById('status')!.textContent!), undefined, { timeout: 60_000 });
    const after = await pollUntil(status, (s) => s.activeGenerations === 0 && s.queuedGenerations === 0);
    assert.equal(after.cancelled, before.cancelled + 1);
    assert.equal(after.completed, before.completed);
    assert.equal(await page.isDisabled('#cancel'), true);
    assert.equal(await page.isEnabled('#generate'), true);
    assert.deepEqual(problems, []);
  });

  test('the twin: a row under its run, a page of its own, and tiny/twin in the playground', async () => {
    await page.goto(`${server.url}/`);
    const links = await page.$$eval('tbody tr', (rows) => rows.map((row) => [row.className, row.querySelector('a')!.getAttribute('href')]));
    assert.deepEqual(links, [['', '/runs/tiny/'], ['twin', '/runs/tiny/twin/']]);
    await page.click('a[href="/runs/tiny/twin/"]');
    await page.waitForSelector('h1:has-text("Run tiny/twin")');
    await page.click('text=Steer in the playground');
    await page.waitForFunction(() => (document.getElementById('run') as HTMLSelectElement).value === 'tiny/twin');
    assert.deepEqual(await page.$$eval('#run option', (options) => options.map((o) => (o as HTMLOptionElement).value)), ['tiny', 'tiny/twin']);
    // The twin's methods come from /api/runs/tiny/twin: it has directions, so direction is enabled.
    await page.waitForFunction(() => (document.querySelector('#method option[value="circuit"]') as HTMLOptionElement).disabled, undefined, { timeout: 10_000 });
    assert.equal(await page.isEnabled('#method option[value="direction"]'), true);
    assert.deepEqual(problems, []);
  });
});
