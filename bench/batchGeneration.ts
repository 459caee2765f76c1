/**
 * Batched generation throughput on a model folder: new tokens/s of `generate` (KV cache, greedy)
 * for ragged batches of 1, 16 and 32 prompts, each as a share of prefill tokens/s (one 128-token
 * prompt: the compute ceiling), and a profile of one decode step of the largest batch (time in the
 * backend's linear layers, attention (batched over the sequences: attentionBatch), SwiGLU and
 * embedding gather; the rest is the TypeScript of the forward pass: norms, RoPE, residual adds,
 * copies).
 */
import type { LinearBackend } from '../src/kernels/types.js';
import { KVCache } from '../src/model/kvCache.js';
import type { LanguageModel } from '../src/model/languageModel.js';

export interface BatchGenerationRow {
  batch: number;
  promptTokens: number;
  newTokensPerSequence: number;
  /** Generated tokens per second over the decode steps (prefill excluded). */
  decodeTokensPerS: number;
  /** decodeTokensPerS / prefill tokens/s. */
  shareOfPrefill: number;
}

export interface DecodeProfile {
  batch: number;
  stepMs: number;
  /** ms per decode step by part. */
  parts: Record<string, number>;
}

export interface BatchGenerationResult {
  prefillTokensPerS: number;
  rows: BatchGenerationRow[];
  profile: DecodeProfile;
}

/** Distinct prompts of `tokens` ids each. */
function prompts(count: number, tokens: number, vocab: number): number[][] {
  return Array.from({ length: count }, (_, s) => Array.from({ length: tokens }, (_, i) => (i * 7919 + s * 104729 + 13) % vocab));
}

/** Wraps the backend's kernels with timers (ms accumulated by name). */
function timedBackend(backend: LinearBackend, totals: Record<string, number>): () => void {
  const target = backend as unknown as Record<string, unknown>;
  const originals: Array<[string, unknown]> = [];
  for (const name of ['linear', 'attention', 'attentionBatch', 'siluMul', 'gatherRows']) {
    const fn = target[name];
    if (typeof fn !== 'function') continue;
    originals.push([name, fn]);
    totals[name] = 0;
    target[name] = (...args: unknown[]) => {
      const start = performance.now();
      try {
        return (fn as (...a: unknown[]) => unknown).apply(backend, args);
      } finally {
        totals[name] += performance.now() - start;
      }
    };
  }
  return () => {
    for (const [name, fn] of originals) target[name] = fn;
  };
}

export function benchBatchGeneration(model: LanguageModel, options: { batches?: number[]; promptTokens?: number; newTokens?: number; prefillTokens?: number } = {}): BatchGenerationResult {
  const batches = options.batches ?? [1, 16, 32];
  const promptTokens = options.promptTokens ?? 32;
  const newTokens = options.newTokens ?? 16;
  const prefillTokens = options.prefillTokens ?? 128;
  const V = model.config.vocabSize;

  // Prefill ceiling: warm-up, then the best of three.
  const long = prompts(1, prefillTokens, V)[0];
  model.run(long, { logits: 'last' });
  let prefillS = Infinity;
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    model.run(long, { logits: 'last' });
    prefillS = Math.min(prefillS, (performance.now() - start) / 1000);
  }
  const prefillTokensPerS = prefillTokens / prefillS;

  const rows = batches.map((batch) => {
    let decodeStart = 0;
    let tokensAfterPrefill = 0;
    let seen = 0;
    const start = performance.now();
    model.generate(prompts(batch, promptTokens, V), {
      maxNewTokens: newTokens,
      stopTokenIds: [],
      repetitionPenalty: 1.1,
      noRepeatNgramSize: 3,
      onToken: () => {
        // The first `batch` tokens come from the prefill pass; decode starts after them.
        if (++seen === batch) decodeStart = performance.now();
        else if (seen > batch) tokensAfterPrefill++;
      },
    });
    const decodeS = (performance.now() - (decodeStart || start)) / 1000;
    const decodeTokensPerS = tokensAfterPrefill / decodeS;
    return { batch, promptTokens, newTokensPerSequence: newTokens, decodeTokensPerS, shareOfPrefill: decodeTokensPerS / prefillTokensPerS };
  });

  // Profile decode steps of the largest batch through the forward pass directly.
  const batch = Math.max(...batches);
  const caches = prompts(batch, promptTokens, V).map((ids) => {
    const cache = new KVCache(model.config.numLayers, model.config.numKvHeads * model.config.headDim, promptTokens + 8);
    model.forward([{ ids, cache }], { logits: 'none' });
    return cache;
  });
  const totals: Record<string, number> = {};
  const restore = timedBackend(model.backend, totals);
  const steps = 4;
  const start = performance.now();
  try {
    // As in generate(): one logits buffer for every step.
    const logitsBuffer = new Float32Array(batch * V);
    for (let s = 0; s < steps; s++) model.forward(caches.map((cache, i) => ({ ids: [(i * 31 + s) % V], cache })), { logits: 'last', logitsBuffer });
  } finally {
    restore();
  }
  const stepMs = (performance.now() - start) / steps;
  const parts: Record<string, number> = {};
  for (const [name, ms] of Object.entries(totals)) parts[name] = ms / steps;
  parts.other = stepMs - Object.values(parts).reduce((a, b) => a + b, 0);
  return { prefillTokensPerS, rows, profile: { batch, stepMs, parts } };
}
