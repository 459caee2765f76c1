/**
 * Plain f32 matrix products on the WebAssembly GEMM, for training (src/model/grad/matmul.ts):
 * out[M, N] = op(A)·op(B) with forms 'nt' (A·Bᵀ), 'nn' (A·B) and 'tn' (Aᵀ·B) on row-major arrays
 * that change every call. Both operands are copied into the arena's scratch and packed there
 * (packA/packAT, packB/packBN: the layouts of the inference GEMM), then the GEMM kernel runs,
 * split by output panels over the kernel threads exactly like `linear()`. Each output element is
 * computed by one thread in a fixed order, so results do not depend on the thread count or timing.
 */
import type { MatmulForm } from './types.js';
import { type KernelExports, CTL_AP, CTL_ARENA, CTL_BIAS, CTL_CHUNK_PANELS, CTL_CHUNKS, CTL_DTYPE, CTL_K, CTL_KIND, CTL_LDC, CTL_M, CTL_OUT, CTL_PANELS, CTL_SCRATCH, CTL_W, DTYPE_CODE, KIND_GEMM, MAX_CHUNKS } from './wasmAbi.js';
import { type Arena, MAX_MEMORY_BYTES, align, ensureMemory } from './wasmArenas.js';
import type { KernelThreads } from './wasmThreads.js';

const SINGLE_THREAD_MACS = 1 << 16;

/** What a matmul call needs from the backend: a scratch arena and the threads. */
export interface MatmulContext {
  readonly arena: Arena;
  readonly arenaIndex: number;
  readonly threads: number;
  readonly kernelThreads: KernelThreads;
  /** The main thread's kernels on every arena (for parallelRun). */
  readonly arenaKernels: readonly KernelExports[];
}

/** out[M, N] = op(A)·op(B); see the file comment. Throws RangeError on sizes that do not match. */
export function wasmMatmul(ctx: MatmulContext, a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, form: MatmulForm): void {
  for (const [name, value] of Object.entries({ m, n, k })) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`matmul: bad ${name} ${value}`);
  }
  if (a.length < m * k || b.length < n * k || out.length < m * n) {
    throw new RangeError(`matmul ${form}: operands have ${a.length}, ${b.length}, ${out.length} values for M=${m} N=${n} K=${k}`);
  }
  if (m === 0 || n === 0) return;
  if (k === 0) {
    out.fill(0, 0, m * n);
    return;
  }
  const { arena } = ctx;
  const kernels = arena.kernels;
  const panels = Math.ceil(n / 8);
  const ldc = panels * 8;
  const mPad = Math.ceil(m / 4) * 4;
  // Scratch map, behind the arena's weights: raw A | raw B | packed A | packed B | out.
  const aRaw = align(arena.weightEnd);
  const bRaw = align(aRaw + m * k * 4);
  const aPacked = align(bRaw + n * k * 4);
  const bPacked = align(aPacked + mPad * k * 4);
  const outPtr = align(bPacked + ldc * k * 4);
  const end = outPtr + m * ldc * 4;
  if (end > MAX_MEMORY_BYTES) throw new RangeError(`matmul ${m}×${k}×${n} needs ${end} bytes of scratch, over the 4 GiB wasm32 limit`);
  ensureMemory(arena, end);
  const heap = new Float32Array(arena.memory.buffer);
  heap.set(a.subarray(0, m * k), aRaw / 4);
  heap.set(b.subarray(0, n * k), bRaw / 4);
  if (form === 'nt') kernels.packB(bRaw, n, k, bPacked, 4);
  else kernels.packBN(bRaw, k, n, bPacked);

  const threads = m * n * k < SINGLE_THREAD_MACS ? 1 : Math.min(ctx.threads, panels);
  if (m === 1) {
    // One row: the GEMV kernel reads A unpacked (a row of 'nt'/'nn', the column of 'tn': both contiguous).
    if (threads === 1) kernels.gemv(aRaw, k, bPacked, DTYPE_CODE.f32, 0, panels, outPtr, 0);
    else runParallel(ctx, aRaw, 1, k, bPacked, outPtr, ldc, panels, true);
  } else {
    if (form === 'tn') kernels.packAT(aRaw, m, k, aPacked);
    else kernels.packA(aRaw, m, k, aPacked);
    if (threads === 1) kernels.gemm(aPacked, m, k, bPacked, DTYPE_CODE.f32, 0, panels, outPtr, ldc, 0, 0);
    else runParallel(ctx, aPacked, m, k, bPacked, outPtr, ldc, panels, false);
  }
  if (ldc === n) out.set(heap.subarray(outPtr / 4, outPtr / 4 + m * n));
  else for (let r = 0; r < m; r++) out.set(heap.subarray(outPtr / 4 + r * ldc, outPtr / 4 + r * ldc + n), r * n);
}

function runParallel(ctx: MatmulContext, ap: number, m: number, k: number, w: number, outPtr: number, ldc: number, panels: number, gemv: boolean): void {
  const ctl = ctx.kernelThreads.control;
  let chunkPanels = Math.max(1, Math.ceil(panels / (ctx.threads * 8)), Math.ceil(panels / MAX_CHUNKS));
  if (gemv) chunkPanels = Math.ceil(chunkPanels / 4) * 4;
  ctl[CTL_KIND] = KIND_GEMM;
  ctl[CTL_ARENA] = ctx.arenaIndex;
  ctl[CTL_AP] = ap;
  ctl[CTL_M] = m;
  ctl[CTL_K] = k;
  ctl[CTL_W] = w;
  ctl[CTL_DTYPE] = DTYPE_CODE.f32;
  ctl[CTL_OUT] = outPtr;
  ctl[CTL_LDC] = ldc;
  ctl[CTL_BIAS] = 0;
  ctl[CTL_PANELS] = panels;
  ctl[CTL_CHUNK_PANELS] = chunkPanels;
  ctl[CTL_CHUNKS] = Math.ceil(panels / chunkPanels);
  for (let t = 0; t < ctx.threads; t++) ctl[CTL_SCRATCH + t] = 0; // f32 weights need no widening scratch
  ctx.kernelThreads.parallelRun(ctx.arenaKernels);
}
