/**
 * Where the WebAssembly backend keeps its weights: "arenas", each a shared WebAssembly.Memory
 * (wasm32: ≤ 4 GiB) holding up to `arenaBytes` of packed weights, so a model larger than 4 GiB
 * spreads over several. Each arena's memory map:
 *   [0, 64 KiB)                 the module's statics (256 bytes: Mathf.exp's table at 1024,
 *                               rewritten with the same bytes by every instantiation)
 *   [64 KiB, weightEnd)         packed weights: ceil(N/8) panels of K×8 elements each
 *   [weightEnd, …)              per-call scratch: x, packed x, out, bias, widening blocks;
 *                               or, for attention(), q, keys, values, z and per-thread scores
 * Memories only grow (ensureMemory), never shrink; scratch is reused by every call.
 */
import { f16ToF32 } from './dtype.js';
import type { PackedWeight } from './types.js';
import { type KernelExports, instantiate, int8PanelBytes } from './wasmAbi.js';

export const PAGE = 65536;
export const MAX_MEMORY_BYTES = 65536 * PAGE; // wasm32 limit, also the modules' declared maximum
export const WEIGHT_BASE = PAGE;
export const DEFAULT_ARENA_BYTES = 3.5 * 1024 ** 3;
export const SCRATCH_LIMIT = 256 * 1024 ** 2; // a call with more scratch is split into row chunks
export const PACK_CHUNK_BYTES = 8 * 1024 ** 2; // raw weight rows staged per packB call
export const ALIGN = 64;

export function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}

/** `arenaBytes` as given (default 3.5 GiB), checked to leave room for the statics and scratch. */
export function arenaBytesOption(arenaBytes: number | undefined): number {
  const bytes = arenaBytes ?? DEFAULT_ARENA_BYTES;
  if (!(bytes >= PAGE && bytes <= MAX_MEMORY_BYTES - WEIGHT_BASE - SCRATCH_LIMIT)) {
    throw new RangeError(`arenaBytes must be between ${PAGE} and ${MAX_MEMORY_BYTES - WEIGHT_BASE - SCRATCH_LIMIT}, got ${bytes}`);
  }
  return bytes;
}

export interface Arena {
  readonly memory: WebAssembly.Memory;
  /** The main thread's kernel instance on `memory`. */
  readonly kernels: KernelExports;
  /** Byte offset just past the last packed weight. */
  weightEnd: number;
}

/** A weight packed into an arena: ceil(rows/8) panels of cols×8 elements from byte `offset`. */
export interface WasmWeight extends PackedWeight {
  readonly arena: number;
  /** Byte offset of panel 0 inside the arena. */
  readonly offset: number;
}

/** Grows `arena`'s memory (whole pages) until it holds `endBytes`. */
export function ensureMemory(arena: Arena, endBytes: number): void {
  if (endBytes > MAX_MEMORY_BYTES) throw new RangeError(`arena needs ${endBytes} bytes, over the 4 GiB wasm32 limit`);
  const have = arena.memory.buffer.byteLength;
  if (endBytes > have) arena.memory.grow(Math.ceil((endBytes - have) / PAGE));
}

/** The arenas of one backend, in creation order (a weight names its arena by index). */
export class Arenas {
  private readonly list: Arena[] = [];
  /** list[i].kernels, in the shape runChunks() takes. */
  readonly kernels: KernelExports[] = [];
  private readonly module: WebAssembly.Module;
  private readonly arenaBytes: number;
  /** Called with each new memory (after it is added), to share it with the worker threads. */
  private readonly onAdd: (memory: WebAssembly.Memory) => void;

  constructor(module: WebAssembly.Module, arenaBytes: number, onAdd: (memory: WebAssembly.Memory) => void) {
    this.module = module;
    this.arenaBytes = arenaBytes;
    this.onAdd = onAdd;
  }

  get count(): number {
    return this.list.length;
  }

  get(index: number): Arena {
    return this.list[index];
  }

  has(index: number): boolean {
    return !!this.list[index];
  }

  indexOf(arena: Arena): number {
    return this.list.indexOf(arena);
  }

  /**
   * The arena a weight of `packedBytes` goes into: the last one while its `arenaBytes` have room
   * (an empty arena always takes the weight), else a new one. `what` names the weight in errors.
   */
  forWeight(packedBytes: number, what: string): number {
    let arenaIndex = this.list.length - 1;
    const last = this.list[arenaIndex];
    if (!last || (last.weightEnd > WEIGHT_BASE && align(last.weightEnd) + packedBytes > WEIGHT_BASE + this.arenaBytes)) {
      if (WEIGHT_BASE + packedBytes + PACK_CHUNK_BYTES + SCRATCH_LIMIT > MAX_MEMORY_BYTES) {
        throw new RangeError(`weight ${what} (${packedBytes} bytes) does not fit one 4 GiB wasm memory`);
      }
      arenaIndex = this.add();
    }
    return arenaIndex;
  }

  /** The arena with the most room behind its weights, for scratch (one is created if none exists). */
  roomiest(): Arena {
    if (this.list.length === 0) this.add();
    let best = this.list[0];
    for (const arena of this.list) if (arena.weightEnd < best.weightEnd) best = arena;
    return best;
  }

  /** Forgets every arena (their memories go once the workers have stopped). */
  clear(): void {
    this.list.length = 0;
  }

  private add(): number {
    const memory = new WebAssembly.Memory({ initial: WEIGHT_BASE / PAGE, maximum: MAX_MEMORY_BYTES / PAGE, shared: true });
    const arena: Arena = { memory, kernels: instantiate(this.module, memory), weightEnd: WEIGHT_BASE };
    this.list.push(arena);
    this.kernels.push(arena.kernels);
    this.onAdd(memory);
    return this.list.length - 1;
  }
}

let f16Table: Float32Array | undefined;
function f16Lookup(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) f16Table[bits] = f16ToF32(bits);
  }
  return f16Table;
}

/**
 * Copies row `row` of packed weight `w` (cols values, widened to f32) from `buffer` (its arena's
 * memory) into out[at, at + cols). Row r sits in panel r>>3, lane r&7: elements panel[k·8 + lane].
 */
export function readPackedRow(buffer: ArrayBufferLike, w: WasmWeight, row: number, out: Float32Array, at: number): void {
  const k = w.cols;
  const lane = row & 7;
  if (w.dtype === 'int8') {
    // Panel layout in assembly/int8.ts: pair p of k's, 16 bytes; lane l's two k's at 2l, 2l + 1.
    const src = new Int8Array(buffer, w.offset + (row >> 3) * Math.ceil(k / 4) * 32, Math.ceil(k / 4) * 32);
    const scale = new Float32Array(buffer, w.offset + int8PanelBytes(w.rows, k) + row * 4, 1)[0];
    for (let c = 0; c < k; c++) out[at + c] = src[((c >> 1) << 4) + (lane << 1) + (c & 1)] * scale;
  } else if (w.dtype === 'f32') {
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
