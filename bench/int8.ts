/**
 * The `int8` part of `npm run bench` (`--only int8`): fidelity of int8 weights on the fixture
 * models (next-token KL, logit error, greedy agreement against the stored weights), and speed and
 * memory on the 0.5B shape (GEMM/GEMV, prefill/decode tokens/s and peak RSS with int8, bf16 and
 * f32 weights). Fidelity needs EMOTION_CIRCUITS_SHARED (the fixtures); it is skipped without it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import { createBackend } from '../src/kernels/index.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { klDivergenceFromLogits } from '../src/model/logitDivergence.js';
import type { WeightsMode } from '../src/model/weights.js';
import { DIRECTION_SITES, DIRECTIONS_FILE, readDirections, type DirectionSet } from '../src/pipeline/directions/directionSet.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { benchGemm, type GemmShape } from './gemm.js';
import { simdCeiling } from './simdCeiling.js';
import type { SyntheticShape } from './syntheticModel.js';

/**
 * Multiply–adds per token of a `promptTokens`-token prefill as both benches run it (logits of the
 * last row only): every linear weight of every layer once per token, attention's q·k and p·v over
 * the average causal context, and the head once per prompt.
 */
export function prefillMacsPerToken(s: SyntheticShape, promptTokens: number): number {
  const dh = s.hiddenSize / s.numHeads;
  const attentionWeights = s.hiddenSize * (s.numHeads + 2 * s.numKvHeads) * dh + s.numHeads * dh * s.hiddenSize;
  const mlpWeights = 3 * s.hiddenSize * s.intermediateSize;
  const averageContext = (promptTokens + 1) / 2;
  const attentionScores = 2 * s.numHeads * dh * averageContext;
  return s.numLayers * (attentionWeights + mlpWeights + attentionScores) + (s.vocabSize * s.hiddenSize) / promptTokens;
}

/** What bench/torch_bench.py reports (the fields this part reads). */
interface TorchResult {
  torch: string;
  threads: number;
  prefill_tokens_per_s: number;
  decode_tokens_per_s: number;
}

/** Interleaved rounds of the model runs (see benchInt8). */
const ROUNDS = 2;

/** What bench.ts hands this part: its printing helpers and a child-process model run. */
export interface Int8BenchContext {
  threads: number;
  table: (headers: string[], rows: Array<Array<string | number>>) => void;
  fmt: (v: number, digits?: number) => string;
  /** The shape runModel and runTorch run, and their prompt length. */
  shape: SyntheticShape;
  promptTokens: number;
  /** Runs the 0.5B-shaped checkpoint of `dtype` in a child process with `weights`. */
  runModel: (dtype: 'bf16' | 'f32', weights: WeightsMode) => { prefillTokensPerS: number; decodeTokensPerS: number; peakRss: number; packedBytes: number; checkpointBytes: number; loadS: number; greedy: number[] } | { error: string };
  /** PyTorch CPU eager (f32, one thread) on the same 0.5B-shaped weights and prompt; null when `import torch` fails or with --quick. */
  runTorch: (() => TorchResult | { error: string }) | null;
}

export interface FidelityRow {
  model: string;
  cases: number;
  positions: number;
  maxKl: number;
  meanKl: number;
  maxAbsLogit: number;
  /** Greedy tokens (KV cache, EOS ignored) that agree before the first divergence, of `greedyTotal`. */
  greedyAgree: number;
  greedyTotal: number;
  storedBytes: number;
  int8Bytes: number;
}

const FIXTURES: Array<[string, string[]]> = [
  ['tinystories-656k', ['models', 'tinystories-656k']],
  ['random-llama3', ['fixtures', 'random-llama3']],
  ['random-qwen2', ['fixtures', 'random-qwen2']],
  ['random-qwen3', ['fixtures', 'random-qwen3']],
];

