/**
 * GGUF version 3 (the file format of llama.cpp / ggml), written and read here without a dependency:
 *
 * ```
 * "GGUF" u32 version=3, u64 tensor_count, u64 kv_count
 * kv_count × { string key, u32 value_type, value }          (little-endian throughout)
 * tensor_count × { string name, u32 n_dims, u64 ne[n_dims] (innermost first), u32 ggml_type, u64 offset }
 * padding to `general.alignment` (default 32), then the tensor data, each tensor at an aligned offset
 * ```
 * Strings are u64 length + UTF-8 bytes; arrays are u32 element type + u64 count + elements.
 *
 * The writer emits F32 tensors (all a control vector needs); the reader validates every length and
 * offset and reads F32 and F16 tensors. Other ggml types (quantised blocks) are reported by name.
 *
 * @example
 * writeGguf('cv.gguf', { 'general.architecture': gguf.string('controlvector') }, [{ name: 'direction.1', shape: [d], data }]);
 * const file = readGguf('cv.gguf'); file.tensors[0].data // Float32Array
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../atomicFile.js';
import { EmotionCircuitsError } from '../errors.js';
import { decodeToF32 } from '../kernels/dtype.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** GGUF metadata value types. */
export const GgufType = {
  UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12,
} as const;
export type GgufTypeId = (typeof GgufType)[keyof typeof GgufType];

/** ggml tensor types this module reads (F32 and F16; the writer emits F32 only). */
export const GGML_TYPE_F32 = 0;
export const GGML_TYPE_F16 = 1;

/** One element of a metadata array. */
export type GgufScalar = number | boolean | bigint | string;

/** A typed metadata value: scalars, strings, and arrays of one element type. */
export type GgufValue =
  | { type: Exclude<GgufTypeId, 8 | 9 | 10 | 11>; value: number | boolean }
  | { type: 10 | 11; value: bigint }
  | { type: 8; value: string }
  | { type: 9; elementType: GgufTypeId; value: GgufScalar[] };

/** Helpers to write metadata values without spelling the type ids. */
export const gguf = {
  string: (value: string): GgufValue => ({ type: GgufType.STRING, value }),
  u32: (value: number): GgufValue => ({ type: GgufType.UINT32, value }),
  i32: (value: number): GgufValue => ({ type: GgufType.INT32, value }),
  f32: (value: number): GgufValue => ({ type: GgufType.FLOAT32, value }),
  bool: (value: boolean): GgufValue => ({ type: GgufType.BOOL, value }),
};

export interface GgufTensorIn {
  readonly name: string;
  /** Row-major shape, outermost first (as in safetensors); written to GGUF innermost first. */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface GgufTensor {
  readonly name: string;
  /** Row-major shape, outermost first. */
  readonly shape: number[];
  /** The ggml type as stored (0 = F32, 1 = F16). */
  readonly ggmlType: number;
  /** Values widened to f32. */
  readonly data: Float32Array;
}

export interface GgufFile {
  readonly version: number;
  readonly alignment: number;
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: GgufTensor[];
}

export class GgufError extends EmotionCircuitsError {
  constructor(where: string, message: string) {
    super('GGUF', message, where);
    this.name = 'GgufError';
  }
}

const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

/** Growing little-endian byte buffer. */
class ByteWriter {
  private buffer = Buffer.alloc(1024);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + n));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }

  u32(x: number): void {
    this.reserve(4);
    this.buffer.writeUInt32LE(x, this.length);
    this.length += 4;
  }

  u64(x: number | bigint): void {
    this.reserve(8);
    this.buffer.writeBigUInt64LE(BigInt(x), this.length);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buffer.set(b, this.length);
    this.length += b.length;
  }

  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.bytes(b);
  }

  scalar(type: number, value: number | boolean | bigint): void {
    const n = SCALAR_BYTES[type];
    this.reserve(n);
    const b = this.buffer;
    const at = this.length;
    switch (type) {
      case GgufType.UINT8: b.writeUInt8(Number(value), at); break;
      case GgufType.INT8: b.writeInt8(Number(value), at); break;
      case GgufType.UINT16: b.writeUInt16LE(Number(value), at); break;
      case GgufType.INT16: b.writeInt16LE(Number(value), at); break;
      case GgufType.UINT32: b.writeUInt32LE(Number(value), at); break;
      case GgufType.INT32: b.writeInt32LE(Number(value), at); break;
      case GgufType.FLOAT32: b.writeFloatLE(Number(value), at); break;
      case GgufType.BOOL: b.writeUInt8(value ? 1 : 0, at); break;
      case GgufType.UINT64: b.writeBigUInt64LE(BigInt(value), at); break;
      case GgufType.INT64: b.writeBigInt64LE(BigInt(value), at); break;
      case GgufType.FLOAT64: b.writeDoubleLE(Number(value), at); break;
      default: throw new GgufError('metadata', `value type ${type} is not a scalar`);
    }
    this.length += n;
  }

  value(v: GgufValue): void {
    if (v.type === GgufType.STRING) this.string(v.value);
    else if (v.type === GgufType.ARRAY) {
      this.u32(v.elementType);
      this.u64(v.value.length);
      for (const item of v.value) {
        if (v.elementType === GgufType.STRING) this.string(item as string);
        else this.scalar(v.elementType, item as number | boolean | bigint);
      }
    } else this.scalar(v.type, v.value);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.bytes(new Uint8Array(pad));
  }

  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** The bytes of a GGUF v3 file with `metadata` and F32 `tensors` (alignment from `general.alignment`, else 32). */
