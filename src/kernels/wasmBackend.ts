/**
 * The WebAssembly SIMD backend: packed, register-blocked f32 GEMM kernels written in
 * AssemblyScript (src/kernels/assembly/, entry index.ts), run on the main thread plus (threads − 1)
 * workers that share every memory.
 *
 * Memory: weights live in "arenas" (wasmArenas.ts), shared memories of up to 4 GiB each; every
 * call's scratch sits behind an arena's weights. Threads: wasmThreads.ts.
 * `linear()` and `attention()` are synchronous: the main thread posts the job in a shared control
 * block, computes its own share of the chunks, then Atomics.wait()s for the workers.
 */
import os from 'node:os';
import type {
  AttentionItem, AttentionKernelShape, LinearBackend, MatmulForm, PackOptions, PackedWeight, StackedSequence, TrainAttentionShape, WeightDType, WeightRowReader,
} from './types.js';
import {
  type SimdFlavour,
  CTL_AP, CTL_ARENA, CTL_ATT_HEAD_DIM, CTL_ATT_HEADS, CTL_ATT_K, CTL_ATT_KV_HEADS, CTL_ATT_Q,
  CTL_ATT_ROWS, CTL_ATT_SCORES, CTL_ATT_SCORES_STRIDE, CTL_ATT_START, CTL_ATT_TOKENS, CTL_ATT_V,
  CTL_ATT_WINDOW, CTL_ATT_Z, CTL_BIAS, CTL_CHUNK_PANELS, CTL_CHUNKS, CTL_DTYPE, CTL_K, CTL_KIND,
  CTL_LDC, CTL_M, CTL_OUT, CTL_PANELS, CTL_SCRATCH, CTL_W, DTYPE_CODE, KIND_ATTENTION, KIND_GEMM,
  MAX_CHUNKS, MAX_THREADS, compileKernels, enableRelaxedSimd, instantiate, int8PanelBytes,
} from './wasmAbi.js';
import {
  type WasmWeight, ALIGN, Arenas, MAX_MEMORY_BYTES, PACK_CHUNK_BYTES, SCRATCH_LIMIT, align,
  arenaBytesOption, ensureMemory, readPackedRow,
} from './wasmArenas.js';
import { ATTENTION_SCRATCH_LIMIT, SINGLE_THREAD_ATTENTION_MACS, checkAttention, wasmAttentionBatch } from './wasmAttentionBatch.js';
import { wasmAttentionTrain } from './wasmAttentionTrain.js';
import { type MatmulContext, wasmMatmul } from './wasmMatmul.js';
import { int8RowsBytes, packInt8Weight } from './wasmInt8.js';
import { KernelThreads } from './wasmThreads.js';

export interface WasmBackendOptions {
  /** Threads including the caller's; default os.availableParallelism(). */
  threads?: number;
  /** 'auto' uses relaxed-SIMD FMA when the runtime validates it, else plain SIMD. */
  simd?: 'auto' | 'relaxed' | 'plain';
  /** Packed-weight bytes per arena (memory); default 3.5 GiB. Small values force several arenas. */
  arenaBytes?: number;
}

const SINGLE_THREAD_MACS = 1 << 16; // below this, waking workers costs more than it saves
const CHUNK_MACS = 1 << 23; // most multiply-adds per chunk of a threaded product (~0.3 ms)

export class WasmBackend implements LinearBackend {
  readonly name: string;
  readonly threads: number;
  readonly simd: SimdFlavour;
  private readonly kernelThreads: KernelThreads;
  private readonly arenas: Arenas;
  /** Largest kc block of the GEMM kernel: each thread's widening scratch is blockK×8 f32. */
  private readonly blockK: number;
  private disposed = false;

  private constructor(
    module: WebAssembly.Module, simd: SimdFlavour, threads: number, arenaBytes: number, kernelThreads: KernelThreads,
  ) {
    this.simd = simd;
    this.threads = threads;
    this.kernelThreads = kernelThreads;
    this.arenas = new Arenas(module, arenaBytes, (memory) => kernelThreads.addArena(memory));
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
    const arenaBytes = arenaBytesOption(options.arenaBytes);
    const module = compileKernels(simd);
    const kernelThreads = await KernelThreads.start(module, threads, simd === 'relaxed');
    return new WasmBackend(module, simd, threads, arenaBytes, kernelThreads);
  }

