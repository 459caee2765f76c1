/**
 * End to end on TinyStories-656K (plain chat template) with the paper's SEV file: collection,
 * directions, consistency; held-out accuracy vs the permutation control; an interrupted and
 * resumed run byte-identical to an uninterrupted one; a malformed dataset writes nothing.
 * Uses --limit 1 (one scenario per theme per split: 336 prompts) to stay fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { EMOTIONS } from '../src/emotions.js';
import type { ConsistencyReport } from '../src/pipeline/directions/consistency.js';
import type { ActivationIndex, SampleRecord } from '../src/pipeline/collection/collect.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';
import { writeRandomTwin } from './helpers/randomModel.js';

const skip = SHARED_DIR ? false : SHARED_SKIP_MESSAGE;
/** The compiled dispatcher (dist/src/cli/main.js), run as its own process so it can be killed. */
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-collect-'));
const CHANCE = 1 / 6;

function args(out: string, dataset = sharedPath('data', 'sev-paper', 'sev.jsonl')): string[] {
  return ['--model', sharedPath('models', 'tinystories-656k'), '--dataset', dataset, '--out', out,
    '--limit', '1', '--chunk', '16', '--batch', '8', '--permutations', '50', '--seed', '3', '--no-twin'];
}

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the CLI; `onPoll` is called every 10 ms while it runs and may kill it. */
function runCli(argv: string[], onPoll?: (kill: () => void) => void): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'directions', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = onPoll ? setInterval(() => onPoll(() => child.kill('SIGKILL')), 10) : null;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** Relative path → bytes of every artefact except the manifest (which records times). */
function artefacts(runDir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (name !== 'manifest.json') files.set(path.relative(runDir, full), fs.readFileSync(full));
    }
  };
  walk(runDir);
  return files;
}

const runA = path.join(tmp, 'uninterrupted');
const runB = path.join(tmp, 'interrupted');