export function encodeGguf(metadata: Record<string, GgufValue>, tensors: readonly GgufTensorIn[]): Buffer {
  const alignmentValue = metadata['general.alignment'];
  const alignment = alignmentValue && typeof alignmentValue.value === 'number' ? alignmentValue.value : GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0 || alignment % 8 !== 0) throw new GgufError('general.alignment', `expected a positive multiple of 8, got ${alignment}`);
  const header = new ByteWriter();
  header.u32(GGUF_MAGIC);
  header.u32(GGUF_VERSION);
  header.u64(tensors.length);
  header.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    header.string(key);
    header.u32(value.type);
    header.value(value);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new GgufError(t.name, `shape [${t.shape.join(', ')}] holds ${count} values, data has ${t.data.length}`);
    header.string(t.name);
    header.u32(t.shape.length);
    for (const dim of [...t.shape].reverse()) header.u64(dim);
    header.u32(GGML_TYPE_F32);
    header.u64(offset);
    offsets.push(offset);
    offset += Math.ceil((count * 4) / alignment) * alignment;
  }
  header.padTo(alignment);
  const dataStart = header.length;
  const out = Buffer.alloc(dataStart + offset);
  header.result().copy(out, 0);
  tensors.forEach((t, i) => {
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    // Typed arrays are little-endian on every platform Node supports.
    bytes.copy(out, dataStart + offsets[i]);
  });
  return out;
}

/** Writes a GGUF v3 file (through a temporary file and a rename, so readers never see half a file). */
export function writeGguf(file: string, metadata: Record<string, GgufValue>, tensors: readonly GgufTensorIn[]): void {
  writeFileAtomic(file, encodeGguf(metadata, tensors));
}

/** Bounds-checked little-endian reads over a buffer; every error names the file. */
class ByteReader {
  at = 0;

  constructor(
    private readonly b: Buffer,
    private readonly file: string,
  ) {}

  need(n: number, what: string): void {
    if (n < 0 || this.at + n > this.b.length) throw new GgufError(this.file, `truncated: ${what} needs ${n} bytes at offset ${this.at}, the file has ${this.b.length}`);
  }

  u32(what: string): number {
    this.need(4, what);
    const x = this.b.readUInt32LE(this.at);
    this.at += 4;
    return x;
  }

  u64(what: string): number {
    this.need(8, what);
    const x = this.b.readBigUInt64LE(this.at);
    this.at += 8;
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufError(this.file, `${what} = ${x} is too large`);
    return Number(x);
  }