  /** Number of memories holding weights (for tests and memory reports). */
  get arenaCount(): number {
    return this.arenas.count;
  }

  packWeight(source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number, options: PackOptions = {}): PackedWeight {
    this.checkLive();
    const elemBytes = dtype === 'f32' ? 4 : 2;
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
      throw new RangeError(`weight shape must be positive integers, got ${rows}×${cols}`);
    }
    if (typeof source !== 'function' && source.byteLength !== rows * cols * elemBytes) {
      throw new RangeError(`weight has ${source.byteLength} bytes, expected ${rows}×${cols} ${dtype} = ${rows * cols * elemBytes}`);
    }
    if (options.quantize === 'int8') return packInt8Weight(this.arenas, source, dtype, rows, cols);
    const panels = Math.ceil(rows / 8);
    const panelBytes = cols * 8 * elemBytes;
    const packedBytes = panels * panelBytes;
    const arenaIndex = this.arenas.forWeight(packedBytes, `${rows}×${cols} ${dtype}`);
    const arena = this.arenas.get(arenaIndex);
    const offset = align(arena.weightEnd);
    // Stage at most PACK_CHUNK_BYTES of raw rows (a multiple of 8 rows) behind the destination.
    const rowsPerChunk = Math.max(8, Math.floor(PACK_CHUNK_BYTES / (cols * elemBytes) / 8) * 8);
    const staging = align(offset + packedBytes);
    ensureMemory(arena, staging + Math.min(rowsPerChunk, rows) * cols * elemBytes);
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
    const arena = this.arenas.get(w.arena);
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
    const int8 = w.dtype === 'int8';
    const apPtr = align(xPtr + chunkRows * k * 4);
    const outPtr = align(apPtr + (int8 ? int8RowsBytes(chunkRows, k) : Math.ceil(chunkRows / 4) * 4 * k * 4));
    ensureMemory(arena, outPtr + chunkRows * ldc * 4);

