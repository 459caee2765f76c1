/**
 * What the main thread and the kernel workers agree on: the wasm exports, the layout of the
 * shared control block, and how a kernel module is found and compiled.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';

/** The exports of build/kernels-*.wasm (src/kernels/assembly/index.ts). Offsets are bytes. */
export interface KernelExports {
  blockK(): number;
  isRelaxed(): number;
  widen(dtype: number, src: number, dst: number, count: number): void;
  packA(x: number, m: number, k: number, ap: number): void;
  packB(src: number, rows: number, k: number, dst: number, elemBytes: number): void;
  packAT(a: number, m: number, k: number, ap: number): void;
  packBN(b: number, k: number, n: number, dst: number): void;
  gemm(
    ap: number, m: number, k: number, w: number, dtype: number, p0: number, p1: number,
    out: number, ldc: number, bias: number, scratch: number,
  ): void;
  attention(
    q: number, k: number, v: number, z: number, scores: number,
    startPos: number, heads: number, kvHeads: number, headDim: number, window: number,
    h: number, t0: number, t1: number,
  ): void;
  siluMul(gate: number, up: number, out: number, count: number): void;
  gemv(x: number, k: number, w: number, dtype: number, p0: number, p1: number, out: number, bias: number): void;
  attentionTrainChunk(args: number, chunk: number, thread: number): void;
  attentionBatchChunk(args: number, chunk: number, thread: number): void;
  // int8 weights (assembly/int8.ts).
  quantizePackB(src: number, rows: number, k: number, dst: number, scales: number): void;
  quantizeRows(x: number, m: number, k: number, dst: number, panelRows: number): void;
  gemvI8(xq: number, k: number, w: number, wScales: number, p0: number, p1: number, out: number, bias: number): void;
  gemmI8(ap: number, m: number, k: number, w: number, wScales: number, p0: number, p1: number, out: number, ldc: number, bias: number): void;
}

export const DTYPE_CODE = { f32: 0, bf16: 1, f16: 2, int8: 3 } as const;

/** Bytes of an int8 weight's panels (ceil(rows/8) panels of Kp·8 bytes, Kp = K rounded up to 4); its row scales follow. */
export function int8PanelBytes(rows: number, cols: number): number {
  return Math.ceil(rows / 8) * Math.ceil(cols / 4) * 32;
}

/**
 * Control block: an Int32Array over a SharedArrayBuffer (pointers ≥ 2 GiB are read back with
 * `>>> 0`).
 *
 * CTL_SEQ holds (sequence << 4 | command) in one word, so a worker reads both atomically.
 * A GEMM is split into chunks of output panels (with CTL_M = 1, CTL_AP is the unpacked row x and
 * the chunks run the GEMV kernel) that threads claim from CTL_CLAIM, which holds
 * (job id << 16 | next chunk): a thread that wakes late can neither stall the caller (the
 * caller claims whatever is left and waits only for chunks in progress) nor claim a chunk of a
 * newer job with stale arguments (its compare-exchange fails on the job id).
 * CTL_KIND says what a chunk is: KIND_GEMM (output panels, arguments CTL_AP…CTL_BIAS) or
 * KIND_ATTENTION (one head × a block of query rows, arguments CTL_ATT_*) or KIND_ATTENTION_TRAIN
 * (one sequence × KV head of training attention, arguments in a block at CTL_ARGS) or
 * KIND_ATTENTION_BATCH (one sequence × head × block of query rows of a call over several sequences,
 * arguments and chunk table in a block at CTL_ARGS); all run through the same claim/finish
 * protocol under CMD_RUN.
 * Other commands (adding an arena, exit) are acknowledged by every worker through CTL_DONE.
 */