  string(what: string): string {
    const n = this.u64(`${what} length`);
    this.need(n, what);
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  scalar(type: number, what: string): number | boolean | bigint {
    const n = SCALAR_BYTES[type];
    if (n === undefined) throw new GgufError(this.file, `${what}: unknown value type ${type}`);
    this.need(n, what);
    const b = this.b;
    const at = this.at;
    this.at += n;
    switch (type) {
      case GgufType.UINT8: return b.readUInt8(at);
      case GgufType.INT8: return b.readInt8(at);
      case GgufType.UINT16: return b.readUInt16LE(at);
      case GgufType.INT16: return b.readInt16LE(at);
      case GgufType.UINT32: return b.readUInt32LE(at);
      case GgufType.INT32: return b.readInt32LE(at);
      case GgufType.FLOAT32: return b.readFloatLE(at);
      case GgufType.BOOL: return b.readUInt8(at) !== 0;
      case GgufType.UINT64: return b.readBigUInt64LE(at);
      case GgufType.INT64: return b.readBigInt64LE(at);
      default: return b.readDoubleLE(at);
    }
  }

  value(type: number, what: string): GgufValue {
    if (type === GgufType.STRING) return { type, value: this.string(what) };
    if (type === GgufType.ARRAY) {
      const elementType = this.u32(`${what} element type`) as GgufTypeId;
      if (elementType === GgufType.ARRAY) throw new GgufError(this.file, `${what}: nested arrays are not supported`);
      const count = this.u64(`${what} count`);
      // Each element takes at least one byte: a count beyond the file cannot be honest.
      this.need(count, `${what} elements`);
      const value: GgufScalar[] = [];
      for (let i = 0; i < count; i++) value.push(elementType === GgufType.STRING ? this.string(`${what}[${i}]`) : (this.scalar(elementType, `${what}[${i}]`) as number));
      return { type, elementType, value };
    }
    return { type, value: this.scalar(type, what) } as GgufValue;
  }
}

/** Parses GGUF bytes (v2 and v3; v1's 32-bit counts are refused). */
export function decodeGguf(bytes: Buffer, file = 'gguf'): GgufFile {
  const r = new ByteReader(bytes, file);
  if (bytes.length < 4 || r.u32('magic') !== GGUF_MAGIC) throw new GgufError(file, 'not a GGUF file (the first four bytes are not "GGUF")');
  const version = r.u32('version');
  if (version !== 2 && version !== 3) throw new GgufError(file, `GGUF version ${version} is not supported (expected 3)`);
  const tensorCount = r.u64('tensor count');
  const kvCount = r.u64('metadata count');
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = r.string(`metadata key ${i}`);
    const type = r.u32(`${key} type`);
    if (metadata.has(key)) throw new GgufError(file, `metadata key ${key} appears twice`);
    metadata.set(key, r.value(type, key));
  }
  const alignmentValue = metadata.get('general.alignment');
  const alignment = alignmentValue ? Number(alignmentValue.value) : GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment <= 0) throw new GgufError(file, `general.alignment must be a positive integer, got ${String(alignmentValue?.value)}`);
  const infos: Array<{ name: string; shape: number[]; ggmlType: number; offset: number }> = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = r.string(`tensor ${i} name`);
    const dims = r.u32(`${name} n_dims`);
    if (dims < 1 || dims > 4) throw new GgufError(file, `${name}: ${dims} dimensions (expected 1 to 4)`);
    const ne: number[] = [];
    for (let k = 0; k < dims; k++) ne.push(r.u64(`${name} dimension ${k}`));
    const ggmlType = r.u32(`${name} type`);
    const offset = r.u64(`${name} offset`);
    if (offset % alignment !== 0) throw new GgufError(file, `${name}: data offset ${offset} is not a multiple of the alignment ${alignment}`);
    infos.push({ name, shape: ne.reverse(), ggmlType, offset });
  }
  const dataStart = Math.ceil(r.at / alignment) * alignment;
  const tensors = infos.map(({ name, shape, ggmlType, offset }) => {
    const count = shape.reduce((a, b) => a * b, 1);
    const width = ggmlType === GGML_TYPE_F32 ? 4 : ggmlType === GGML_TYPE_F16 ? 2 : 0;
    if (width === 0) throw new GgufError(file, `${name}: ggml type ${ggmlType} is not supported (only F32 and F16)`);
    const start = dataStart + offset;
    if (start + count * width > bytes.length) throw new GgufError(file, `${name}: data [${start}, ${start + count * width}) runs past the end of the file (${bytes.length} bytes)`);
    const data = decodeToF32(bytes.subarray(start, start + count * width), width === 4 ? 'f32' : 'f16');
    return { name, shape, ggmlType, data };
  });
  return { version, alignment, metadata, tensors };
}

/** Reads and parses a GGUF file. */
export function readGguf(file: string): GgufFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new GgufError(file, `cannot read the file (${(error as Error).message})`);
  }
  return decodeGguf(bytes, file);
}

/** A metadata string, or undefined when absent or not a string. */
export function ggufString(file: GgufFile, key: string): string | undefined {
  const v = file.metadata.get(key);
  return v?.type === GgufType.STRING ? v.value : undefined;
}

/** A numeric scalar metadata value, or undefined. */
export function ggufNumber(file: GgufFile, key: string): number | undefined {
  const v = file.metadata.get(key);
  if (!v || v.type === GgufType.STRING || v.type === GgufType.ARRAY || v.type === GgufType.BOOL) return undefined;
  return Number(v.value);
}