    const heap = new Float32Array(arena.memory.buffer);
    if (bias) {
      heap.set(bias.subarray(0, n), biasPtr / 4);
      heap.fill(0, biasPtr / 4 + n, biasPtr / 4 + ldc);
    }
    const ctl = this.kernelThreads.control;
    const dtypeCode = DTYPE_CODE[w.dtype];
    // Chunks of output panels, several per thread and at most CHUNK_MACS each, so a thread that
    // starts late or is descheduled (a busy machine) leaves its share to the others and the last
    // chunk is short (the lm_head at batched decode would otherwise have ~15 ms chunks).
    const chunkLimit = Math.ceil(CHUNK_MACS / (Math.min(m, chunkRows) * k * 8));
    let chunkPanels = Math.max(1, Math.min(Math.ceil(panels / (threads * 8)), chunkLimit), Math.ceil(panels / MAX_CHUNKS));
    // The GEMV kernels walk several panels at once (f32/bf16: 4; int8: 3, as distant streams):
    // whole groups per chunk avoid their slower one-panel tails.
    if (m === 1) {
      const group = w.dtype === 'int8' ? 3 : 4;
      chunkPanels = Math.ceil(chunkPanels / group) * group;
    }
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
        if (int8) {
          // x quantised per row to int16 (GEMV: one row; GEMM: 4-row panels), then integer dots.
          arena.kernels.quantizeRows(xPtr, rows, k, apPtr, rows === 1 ? 1 : 4);
          if (threads > 1) {
            ctl[CTL_M] = rows;
            ctl[CTL_AP] = apPtr;
            this.kernelThreads.parallelRun(this.arenas.kernels);
          } else {
            const wScales = w.offset + int8PanelBytes(n, k);
            if (rows === 1) arena.kernels.gemvI8(apPtr, k, w.offset, wScales, 0, panels, outPtr, bias ? biasPtr : 0);
            else arena.kernels.gemmI8(apPtr, rows, k, w.offset, wScales, 0, panels, outPtr, ldc, bias ? biasPtr : 0);
          }
        } else if (rows === 1) {
          // Decode: the GEMV kernel reads x unpacked and streams each weight panel over all of K.
          if (threads > 1) {
            ctl[CTL_M] = 1;
            ctl[CTL_AP] = xPtr;
            this.kernelThreads.parallelRun(this.arenas.kernels);
          } else {
            arena.kernels.gemv(xPtr, k, w.offset, dtypeCode, 0, panels, outPtr, bias ? biasPtr : 0);
          }
        } else if (threads > 1) {
          arena.kernels.packA(xPtr, rows, k, apPtr);
          ctl[CTL_M] = rows;
          ctl[CTL_AP] = apPtr;
          this.kernelThreads.parallelRun(this.arenas.kernels);
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
    checkAttention(q, keys, values, shape, z);
    const { tokens, startPos, heads, kvHeads, headDim, slidingWindow } = shape;
    const qWidth = heads * headDim;
    const kvWidth = kvHeads * headDim;
    const keyCount = startPos + tokens;

    // Scratch in the arena with the most room, behind its weights: q | z | keys | values | scores × threads.
    const arena = this.arenas.roomiest();
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
    ensureMemory(arena, scoresPtr + this.threads * scoresStride);

    const heap = new Float32Array(arena.memory.buffer);
    const window = slidingWindow ?? 0;
    const ctl = this.kernelThreads.control;
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
        this.kernelThreads.parallelRun(this.arenas.kernels);
      }
      z.set(heap.subarray(zPtr / 4, zPtr / 4 + rows * qWidth), r0 * qWidth);
    }
  }

  attentionBatch(items: readonly AttentionItem[]): void {
    wasmAttentionBatch(this.scratchContext(), items, (item) => this.attention(item.q, item.keys, item.values, item.shape, item.z));
  }

  siluMul(gate: Float32Array, up: Float32Array, out: Float32Array): void {
    this.checkLive();
    const count = gate.length;
    if (up.length !== count || out.length !== count) throw new RangeError(`siluMul: gate, up and out differ in length (${count}, ${up.length}, ${out.length})`);
    const arena = this.arenas.roomiest();
    const callCount = Math.min(count, Math.floor(SCRATCH_LIMIT / 12 / ALIGN) * ALIGN);
    const gatePtr = align(arena.weightEnd);
    const upPtr = gatePtr + callCount * 4;
    const outPtr = upPtr + callCount * 4;
    ensureMemory(arena, outPtr + callCount * 4);
    const heap = new Float32Array(arena.memory.buffer);
    for (let i0 = 0; i0 < count; i0 += callCount) {
      const n = Math.min(callCount, count - i0);
      heap.set(gate.subarray(i0, i0 + n), gatePtr / 4);
      heap.set(up.subarray(i0, i0 + n), upPtr / 4);
      arena.kernels.siluMul(gatePtr, upPtr, outPtr, n);
      out.set(heap.subarray(outPtr / 4, outPtr / 4 + n), i0);
    }
  }

  matmul(a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, form: MatmulForm): void {
    wasmMatmul(this.scratchContext(), a, b, out, m, n, k, form);
  }

  attentionTrainForward(q: Float32Array, k: Float32Array, v: Float32Array, sequences: readonly StackedSequence[], shape: TrainAttentionShape, probs: Float32Array, z: Float32Array): void {
    wasmAttentionTrain(this.scratchContext(), { q, k, v, probs, zOrDz: z }, sequences, shape);
  }

  attentionTrainBackward(
    dz: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array,
    sequences: readonly StackedSequence[], shape: TrainAttentionShape, dq: Float32Array, dk: Float32Array, dv: Float32Array,
  ): void {
    wasmAttentionTrain(this.scratchContext(), { q, k, v, probs, zOrDz: dz, dq, dk, dv }, sequences, shape);
  }

  /** The roomiest arena's scratch and the threads, for the training kernels. */
  private scratchContext(): MatmulContext {
    this.checkLive();
    const arena = this.arenas.roomiest();
    return { arena, arenaIndex: this.arenas.indexOf(arena), threads: this.threads, kernelThreads: this.kernelThreads, arenaKernels: this.arenas.kernels };
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
    await this.kernelThreads.stop();
    this.arenas.clear();
  }

  private readRow(w: WasmWeight, row: number, out: Float32Array, at: number): void {
    readPackedRow(this.arenas.get(w.arena).memory.buffer, w, row, out, at);
  }

  private own(weight: PackedWeight): WasmWeight {
    const w = weight as WasmWeight;
    if (typeof w.arena !== 'number' || !this.arenas.has(w.arena)) throw new TypeError('weight was not packed by this backend');
    return w;
  }

  private checkLive(): void {
    if (this.disposed) throw new Error('WasmBackend used after dispose()');
  }
}
