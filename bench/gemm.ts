/**
 * GEMM throughput of a LinearBackend on LLM shapes: out[M,N] = x[M,K]·Wᵀ.
 * Measures the median of timed repeats after warm-up; the machine is noisy (±20 %).
 */
import type { LinearBackend, WeightDType } from '../src/kernels/types.js';

export interface GemmShape {
  m: number;
  k: number;
  n: number;
  /** Weight storage; default f32 ('int8': f32 weights quantised by packWeight). */
  dtype?: WeightDType;
}

export interface GemmResult {
  m: number;
  k: number;
  n: number;
  dtype: WeightDType;
  /** 2·M·K·N / median time. */
  gflops: number;
  /** Median milliseconds per product. */
  ms: number;
}

export interface BenchGemmOptions {
  /** Target wall time per timed repeat, ms (several products per repeat when they are fast). */
  repeatMs?: number;
  repeats?: number;
  warmup?: number;
}

/** The shapes of DESIGN.md §6: a 0.5B model's MLP at a 64-token prompt and at decode, and a square one. */
export const LLM_SHAPES: Array<[number, number, number]> = [
  [64, 896, 4864], [64, 4864, 896], [1, 896, 4864], [512, 2048, 2048],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function weightBytes(dtype: WeightDType, count: number): Uint8Array {
  // Deterministic values in [-0.5, 0.5): FMAs on zeros or constants could flatter the hardware.
  const values = new Float32Array(count);
  let seed = 12345;
  for (let i = 0; i < count; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    values[i] = seed / 4294967296 - 0.5;
  }
  if (dtype === 'f32') return new Uint8Array(values.buffer);
  const bits = new Uint32Array(values.buffer);
  const half = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'bf16') {
      half[i] = bits[i] >>> 16;
    } else {
      // |v| < 0.5: a normal f16 with the top 10 mantissa bits (truncated).
      const b = bits[i];
      const exponent = ((b >>> 23) & 0xff) - 127 + 15;
      half[i] = exponent <= 0 ? (b >>> 16) & 0x8000 : ((b >>> 16) & 0x8000) | (exponent << 10) | ((b >>> 13) & 0x3ff);
    }
  }
  return new Uint8Array(half.buffer);
}

/** Times backend.linear on each shape; weights are packed once per shape, outside the timing. */
export async function benchGemm(
  backend: LinearBackend, shapes: GemmShape[], options: BenchGemmOptions = {},
): Promise<GemmResult[]> {
  const repeatMs = options.repeatMs ?? 50;
  const repeats = options.repeats ?? 7;
  const warmup = options.warmup ?? 2;
  const results: GemmResult[] = [];
  for (const { m, k, n, dtype = 'f32' } of shapes) {
    const source = dtype === 'int8' ? 'f32' : dtype;
    const weight = backend.packWeight(weightBytes(source, n * k), source, n, k, dtype === 'int8' ? { quantize: 'int8' } : {});
    const x = new Float32Array(m * k);
    for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 1000) / 1000 - 0.5;
    const out = new Float32Array(m * n);
    // Warm up (tier-up, page faults) and size a repeat to about repeatMs.
    let start = performance.now();
    for (let i = 0; i < warmup; i++) backend.linear(x, m, weight, out);
    const perCall = Math.max(1e-3, (performance.now() - start) / Math.max(1, warmup));
    const calls = Math.max(1, Math.round(repeatMs / perCall));
    const times: number[] = [];
    for (let r = 0; r < repeats; r++) {
      start = performance.now();
      for (let i = 0; i < calls; i++) backend.linear(x, m, weight, out);
      times.push((performance.now() - start) / calls);
    }
    const ms = median(times);
    results.push({ m, k, n, dtype, ms, gflops: (2 * m * k * n) / (ms * 1e6) });
    // Let the event loop breathe between shapes (nothing else to do; keeps the API async).
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return results;
}
