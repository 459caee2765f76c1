/**
 * The trainer: the loss of a tiny model falls on a toy task; an interrupted run (Ctrl-C) resumes
 * bit for bit on the threaded WebAssembly kernels; checkpoints refuse other settings; bad data
 * is a typed error; AdamW, the schedule and clipping follow their formulas.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { DatasetError } from '../src/errors.js';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { WasmBackend } from '../src/kernels/wasmBackend.js';
import type { LlamaShape } from '../src/model/grad/params.js';
import { seededRandom } from '../src/random.js';
import { batchIndices, type TrainExample } from '../src/train/dataset.js';
import { adamWUpdate, clipGradNorm, learningRate } from '../src/train/optimizer.js';
import { type StepRecord, type TrainOptions, train } from '../src/train/trainer.js';
import { TrainCheckpointError } from '../src/train/trainState.js';

const SHAPE: LlamaShape = { d: 16, layers: 2, heads: 4, kvHeads: 2, dff: 32, vocab: 12, tied: true, maxPositions: 32, ropeTheta: 10000, eps: 1e-5 };
const tmpDirs: string[] = [];
function tmp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-train-'));
  tmpDirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Counting sequences: token t + 1 = token t + step (mod V), step 1 or 2 given by the first token's parity. */
function toyData(count: number, seed: number): TrainExample[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const length = 6 + Math.floor(random() * 8);
    const first = Math.floor(random() * SHAPE.vocab);
    const stride = 1 + (first % 2);
    const ids = Array.from({ length }, (_, t) => (first + stride * t) % SHAPE.vocab);
    const lossMask = new Uint8Array(length).fill(1);
    lossMask[length - 1] = 0;
    return { ids, lossMask };
  });
}

const quiet = { handleSigint: false } as const;

