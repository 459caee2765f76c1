/**
 * Prints GEMM GFLOP/s for the wasm backend (plain SIMD and relaxed-SIMD FMA) on LLM shapes,
 * with the plain-JS backend on one shape as the baseline of the ratio column.
 *   node dist/bench/gemm-main.js [--threads N]
 */
import os from 'node:os';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { WasmBackend } from '../src/kernels/wasmBackend.js';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';
import { benchGemm, LLM_SHAPES, type GemmShape } from './gemm.js';

const threadsArg = process.argv.indexOf('--threads');
const threads = threadsArg > 0 ? Number(process.argv[threadsArg + 1]) : os.availableParallelism();

const js = new JsBackend();
const [baseline] = await benchGemm(js, [{ m: 64, k: 896, n: 4864 }], { repeatMs: 1, repeats: 3, warmup: 1 });
console.log(`baseline: ${js.name} 64×896×4864 f32: ${baseline.gflops.toFixed(2)} GFLOP/s (${baseline.ms.toFixed(1)} ms)`);

const shapes: GemmShape[] = [];
for (const dtype of ['f32', 'bf16'] as const) for (const [m, k, n] of LLM_SHAPES) shapes.push({ m, k, n, dtype });

const flavours = enableRelaxedSimd() ? (['plain', 'relaxed'] as const) : (['plain'] as const);
console.log(`threads: ${threads}, cpus: ${os.cpus()[0]?.model ?? '?'}`);
console.log(['backend', 'M', 'K', 'N', 'dtype', 'ms', 'GFLOP/s', '× js'].map((s) => s.padStart(8)).join(' '));
for (const simd of flavours) {
  const backend = await WasmBackend.create({ threads, simd });
  try {
    for (const r of await benchGemm(backend, shapes)) {
      console.log([
        backend.name, r.m, r.k, r.n, r.dtype, r.ms.toFixed(3), r.gflops.toFixed(1), (r.gflops / baseline.gflops).toFixed(0),
      ].map((s) => String(s).padStart(8)).join(' '));
    }
  } finally {
    await backend.dispose();
  }
}