test('directions end to end on TinyStories-656K: accuracy above chance, permutation control at chance', { skip }, async (t) => {
  const started = Date.now();
  const exit = await runCli(args(runA));
  assert.equal(exit.code, 0, exit.stderr);
  t.diagnostic(`uninterrupted run: ${Date.now() - started} ms\n${exit.stdout}`);
  assert.match(exit.stdout, /collect ran, directions ran, consistency ran; 336 prompts \(plain chat template\)/);
  assert.match(exit.stderr, /collect 336\/336 prompts \(100%\).*ETA 0s/, 'progress with ETA');

  const manifest = readJson<{ model: { files: Record<string, string> }; dataset: { hash: string; train: number; test: number }; seed: number; tool: { version: string } }>(path.join(runA, 'manifest.json'));
  assert.match(manifest.model.files['model.safetensors'], /^[0-9a-f]{64}$/);
  assert.match(manifest.model.files['config.json'], /^[0-9a-f]{64}$/);
  assert.deepEqual([manifest.dataset.train, manifest.dataset.test, manifest.seed], [8, 8, 3]);

  const index = readJson<ActivationIndex>(path.join(runA, 'activations', 'index.json'));
  assert.equal(index.complete, true);
  assert.equal(index.rows, 336);
  assert.equal(index.chunks.length, 21);
  const samples = fs.readFileSync(path.join(runA, 'activations', 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as SampleRecord);
  assert.equal(samples.length, 336);
  assert.equal(samples.filter((s) => s.kind === 'uninstructed').length, 48);
  assert.deepEqual(samples[0], { ...samples[0], row: 0, split: 'train', valence: 'positive', emotion: 'anger', kind: 'instructed' });
  const chunk = SafetensorsReader.open(path.join(runA, 'activations', index.chunks[0].file));
  assert.deepEqual(chunk.info('resid_mid').shape, [16, 2, 128]);
  assert.deepEqual(chunk.info('mlp_post').shape, [16, 2, 384]);
  assert.deepEqual(chunk.info('attn_z').shape, [16, 2, 128]);
  assert.deepEqual(chunk.info('final_hidden').shape, [16, 128]);
  chunk.close();

  // Directions: unit norm, centred (Σ_e ‖c_e‖ v_e = 0).
  const directions = SafetensorsReader.open(path.join(runA, 'directions.safetensors'));
  for (const site of ['attn', 'mlp']) {
    const norms = directions.readF32(`${site}.norms`); // [L, E]
    const vs = EMOTIONS.map((e) => directions.readF32(`${site}.${e}`)); // [L, d] each
    for (let l = 0; l < 2; l++) {
      for (const v of vs) {
        const n = Math.hypot(...v.subarray(l * 128, (l + 1) * 128));
        assert.ok(Math.abs(n - 1) < 1e-5, `${site} layer ${l} unit norm (${n})`);
      }
      const scale = EMOTIONS.reduce((s, _e, e) => s + norms[l * 6 + e], 0);
      for (let i = 0; i < 128; i++) {
        const sum = vs.reduce((s, v, e) => s + norms[l * 6 + e] * v[l * 128 + i], 0);
        assert.ok(Math.abs(sum) < 1e-5 * scale, `${site} layer ${l} centred`);
      }
    }
  }
  directions.close();

  const report = readJson<ConsistencyReport>(path.join(runA, 'consistency.json'));
  for (const site of ['attn', 'mlp'] as const) {
    const acc = report.sites[site].accuracy;
    t.diagnostic(`${site}: accuracy ${acc.groupCentred.join(' ')} (train-mean centred ${acc.trainMeanCentred.join(' ')}), permutation ${acc.permutation.groupCentred.join(' ')}`);
    assert.ok(acc.best.groupCentred > CHANCE + 0.2, `${site}: best-layer accuracy ${acc.best.groupCentred} above chance`);
    for (const p of acc.permutation.groupCentred) assert.ok(Math.abs(p - CHANCE) < 0.1, `${site}: permutation ${p} at chance`);
    assert.equal(report.sites[site].pca.length, 2);
    assert.equal(report.sites[site].pca[0].test.x.length, 144);
    assert.equal(report.sites[site].crossLayer.mean.length, 2);
    assert.equal(report.sites[site].emotionCosine[0][0][0], 1);
    assert.equal(report.sites[site].splitHalfThemes?.halves[0].length, 4);
  }
});

test('an interrupted collection resumes to byte-identical activations, directions and consistency', { skip }, async () => {
  let killedAt = -1;
  const killed = await runCli(args(runB), (kill) => {
    if (killedAt >= 0) return;
    try {
      const index = readJson<ActivationIndex>(path.join(runB, 'activations', 'index.json'));
      if (index.chunks.length >= 1) {
        killedAt = index.chunks.length;
        kill();
      }
    } catch {
      // not written yet
    }
  });
  assert.equal(killed.signal, 'SIGKILL', 'killed mid-way');
  const partial = readJson<ActivationIndex>(path.join(runB, 'activations', 'index.json'));
  assert.equal(partial.complete, false, `interrupted during collection (after ${killedAt} chunks)`);
  assert.ok(!fs.existsSync(path.join(runB, 'directions.safetensors')));

  const resumed = await runCli(args(runB));
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, /resumed/);
  const a = artefacts(runA);
  const b = artefacts(runB);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, bytes] of a) assert.ok(bytes.equals(b.get(name)!), `${name} identical`);

  // A third invocation finds every stage done.
  const again = await runCli(args(runB));
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /collect skipped, directions skipped, consistency skipped/);
});

test('a malformed dataset line is reported with its line number and nothing is written', { skip }, async () => {
  const lines = fs.readFileSync(sharedPath('data', 'sev-paper', 'sev.jsonl'), 'utf8').split('\n');
  const bad = path.join(tmp, 'bad.jsonl');
  fs.writeFileSync(bad, [lines[0], lines[1], '{"theme": "x", "event": {}}', lines[3]].join('\n'));
  const out = path.join(tmp, 'never');
  const exit = await runCli(args(out, bad));
  assert.equal(exit.code, 1);
  assert.match(exit.stderr, /bad\.jsonl:3: /);
  assert.ok(!fs.existsSync(out), 'no run folder');
});

test('control: a random-weight model of the same shape', { skip }, async (t) => {
  const dir = writeRandomTwin(sharedPath('models', 'tinystories-656k'), 1);
  const result = await runDirections({
    model: dir, dataset: sharedPath('data', 'sev-paper', 'sev.jsonl'), out: path.join(tmp, 'random'),
    limit: 1, chunkSize: 64, permutations: 50, seed: 3, twin: false,
  });
  for (const site of ['attn', 'mlp'] as const) {
    const acc = result.consistency.sites[site].accuracy;
    t.diagnostic(`random weights, ${site}: accuracy ${acc.groupCentred.join(' ')} (train-mean centred ${acc.trainMeanCentred.join(' ')}), permutation ${acc.permutation.groupCentred.join(' ')}`);
    for (const p of acc.permutation.groupCentred) assert.ok(Math.abs(p - CHANCE) < 0.1);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('cleanup', () => {
  fs.rmSync(tmp, { recursive: true, force: true });
});
