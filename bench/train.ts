/**
 * Training throughput of the organism's shape: tokens per second of whole optimizer steps
 * (forward, backward, clipping, AdamW) through `train()` on the WebAssembly kernels, and the same
 * model, batch and optimizer in PyTorch CPU eager (bench/torch_train.py) when `import torch` works.
 * Numbers are measurements on a shared machine, never assertions.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBackend } from '../src/kernels/index.js';
import { paramLayout, type LlamaShape } from '../src/model/grad/params.js';
import type { TrainExample } from '../src/train/dataset.js';
import { train } from '../src/train/trainer.js';

export interface TrainShapeCase {
  readonly label: string;
  readonly shape: LlamaShape;
}

/** The organism's shapes (issue 9): d = 128 and d = 256, 4 layers, ~2k vocabulary. */
export const TRAIN_CASES: TrainShapeCase[] = [
  { label: 'd=128, 4 layers', shape: { d: 128, layers: 4, heads: 4, kvHeads: 4, dff: 384, vocab: 2048, tied: true, maxPositions: 256, ropeTheta: 10000, eps: 1e-5 } },
  { label: 'd=256, 4 layers', shape: { d: 256, layers: 4, heads: 8, kvHeads: 8, dff: 768, vocab: 2048, tied: true, maxPositions: 256, ropeTheta: 10000, eps: 1e-5 } },
];

export const TRAIN_BATCH = 32;
export const TRAIN_TOKENS = 80;

/** Example s: id_t = (s·131 + t·7919 + 13) mod V, loss on every position but the last (torch_train.py builds the same). */
export function benchExamples(count: number, tokens: number, vocab: number): TrainExample[] {
  return Array.from({ length: count }, (_, s) => {
    const ids = Array.from({ length: tokens }, (_, t) => (s * 131 + t * 7919 + 13) % vocab);
    const lossMask = new Uint8Array(tokens).fill(1);
    lossMask[tokens - 1] = 0;
    return { ids, lossMask };
  });
}

export interface TrainBenchRow {
  label: string;
  params: number;
  ours: { tokensPerSecond: number; msPerStep: number; threads: number; backend: string };
  torch?: { tokensPerSecond: number; msPerStep: number; threads: number; torch: string } | { error: string };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs each case in our trainer (one warm-up step + `steps` timed) and, with `python`, in PyTorch. */
export async function benchTrain(threads: number, python: string | null, scriptDir: string, steps = 4): Promise<TrainBenchRow[]> {
  const rows: TrainBenchRow[] = [];
  const backend = await createBackend({ threads });
  try {
    for (const { label, shape } of TRAIN_CASES) {
      const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-bench-train-'));
      try {
        const result = await train({
          runDir, shape, data: benchExamples(TRAIN_BATCH, TRAIN_TOKENS, shape.vocab), steps: steps + 1, batchSize: TRAIN_BATCH,
          backend, handleSigint: false, checkpointEvery: 1_000_000, warmupSteps: 1,
        });
        const ms = median(result.records.slice(1).map((r) => r.ms));
        const tokens = TRAIN_BATCH * TRAIN_TOKENS;
        const row: TrainBenchRow = {
          label, params: paramLayout(shape).size,
          ours: { tokensPerSecond: tokens / (ms / 1000), msPerStep: ms, threads, backend: backend.name },
        };
        if (python) row.torch = runTorchTrain(python, scriptDir, shape, steps);
        rows.push(row);
      } finally {
        fs.rmSync(runDir, { recursive: true, force: true });
      }
    }
  } finally {
    await backend.dispose();
  }
  return rows;
}

function runTorchTrain(python: string, scriptDir: string, shape: LlamaShape, steps: number): NonNullable<TrainBenchRow['torch']> {
  const args = [
    path.join(scriptDir, 'torch_train.py'), '--d', String(shape.d), '--layers', String(shape.layers), '--heads', String(shape.heads),
    '--kv-heads', String(shape.kvHeads), '--dff', String(shape.dff), '--vocab', String(shape.vocab), '--batch', String(TRAIN_BATCH),
    '--tokens', String(TRAIN_TOKENS), '--steps', String(steps), '--threads', '1',
  ];
  const child = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return { error: `torch_train.py exited with ${child.status ?? child.signal}: ${line.slice(0, 200)}` };
  const run = JSON.parse(line) as { tokens_per_s: number; ms_per_step: number; threads: number; torch: string };
  return { tokensPerSecond: run.tokens_per_s, msPerStep: run.ms_per_step, threads: run.threads, torch: run.torch };
}
