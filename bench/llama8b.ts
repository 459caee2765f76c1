/**
 * The `8b` part of the bench (`--only 8b`, never in the default run): writes a random-weight
 * Llama-3.1-8B-shaped checkpoint (bf16, one 16 GB file) into a fresh folder under os.tmpdir(), loads
 * it with int8 weights in a child process (quantised tensor by tensor while streaming from disk),
 * reports load time, peak RSS and prefill/decode tokens/s, and deletes the folder. Needs ~17 GB of
 * free disk and takes minutes (writing 16 GB, then quantising 8B weights).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import os from 'node:os';
import * as path from 'node:path';
import type { WeightsMode } from '../src/model/weights.js';
import type { ModelRun } from './bench.js';
import { PRESETS, parameterCount, writeSyntheticModel } from './syntheticModel.js';

export interface EightBContext {
  threads: number;
  table: (headers: string[], rows: Array<Array<string | number>>) => void;
  fmt: (v: number, digits?: number) => string;
  /** Runs `dir` in a child process: prompt tokens, decode steps, timed prefill repeats, weights. */
  runModel: (dir: string, promptTokens: number, decodeSteps: number, repeats: number, weights: WeightsMode) => ModelRun | { error: string };
}

/** The bound on peak RSS for the 8B shape with int8 weights. */
export const PEAK_RSS_TARGET_BYTES = 12e9;

const PROMPT_TOKENS = 16;
const DECODE_STEPS = 8;

/** Runs the part; returns what goes into latest.json. */
export function benchLlama8b(context: EightBContext): Record<string, unknown> {
  const { table, fmt, threads } = context;
  const shape = PRESETS.llama_3_1_8b;
  const params = parameterCount(shape);
  const needed = params * 2 * 1.05;
  const root = mkdtempSync(path.join(os.tmpdir(), 'emotion-circuits-8b-'));
  try {
    const { bavail, bsize } = statfsSync(root);
    if (bavail * bsize < needed) {
      const message = `needs ${fmt(needed / 1e9)} GB free under ${os.tmpdir()}, has ${fmt((bavail * bsize) / 1e9)} GB; skipped`;
      console.log(`8B: ${message}\n`);
      return { skipped: message };
    }
    let start = performance.now();
    const dir = writeSyntheticModel(path.join(root, 'model'), shape, { dtype: 'bf16', seed: 1 });
    const writeS = (performance.now() - start) / 1000;
    start = performance.now();
    const run = context.runModel(dir, PROMPT_TOKENS, DECODE_STEPS, 1, 'int8');
    const childS = (performance.now() - start) / 1000;
    console.log(`8B  random Llama-3.1-8B shape (${fmt(params / 1e9, 2)}B params, untied head, llama3 RoPE scaling), bf16 file (${fmt((params * 2) / 1e9)} GB, written in ${fmt(writeS, 0)} s), int8 weights, ${PROMPT_TOKENS}-token prompt, ${DECODE_STEPS} decode steps, ${threads} threads, own process (${fmt(childS, 0)} s)`);
    if ('error' in run) {
      console.log(`${run.error}\n`);
      return { writeS, error: run.error };
    }
    table(['weights', 'load s', 'prefill tok/s', 'decode tok/s', 'packed GB', 'peak RSS after load GB', 'peak RSS GB', 'target'], [[
      'int8', fmt(run.loadS), fmt(run.prefillTokensPerS, 2), fmt(run.decodeTokensPerS, 2), fmt(run.packedBytes / 1e9, 2),
      fmt(run.peakRssAfterLoad / 1e9, 2), fmt(run.peakRss / 1e9, 2), `≤ ${fmt(PEAK_RSS_TARGET_BYTES / 1e9, 0)} GB: ${run.peakRss <= PEAK_RSS_TARGET_BYTES ? 'meets' : 'ABOVE'}`,
    ]]);
    console.log('');
    return { writeS, ...run };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
