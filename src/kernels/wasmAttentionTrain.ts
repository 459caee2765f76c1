/**
 * Training attention on the WebAssembly kernels (assembly/attentionTrain.ts): the forward pass
 * keeps the probabilities, the backward pass returns dq, dk, dv. The batch's arrays are copied
 * into the arena's scratch, the work is split into (sequence, KV head) chunks over the kernel
 * threads, and the results are copied back.
 */
import type { StackedSequence, TrainAttentionShape } from './types.js';
import { KIND_ATTENTION_TRAIN, MAX_CHUNKS } from './wasmAbi.js';
import { align, ensureMemory } from './wasmArenas.js';
import type { MatmulContext } from './wasmMatmul.js';

const SINGLE_THREAD_MACS = 1 << 17;

export interface TrainAttentionArrays {
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly probs: Float32Array;
  /** z (forward, written) or dz (backward, read). */
  readonly zOrDz: Float32Array;
  readonly dq?: Float32Array;
  readonly dk?: Float32Array;
  readonly dv?: Float32Array;
}

/** Runs the forward (no dq) or backward pass; see the file comment. */
export function wasmAttentionTrain(ctx: MatmulContext, arrays: TrainAttentionArrays, sequences: readonly StackedSequence[], shape: TrainAttentionShape): void {
  const { heads: H, kvHeads: Hkv, headDim: dh } = shape;
  if (!(Number.isInteger(H) && Number.isInteger(Hkv) && Number.isInteger(dh) && H > 0 && Hkv > 0 && dh > 0 && H % Hkv === 0)) {
    throw new RangeError(`attention: bad heads ${H} / KV heads ${Hkv} / head dim ${dh}`);
  }
  const backward = arrays.dq !== undefined;
  const rows = sequences.reduce((n, s) => Math.max(n, s.rowStart + s.tokens), 0);
  const probsSize = sequences.reduce((n, s) => Math.max(n, s.probsOffset + H * s.tokens * s.tokens), 0);
  const maxTokens = sequences.reduce((n, s) => Math.max(n, s.tokens), 0);
  const qWidth = H * dh;
  const kvWidth = Hkv * dh;
  if (arrays.q.length < rows * qWidth || arrays.zOrDz.length < rows * qWidth || arrays.k.length < rows * kvWidth || arrays.v.length < rows * kvWidth || arrays.probs.length < probsSize) {
    throw new RangeError('attention: arrays are shorter than the sequences need');
  }
  const { arena } = ctx;
  // Scratch map: args | sequence table | q | k | v | probs | z or dz | dq | dk | dv | dP per thread.
  const argsPtr = align(arena.weightEnd);
  const tablePtr = align(argsPtr + 64);
  const qPtr = align(tablePtr + sequences.length * 12);
  const kPtr = align(qPtr + rows * qWidth * 4);
  const vPtr = align(kPtr + rows * kvWidth * 4);
  const probsPtr = align(vPtr + rows * kvWidth * 4);
  const zPtr = align(probsPtr + probsSize * 4);
  const dqPtr = align(zPtr + rows * qWidth * 4);
  const dkPtr = align(dqPtr + (backward ? rows * qWidth * 4 : 0));
  const dvPtr = align(dkPtr + (backward ? rows * kvWidth * 4 : 0));
  const scratchPtr = align(dvPtr + (backward ? rows * kvWidth * 4 : 0));
  const scratchStride = align(maxTokens * 4);
  ensureMemory(arena, scratchPtr + ctx.threads * scratchStride);

  const buffer = arena.memory.buffer;
  const heap = new Float32Array(buffer);
  const words = new Int32Array(buffer);
  const args = [backward ? 1 : 0, tablePtr, H, Hkv, dh, qPtr, kPtr, vPtr, probsPtr, zPtr, dqPtr, dkPtr, dvPtr, scratchPtr, scratchStride];
  words.set(args, argsPtr / 4);
  sequences.forEach((s, i) => words.set([s.rowStart, s.tokens, s.probsOffset], tablePtr / 4 + 3 * i));
  heap.set(arrays.q.subarray(0, rows * qWidth), qPtr / 4);
  heap.set(arrays.k.subarray(0, rows * kvWidth), kPtr / 4);
  heap.set(arrays.v.subarray(0, rows * kvWidth), vPtr / 4);
  if (backward) {
    heap.set(arrays.probs.subarray(0, probsSize), probsPtr / 4);
    heap.set(arrays.zOrDz.subarray(0, rows * qWidth), zPtr / 4);
  }

  const chunks = sequences.length * Hkv;
  const macs = sequences.reduce((n, s) => n + H * s.tokens * s.tokens * dh, 0);
  if (ctx.threads === 1 || chunks === 1 || macs < SINGLE_THREAD_MACS || chunks > MAX_CHUNKS) {
    for (let c = 0; c < chunks; c++) arena.kernels.attentionTrainChunk(argsPtr, c, 0);
  } else {
    ctx.kernelThreads.runArgsJob(KIND_ATTENTION_TRAIN, ctx.arenaIndex, argsPtr, chunks, ctx.arenaKernels);
  }

  if (backward) {
    arrays.dq!.set(heap.subarray(dqPtr / 4, dqPtr / 4 + rows * qWidth));
    arrays.dk!.set(heap.subarray(dkPtr / 4, dkPtr / 4 + rows * kvWidth));
    arrays.dv!.set(heap.subarray(dvPtr / 4, dvPtr / 4 + rows * kvWidth));
  } else {
    arrays.probs.set(heap.subarray(probsPtr / 4, probsPtr / 4 + probsSize));
    arrays.zOrDz.set(heap.subarray(zPtr / 4, zPtr / 4 + rows * qWidth));
  }
}
