/**
 * The WebAssembly SIMD backend: packed, register-blocked f32 GEMM kernels written in
 * AssemblyScript (src/kernels/assembly/gemm.ts), run on the main thread plus (threads − 1)
 * workers that share every memory.
 *
 * Memory: weights live in "arenas", each a shared WebAssembly.Memory (wasm32: ≤ 4 GiB) holding
 * up to `arenaBytes` of packed weights, so a model larger than 4 GiB spreads over several.
 * Each arena's memory map:
 *   [0, 64 KiB)                 the module's statics (256 bytes: Mathf.exp's table at 1024,
 *                               rewritten with the same bytes by every instantiation)
 *   [64 KiB, weightEnd)         packed weights: ceil(N/8) panels of K×8 elements each
 *   [weightEnd, …)              per-call scratch: x, packed x, out, bias, widening blocks;
 *                               or, for attention(), q, keys, values, z and per-thread scores
 * `linear()` and `attention()` are synchronous: the main thread posts the job in a shared control
 * block, computes its own share of the chunks, then Atomics.wait()s for the workers.
 */
import os from 'node:os';
import { MessageChannel, Worker } from 'node:worker_threads';
import { f16ToF32 } from './dtype.js';
import type { AttentionKernelShape, LinearBackend, PackedWeight, WeightDType, WeightRowReader } from './types.js';
import {
  type AddArenaMessage, type KernelExports, type SimdFlavour, type WorkerInit,
  CMD_ADD_ARENA, CMD_EXIT, CMD_RUN, CTL_AP, CTL_ARENA, CTL_ATT_HEAD_DIM, CTL_ATT_HEADS, CTL_ATT_K,
  CTL_ATT_KV_HEADS, CTL_ATT_Q, CTL_ATT_ROWS, CTL_ATT_SCORES, CTL_ATT_SCORES_STRIDE, CTL_ATT_START,
  CTL_ATT_TOKENS, CTL_ATT_V, CTL_ATT_WINDOW, CTL_ATT_Z, CTL_BIAS, CTL_CHUNK_PANELS, CTL_CHUNKS,
  CTL_CLAIM, CTL_DONE, CTL_DTYPE, CTL_ERROR, CTL_FINISHED, CTL_K, CTL_KIND, CTL_LDC, CTL_M, CTL_OUT,
  CTL_PANELS, CTL_SCRATCH, CTL_SEQ, CTL_W, CTL_WORDS, DTYPE_CODE, KIND_ATTENTION, KIND_GEMM,
  MAX_CHUNKS, MAX_THREADS, compileKernels, enableRelaxedSimd, instantiate, jobId, runChunks,
} from './wasmAbi.js';

export interface WasmBackendOptions {
  /** Threads including the caller's; default os.availableParallelism(). */
  threads?: number;
  /** 'auto' uses relaxed-SIMD FMA when the runtime validates it, else plain SIMD. */
  simd?: 'auto' | 'relaxed' | 'plain';
  /** Packed-weight bytes per arena (memory); default 3.5 GiB. Small values force several arenas. */
  arenaBytes?: number;
}

const PAGE = 65536;
const MAX_MEMORY_BYTES = 65536 * PAGE; // wasm32 limit, also the modules' declared maximum
const WEIGHT_BASE = PAGE;
const DEFAULT_ARENA_BYTES = 3.5 * 1024 ** 3;
const SCRATCH_LIMIT = 256 * 1024 ** 2; // a call with more scratch is split into row chunks
const PACK_CHUNK_BYTES = 8 * 1024 ** 2; // raw weight rows staged per packB call
const SINGLE_THREAD_MACS = 1 << 16; // below this, waking workers costs more than it saves
const ATTENTION_SCRATCH_LIMIT = 1024 ** 3; // attention calls needing more are split into row chunks
const SINGLE_THREAD_ATTENTION_MACS = 1 << 17;
const ALIGN = 64;

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