test('training a tiny model lowers the loss clearly', async () => {
  const result = await train({
    ...quiet, runDir: tmp(), shape: SHAPE, data: toyData(64, 1), steps: 40, batchSize: 16, learningRate: 1e-2,
    warmupSteps: 4, backend: new JsBackend(), checkpointEvery: 1000,
  });
  const first = result.records[0].loss;
  const last = result.records.slice(-5).reduce((s, r) => s + r.loss, 0) / 5;
  assert.ok(first > 2.2, `initial loss ${first} ≈ ln 12`);
  assert.ok(last < 0.5 * first, `loss fell from ${first} to ${last}`);
  assert.ok(result.finished && result.modelDir && fs.existsSync(path.join(result.modelDir, 'model.safetensors')));
  const lines = fs.readFileSync(path.join(path.dirname(result.modelDir), 'loss.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 40);
  assert.equal((JSON.parse(lines[39]) as StepRecord).step, 40);
});

test('a run interrupted by Ctrl-C resumes bit for bit (2-thread WebAssembly kernels)', async () => {
  const backend = await WasmBackend.create({ threads: 2 });
  try {
    const base: Omit<TrainOptions, 'runDir'> = {
      shape: { ...SHAPE, d: 32, tied: false, dff: 48 }, data: toyData(40, 2), steps: 10, batchSize: 8, learningRate: 5e-3,
      warmupSteps: 3, checkpointEvery: 4, backend, seed: 5,
    };
    const straight = await train({ ...base, ...quiet, runDir: tmp() });
    const runDir = tmp();
    // Ctrl-C during step 6: the trainer checkpoints after that step and returns.
    const first = await train({
      ...base, runDir, handleSigint: true,
      onProgress: (p) => {
        if (p.step === 6) process.emit('SIGINT');
      },
    });
    assert.equal(first.interrupted, true);
    assert.equal(first.stepsDone, 6);
    assert.equal(first.modelDir, null);
    // The resumed call runs only the steps after the checkpoint (a restart from 0 would end the same).
    const ran: Array<[number, number]> = [];
    const resumed = await train({ ...base, ...quiet, runDir, onProgress: (p) => ran.push([p.step, p.resumedAt]) });
    assert.deepEqual(ran, [[7, 6], [8, 6], [9, 6], [10, 6]]);
    assert.equal(resumed.finished, true);
    assert.equal(resumed.stepsDone, 10);
    assert.ok(Buffer.from(resumed.params.buffer).equals(Buffer.from(straight.params.buffer)), 'identical parameter bytes');
    const curve = (records: StepRecord[]): unknown[] => records.map(({ ms: _ms, ...rest }) => rest);
    assert.deepEqual(curve(resumed.records), curve(straight.records), 'identical loss curve');
    const saved = (dir: string | null): Buffer => fs.readFileSync(path.join(dir as string, 'model.safetensors'));
    assert.ok(saved(resumed.modelDir).equals(saved(straight.modelDir)), 'identical saved model');
    const fileCurve = fs.readFileSync(path.join(runDir, 'loss.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StepRecord);
    assert.deepEqual(curve(fileCurve), curve(straight.records), 'loss.jsonl holds each step once');
    // The same folder with other settings: a clear error, not a silently different run.
    await assert.rejects(train({ ...base, ...quiet, runDir, learningRate: 1e-3 }), TrainCheckpointError);
  } finally {
    await backend.dispose();
  }
});

test('bad training data is a DatasetError naming the example', async () => {
  const good = toyData(3, 3);
  const run = (data: TrainExample[]): Promise<unknown> => train({ ...quiet, runDir: tmp(), shape: SHAPE, data, steps: 1, batchSize: 2, backend: new JsBackend() });
  await assert.rejects(run([...good, { ids: [1, 99], lossMask: Uint8Array.of(1, 0) }]), (e: Error) => e instanceof DatasetError && /example 3: token id 99/.test(e.message));
  await assert.rejects(run([{ ids: [1, 2, 3], lossMask: Uint8Array.of(1, 1) }]), (e: Error) => e instanceof DatasetError && /lossMask/.test(e.message));
  await assert.rejects(run([{ ids: [1, 2, 3], lossMask: Uint8Array.of(0, 0, 1) }]), (e: Error) => e instanceof DatasetError && /selects no position/.test(e.message));
});

test('AdamW, warm-up + cosine, and clipping follow their formulas', () => {
  // Schedule: linear warm-up to the peak, cosine to the minimum at the end.
  assert.equal(learningRate(0, 100, 10, 1, 0.1), 0.1);
  assert.equal(learningRate(9, 100, 10, 1, 0.1), 1);
  assert.ok(Math.abs(learningRate(55, 100, 10, 1, 0.1) - (0.1 + 0.45 * (1 + Math.cos(Math.PI * 0.5)))) < 1e-12);
  assert.ok(Math.abs(learningRate(100, 100, 10, 1, 0.1) - 0.1) < 1e-12);
  // Clipping: norm 5 → scaled to 1.
  const g = Float32Array.of(3, 4);
  assert.equal(clipGradNorm(g, 1), 5);
  assert.ok(Math.abs(Math.hypot(g[0], g[1]) - 1) < 1e-5);
  // AdamW step 1: m̂ = g, v̂ = g², update = g/(|g| + ε) = sign(g); decay only where decay = 1.
  const params = Float32Array.of(1, 1);
  const grads = Float32Array.of(0.5, -2);
  const m = new Float32Array(2);
  const v = new Float32Array(2);
  adamWUpdate(params, grads, m, v, Uint8Array.of(1, 0), 1, 0.1, { beta1: 0.9, beta2: 0.95, epsilon: 1e-8, weightDecay: 0.5 });
  assert.ok(Math.abs(params[0] - (1 - 0.1 * (1 + 0.5 * 1))) < 1e-6, `decayed ${params[0]}`);
  assert.ok(Math.abs(params[1] - (1 + 0.1)) < 1e-6, `not decayed ${params[1]}`);
  assert.ok(Math.abs(m[0] - 0.05) < 1e-7 && Math.abs(v[1] - 0.05 * 4) < 1e-7);
});

test('the data order: each epoch is a seeded permutation, different from the last', () => {
  const epoch = (seed: number, e: number): number[] => [0, 1, 2, 3].flatMap((b) => batchIndices(10, 3, seed, e, b));
  for (const e of [0, 1, 2]) assert.deepEqual([...epoch(4, e)].sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(epoch(4, 1), epoch(4, 1));
  assert.notDeepEqual(epoch(4, 0), epoch(4, 1));
  assert.notDeepEqual(epoch(4, 0), epoch(5, 0));
});

test('training on 1 or 2 kernel threads gives the same bytes', async () => {
  const params: Float32Array[] = [];
  for (const threads of [1, 2]) {
    const backend = await WasmBackend.create({ threads });
    try {
      const result = await train({
        ...quiet, runDir: tmp(), shape: { ...SHAPE, d: 64, heads: 4, kvHeads: 2, dff: 96, vocab: 12 }, data: toyData(24, 6), steps: 3, batchSize: 12, backend,
      });
      params.push(result.params);
    } finally {
      await backend.dispose();
    }
  }
  assert.ok(Buffer.from(params[0].buffer).equals(Buffer.from(params[1].buffer)));
});