/** int8 against the stored weights on every case of every fixture model in `sharedDir`. */
export async function int8Fidelity(sharedDir: string, threads: number): Promise<FidelityRow[]> {
  const backend = await createBackend({ threads, backend: 'wasm' });
  const rows: FidelityRow[] = [];
  try {
    for (const [name, parts] of FIXTURES) {
      const dir = path.join(sharedDir, ...parts);
      const stored = await LanguageModel.load(dir, { backend });
      const int8 = await LanguageModel.load(dir, { backend, weights: 'int8' });
      const cases = JSON.parse(readFileSync(path.join(sharedDir, 'fixtures', name, 'cases.json'), 'utf8')) as Array<{ ids: number[]; greedy_ids?: number[] }>;
      const V = stored.config.vocabSize;
      const row: FidelityRow = {
        model: name, cases: cases.length, positions: 0, maxKl: 0, meanKl: 0, maxAbsLogit: 0, greedyAgree: 0, greedyTotal: 0,
        storedBytes: stored.weights.byteLength, int8Bytes: int8.weights.byteLength,
      };
      for (const c of cases) {
        const a = stored.run(c.ids).logits!.data;
        const b = int8.run(c.ids).logits!.data;
        for (let t = 0; t < c.ids.length; t++) {
          const kl = klDivergenceFromLogits(a.subarray(t * V, (t + 1) * V), b.subarray(t * V, (t + 1) * V));
          row.maxKl = Math.max(row.maxKl, kl);
          row.meanKl += kl;
          row.positions++;
        }
        for (let i = 0; i < a.length; i++) row.maxAbsLogit = Math.max(row.maxAbsLogit, Math.abs(a[i] - b[i]));
        const steps = c.greedy_ids?.length ?? 16;
        const [g1] = stored.generate([c.ids], { maxNewTokens: steps, stopTokenIds: [] });
        const [g2] = int8.generate([c.ids], { maxNewTokens: steps, stopTokenIds: [] });
        let same = 0;
        while (same < steps && g1.ids[same] === g2.ids[same]) same++;
        row.greedyAgree += same;
        row.greedyTotal += steps;
      }
      row.meanKl /= row.positions;
      rows.push(row);
      await stored.dispose();
      await int8.dispose();
    }
  } finally {
    await backend.dispose();
  }
  return rows;
}

/**
 * Emotion directions of a TinyStories-656K run (SEV, `limit` scenarios per theme) with int8 and with
 * stored weights: per site, the smallest cosine over emotions at each layer.
 */