interface Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: KernelExports;
  weightEnd: number;
}

interface WasmWeight extends PackedWeight {
  readonly arena: number;
  /** Byte offset of panel 0 inside the arena. */
  readonly offset: number;
}

let f16Table: Float32Array | undefined;
function f16Lookup(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) f16Table[bits] = f16ToF32(bits);
  }
  return f16Table;
}

export class WasmBackend implements LinearBackend {
  readonly name: string;
  readonly threads: number;
  readonly simd: SimdFlavour;
  private readonly arenaBytes: number;
  private readonly module: WebAssembly.Module;
  private readonly control: Int32Array;
  private readonly workers: Worker[];
  private readonly ports: import('node:worker_threads').MessagePort[];
  private readonly arenas: Arena[] = [];
  /** arenas[i].kernels, in the shape runChunks() takes. */
  private readonly arenaKernels: KernelExports[] = [];
  private seq = 0;
  private readonly blockK: number;
  private disposed = false;

  private constructor(
    module: WebAssembly.Module, simd: SimdFlavour, threads: number, arenaBytes: number,
    control: Int32Array, workers: Worker[], ports: import('node:worker_threads').MessagePort[],
  ) {
    this.module = module;
    this.simd = simd;
    this.threads = threads;
    this.arenaBytes = arenaBytes;
    this.control = control;
    this.workers = workers;
    this.ports = ports;
    this.name = `wasm-${simd}-${threads}t`;
    const probe = instantiate(module, new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }));
    this.blockK = probe.blockK();
  }

  /** Compiles the kernels and starts (threads − 1) workers. */
  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(options.threads ?? os.availableParallelism())));
    const wanted = options.simd ?? 'auto';
    let simd: SimdFlavour = 'plain';
    if (wanted !== 'plain') {
      const relaxedOk = enableRelaxedSimd();
      if (relaxedOk) simd = 'relaxed';
      else if (wanted === 'relaxed') throw new Error('this runtime does not support WebAssembly relaxed SIMD');
    }
    const arenaBytes = options.arenaBytes ?? DEFAULT_ARENA_BYTES;
    if (!(arenaBytes >= PAGE && arenaBytes <= MAX_MEMORY_BYTES - WEIGHT_BASE - SCRATCH_LIMIT)) {
      throw new RangeError(`arenaBytes must be between ${PAGE} and ${MAX_MEMORY_BYTES - WEIGHT_BASE - SCRATCH_LIMIT}, got ${arenaBytes}`);
    }
    const module = compileKernels(simd);
    const controlBuffer = new SharedArrayBuffer(CTL_WORDS * 4);
    const workers: Worker[] = [];
    const ports: import('node:worker_threads').MessagePort[] = [];
    const started: Promise<void>[] = [];
    for (let t = 1; t < threads; t++) {
      const { port1, port2 } = new MessageChannel();
      const init: WorkerInit = { module, control: controlBuffer, port: port2, threadIndex: t, relaxed: simd === 'relaxed' };
      const worker = new Worker(new URL('./wasmWorker.js', import.meta.url), { workerData: init, transferList: [port2] });
      started.push(new Promise<void>((resolve, reject) => {
        worker.once('error', reject);
        port1.once('message', () => {
          worker.off('error', reject);
          resolve();
        });
      }));
      workers.push(worker);
      ports.push(port1);
    }
    try {
      await Promise.all(started);
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    // Workers and ports must not keep a CLI alive; dispose() terminates them explicitly.
    for (const worker of workers) worker.unref();
    for (const port of ports) port.unref();
    return new WasmBackend(module, simd, threads, arenaBytes, new Int32Array(controlBuffer), workers, ports);
  }

  /** Number of memories holding weights (for tests and memory reports). */
  get arenaCount(): number {
    return this.arenas.length;
  }

  packWeight(source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number): PackedWeight {
    this.checkLive();
    const elemBytes = dtype === 'f32' ? 4 : 2;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
      throw new RangeError(`weight shape must be positive integers, got ${rows}×${cols}`);
    }
    if (typeof source !== 'function' && source.byteLength !== rows * cols * elemBytes) {
      throw new RangeError(`weight has ${source.byteLength} bytes, expected ${rows}×${cols} ${dtype} = ${rows * cols * elemBytes}`);
    }
    const panels = Math.ceil(rows / 8);
    const panelBytes = cols * 8 * elemBytes;
    const packedBytes = panels * panelBytes;
    let arenaIndex = this.arenas.length - 1;
    const last = this.arenas[arenaIndex];
    if (!last || (last.weightEnd > WEIGHT_BASE && align(last.weightEnd) + packedBytes > WEIGHT_BASE + this.arenaBytes)) {
      if (WEIGHT_BASE + packedBytes + PACK_CHUNK_BYTES + SCRATCH_LIMIT > MAX_MEMORY_BYTES) {
        throw new RangeError(`weight ${rows}×${cols} ${dtype} (${packedBytes} bytes) does not fit one 4 GiB wasm memory`);
      }
      arenaIndex = this.addArena();
    }
    const arena = this.arenas[arenaIndex];
    const offset = align(arena.weightEnd);
    // Stage at most PACK_CHUNK_BYTES of raw rows (a multiple of 8 rows) behind the destination.
    const rowsPerChunk = Math.max(8, Math.floor(PACK_CHUNK_BYTES / (cols * elemBytes) / 8) * 8);
    const staging = align(offset + packedBytes);
    this.ensureMemory(arena, staging + Math.min(rowsPerChunk, rows) * cols * elemBytes);
    const heap = new Uint8Array(arena.memory.buffer);
    for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
      const n = Math.min(rowsPerChunk, rows - r0);
      const stagingView = heap.subarray(staging, staging + n * cols * elemBytes);
      if (typeof source === 'function') source(r0, n, stagingView);
      else stagingView.set(source.subarray(r0 * cols * elemBytes, (r0 + n) * cols * elemBytes));
      arena.kernels.packB(staging, n, cols, offset + (r0 / 8) * panelBytes, elemBytes);
    }
    arena.weightEnd = offset + packedBytes;
    const weight: WasmWeight = { rows, cols, dtype, byteLength: packedBytes, arena: arenaIndex, offset };
    return weight;
  }

  linear(x: Float32Array, m: number, weight: PackedWeight, out: Float32Array, bias?: Float32Array): void {
    this.checkLive();
    const w = this.own(weight);
    const k = w.cols, n = w.rows;
    if (x.length < m * k) throw new RangeError(`x has ${x.length} values, expected ${m}×${k}`);
    if (out.length < m * n) throw new RangeError(`out has ${out.length} values, expected ${m}×${n}`);
    if (bias && bias.length < n) throw new RangeError(`bias has ${bias.length} values, expected ${n}`);
    if (m <= 0) return;
    const arena = this.arenas[w.arena];
    const panels = Math.ceil(n / 8);
    const ldc = panels * 8;
    const threads = m * n * k < SINGLE_THREAD_MACS ? 1 : Math.min(this.threads, panels);

    // Scratch map, behind the weights: bias | widening blocks | x | packed x | out.
    const perRowBytes = 4 * (2 * k + ldc);
    const biasPtr = align(arena.weightEnd);
    const widenPtr = align(biasPtr + ldc * 4);
    const widenBytes = this.blockK * 8 * 4;
    const xPtr = align(widenPtr + this.threads * widenBytes);
    const fixed = xPtr - biasPtr + 4 * ALIGN;
    const chunkRows = Math.min(m, Math.max(4, Math.floor((SCRATCH_LIMIT - fixed) / perRowBytes / 4) * 4));
    const apPtr = align(xPtr + chunkRows * k * 4);
    const outPtr = align(apPtr + Math.ceil(chunkRows / 4) * 4 * k * 4);
    this.ensureMemory(arena, outPtr + chunkRows * ldc * 4);

    const heap = new Float32Array(arena.memory.buffer);
    if (bias) {
      heap.set(bias.subarray(0, n), biasPtr / 4);
      heap.fill(0, biasPtr / 4 + n, biasPtr / 4 + ldc);
    }
    const ctl = this.control;
    const dtypeCode = DTYPE_CODE[w.dtype];
    // Chunks of output panels, several per thread so a thread that starts late (a busy machine)
    // leaves its share to the others.
    let chunkPanels = Math.max(1, Math.ceil(panels / (threads * 8)), Math.ceil(panels / MAX_CHUNKS));
    // The GEMV kernel walks 4 panels at a time: whole groups of 4 per chunk avoid slower tails.
    if (m === 1) chunkPanels = Math.ceil(chunkPanels / 4) * 4;
    if (threads > 1) {
      ctl[CTL_KIND] = KIND_GEMM;
      ctl[CTL_ARENA] = w.arena;
      ctl[CTL_K] = k;
      ctl[CTL_W] = w.offset;
      ctl[CTL_DTYPE] = dtypeCode;
      ctl[CTL_OUT] = outPtr;
      ctl[CTL_LDC] = ldc;
      ctl[CTL_BIAS] = bias ? biasPtr : 0;
      ctl[CTL_PANELS] = panels;
      ctl[CTL_CHUNK_PANELS] = chunkPanels;
      ctl[CTL_CHUNKS] = Math.ceil(panels / chunkPanels);
      for (let t = 0; t < this.threads; t++) ctl[CTL_SCRATCH + t] = widenPtr + t * widenBytes;
    }
    for (let r0 = 0; r0 < m; r0 += chunkRows) {
      const rows = Math.min(chunkRows, m - r0);
      if (k === 0) {
        for (let r = 0; r < rows; r++) heap.fill(0, outPtr / 4 + r * ldc, outPtr / 4 + (r + 1) * ldc);
        if (bias) for (let r = 0; r < rows; r++) heap.set(bias.subarray(0, n), outPtr / 4 + r * ldc);
      } else {
        heap.set(x.subarray(r0 * k, (r0 + rows) * k), xPtr / 4);
        if (rows === 1) {
          // Decode: the GEMV kernel reads x unpacked and streams each weight panel over all of K.
          if (threads > 1) {
            ctl[CTL_M] = 1;
            ctl[CTL_AP] = xPtr;
            this.parallelRun();
          } else {
            arena.kernels.gemv(xPtr, k, w.offset, dtypeCode, 0, panels, outPtr, bias ? biasPtr : 0);
          }
        } else if (threads > 1) {
          arena.kernels.packA(xPtr, rows, k, apPtr);
          ctl[CTL_M] = rows;
          ctl[CTL_AP] = apPtr;
          this.parallelRun();
        } else {
          arena.kernels.packA(xPtr, rows, k, apPtr);
          arena.kernels.gemm(apPtr, rows, k, w.offset, dtypeCode, 0, panels, outPtr, ldc, bias ? biasPtr : 0, widenPtr);
        }
      }
      if (ldc === n) {
        out.set(heap.subarray(outPtr / 4, outPtr / 4 + rows * n), r0 * n);
      } else {
        for (let r = 0; r < rows; r++) {
          out.set(heap.subarray(outPtr / 4 + r * ldc, outPtr / 4 + r * ldc + n), (r0 + r) * n);
        }
      }
    }
  }

  attention(q: Float32Array, keys: Float32Array, values: Float32Array, shape: AttentionKernelShape, z: Float32Array): void {
    this.checkLive();
    const { tokens, startPos, heads, kvHeads, headDim, slidingWindow } = shape;
    for (const [name, value] of Object.entries({ tokens, startPos, heads, kvHeads, headDim })) {
      if (!Number.isInteger(value) || value < (name === 'startPos' ? 0 : 1)) throw new RangeError(`attention: bad ${name} ${value}`);
    }
    if (heads % kvHeads !== 0) throw new RangeError(`attention: ${heads} heads are not a multiple of ${kvHeads} KV heads`);
    if (slidingWindow !== null && !(Number.isInteger(slidingWindow) && slidingWindow >= 1 && slidingWindow < 2 ** 31)) {
      throw new RangeError(`attention: bad sliding window ${slidingWindow}`);
    }
    const qWidth = heads * headDim;
    const kvWidth = kvHeads * headDim;
    const keyCount = startPos + tokens;
    if (q.length < tokens * qWidth || z.length < tokens * qWidth) throw new RangeError(`attention: q and z need ${tokens}×${heads}×${headDim} values`);
    if (keys.length < keyCount * kvWidth || values.length < keyCount * kvWidth) {
      throw new RangeError(`attention: keys and values need ${keyCount}×${kvHeads}×${headDim} values`);
    }

    // Scratch in the arena with the most room, behind its weights: q | z | keys | values | scores × threads.
    const arena = this.roomiestArena();
    const arenaIndex = this.arenas.indexOf(arena);
    const base = align(arena.weightEnd);
    const room = Math.min(ATTENTION_SCRATCH_LIMIT, MAX_MEMORY_BYTES - base);
    const scoresStride = align(keyCount * 4);
    const fixedBytes = 2 * align(keyCount * kvWidth * 4) + this.threads * scoresStride + 2 * ALIGN;
    // Query rows per call: all of them unless q and z would not fit beside the keys and values.
    const callRows = Math.min(tokens, Math.floor((room - fixedBytes) / (2 * qWidth * 4)));
    if (callRows < 1) throw new RangeError(`attention: ${keyCount} positions of keys and values do not fit the ${room}-byte scratch`);
    const qPtr = base;
    const zPtr = align(qPtr + callRows * qWidth * 4);
    const kPtr = align(zPtr + callRows * qWidth * 4);
    const vPtr = align(kPtr + keyCount * kvWidth * 4);
    const scoresPtr = align(vPtr + keyCount * kvWidth * 4);
    this.ensureMemory(arena, scoresPtr + this.threads * scoresStride);

    const heap = new Float32Array(arena.memory.buffer);
    const window = slidingWindow ?? 0;
    const ctl = this.control;
    for (let r0 = 0; r0 < tokens; r0 += callRows) {
      const rows = Math.min(callRows, tokens - r0);
      const visible = startPos + r0 + rows;
      heap.set(q.subarray(r0 * qWidth, (r0 + rows) * qWidth), qPtr / 4);
      heap.set(keys.subarray(0, visible * kvWidth), kPtr / 4);
      heap.set(values.subarray(0, visible * kvWidth), vPtr / 4);
      const macs = heads * rows * Math.min(visible, slidingWindow ?? visible) * headDim;
      const threads = macs < SINGLE_THREAD_ATTENTION_MACS ? 1 : Math.min(this.threads, heads * rows);
      if (threads === 1) {
        for (let h = 0; h < heads; h++) {
          arena.kernels.attention(qPtr, kPtr, vPtr, zPtr, scoresPtr, startPos + r0, heads, kvHeads, headDim, window, h, 0, rows);
        }
      } else {
        // Blocks of query rows per head, about 16 chunks per thread, so a late thread is covered.
        let blockRows = Math.max(1, Math.ceil((heads * rows) / (threads * 16)));
        blockRows = Math.min(rows, Math.max(blockRows, Math.ceil((heads * rows) / MAX_CHUNKS)));
        while (heads * Math.ceil(rows / blockRows) > MAX_CHUNKS) blockRows++;
        ctl[CTL_KIND] = KIND_ATTENTION;
        ctl[CTL_ARENA] = arenaIndex;
        ctl[CTL_ATT_Q] = qPtr;
        ctl[CTL_ATT_K] = kPtr;
        ctl[CTL_ATT_V] = vPtr;
        ctl[CTL_ATT_Z] = zPtr;
        ctl[CTL_ATT_SCORES] = scoresPtr;
        ctl[CTL_ATT_SCORES_STRIDE] = scoresStride;
        ctl[CTL_ATT_START] = startPos + r0;
        ctl[CTL_ATT_HEADS] = heads;
        ctl[CTL_ATT_KV_HEADS] = kvHeads;
        ctl[CTL_ATT_HEAD_DIM] = headDim;
        ctl[CTL_ATT_WINDOW] = window;
        ctl[CTL_ATT_TOKENS] = rows;
        ctl[CTL_ATT_ROWS] = blockRows;
        ctl[CTL_CHUNKS] = heads * Math.ceil(rows / blockRows);
        this.parallelRun();
      }
      z.set(heap.subarray(zPtr / 4, zPtr / 4 + rows * qWidth), r0 * qWidth);
    }
  }

  siluMul(gate: Float32Array, up: Float32Array, out: Float32Array): void {
    this.checkLive();
    const count = gate.length;
    if (up.length !== count || out.length !== count) throw new RangeError(`siluMul: gate, up and out differ in length (${count}, ${up.length}, ${out.length})`);
    const arena = this.roomiestArena();
    const callCount = Math.min(count, Math.floor(SCRATCH_LIMIT / 12 / ALIGN) * ALIGN);
    const gatePtr = align(arena.weightEnd);
    const upPtr = gatePtr + callCount * 4;
    const outPtr = upPtr + callCount * 4;
    this.ensureMemory(arena, outPtr + callCount * 4);
    const heap = new Float32Array(arena.memory.buffer);
    for (let i0 = 0; i0 < count; i0 += callCount) {
      const n = Math.min(callCount, count - i0);
      heap.set(gate.subarray(i0, i0 + n), gatePtr / 4);
      heap.set(up.subarray(i0, i0 + n), upPtr / 4);
      arena.kernels.siluMul(gatePtr, upPtr, outPtr, n);
      out.set(heap.subarray(outPtr / 4, outPtr / 4 + n), i0);
    }
  }

  gatherRows(weight: PackedWeight, ids: ArrayLike<number>, out: Float32Array): void {
    this.checkLive();
    const w = this.own(weight);
    const k = w.cols;
    if (out.length < ids.length * k) throw new RangeError(`out has ${out.length} values, expected ${ids.length}×${k}`);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || id >= w.rows) throw new RangeError(`row ${id} out of range [0, ${w.rows})`);
      this.readRow(w, id, out, i * k);
    }
  }

  unpack(weight: PackedWeight): Float32Array {
    this.checkLive();
    const w = this.own(weight);
    const out = new Float32Array(w.rows * w.cols);
    for (let r = 0; r < w.rows; r++) this.readRow(w, r, out, r * w.cols);
    return out;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.workers.length > 0) {
      this.publish(CMD_EXIT);
    }
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    for (const port of this.ports) port.close();
    this.arenas.length = 0;
  }

  // Row r of the weight sits in panel r>>3, lane r&7: elements panel[k·8 + lane].
  private readRow(w: WasmWeight, row: number, out: Float32Array, at: number): void {
    const buffer = this.arenas[w.arena].memory.buffer;
    const k = w.cols;
    const lane = row & 7;
    if (w.dtype === 'f32') {
      const src = new Float32Array(buffer, w.offset + (row >> 3) * k * 32, k * 8);
      for (let c = 0; c < k; c++) out[at + c] = src[c * 8 + lane];
    } else {
      const src = new Uint16Array(buffer, w.offset + (row >> 3) * k * 16, k * 8);
      if (w.dtype === 'bf16') {
        const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
        for (let c = 0; c < k; c++) bits[at + c] = src[c * 8 + lane] << 16;
      } else {
        const table = f16Lookup();
        for (let c = 0; c < k; c++) out[at + c] = table[src[c * 8 + lane]];
      }
    }
  }

  private addArena(): number {
    const memory = new WebAssembly.Memory({ initial: WEIGHT_BASE / PAGE, maximum: MAX_MEMORY_BYTES / PAGE, shared: true });
    const arena: Arena = { memory, kernels: instantiate(this.module, memory), weightEnd: WEIGHT_BASE };
    this.arenas.push(arena);
    this.arenaKernels.push(arena.kernels);
    if (this.workers.length > 0) {
      const message: AddArenaMessage = { memory };
      for (const port of this.ports) port.postMessage(message);
      Atomics.store(this.control, CTL_DONE, 0);
      Atomics.store(this.control, CTL_ERROR, 0);
      this.publish(CMD_ADD_ARENA);
      this.waitFor(CTL_DONE, this.workers.length);
      if (Atomics.load(this.control, CTL_ERROR) !== 0) throw new Error('a kernel worker could not add an arena (see stderr)');
    }
    return this.arenas.length - 1;
  }

  /** The arena with the most room behind its weights, for scratch (one is created if none exists). */
  private roomiestArena(): Arena {
    if (this.arenas.length === 0) this.addArena();
    let best = this.arenas[0];
    for (const arena of this.arenas) if (arena.weightEnd < best.weightEnd) best = arena;
    return best;
  }

  private ensureMemory(arena: Arena, endBytes: number): void {
    if (endBytes > MAX_MEMORY_BYTES) throw new RangeError(`arena needs ${endBytes} bytes, over the 4 GiB wasm32 limit`);
    const have = arena.memory.buffer.byteLength;
    if (endBytes > have) arena.memory.grow(Math.ceil((endBytes - have) / PAGE));
  }

  /** Starts a command on the workers: one atomic word holds the new sequence number and `cmd`. */
  private publish(cmd: number): number {
    this.seq = (this.seq + 1) & 0x7ffffff;
    Atomics.store(this.control, CTL_SEQ, (this.seq << 4) | cmd);
    Atomics.notify(this.control, CTL_SEQ);
    return this.seq;
  }

  /** Blocks (spinning briefly first) until control word `index` reaches `target`. */
  private waitFor(index: number, target: number): void {
    const ctl = this.control;
    let value = Atomics.load(ctl, index);
    for (let spin = 0; value < target && spin < 20000; spin++) value = Atomics.load(ctl, index);
    while (value < target) {
      Atomics.wait(ctl, index, value);
      value = Atomics.load(ctl, index);
    }
  }

  /** Runs the job described in the control block on all threads; returns when every chunk is done. */
  private parallelRun(): void {
    const ctl = this.control;
    const id = jobId(this.seq + 1);
    Atomics.store(ctl, CTL_FINISHED, 0);
    Atomics.store(ctl, CTL_ERROR, 0);
    Atomics.store(ctl, CTL_CLAIM, id << 16);
    this.publish(CMD_RUN);
    let ownError: unknown;
    try {
      runChunks(ctl, this.arenaKernels, 0, id);
    } catch (error) {
      ownError = error;
    }
    this.waitFor(CTL_FINISHED, ctl[CTL_CHUNKS]);
    if (ownError !== undefined) throw ownError;
    if (Atomics.load(ctl, CTL_ERROR) !== 0) throw new Error('a kernel worker failed (see stderr)');
  }

  private own(weight: PackedWeight): WasmWeight {
    const w = weight as WasmWeight;
    if (typeof w.arena !== 'number' || !this.arenas[w.arena]) throw new TypeError('weight was not packed by this backend');
    return w;
  }

  private checkLive(): void {
    if (this.disposed) throw new Error('WasmBackend used after dispose()');
  }
}