export const CTL_SEQ = 0;
export const CTL_DONE = 1;
export const CTL_ERROR = 2; // non-zero when a thread failed
export const CTL_CLAIM = 3;
export const CTL_FINISHED = 4; // chunks finished
export const CTL_CHUNKS = 5; // chunks in this job
export const CTL_CHUNK_PANELS = 6;
export const CTL_PANELS = 7;
export const CTL_ARENA = 8;
export const CTL_AP = 9;
export const CTL_M = 10;
export const CTL_K = 11;
export const CTL_W = 12;
export const CTL_DTYPE = 13;
export const CTL_OUT = 14;
export const CTL_LDC = 15;
export const CTL_BIAS = 16;
export const CTL_KIND = 17;
export const CTL_ATT_Q = 18;
export const CTL_ATT_K = 19;
export const CTL_ATT_V = 20;
export const CTL_ATT_Z = 21;
export const CTL_ATT_SCORES = 22; // thread t's scores scratch: CTL_ATT_SCORES + t · CTL_ATT_SCORES_STRIDE
export const CTL_ATT_SCORES_STRIDE = 23;
export const CTL_ATT_START = 24;
export const CTL_ATT_HEADS = 25;
export const CTL_ATT_KV_HEADS = 26;
export const CTL_ATT_HEAD_DIM = 27;
export const CTL_ATT_WINDOW = 28;
export const CTL_ATT_TOKENS = 29;
export const CTL_ATT_ROWS = 30; // query rows per chunk
export const CTL_ARGS = 31; // KIND_ATTENTION_TRAIN, KIND_ATTENTION_BATCH: byte offset of the argument block (assembly/attentionTrain.ts, attention.ts)
export const CTL_SCRATCH = 32; // one widening-scratch offset per thread
export const MAX_THREADS = 64;
export const CTL_WORDS = CTL_SCRATCH + MAX_THREADS;
export const MAX_CHUNKS = 0xffff;

/** Run the chunks of the job described in the control block (CTL_KIND says which kernel). */
export const CMD_RUN = 1;
export const CMD_ADD_ARENA = 2;
export const CMD_EXIT = 3;

export const KIND_GEMM = 0;
export const KIND_ATTENTION = 1;
export const KIND_ATTENTION_TRAIN = 2;
export const KIND_ATTENTION_BATCH = 3;

/** The job id a job with sequence `seq` carries in CTL_CLAIM. */
export function jobId(seq: number): number {
  return seq & 0x7fff;
}

/**
 * Claims and runs chunks of job `id` until none is left or the job has changed.
 * Used by the caller and by every worker.
 */
export function runChunks(ctl: Int32Array, arenas: readonly KernelExports[], threadIndex: number, id: number): void {
  for (;;) {
    const claim = Atomics.load(ctl, CTL_CLAIM);
    if (claim >>> 16 !== id) return;
    const chunk = claim & 0xffff;
    if (chunk >= ctl[CTL_CHUNKS]) return;
    if (Atomics.compareExchange(ctl, CTL_CLAIM, claim, claim + 1) !== claim) continue;
    // The job cannot change until this chunk is counted finished, so its arguments are stable.
    const total = ctl[CTL_CHUNKS];
    try {
      if (ctl[CTL_KIND] === KIND_ATTENTION) runAttentionChunk(ctl, arenas[ctl[CTL_ARENA]], threadIndex, chunk);
      else if (ctl[CTL_KIND] === KIND_ATTENTION_TRAIN) arenas[ctl[CTL_ARENA]].attentionTrainChunk(ctl[CTL_ARGS] >>> 0, chunk, threadIndex);
      else if (ctl[CTL_KIND] === KIND_ATTENTION_BATCH) arenas[ctl[CTL_ARENA]].attentionBatchChunk(ctl[CTL_ARGS] >>> 0, chunk, threadIndex);
      else runGemmChunk(ctl, arenas[ctl[CTL_ARENA]], threadIndex, chunk);
    } catch (error) {
      Atomics.store(ctl, CTL_ERROR, 1);
      if (threadIndex !== 0) console.error(error);
      else throw error;
    } finally {
      if (Atomics.add(ctl, CTL_FINISHED, 1) + 1 === total) Atomics.notify(ctl, CTL_FINISHED);
    }
  }
}