export async function int8DirectionCosines(sharedDir: string, limit: number): Promise<Record<string, number[]>> {
  const model = path.join(sharedDir, 'models', 'tinystories-656k');
  const sets: Partial<Record<WeightsMode, DirectionSet>> = {};
  for (const weights of ['stored', 'int8'] as const) {
    const out = mkdtempSync(path.join(os.tmpdir(), `emotion-circuits-int8-directions-${weights}-`));
    try {
      const result = await runDirections({ model, dataset: 'sev', out, limit, permutations: 2, weights });
      sets[weights] = readDirections(path.join(result.runDir, DIRECTIONS_FILE));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const cosines: Record<string, number[]> = {};
  for (const site of DIRECTION_SITES) {
    const a = sets.stored![site], b = sets.int8![site];
    const emotions = a.directions.length / (a.layers * a.width);
    cosines[site] = Array.from({ length: a.layers }, (_, l) => {
      let min = 1;
      for (let e = 0; e < emotions; e++) {
        const at = (e * a.layers + l) * a.width;
        let dot = 0, na = 0, nb = 0;
        for (let i = 0; i < a.width; i++) {
          dot += a.directions[at + i] * b.directions[at + i];
          na += a.directions[at + i] ** 2;
          nb += b.directions[at + i] ** 2;
        }
        min = Math.min(min, dot / Math.sqrt(na * nb));
      }
      return min;
    });
  }
  return cosines;
}

/** Runs the int8 part; returns what goes into latest.json. */
export async function benchInt8(context: Int8BenchContext): Promise<Record<string, unknown>> {
  const { threads, table, fmt } = context;
  const results: Record<string, unknown> = {};
  const sharedDir = process.env.EMOTION_CIRCUITS_SHARED;
  if (sharedDir && existsSync(sharedDir)) {
    const rows = await int8Fidelity(sharedDir, threads);
    results.fidelity = rows;
    console.log('int8 fidelity  int8 vs stored weights, every fixture case, logits at every position (target: next-token KL ≤ 1e-3)');
    table(['model', 'cases', 'positions', 'max KL', 'mean KL', 'max |Δlogit|', 'greedy agree', 'int8 / stored bytes'], rows.map((r) => [
      r.model, r.cases, r.positions, r.maxKl.toExponential(2), r.meanKl.toExponential(2), r.maxAbsLogit.toExponential(2),
      `${r.greedyAgree}/${r.greedyTotal}`, fmt(r.int8Bytes / r.storedBytes, 3),
    ]));
    console.log('(greedy agree: tokens before the first divergence, summed over cases)\n');
    const limit = 4;
    const cosines = await int8DirectionCosines(sharedDir, limit);
    results.directionCosines = cosines;
    console.log(`int8 directions  TinyStories-656K, SEV (${limit} scenarios per theme): smallest cosine over emotions, int8 vs stored, per layer (target ≥ 0.999)`);
    table(['site', ...cosines.attn.map((_, l) => `layer ${l}`)], Object.entries(cosines).map(([site, values]) => [site, ...values.map((c) => c.toFixed(5))]));
    console.log('');
  } else {
    console.log('int8 fidelity: EMOTION_CIRCUITS_SHARED is not set (the fixtures live there); skipped\n');
  }

  const backend = await createBackend({ threads, backend: 'wasm' });
  try {
    const shapes: GemmShape[] = [];
    for (const [m, k, n] of [[64, 896, 4864], [64, 4864, 896], [1, 896, 4864], [1, 4864, 896]]) {
      for (const dtype of ['f32', 'bf16', 'int8'] as const) shapes.push({ m, k, n, dtype });
    }
    const gemm = await benchGemm(backend, shapes);
    results.gemm = gemm;
    const bytes = { f32: 4, bf16: 2, f16: 2, int8: 1 };
    console.log(`int8 GEMM/GEMV  ${backend.name}, out[M,N] = x[M,K]·Wᵀ (median of 7 repeats)`);
    table(['M×K×N', 'weights', 'ms', 'GFLOP/s', 'W GB/s'], gemm.map((r) => [
      `${r.m}×${r.k}×${r.n}`, r.dtype, fmt(r.ms, 3), fmt(r.gflops), fmt((r.k * r.n * bytes[r.dtype]) / (r.ms * 1e6)),
    ]));
    console.log('');
  } finally {
    await backend.dispose();
  }

  // Every configuration runs ROUNDS times, interleaved (int8, bf16, f32, PyTorch, int8, …), and keeps
  // its best prefill and best decode rate and its largest peak RSS: the host's noise comes in bursts
  // that would otherwise land on one configuration and skew the ratios.
  const configs = [['int8 (from bf16 file)', 'bf16', 'int8'], ['bf16', 'bf16', 'stored'], ['f32', 'f32', 'stored']] as const;
  type Run = Exclude<ReturnType<Int8BenchContext['runModel']>, { error: string }>;
  const runs: Record<string, Run | { error: string }> = {};
  const torchRuns: Array<TorchResult | { error: string }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, dtype, weights] of configs) {
      const run = context.runModel(dtype, weights);
      const best = runs[label];
      if ('error' in run || !best || 'error' in best) runs[label] = best && !('error' in best) ? best : run;
      else runs[label] = { ...best, prefillTokensPerS: Math.max(best.prefillTokensPerS, run.prefillTokensPerS), decodeTokensPerS: Math.max(best.decodeTokensPerS, run.decodeTokensPerS), peakRss: Math.max(best.peakRss, run.peakRss) };
    }
    if (context.runTorch) torchRuns.push(context.runTorch());
  }
  const torchOk = torchRuns.filter((r): r is TorchResult => !('error' in r));
  const torchRun: TorchResult | { error: string } | null = torchOk.length > 0
    ? { ...torchOk[0], prefill_tokens_per_s: Math.max(...torchOk.map((r) => r.prefill_tokens_per_s)), decode_tokens_per_s: Math.max(...torchOk.map((r) => r.decode_tokens_per_s)) }
    : (torchRuns[0] ?? null);
  const rows: Array<Array<string | number>> = [];
  for (const [label, dtype] of configs) {
    const run = runs[label];
    if ('error' in run) {
      rows.push([label, run.error]);
      continue;
    }
    const f32Bytes = dtype === 'f32' ? run.checkpointBytes : 2 * run.checkpointBytes;
    rows.push([label, fmt(run.loadS), fmt(run.prefillTokensPerS), fmt(run.decodeTokensPerS), fmt(run.packedBytes / 1e9, 2), fmt(run.peakRss / 1e9, 2), fmt(run.peakRss / f32Bytes, 2)]);
  }
  if (torchRun && !('error' in torchRun)) {
    rows.push([`PyTorch ${torchRun.torch} f32, ${torchRun.threads} thread`, '', fmt(torchRun.prefill_tokens_per_s), fmt(torchRun.decode_tokens_per_s), '', '', '']);
  }
  console.log(`int8 model  random Qwen2.5-0.5B shape, ${context.promptTokens}-token prompt, 32 decode steps, ${threads} threads, each in its own process, best of ${ROUNDS} interleaved rounds (peak RSS: the largest)`);
  table(['weights', 'load s', 'prefill tok/s', 'decode tok/s', 'packed GB', 'peak RSS GB', 'peak RSS / f32 weight bytes'], rows);
  if (torchRun && 'error' in torchRun) console.log(`PyTorch: ${torchRun.error}`);
  if (!torchRun) console.log('PyTorch: skipped (--quick, or no python that can `import torch`; set BENCH_PYTHON)');
  const int8Run = runs['int8 (from bf16 file)'] as { decodeTokensPerS?: number; prefillTokensPerS?: number };
  const bf16Run = runs.bf16 as { decodeTokensPerS?: number };
  const f32Run = runs.f32 as { prefillTokensPerS?: number };
  const ratios: Record<string, number> = {};
  if (int8Run.prefillTokensPerS && torchRun && !('error' in torchRun)) {
    ratios.prefillVsTorch = int8Run.prefillTokensPerS / torchRun.prefill_tokens_per_s;
    console.log(`int8 prefill / PyTorch f32 prefill = ${fmt(ratios.prefillVsTorch, 2)}× (target ≥ 1.0)`);
  }
  if (int8Run.decodeTokensPerS && bf16Run.decodeTokensPerS) {
    ratios.decodeVsBf16 = int8Run.decodeTokensPerS / bf16Run.decodeTokensPerS;
    console.log(`int8 decode / bf16 decode = ${fmt(ratios.decodeVsBf16, 2)}× (target ≥ 1.6)`);
  }
  if (int8Run.prefillTokensPerS && f32Run.prefillTokensPerS) {
    ratios.prefillVsF32 = int8Run.prefillTokensPerS / f32Run.prefillTokensPerS;
    console.log(`int8 prefill / our f32 prefill = ${fmt(ratios.prefillVsF32, 2)}×`);
  }
  console.log('');

  // How far int8 prefill can go on this host: the inner loops' ceiling beside the achieved rates.
  const ceiling = await simdCeiling(threads);
  results.simdCeiling = ceiling;
  if (ceiling) {
    const macs = prefillMacsPerToken(context.shape, context.promptTokens);
    console.log(`WebAssembly SIMD ceiling  multiply–adds per second of one inner loop on L1-resident operands (best of 9), beside the prefill rates above (${fmt(macs / 1e6, 0)}M multiply–adds per token)`);
    const achieved: Array<[string, number | undefined]> = [
      ['int8 prefill', int8Run.prefillTokensPerS],
      ['PyTorch f32 prefill', torchRun && !('error' in torchRun) ? torchRun.prefill_tokens_per_s : undefined],
    ];
    table(['loop', 'threads', 'G multiply–adds/s'], [
      ...ceiling.map((r) => [r.loop, r.threads, fmt(r.gmacPerS)]),
      ...achieved.filter(([, v]) => v !== undefined).map(([label, v]) => [`${label} (achieved)`, threads, fmt((v! * macs) / 1e9)]),
    ]);
    const tile = ceiling.find((r) => r.threads === threads && r.loop.startsWith('int8 tile'));
    const torchRate = achieved[1][1];
    if (tile && torchRate && int8Run.prefillTokensPerS) {
      ratios.int8CeilingVsTorch = (tile.gmacPerS * 1e9) / (torchRate * macs);
      console.log(`int8 tile ceiling / PyTorch's achieved prefill rate = ${fmt(ratios.int8CeilingVsTorch, 2)}×: int8 prefill reaches PyTorch only above ${fmt(100 / ratios.int8CeilingVsTorch, 0)} % of the ceiling, all of prefill included (now ${fmt((100 * int8Run.prefillTokensPerS! * macs) / (tile.gmacPerS * 1e9), 0)} %)`);
    }
    console.log('');
  } else {
    console.log('WebAssembly SIMD ceiling: relaxed SIMD is missing on this runtime; skipped\n');
  }
  results.model = runs;
  results.torch = torchRun;
  results.ratios = ratios;
  return results;
}
