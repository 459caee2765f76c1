/**
 * Causal attention for several sequences in one call on the WebAssembly kernels
 * (LinearBackend.attentionBatch). At batched decode each sequence has one query row: alone, its
 * 14 heads × ~40 keys are too little work to wake the workers for, so one call per sequence runs on
 * the main thread while the others wait; batched, the (sequence, head, row block) pieces of every
 * sequence are one job for all threads. Every sequence's q, keys and values are copied into the
 * arena's scratch, the pieces are listed in a table that the kernel reads
 * (assembly/attention.ts attentionBatchChunk), and each z is copied back.
 */
import type { AttentionItem, AttentionKernelShape } from './types.js';
import { KIND_ATTENTION_BATCH, MAX_CHUNKS } from './wasmAbi.js';
import { ALIGN, MAX_MEMORY_BYTES, align, ensureMemory } from './wasmArenas.js';
import type { MatmulContext } from './wasmMatmul.js';

/** Attention scratch per call; calls needing more are split (by rows, or into groups of sequences). */
export const ATTENTION_SCRATCH_LIMIT = 1024 ** 3;
/** Below this many multiply-adds a call runs on the main thread alone. */
export const SINGLE_THREAD_ATTENTION_MACS = 1 << 17;

const ENTRY_WORDS = 8; // table entry: q, k, v, z offsets, startPos, head, t0, t1
const ARGS_BYTES = 7 * 4;

/** Throws a RangeError naming the first bad field of one attention call's shape or arrays. */
export function checkAttention(q: Float32Array, keys: Float32Array, values: Float32Array, shape: AttentionKernelShape, z: Float32Array): void {
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
}

/** Scratch bytes of one sequence: q and z, keys and values of every visible position. */
function itemBytes(shape: AttentionKernelShape): number {
  const keyCount = shape.startPos + shape.tokens;
  return 2 * align(shape.tokens * shape.heads * shape.headDim * 4) + 2 * align(keyCount * shape.kvHeads * shape.headDim * 4);
}

/**
 * z of every item = its causal attention; see the file comment. Items are grouped into calls whose
 * scratch fits; an item too large for one call on its own goes to `single` (which splits it by rows).
 */
export function wasmAttentionBatch(ctx: MatmulContext, items: readonly AttentionItem[], single: (item: AttentionItem) => void): void {
  if (items.length === 0) return;
  const first = items[0].shape;
  for (const { q, keys, values, shape, z } of items) {
    checkAttention(q, keys, values, shape, z);
    if (shape.heads !== first.heads || shape.kvHeads !== first.kvHeads || shape.headDim !== first.headDim || shape.slidingWindow !== first.slidingWindow) {
      throw new RangeError('attentionBatch: every item needs the same heads, KV heads, head size and sliding window');
    }
  }
  const base = align(ctx.arena.weightEnd);
  // Room for the sequences, after the argument block, the largest chunk table and the scores.
  const fixed = align(ARGS_BYTES) + align(MAX_CHUNKS * ENTRY_WORDS * 4) + 2 * ALIGN;
  const { groups, alone } = planAttentionGroups(items, Math.min(ATTENTION_SCRATCH_LIMIT, MAX_MEMORY_BYTES - base) - fixed, ctx.threads);
  for (const item of alone) single(item);
  for (const group of groups) runGroup(ctx, group);
}

/**
 * Splits items, in order, into groups whose scratch (q, z, keys, values of each, plus `threads`
 * score rows as long as the group's longest key range) fits `room` bytes; an item that does not
 * fit on its own is returned in `alone`.
 */
export function planAttentionGroups<T extends { readonly shape: AttentionKernelShape }>(items: readonly T[], room: number, threads: number): { groups: T[][]; alone: T[] } {
  const groups: T[][] = [];
  const alone: T[] = [];
  let group: T[] = [];
  let groupBytes = 0;
  let maxKeys = 0;
  const scoresBytes = (keys: number): number => threads * align(keys * 4);
  for (const item of items) {
    const bytes = itemBytes(item.shape);
    const keys = item.shape.startPos + item.shape.tokens;
    if (bytes + scoresBytes(keys) > room) {
      alone.push(item);
      continue;
    }
    // A group also stays within the chunk table: each item is at least `heads` chunks.
    if (groupBytes + bytes + scoresBytes(Math.max(maxKeys, keys)) > room || (group.length + 1) * item.shape.heads > MAX_CHUNKS) {
      groups.push(group);
      group = [];
      groupBytes = 0;
      maxKeys = 0;
    }
    group.push(item);
    groupBytes += bytes;
    maxKeys = Math.max(maxKeys, keys);
  }
  if (group.length > 0) groups.push(group);
  return { groups, alone };
}

