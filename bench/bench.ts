/**
 * `npm run bench`: one run prints GEMM GFLOP/s on LLM shapes, prefill/decode tokens/s and peak
 * memory for a random Qwen2.5-0.5B-shaped model (bf16 and f32 weights), the same in PyTorch CPU
 * eager when `import torch` works, and a Llama-3.2-3B-shaped bf16 model (> 4 GiB of f32 weights)
 * to show that models beyond wasm32's 4 GiB load and run. Writes bench/results/latest.json.
 *
 *   node --expose-gc dist/bench/bench.js [--quick] [--only gemm|model|3b|torch|heads|train|batch|int8|int8err|8b] [--threads N]
 *
 * `8b` (only with --only 8b: it writes a 16 GB checkpoint and takes minutes): a Llama-3.1-8B shape
 * loaded with int8 weights, peak RSS and tokens/s (bench/llama8b.ts). `int8err` (also only by name, a
 * diagnosis, about a minute): which weight's int8 rounding TinyStories-656K's KL comes from, and what
 * other quantisation schemes would give (bench/int8Sensitivity.ts).
 *
 * `train`: training tokens/s of the organism's shapes (bench/train.ts), with PyTorch unless --quick.
 *
 * --quick skips the 3B model and PyTorch. Each model configuration runs in its own child process,
 * so its peak RSS is its own. The machine is shared and noisy: numbers are measurements, never
 * assertions. Set BENCH_PYTHON to pick the Python interpreter that has torch.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBackend } from '../src/kernels/index.js';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';
import { KVCache } from '../src/model/kvCache.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { benchBatchGeneration } from './batchGeneration.js';
import { benchHeadAttribution } from './headAttribution.js';
import { benchTrain } from './train.js';
import { benchGemm, type GemmResult, type GemmShape } from './gemm.js';
import { benchInt8 } from './int8.js';
import { benchLlama8b } from './llama8b.js';
import { int8Sensitivity, int8WeightTails } from './int8Sensitivity.js';
import type { WeightsMode } from '../src/model/weights.js';
import { PRESETS, parameterCount, writeSyntheticModel, type SyntheticDType, type SyntheticShape } from './syntheticModel.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Source folder of this bench (dist/bench/ → bench/). */
const BENCH_SRC = path.resolve(HERE, '..', '..', 'bench');
const SEED = 1;
const PROMPT_TOKENS = 128;
const DECODE_STEPS = 32;
/** Untimed decode steps before the timed ones (JIT tier-up of the decode path; torch_bench.py does the same). */
const DECODE_WARMUP = 4;
const GEMM_SHAPES: Array<[number, number, number]> = [[64, 896, 4864], [64, 4864, 896], [1, 896, 4864], [512, 2048, 2048]];

const TARGETS = {
  gemmGflopsM64: 60,
  prefillVsTorch: 1.0,
  decodeVsTorch: 2.0,
  peakRssPerWeightByte: 1.3,
};

