/** Stage timings in the manifest (wall time, peak RSS) and the `runs` listing. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { writeJsonAtomic } from '../src/pipeline/run/atomicWrite.js';
import { listRuns } from '../src/pipeline/run/runList.js';
import { RunFolder, type Manifest } from '../src/pipeline/run/runStore.js';
import { cli } from './helpers/cli.js';
import { FAKE_RUN_HEADER, writeFakeManifest } from './helpers/runFixtures.js';

const header = FAKE_RUN_HEADER;
const MIB = 2 ** 20;

/**
 * Runs the garbage collector until the RSS falls below `belowBytes` (array buffers are freed by a
 * background sweeper, so this may take a few rounds); at most 2 s.
 */
async function collectGarbageUntil(belowBytes: number): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let round = 0; round < 100 && process.memoryUsage.rss() >= belowBytes; round++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function busyWait(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* a synchronous stage: no timer can run */ }
}

/** Allocates and touches `bytes` (so they are resident), holds them for a while; returns the RSS while held. */
function allocateAndDrop(bytes: number): number {
  const block = new Uint8Array(bytes).fill(1);
  busyWait(30);
  return process.memoryUsage.rss() + block[bytes - 1] - 1;
}

test('a stage records its wall time and the RSS peak of a synchronous allocation', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-runs-'));
  try {
    const run = RunFolder.open(dir, header);
    const outerStart = performance.now();
    run.startStage('alloc');
    const innerStart = performance.now();
    const rssBefore = process.memoryUsage.rss();
    const rssWith = allocateAndDrop(256 * MIB);
    await collectGarbageUntil(rssWith - 200 * MIB);
    assert.ok(process.memoryUsage.rss() < rssWith - 200 * MIB, 'the block was returned: only a high-water mark can still see it');
    writeJsonAtomic(run.path('a.json'), { ok: true });
    const innerEnd = performance.now();
    run.completeStage('alloc', 'x', ['a.json']);
    const outerEnd = performance.now();
    const record = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest).stages.alloc;
    assert.ok(record.wallMs! >= Math.floor(innerEnd - innerStart) && record.wallMs! <= Math.ceil(outerEnd - outerStart), `wallMs ${record.wallMs}`);
    assert.ok(rssWith - rssBefore > 200 * MIB, 'the block is resident');
    assert.ok(record.peakRssBytes! >= rssWith - 8 * MIB, `peak ${record.peakRssBytes! / MIB} MiB ≥ RSS with the block ${rssWith / MIB} MiB`);
    if (process.platform === 'linux') assert.equal(record.peakRssSource, 'vmhwm');
    assert.equal(run.isStageDone('alloc', 'x'), true);
    // The next stage starts from a reset mark: the freed block is not in its peak.
    run.startStage('small');
    run.completeStage('small', 'z', []);
    const small = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest).stages.small;
    assert.ok(small.peakRssBytes! < record.peakRssBytes! - 150 * MIB, `next stage's peak ${small.peakRssBytes! / MIB} MiB`);
    // A stage completed without being started carries no timing (callers that never start one still work).
    run.completeStage('plain', 'y', []);
    const plain = (JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest).stages.plain;
    assert.equal(plain.wallMs, undefined);
    assert.equal(plain.peakRssBytes, undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('listRuns finds run folders, orders stages by completion, and reports unreadable manifests', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-runs-'));
  try {
    const b = RunFolder.open(path.join(root, 'b'), header);
    b.startStage('second');
    b.completeStage('second', 'h2', []);
    const a = RunFolder.open(path.join(root, 'a'), { ...header, model: { dir: 'x/tiny', files: {} } });
    a.startStage('first');
    a.completeStage('first', 'h1', []);
    fs.mkdirSync(path.join(root, 'not-a-run'));
    fs.mkdirSync(path.join(root, 'broken'));
    fs.writeFileSync(path.join(root, 'broken', 'manifest.json'), '{ nope');
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'a', 'manifest.json'), 'utf8')) as Manifest;
    manifest.stages.zero = { inputsHash: 'h0', outputs: [], completedAt: '2000-01-01T00:00:00.000Z' };
    fs.writeFileSync(path.join(root, 'a', 'manifest.json'), JSON.stringify(manifest));

    const runs = listRuns(root);
    assert.deepEqual(runs.map((r) => r.name), ['a', 'b', 'broken']);
    assert.equal(runs[0].model, 'tiny');
    assert.deepEqual(runs[0].stages.map((s) => s.name), ['zero', 'first']);
    assert.equal(runs[0].stages[0].wallMs, undefined, 'an old record without timing');
    assert.equal(runs[0].stages[1].wallMs, manifest.stages.first.wallMs);
    assert.equal(runs[1].stages[0].peakRssBytes, (JSON.parse(fs.readFileSync(path.join(root, 'b', 'manifest.json'), 'utf8')) as Manifest).stages.second.peakRssBytes);
    assert.match(runs[2].error ?? '', /manifest\.json/);
    assert.deepEqual(listRuns(path.join(root, 'missing')), []);

    const json = JSON.parse(runsCommand(process.cwd(), ['--runs', root, '--json'])) as typeof runs;
    assert.deepEqual(json, runs);
    const text = runsCommand(process.cwd(), ['--runs', root]);
    assert.match(text, new RegExp(`${path.join(root, 'a').replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}  model tiny  dataset sev \\(3 train / 2 test scenarios\\)  seed 7`));
    assert.match(text, /^ {2}first +\d+\.\d\d s +\d+ MiB peak RSS/m);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