function runGemmChunk(ctl: Int32Array, kernels: KernelExports, threadIndex: number, chunk: number): void {
  const p0 = chunk * ctl[CTL_CHUNK_PANELS];
  const p1 = Math.min(ctl[CTL_PANELS], p0 + ctl[CTL_CHUNK_PANELS]);
  if (ctl[CTL_DTYPE] === DTYPE_CODE.int8) {
    // CTL_AP: x quantised by quantizeRows; the weight's row scales follow its panels.
    const w = ctl[CTL_W] >>> 0;
    const wScales = w + int8PanelBytes(ctl[CTL_PANELS] * 8, ctl[CTL_K]);
    if (ctl[CTL_M] === 1) kernels.gemvI8(ctl[CTL_AP] >>> 0, ctl[CTL_K], w, wScales, p0, p1, ctl[CTL_OUT] >>> 0, ctl[CTL_BIAS] >>> 0);
    else kernels.gemmI8(ctl[CTL_AP] >>> 0, ctl[CTL_M], ctl[CTL_K], w, wScales, p0, p1, ctl[CTL_OUT] >>> 0, ctl[CTL_LDC], ctl[CTL_BIAS] >>> 0);
    return;
  }
  if (ctl[CTL_M] === 1) {
    // One row: CTL_AP holds the unpacked row x.
    kernels.gemv(ctl[CTL_AP] >>> 0, ctl[CTL_K], ctl[CTL_W] >>> 0, ctl[CTL_DTYPE], p0, p1, ctl[CTL_OUT] >>> 0, ctl[CTL_BIAS] >>> 0);
    return;
  }
  kernels.gemm(
    ctl[CTL_AP] >>> 0, ctl[CTL_M], ctl[CTL_K], ctl[CTL_W] >>> 0, ctl[CTL_DTYPE], p0, p1,
    ctl[CTL_OUT] >>> 0, ctl[CTL_LDC], ctl[CTL_BIAS] >>> 0, ctl[CTL_SCRATCH + threadIndex] >>> 0,
  );
}

/**
 * Attention chunk c: head c mod H, row block (blocks − 1 − ⌊c / H⌋) — the last (longest, under
 * the causal mask) rows first, so the short chunks fill in at the end.
 */
function runAttentionChunk(ctl: Int32Array, kernels: KernelExports, threadIndex: number, chunk: number): void {
  const heads = ctl[CTL_ATT_HEADS];
  const tokens = ctl[CTL_ATT_TOKENS];
  const rows = ctl[CTL_ATT_ROWS];
  const blocks = Math.ceil(tokens / rows);
  const block = blocks - 1 - Math.floor(chunk / heads);
  const t0 = block * rows;
  kernels.attention(
    ctl[CTL_ATT_Q] >>> 0, ctl[CTL_ATT_K] >>> 0, ctl[CTL_ATT_V] >>> 0, ctl[CTL_ATT_Z] >>> 0,
    (ctl[CTL_ATT_SCORES] >>> 0) + threadIndex * ctl[CTL_ATT_SCORES_STRIDE],
    ctl[CTL_ATT_START], heads, ctl[CTL_ATT_KV_HEADS], ctl[CTL_ATT_HEAD_DIM], ctl[CTL_ATT_WINDOW],
    chunk % heads, t0, Math.min(tokens, t0 + rows),
  );
}

export type SimdFlavour = 'relaxed' | 'plain';

/** Message sent to a worker at start-up (`workerData`). */
export interface WorkerInit {
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  port: import('node:worker_threads').MessagePort;
  threadIndex: number;
  relaxed: boolean;
}

/** Message posted on a worker's port before CMD_ADD_ARENA. */
export interface AddArenaMessage {
  memory: WebAssembly.Memory;
}

// A module with one function returning f32x4.relaxed_madd(0, 0, 0).
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x3d, 0x01, 0x3b, 0x00,
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0xfd, 0x85, 0x02,
  0x0b,
]);

// A module with one function returning v128.const 0.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00,
  0xfd, 0x0c, ...new Array<number>(16).fill(0),
  0x0b,
]);

let relaxedFlagSet = false;

/** Turns on relaxed SIMD in this isolate (Node 20 ships it behind a flag) and reports support. */
export function enableRelaxedSimd(): boolean {
  if (!relaxedFlagSet) {
    relaxedFlagSet = true;
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Flag unknown on this Node: validation below decides.
    }
  }
  return WebAssembly.validate(RELAXED_PROBE);
}

/** Whether this runtime has WebAssembly SIMD and shared memory (threads). */
export function hasWasmSimd(): boolean {
  if (!WebAssembly.validate(SIMD_PROBE)) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
}

/** Reads and compiles build/kernels-{relaxed,simd}.wasm. */
export function compileKernels(flavour: SimdFlavour): WebAssembly.Module {
  const file = flavour === 'relaxed' ? 'kernels-relaxed.wasm' : 'kernels-simd.wasm';
  // dist/src/kernels/ → repository root.
  const url = new URL(`../../../build/${file}`, import.meta.url);
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(url));
  } catch (cause) {
    throw new Error(`missing ${url.pathname}: run \`npm run build:wasm\` first`, { cause });
  }
  return new WebAssembly.Module(bytes);
}

export function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