/** The prompt both engines run: id_i = (i·7919 + 13) mod V (torch_bench.py uses the same). */
function benchPrompt(tokens: number, vocab: number): number[] {
  return Array.from({ length: tokens }, (_, i) => (i * 7919 + 13) % vocab);
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** maxRSS of this process in bytes (resourceUsage reports KiB). */
function peakRss(): number {
  return process.resourceUsage().maxRSS * 1024;
}

// ───────────────────────────── child: one model configuration ─────────────────────────────

/** What a model child process reports. */
export interface ModelRun {
  dir: string;
  dtype: string;
  threads: number;
  backend: string;
  loadS: number;
  /** Bytes of tensor data in the checkpoint file(s). */
  checkpointBytes: number;
  /** Bytes the backend holds for packed weights. */
  packedBytes: number;
  peakRssAfterLoad: number;
  peakRss: number;
  promptTokens: number;
  prefillS: number;
  prefillTokensPerS: number;
  decodeSteps: number;
  decodeTokensPerS: number;
  greedy: number[];
}

function checkpointDataBytes(dir: string): number {
  const file = path.join(dir, 'model.safetensors');
  const fd = fs.openSync(file, 'r');
  try {
    const prefix = Buffer.alloc(8);
    fs.readSync(fd, prefix, 0, 8, 0);
    return fs.fstatSync(fd).size - 8 - Number(prefix.readBigUInt64LE(0));
  } finally {
    fs.closeSync(fd);
  }
}

async function childModel(dir: string, threads: number, promptTokens: number, decodeSteps: number, prefillRepeats: number, weights: WeightsMode = 'stored'): Promise<ModelRun> {
  const backend = await createBackend({ threads, backend: 'wasm' });
  let start = performance.now();
  const model = await LanguageModel.load(dir, { backend, weights });
  const loadS = (performance.now() - start) / 1000;
  gc();
  const peakRssAfterLoad = peakRss();
  const prompt = benchPrompt(promptTokens, model.config.vocabSize);

  // Prefill: a warm-up pass, then the median of timed passes (logits of the last row only).
  const times: number[] = [];
  for (let r = 0; r <= prefillRepeats; r++) {
    start = performance.now();
    model.run(prompt, { logits: 'last' });
    if (r > 0 || prefillRepeats === 0) times.push((performance.now() - start) / 1000);
  }
  const prefillS = median(times);

  // Decode: prefill into a KV cache, then one token per step, greedy; DECODE_WARMUP steps untimed.
  const cache = new KVCache(model.config.numLayers, model.config.numKvHeads * model.config.headDim, promptTokens + DECODE_WARMUP + decodeSteps + 1);
  const [first] = model.forward([{ ids: prompt, cache }], { logits: 'last' });
  const greedy = [argmax((first.logits as { data: Float32Array }).data)];
  for (let s = 0; s < DECODE_WARMUP + decodeSteps; s++) {
    if (s === DECODE_WARMUP) start = performance.now();
    const [out] = model.forward([{ ids: [greedy[greedy.length - 1]], cache }], { logits: 'last' });
    greedy.push(argmax((out.logits as { data: Float32Array }).data));
  }
  const decodeS = (performance.now() - start) / 1000;
  const result: ModelRun = {
    dir,
    dtype: model.weights.layers[0].gateUp.dtype,
    threads,
    backend: backend.name,
    loadS,
    checkpointBytes: checkpointDataBytes(dir),
    packedBytes: model.weights.byteLength,
    peakRssAfterLoad,
    peakRss: peakRss(),
    promptTokens,
    prefillS,
    prefillTokensPerS: promptTokens / prefillS,
    decodeSteps,
    decodeTokensPerS: decodeSteps / decodeS,
    greedy,
  };
  await model.dispose();
  await backend.dispose();
  return result;
}

/** Runs one model configuration in a child process (so its peak RSS is its own). */
function runModelChild(dir: string, threads: number, promptTokens: number, decodeSteps: number, prefillRepeats: number, weights: WeightsMode = 'stored'): ModelRun | { error: string } {
  const child = spawnSync(process.execPath, [
    '--expose-gc', fileURLToPath(import.meta.url), '--child-model', dir,
    '--threads', String(threads), '--prompt', String(promptTokens), '--decode', String(decodeSteps), '--repeats', String(prefillRepeats),
    '--weights', weights,
  ], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return { error: `child exited with ${child.status ?? child.signal}: ${line.slice(0, 200)}` };
  return JSON.parse(line) as ModelRun;
}

// ───────────────────────────── PyTorch ─────────────────────────────

interface TorchRun {
  torch: string;
  threads: number;
  load_s: number;
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
  greedy: number[];
}

/** A Python that can `import torch`: $BENCH_PYTHON, else python3 on PATH, else Debian's system python3. */
function findTorchPython(): string | null {
  const candidates = [process.env.BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c);
  for (const python of candidates) {
    const probe = spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
    if (probe.status === 0) return python;
  }
  return null;
}

function runTorch(python: string, dir: string, threads: number, promptTokens: number, decodeSteps: number): TorchRun | { error: string } {
  const script = path.join(BENCH_SRC, 'torch_bench.py');
  const child = spawnSync(python, [script, dir, '--prompt', String(promptTokens), '--decode', String(decodeSteps), '--warmup', String(DECODE_WARMUP), '--threads', String(threads)], {
    encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('{')) return { error: `torch_bench.py exited with ${child.status ?? child.signal}: ${line.slice(0, 200)}` };
  return JSON.parse(line) as TorchRun;
}

// ───────────────────────────── printing ─────────────────────────────

function table(headers: string[], rows: Array<Array<string | number>>): void {
  const cells = rows.map((r) => r.map(String));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
}

const GB = 1e9;
const fmt = (v: number, digits = 1): string => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const verdict = (ok: boolean): string => (ok ? 'meets' : 'BELOW');

function agreement(a: number[], b: number[]): string {
  const n = Math.min(a.length, b.length);
  let same = 0;
  while (same < n && a[same] === b[same]) same++;
  return same === n ? `match (${n}/${n})` : `MISMATCH at token ${same} (${same}/${n} agree)`;
}

// ───────────────────────────── main ─────────────────────────────

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const threads = Number(flag('--threads') ?? os.availableParallelism());
  const childDir = flag('--child-model');
  if (childDir) {
    const weights = (flag('--weights') ?? 'stored') as WeightsMode;
    const run = await childModel(childDir, threads, Number(flag('--prompt') ?? PROMPT_TOKENS), Number(flag('--decode') ?? DECODE_STEPS), Number(flag('--repeats') ?? 3), weights);
    console.log(JSON.stringify(run));
    return;
  }
  const quick = process.argv.includes('--quick');
  const only = flag('--only');
  const PARTS = ['gemm', 'model', '3b', 'torch', 'heads', 'train', 'batch', 'int8', 'int8err', '8b'] as const;
  if (only && !(PARTS as readonly string[]).includes(only)) throw new Error(`--only must be one of ${PARTS.join(', ')}, got ${only}`);
  // '8b' (16 GB written to disk, minutes) and 'int8err' (a diagnosis) run only when asked for by name.
  const want = (part: (typeof PARTS)[number]): boolean => (only ? only === part : part !== '8b' && part !== 'int8err' && !(quick && (part === '3b' || part === 'torch')));

  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? '?'}`,
    totalMemGB: os.totalmem() / GB,
    threads,
    targets: TARGETS,
    note: 'shared 2-core machine; other processes may run concurrently — expect ±20 % noise',
  };
  console.log(`emotion-circuits bench — node ${process.version}, ${results.cpus as string}, ${fmt(os.totalmem() / GB)} GB RAM, ${threads} threads`);
  console.log('(numbers are noisy on a shared machine; targets are printed for comparison, never asserted)\n');

  // 1. GEMM.
  if (want('gemm')) {
    const flavours = enableRelaxedSimd() ? (['plain', 'relaxed'] as const) : (['plain'] as const);
    const shapes: GemmShape[] = [];
    for (const dtype of ['f32', 'bf16'] as const) for (const [m, k, n] of GEMM_SHAPES) shapes.push({ m, k, n, dtype });
    const rows: Array<Array<string | number>> = [];
    const gemm: Array<GemmResult & { simd: string }> = [];
    for (const simd of flavours) {
      const backend = await createBackend({ threads, simd, backend: 'wasm' });
      try {
        for (const r of await benchGemm(backend, shapes)) {
          gemm.push({ ...r, simd });
          const target = r.m === 64 ? `≥ ${TARGETS.gemmGflopsM64}: ${verdict(r.gflops >= TARGETS.gemmGflopsM64)}` : '';
          rows.push([backend.name, `${r.m}×${r.k}×${r.n}`, r.dtype, fmt(r.ms, 3), fmt(r.gflops), fmt((2 * r.k * r.n * (r.dtype === 'f32' ? 4 : 2)) / (r.ms * 1e6)), target]);
        }
      } finally {
        await backend.dispose();
      }
    }
    console.log('GEMM  out[M,N] = x[M,K]·Wᵀ  (median of 7 repeats)');
    table(['backend', 'M×K×N', 'weights', 'ms', 'GFLOP/s', 'W GB/s', 'target'], rows);
    console.log('');
    results.gemm = gemm;
  }

  // 2. The 0.5B model, bf16 and f32 weights, each in a child process.
  const shape05: SyntheticShape = PRESETS.qwen2_5_0_5b;
  const runs: Partial<Record<SyntheticDType, ModelRun>> = {};
  const dirs: Partial<Record<SyntheticDType, string>> = {};
  if (want('model') || want('torch')) {
    for (const dtype of ['bf16', 'f32'] as const) {
      const start = performance.now();
      dirs[dtype] = writeSyntheticModel(null, shape05, { dtype, seed: SEED });
      const took = (performance.now() - start) / 1000;
      if (took > 1) console.log(`wrote ${dirs[dtype]} in ${fmt(took)} s`);
    }
  }
  if (want('model')) {
    const rows: Array<Array<string | number>> = [];
    for (const dtype of ['bf16', 'f32'] as const) {
      const run = runModelChild(dirs[dtype] as string, threads, PROMPT_TOKENS, DECODE_STEPS, 3);
      if ('error' in run) {
        rows.push([dtype, run.error]);
        continue;
      }
      runs[dtype] = run;
      const ratio = run.peakRss / run.checkpointBytes;
      rows.push([
        dtype, fmt(run.loadS), fmt(run.prefillTokensPerS), fmt(run.decodeTokensPerS),
        fmt(run.checkpointBytes / GB, 2), fmt(run.peakRss / GB, 2), `${fmt(ratio, 2)} (${verdict(ratio <= TARGETS.peakRssPerWeightByte)} ≤ ${TARGETS.peakRssPerWeightByte})`,
      ]);
    }
    console.log(`Model  random Qwen2.5-0.5B shape (${fmt(parameterCount(shape05) / 1e6, 0)}M params), ${PROMPT_TOKENS}-token prompt, ${DECODE_STEPS} decode steps, ${threads} threads`);
    table(['weights', 'load s', 'prefill tok/s', 'decode tok/s', 'weights GB', 'peak RSS GB', 'peak RSS / weight bytes'], rows);
    if (runs.bf16 && runs.f32) console.log(`greedy tokens bf16 vs f32 (same values): ${agreement(runs.bf16.greedy, runs.f32.greedy)}`);
    console.log('');
    results.model = runs;
  }

  // 3. PyTorch on the same weights (the bf16 file: its values are exactly the f32 file's).
  if (want('torch')) {
    const python = findTorchPython();
    if (!python) {
      console.log('PyTorch: `import torch` failed with every candidate python (set BENCH_PYTHON); skipped\n');
      results.torch = { skipped: 'no python with torch' };
    } else {
      const torchRun = runTorch(python, dirs.bf16 as string, 1, PROMPT_TOKENS, DECODE_STEPS);
      results.torch = torchRun;
      if ('error' in torchRun) {
        console.log(`PyTorch: ${torchRun.error}\n`);
      } else {
        console.log(`PyTorch ${torchRun.torch} CPU eager, f32 compute, torch.set_num_threads(${torchRun.threads}), same weights and prompt`);
        const rows: Array<Array<string | number>> = [['pytorch f32', fmt(torchRun.prefill_tokens_per_s), fmt(torchRun.decode_tokens_per_s), '', '', '']];
        const ratios: Record<string, unknown> = {};
        for (const dtype of ['bf16', 'f32'] as const) {
          const run = runs[dtype];
          if (!run) continue;
          const prefill = run.prefillTokensPerS / torchRun.prefill_tokens_per_s;
          const decode = run.decodeTokensPerS / torchRun.decode_tokens_per_s;
          ratios[dtype] = { prefill, decode, greedy: agreement(run.greedy, torchRun.greedy) };
          rows.push([
            `ours ${dtype}`, fmt(run.prefillTokensPerS), fmt(run.decodeTokensPerS),
            `${fmt(prefill, 2)}× (${verdict(prefill >= TARGETS.prefillVsTorch)} ≥ ${TARGETS.prefillVsTorch})`,
            `${fmt(decode, 2)}× (${verdict(decode >= TARGETS.decodeVsTorch)} ≥ ${TARGETS.decodeVsTorch})`,
            agreement(run.greedy, torchRun.greedy),
          ]);
        }
        table(['engine', 'prefill tok/s', 'decode tok/s', 'prefill ours/torch', 'decode ours/torch', 'greedy vs torch'], rows);
        if (!runs.bf16 && !runs.f32) console.log('(run without --only torch to get the ours/PyTorch ratios)');
        console.log('');
        results.torchRatios = ratios;
      }
    }
  }

  // 4. Head importance from cached values vs per-head forward-pass ablation (the components stage).
  if (want('heads')) {
    const dir = writeSyntheticModel(null, shape05, { dtype: 'bf16', seed: SEED });
    const model = await LanguageModel.load(dir);
    try {
      const r = benchHeadAttribution(model, benchPrompt(100, shape05.vocabSize));
      results.headAttribution = r;
      console.log(`Head importance  random Qwen2.5-0.5B shape, ${r.heads} heads, ${r.promptTokens}-token prompt, per sample`);
      table(['method', 'ms per sample', 'ratio'], [
        ['old: cached-value arithmetic only (cache fill not counted)', fmt(r.fastMsPerSample, 1), '1×'],
        [`old: naive, one whole forward pass per head (${fmt(r.forwardMs, 0)} ms each)`, fmt(r.naiveMsPerSample, 0), `${fmt(r.speedup, 0)}× slower`],
        [`honest: cache-filling pass (${fmt(r.cacheFillMs, 0)} ms) + arithmetic`, fmt(r.honestFastMsPerSample, 0), '1×'],
        ['honest: naive, one pass + layers l…L−1 per head of layer l', fmt(r.honestNaiveMsPerSample, 0), `${fmt(r.honestSpeedup, 1)}× slower`],
      ]);
      console.log('');
    } finally {
      await model.dispose();
    }
  }

  // Training throughput of the organism's shapes, ours and PyTorch's.
  if (want('train')) {
    const python = quick ? null : findTorchPython();
    const rows = await benchTrain(threads, python, BENCH_SRC);
    results.train = rows;
    console.log(`Training  whole steps (forward, backward, clip, AdamW), batch of 32 × 80 tokens, f32${python ? '' : ' (PyTorch skipped: --quick or no `import torch`)'}`);
    table(['model', 'params', 'ours tok/s', 'ms/step', 'PyTorch tok/s', 'ours/PyTorch'], rows.map((r) => {
      const torch = r.torch && 'tokensPerSecond' in r.torch ? r.torch : null;
      return [
        r.label, `${fmt(r.params / 1e6, 2)}M`, fmt(r.ours.tokensPerSecond, 0), fmt(r.ours.msPerStep, 0),
        torch ? `${fmt(torch.tokensPerSecond, 0)} (${torch.threads} thread)` : (r.torch && 'error' in r.torch ? r.torch.error : '—'),
        torch ? fmt(r.ours.tokensPerSecond / torch.tokensPerSecond, 2) : '—',
      ];
    }));
    console.log('');
  }

  // Batched generation: decode tokens/s at batch 1, 16, 32 as a share of prefill tokens/s.
  if (want('batch')) {
    const dir = writeSyntheticModel(null, shape05, { dtype: 'bf16', seed: SEED });
    const backend = await createBackend({ threads, backend: 'wasm' });
    const model = await LanguageModel.load(dir, { backend });
    try {
      const r = benchBatchGeneration(model);
      results.batchGeneration = r;
      console.log(`Batched generation  random Qwen2.5-0.5B shape, bf16, ${r.rows[0].promptTokens}-token prompts, ${r.rows[0].newTokensPerSequence} new tokens each, greedy + repetition penalty + 3-gram ban, ${threads} threads`);
      console.log(`prefill ceiling (one 128-token prompt): ${fmt(r.prefillTokensPerS)} tok/s`);
      table(['batch', 'decode tok/s', 'share of prefill', 'target'], r.rows.map((row) => [
        row.batch, fmt(row.decodeTokensPerS), `${fmt(100 * row.shareOfPrefill, 0)} %`, row.batch === 32 ? `≥ 70 %: ${verdict(row.shareOfPrefill >= 0.7)}` : '',
      ]));
      const { profile } = r;
      console.log(`one decode step of ${profile.batch} sequences: ${fmt(profile.stepMs, 1)} ms = ${Object.entries(profile.parts).map(([k, ms]) => `${k} ${fmt(ms, 1)} ms (${fmt((100 * ms) / profile.stepMs, 0)} %)`).join(', ')}`);
      console.log('');
    } finally {
      await model.dispose();
      await backend.dispose();
    }
  }

  // 5. A 3B-shaped bf16 model: > 4 GiB of f32 weights must load and run in 24 GB.
  if (want('3b')) {
    const shape3b: SyntheticShape = PRESETS.llama_3b;
    const start = performance.now();
    const dir = writeSyntheticModel(null, shape3b, { dtype: 'bf16', seed: SEED });
    const took = (performance.now() - start) / 1000;
    if (took > 1) console.log(`wrote ${dir} in ${fmt(took)} s`);
    const run = runModelChild(dir, threads, 16, 8, 1);
    results.llama3b = run;
    console.log(`3B  random Llama-3.2-3B shape (${fmt(parameterCount(shape3b) / 1e9, 2)}B params = ${fmt((parameterCount(shape3b) * 4) / 2 ** 30, 1)} GiB in f32), bf16 weights, 16-token prompt, 8 decode steps`);
    if ('error' in run) {
      console.log(run.error);
    } else {
      const ratio = run.peakRss / run.checkpointBytes;
      table(['weights', 'load s', 'prefill tok/s', 'decode tok/s', 'weights GB', 'peak RSS GB', 'peak RSS / weight bytes'], [[
        'bf16', fmt(run.loadS), fmt(run.prefillTokensPerS), fmt(run.decodeTokensPerS, 2), fmt(run.checkpointBytes / GB, 2), fmt(run.peakRss / GB, 2),
        `${fmt(ratio, 2)} (${verdict(ratio <= TARGETS.peakRssPerWeightByte)} ≤ ${TARGETS.peakRssPerWeightByte})`,
      ]]);
    }
    console.log('');
  }

  // 6. int8 weights: fidelity on the fixtures, speed and memory on the 0.5B shape (bench/int8.ts).
  if (want('int8')) {
    const dir = (dtype: SyntheticDType): string => (dirs[dtype] ??= writeSyntheticModel(null, shape05, { dtype, seed: SEED }));
    const python = quick ? null : findTorchPython();
    results.int8 = await benchInt8({
      threads, table, fmt, shape: shape05, promptTokens: PROMPT_TOKENS,
      runModel: (dtype, weights) => runModelChild(dir(dtype), threads, PROMPT_TOKENS, DECODE_STEPS, 3, weights),
      // PyTorch on the same weights and prompt, as in the torch section (one thread, f32 compute).
      runTorch: python ? () => runTorch(python, dir('bf16'), 1, PROMPT_TOKENS, DECODE_STEPS) : null,
    });
  }

  // int8's KL on TinyStories-656K by weight and by quantisation scheme (bench/int8Sensitivity.ts).
  if (want('int8err')) {
    const sharedDir = process.env.EMOTION_CIRCUITS_SHARED;
    if (!sharedDir || !fs.existsSync(sharedDir)) {
      console.log('int8err: EMOTION_CIRCUITS_SHARED is not set (TinyStories-656K and its fixtures live there); skipped\n');
    } else {
      const tails = await int8WeightTails(sharedDir);
      results.int8WeightTails = tails;
      console.log('int8 weight tails  TinyStories-656K, per weight in load order (head, then q|k|v, o, gate|up, down per layer): mean over rows of max |w| / rms, beside 256 rows of standard normal values of the same length');
      table(['weight', 'rows × cols', 'max/rms', 'Gaussian max/rms'], tails.map((t) => [t.index, `${t.rows}×${t.cols}`, fmt(t.maxOverRms, 2), fmt(t.gaussianMaxOverRms, 2)]));
      console.log('');
      const rows = await int8Sensitivity(sharedDir);
      results.int8Sensitivity = rows;
      console.log('int8 error sources  TinyStories-656K, KL(stored ‖ variant) over every position of every fixture case; plain-TypeScript products, weights rounded to each grid');
      table(['variant', 'max KL', 'mean KL', 'max KL, last position', 'worst case@position'], rows.map((r) => [r.label, r.maxKl.toExponential(2), r.meanKl.toExponential(2), r.maxLastKl.toExponential(2), r.worst]));
      console.log('');
    }
  }

  // 7. A Llama-3.1-8B shape with int8 weights (bench/llama8b.ts): only with --only 8b.
  if (want('8b')) {
    results.llama8b = benchLlama8b({
      threads, table, fmt,
      runModel: (dir, promptTokens, decodeSteps, repeats, weights) => runModelChild(dir, threads, promptTokens, decodeSteps, repeats, weights),
    });
  }

  const outDir = path.join(BENCH_SRC, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}`);
}

await main();