/** One call: copies in, runs every chunk on the threads, copies z out. */
function runGroup(ctx: MatmulContext, items: readonly AttentionItem[]): void {
  const { arena } = ctx;
  const { heads, kvHeads, headDim, slidingWindow } = items[0].shape;
  const qWidth = heads * headDim;
  const kvWidth = kvHeads * headDim;
  // Query rows per chunk: about 16 chunks per thread over all sequences, so a late thread is covered.
  const totalRows = items.reduce((n, item) => n + item.shape.tokens, 0);
  let blockRows = Math.max(1, Math.ceil(totalRows / (ctx.threads * 16)));
  const chunkCount = (): number => items.reduce((n, item) => n + heads * Math.ceil(item.shape.tokens / blockRows), 0);
  while (chunkCount() > MAX_CHUNKS) blockRows *= 2;
  const chunks = chunkCount();

  // Scratch map: args | chunk table | per sequence q, z, keys, values | scores × threads.
  const argsPtr = align(arena.weightEnd);
  const tablePtr = align(argsPtr + ARGS_BYTES);
  let at = align(tablePtr + chunks * ENTRY_WORDS * 4);
  const places = items.map(({ shape }) => {
    const keyCount = shape.startPos + shape.tokens;
    const q = at;
    const z = align(q + shape.tokens * qWidth * 4);
    const k = align(z + shape.tokens * qWidth * 4);
    const v = align(k + keyCount * kvWidth * 4);
    at = align(v + keyCount * kvWidth * 4);
    return { q, z, k, v };
  });
  const maxKeys = items.reduce((n, item) => Math.max(n, item.shape.startPos + item.shape.tokens), 0);
  const scoresStride = align(maxKeys * 4);
  const scoresPtr = at;
  ensureMemory(arena, scoresPtr + ctx.threads * scoresStride);

  const buffer = arena.memory.buffer;
  const heap = new Float32Array(buffer);
  const words = new Int32Array(buffer);
  words.set([heads, kvHeads, headDim, slidingWindow ?? 0, tablePtr, scoresPtr, scoresStride], argsPtr / 4);
  let entry = tablePtr / 4;
  let macs = 0;
  items.forEach(({ q, keys, values, shape }, i) => {
    const place = places[i];
    const keyCount = shape.startPos + shape.tokens;
    heap.set(q.subarray(0, shape.tokens * qWidth), place.q / 4);
    heap.set(keys.subarray(0, keyCount * kvWidth), place.k / 4);
    heap.set(values.subarray(0, keyCount * kvWidth), place.v / 4);
    macs += heads * shape.tokens * Math.min(keyCount, slidingWindow ?? keyCount) * headDim;
    // Last (longest, under the causal mask) row blocks first, so the short ones fill in at the end.
    for (let t0 = Math.floor((shape.tokens - 1) / blockRows) * blockRows; t0 >= 0; t0 -= blockRows) {
      for (let h = 0; h < heads; h++) {
        words[entry] = place.q;
        words[entry + 1] = place.k;
        words[entry + 2] = place.v;
        words[entry + 3] = place.z;
        words[entry + 4] = shape.startPos;
        words[entry + 5] = h;
        words[entry + 6] = t0;
        words[entry + 7] = Math.min(shape.tokens, t0 + blockRows);
        entry += ENTRY_WORDS;
      }
    }
  });

  if (ctx.threads === 1 || chunks === 1 || macs < SINGLE_THREAD_ATTENTION_MACS) {
    for (let c = 0; c < chunks; c++) arena.kernels.attentionBatchChunk(argsPtr, c, 0);
  } else {
    ctx.kernelThreads.runArgsJob(KIND_ATTENTION_BATCH, ctx.arenaIndex, argsPtr, chunks, ctx.arenaKernels);
  }
  items.forEach(({ z, shape }, i) => z.set(heap.subarray(places[i].z / 4, places[i].z / 4 + shape.tokens * qWidth)));
}
