/**
 * int8 weights in the WebAssembly backend: quantising a weight into an arena at load time, and the
 * scratch size of one call's quantised activations. Layouts and the overflow bound: assembly/int8.ts;
 * the plain-TypeScript reference: int8Reference.ts.
 */
import { bytesPerElement } from './dtype.js';
import type { WeightDType, WeightRowReader } from './types.js';
import { DTYPE_CODE, int8PanelBytes } from './wasmAbi.js';
import { type Arenas, type WasmWeight, PACK_CHUNK_BYTES, align, ensureMemory } from './wasmArenas.js';

/**
 * Quantises a row-major [rows, cols] weight of source `dtype` (f32, bf16 or f16) to int8 panels
 * plus one f32 scale per row (padded to whole panels with 0), streaming at most PACK_CHUNK_BYTES
 * of f32 rows at a time through the arena behind the destination.
 */
export function packInt8Weight(arenas: Arenas, source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number): WasmWeight {
  if (dtype === 'int8') throw new RangeError('packWeight: the source must be f32, bf16 or f16 to quantise to int8');
  const elemBytes = bytesPerElement(dtype);
  const panels = Math.ceil(rows / 8);
  const panelsBytes = int8PanelBytes(rows, cols);
  const packedBytes = panelsBytes + panels * 8 * 4;
  const arenaIndex = arenas.forWeight(packedBytes, `${rows}×${cols} ${dtype} → int8`);
  const arena = arenas.get(arenaIndex);
  const offset = align(arena.weightEnd);
  const scalesPtr = offset + panelsBytes;
  const rowsPerChunk = Math.max(8, Math.floor(PACK_CHUNK_BYTES / (cols * 4) / 8) * 8);
  const chunkRows = Math.min(rowsPerChunk, rows);
  const staging = align(offset + packedBytes);
  // 16-bit rows are staged raw, then widened to f32 behind them.
  const widened = elemBytes === 4 ? staging : align(staging + chunkRows * cols * elemBytes);
  ensureMemory(arena, widened + chunkRows * cols * 4);
  const heap = new Uint8Array(arena.memory.buffer);
  heap.fill(0, scalesPtr, scalesPtr + panels * 8 * 4);
  for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - r0);
    const stagingView = heap.subarray(staging, staging + n * cols * elemBytes);
    if (typeof source === 'function') source(r0, n, stagingView);
    else stagingView.set(source.subarray(r0 * cols * elemBytes, (r0 + n) * cols * elemBytes));
    if (widened !== staging) arena.kernels.widen(DTYPE_CODE[dtype], staging, widened, n * cols);
    arena.kernels.quantizePackB(widened, n, cols, offset + (r0 / 8) * (panelsBytes / panels), scalesPtr + r0 * 4);
  }
  arena.weightEnd = offset + packedBytes;
  return { rows, cols, dtype: 'int8', byteLength: packedBytes, arena: arenaIndex, offset };
}

/** Bytes quantizeRows() writes for `m` rows of K: int16 rows padded to whole 4-row panels and K to 4, then the row scales. */
export function int8RowsBytes(m: number, k: number): number {
  const mPad = Math.ceil(m / 4) * 4;
  return Math.ceil((mPad * Math.ceil(k / 4) * 4 * 2) / 16) * 16 + mPad * 4;
}