/** A run as `directions` and `openTwinRun` leave it: the run's records, and RUN/twin with its own manifest. */
function writeRunWithTwin(runDir: string): void {
  writeFakeManifest(runDir, 'models/tiny', {
    directions: { inputsHash: 'd', outputs: [], completedAt: '2026-01-01T00:00:01.000Z', wallMs: 2500, peakRssBytes: 100 * MIB, peakRssSource: 'vmhwm' },
    'twin.directions': { inputsHash: 't', outputs: [], completedAt: '2026-01-01T00:00:02.000Z' },
  });
  writeFakeManifest(path.join(runDir, 'twin'), path.join(runDir, 'twin', 'model'), {
    directions: { inputsHash: 't', outputs: [], completedAt: '2026-01-01T00:00:02.000Z' },
    components: { inputsHash: 'c', outputs: [], completedAt: '2026-01-01T00:00:03.000Z', wallMs: 65_000, peakRssBytes: 50 * MIB, peakRssSource: 'sampled' },
  });
}

/** `emotion-circuits runs ARGS` run in `cwd` (so the listed folders are relative, as a user types them). */
function runsCommand(cwd: string, args: string[]): string {
  const result = cli(['runs', ...args], {}, { cwd });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** The summary of the run written by writeRunWithTwin at `dir`, its twin nested. */
function expectedRunWithTwin(dir: string): unknown {
  return {
    dir, name: path.basename(dir), model: 'tiny', dataset: 'sev', train: 3, test: 2, seed: 7, tool: 't 0',
    stages: [
      { name: 'directions', completedAt: '2026-01-01T00:00:01.000Z', wallMs: 2500, peakRssBytes: 104857600, peakRssSource: 'vmhwm' },
      { name: 'twin.directions', completedAt: '2026-01-01T00:00:02.000Z' },
    ],
    updatedAt: '2026-01-01T00:00:02.000Z',
    twin: {
      dir: `${dir}/twin`, name: 'twin', model: 'model', dataset: 'sev', train: 3, test: 2, seed: 7, tool: 't 0',
      stages: [
        { name: 'directions', completedAt: '2026-01-01T00:00:02.000Z' },
        { name: 'components', completedAt: '2026-01-01T00:00:03.000Z', wallMs: 65000, peakRssBytes: 52428800, peakRssSource: 'sampled' },
      ],
      updatedAt: '2026-01-01T00:00:03.000Z',
    },
  };
}

test('runs pointed at one run folder shows its twin inside it, not as a second run', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-runs-'));
  try {
    writeRunWithTwin(path.join(root, 'ts'));
    assert.deepEqual(JSON.parse(runsCommand(root, ['--runs', 'ts', '--json'])), [expectedRunWithTwin('ts')]);
    assert.deepEqual(listRuns(path.join(root, 'ts')).map((r) => [r.name, r.twin?.name, r.twin?.dir]), [['ts', 'twin', path.join(root, 'ts', 'twin')]]);
    assert.equal(runsCommand(root, ['--runs', 'ts']), [
      'ts  model tiny  dataset sev (3 train / 2 test scenarios)  seed 7  t 0',
      '  directions             2.50 s  100 MiB peak RSS            2026-01-01T00:00:01.000Z',
      '  twin.directions             –                              2026-01-01T00:00:02.000Z',
      '  twin ts/twin  random-weight twin',
      '    directions             –                              2026-01-01T00:00:02.000Z',
      '    components     1 min 5 s  50 MiB peak RSS (sampled)   2026-01-01T00:00:03.000Z',
      '',
    ].join('\n'));
    // Pointed at the twin itself, the twin is the one run listed.
    assert.deepEqual(JSON.parse(runsCommand(root, ['--runs', 'ts/twin', '--json'])).map((r: { dir: string; twin?: unknown }) => [r.dir, r.twin]), [['ts/twin', undefined]]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('runs over a folder of runs nests each twin in its run; a run named twin there is a run', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-runs-'));
  try {
    writeRunWithTwin(path.join(root, 'all', 'a'));
    writeFakeManifest(path.join(root, 'all', 'b'), 'models/big', {});
    fs.mkdirSync(path.join(root, 'all', 'b', 'twin', 'model'), { recursive: true });
    fs.writeFileSync(path.join(root, 'all', 'b', 'twin', 'manifest.json'), '{ nope');
    writeFakeManifest(path.join(root, 'all', 'twin'), 'models/named-twin', {});
    fs.mkdirSync(path.join(root, 'all', 'c', 'twin'), { recursive: true }); // neither c nor its twin is a run folder

    const json = JSON.parse(runsCommand(root, ['--runs', 'all', '--json'])) as Array<{ twin?: { error?: string } }>;
    const brokenTwinError = json[1].twin?.error ?? '';
    assert.match(brokenTwinError, /^cannot read manifest\.json: /);
    const emptyRun = (dir: string, model: string): unknown => ({ dir, name: path.basename(dir), model, dataset: 'sev', train: 3, test: 2, seed: 7, tool: 't 0', stages: [], updatedAt: '' });
    assert.deepEqual(json, [
      expectedRunWithTwin('all/a'),
      { ...(emptyRun('all/b', 'big') as object), twin: { dir: 'all/b/twin', name: 'twin', error: brokenTwinError, model: '', dataset: '', train: 0, test: 0, seed: null, tool: '', stages: [], updatedAt: '' } },
      emptyRun('all/twin', 'named-twin'),
    ]);
    assert.equal(runsCommand(root, ['--runs', 'all']), [
      'all/a  model tiny  dataset sev (3 train / 2 test scenarios)  seed 7  t 0',
      '  directions             2.50 s  100 MiB peak RSS            2026-01-01T00:00:01.000Z',
      '  twin.directions             –                              2026-01-01T00:00:02.000Z',
      '  twin all/a/twin  random-weight twin',
      '    directions             –                              2026-01-01T00:00:02.000Z',
      '    components     1 min 5 s  50 MiB peak RSS (sampled)   2026-01-01T00:00:03.000Z',
      '',
      'all/b  model big  dataset sev (3 train / 2 test scenarios)  seed 7  t 0',
      '  no stage finished yet',
      `  twin all/b/twin  (${brokenTwinError})`,
      '',
      'all/twin  model named-twin  dataset sev (3 train / 2 test scenarios)  seed 7  t 0',
      '  no stage finished yet',
      '',
    ].join('\n'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
