/**
 * A strict reader and a small writer for the safetensors format.
 *
 * Layout of a file: 8 bytes N (u64, little-endian) · N bytes of UTF-8 JSON header · data area.
 * The header maps tensor names to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to
 * the start of the data area) plus an optional `__metadata__` string→string map. Following the
 * format's rules, the header must begin with `{`, may be right-padded with spaces, and the data area
 * must be covered exactly by the tensors: no overlap, no holes, no trailing bytes.
 *
 * The reader holds only the header in memory; each `readBytes` call reads that tensor's range from
 * disk, so an 8B-parameter checkpoint never sits in RAM as a whole.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../atomicFile.js';
import { SafetensorsError } from '../errors.js';
import type { WeightDType } from '../kernels/types.js';
import { decodeToF32, f32ToBf16Bits, f32ToF16Bits } from '../kernels/dtype.js';

/** Bits per element of every dtype the format defines. */
const DTYPE_BITS = {
  BOOL: 8, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
  I16: 16, U16: 16, F16: 16, BF16: 16,
  I32: 32, U32: 32, F32: 32,
  I64: 64, U64: 64, F64: 64, C64: 64,
  F4: 4, F6_E2M3: 6, F6_E3M2: 6,
} as const;

export type SafetensorsDType = keyof typeof DTYPE_BITS;

/** Where one tensor lives in its file. */
export interface TensorInfo {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  /** Absolute byte offset of the first data byte in the file (8 + N + begin). */
  dataOffset: number;
  byteLength: number;
}

/** Headers larger than this are rejected before allocating, as the reference implementation does. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Maps a safetensors dtype to the compute layer's weight dtype; other dtypes are an error. */
export function toWeightDType(dtype: string, where = 'safetensors'): WeightDType {
  if (dtype === 'F32') return 'f32';
  if (dtype === 'BF16') return 'bf16';
  if (dtype === 'F16') return 'f16';
  throw new SafetensorsError(where, `dtype ${dtype} is not a weight dtype (expected F32, BF16 or F16)`);
}

function isDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_BITS, value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${typeof value === 'object' ? '' : String(value)}`.trim();
}

/** Source of bytes: an open file descriptor or an in-memory buffer. */
type ByteSource = { kind: 'fd'; fd: number } | { kind: 'memory'; bytes: Uint8Array };

/**
 * Validates a parsed header against a data area of `dataLength` bytes starting at absolute
 * offset `dataStart`. Returns the tensors in header order and the metadata.
 */
function validateHeader(
  file: string, header: unknown, dataStart: number, dataLength: number,
): { tensors: Map<string, TensorInfo>; metadata: Record<string, string> } {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(file, `header must be a JSON object, got ${describe(header)}`);
  }
  const tensors = new Map<string, TensorInfo>();
  const metadata: Record<string, string> = {};
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new SafetensorsError(file, `__metadata__ must be an object of strings, got ${describe(entry)}`);
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') {
          throw new SafetensorsError(file, `__metadata__.${k} must be a string, got ${describe(v)}`);
        }
        // defineProperty, so a `__proto__` key stays an ordinary key instead of touching the prototype.
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new SafetensorsError(file, `${where}: expected an object with dtype, shape and data_offsets, got ${describe(entry)}`);
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    if (dtype === undefined) throw new SafetensorsError(file, `${where}: missing dtype`);
    if (!isDType(dtype)) {
      throw new SafetensorsError(file, `${where}: unknown dtype ${describe(dtype)} (expected one of ${Object.keys(DTYPE_BITS).join(', ')})`);
    }
    if (!Array.isArray(shape)) throw new SafetensorsError(file, `${where}: shape must be an array of integers, got ${describe(shape)}`);
    let elements = 1;
    for (const dim of shape) {
      if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) {
        throw new SafetensorsError(file, `${where}: shape [${shape.map(String).join(', ')}] must hold non-negative integers, got ${describe(dim)}`);
      }
      elements *= dim;
      if (elements > Number.MAX_SAFE_INTEGER) {
        throw new SafetensorsError(file, `${where}: shape [${shape.join(', ')}] has too many elements`);
      }
    }
    if (!Array.isArray(offsets) || offsets.length !== 2) {
      throw new SafetensorsError(file, `${where}: data_offsets must be [begin, end], got ${describe(offsets)}`);
    }
    const [begin, end] = offsets as unknown[];
    if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0) {
      throw new SafetensorsError(file, `${where}: data_offsets must be non-negative integers, got [${String(begin)}, ${String(end)}]`);
    }
    if (end < begin) throw new SafetensorsError(file, `${where}: data_offsets end ${end} < begin ${begin}`);
    if (end > dataLength) {
      throw new SafetensorsError(file, `${where}: data_offsets [${begin}, ${end}] run past the data area of ${dataLength} bytes`);
    }
    const bits = elements * DTYPE_BITS[dtype];
    if (bits % 8 !== 0 || bits / 8 !== end - begin) {
      throw new SafetensorsError(file, `${where}: shape [${shape.join(', ')}] × ${dtype} needs ${bits / 8} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    tensors.set(name, { name, dtype, shape: shape as number[], dataOffset: dataStart + begin, byteLength: end - begin });
    ranges.push({ name, begin, end });
  }
  // The data area must be tiled exactly: sorted by offset, each tensor starts where the last ended.
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = '';
  for (const r of ranges) {
    if (r.begin < cursor) {
      throw new SafetensorsError(file, `tensor ${JSON.stringify(r.name)} [${r.begin}, ${r.end}] overlaps tensor ${JSON.stringify(previous)} ending at ${cursor}`);
    }
    if (r.begin > cursor) {
      throw new SafetensorsError(file, `hole in the data area: bytes [${cursor}, ${r.begin}) belong to no tensor (before ${JSON.stringify(r.name)})`);
    }
    cursor = r.end;
    previous = r.name;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(file, `data area has ${dataLength} bytes but the tensors cover only ${cursor}`);
  }
  return { tensors, metadata };
}

/** Parses the 8-byte prefix and the header text; `total` is the whole file's size in bytes. */
function parseHeaderLength(file: string, prefix: Uint8Array, total: number): number {
  if (total < 8) throw new SafetensorsError(file, `file has ${total} bytes, fewer than the 8-byte header length`);
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(file, `header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  }
  if (n > BigInt(total - 8)) {
    throw new SafetensorsError(file, `header length ${n} runs past the end of the file (${total - 8} bytes after the length)`);
  }
  if (n < 2n) throw new SafetensorsError(file, `header length ${n} is too small for a JSON object`);
  return Number(n);
}

function parseHeaderJson(file: string, headerBytes: Uint8Array): unknown {
  if (headerBytes[0] !== 0x7b) {
    throw new SafetensorsError(file, `header must begin with '{' (0x7b), got byte 0x${headerBytes[0].toString(16).padStart(2, '0')}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError(file, 'header is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new SafetensorsError(file, `header is not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Reads tensors from one safetensors file (or an in-memory buffer).
 *
 * @example
 * const r = SafetensorsReader.open('model.safetensors');
 * const w = r.readF32('model.norm.weight'); // Float32Array [d]
 * r.close();
 */
export class SafetensorsReader {
  /** The file path (or label) used in error messages. */
  readonly file: string;
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  readonly metadata: Record<string, string>;
  private source: ByteSource | null;

  private constructor(file: string, source: ByteSource, tensors: Map<string, TensorInfo>, metadata: Record<string, string>) {
    this.file = file;
    this.source = source;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens `file`, reading and validating only its header. Throws SafetensorsError on any defect. */
  static open(file: string): SafetensorsReader {
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      throw new SafetensorsError(file, `cannot open: ${(err as Error).message}`);
    }
    try {
      const total = fs.fstatSync(fd).size;
      const prefix = new Uint8Array(8);
      if (total >= 8) readExactly(file, fd, prefix, 0);
      const n = parseHeaderLength(file, prefix, total);
      const headerBytes = new Uint8Array(n);
      readExactly(file, fd, headerBytes, 8);
      const header = parseHeaderJson(file, headerBytes);
      const { tensors, metadata } = validateHeader(file, header, 8 + n, total - 8 - n);
      return new SafetensorsReader(file, { kind: 'fd', fd }, tensors, metadata);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  /** Parses a complete file held in memory; `label` names it in errors. The bytes are not copied. */
  static fromBytes(bytes: Uint8Array, label: string): SafetensorsReader {
    const n = parseHeaderLength(label, bytes.subarray(0, 8), bytes.byteLength);
    const header = parseHeaderJson(label, bytes.subarray(8, 8 + n));
    const { tensors, metadata } = validateHeader(label, header, 8 + n, bytes.byteLength - 8 - n);
    return new SafetensorsReader(label, { kind: 'memory', bytes }, tensors, metadata);
  }

  /** The tensor's entry; throws SafetensorsError when the file has no such tensor. */
  info(name: string): TensorInfo {
    const info = this.tensors.get(name);
    if (!info) throw new SafetensorsError(this.file, `no tensor named ${JSON.stringify(name)}`);
    return info;
  }

  /** A fresh copy of the tensor's raw little-endian bytes [byteLength]. */
  readBytes(name: string): Uint8Array {
    const info = this.info(name);
    const source = this.source;
    if (!source) throw new SafetensorsError(this.file, `reader is closed (reading ${name})`);
    if (source.kind === 'memory') return source.bytes.slice(info.dataOffset, info.dataOffset + info.byteLength);
    const out = new Uint8Array(info.byteLength);
    readExactly(this.file, source.fd, out, info.dataOffset);
    return out;
  }

  /**
   * Fills `out` with the tensor's bytes from `byteOffset` (relative to the tensor's start) on, without
   * an intermediate copy — used to stream weights into the compute backend in chunks.
   */
  readRangeInto(name: string, byteOffset: number, out: Uint8Array): void {
    const info = this.info(name);
    const source = this.source;
    if (!source) throw new SafetensorsError(this.file, `reader is closed (reading ${name})`);
    if (!Number.isInteger(byteOffset) || byteOffset < 0 || byteOffset + out.byteLength > info.byteLength) {
      throw new SafetensorsError(this.file, `range [${byteOffset}, ${byteOffset + out.byteLength}) is outside tensor ${name} of ${info.byteLength} bytes`);
    }
    if (source.kind === 'memory') out.set(source.bytes.subarray(info.dataOffset + byteOffset, info.dataOffset + byteOffset + out.byteLength));
    else readExactly(this.file, source.fd, out, info.dataOffset + byteOffset);
  }

  /** The tensor converted to f32, row-major with its header shape. F32, F16, BF16 and F64 only. */
  readF32(name: string): Float32Array {
    const info = this.info(name);
    const bytes = this.readBytes(name);
    if (info.dtype === 'F64') {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const out = new Float32Array(bytes.byteLength / 8);
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    if (info.dtype === 'F32' || info.dtype === 'F16' || info.dtype === 'BF16') {
      return decodeToF32(bytes, toWeightDType(info.dtype));
    }
    throw new SafetensorsError(this.file, `tensor ${JSON.stringify(name)} has dtype ${info.dtype}; readF32 accepts F32, F16, BF16 or F64`);
  }

  /** Releases the file descriptor. Further reads throw. Safe to call twice. */
  close(): void {
    if (this.source?.kind === 'fd') fs.closeSync(this.source.fd);
    this.source = null;
  }
}

/** Fills `out` from `fd` at `position`, failing clearly if the file ends early. */
function readExactly(file: string, fd: number, out: Uint8Array, position: number): void {
  let done = 0;
  while (done < out.byteLength) {
    const got = fs.readSync(fd, out, done, out.byteLength - done, position + done);
    if (got === 0) {
      throw new SafetensorsError(file, `file ended at byte ${position + done} while reading ${out.byteLength} bytes at ${position}`);
    }
    done += got;
  }
}

/**
 * One tensor to write: row-major f32 data whose length is the product of `shape`, stored as
 * `dtype` (default F32; BF16 and F16 round to nearest, ties to even).
 */
export interface F32TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
  dtype?: 'F32' | 'BF16' | 'F16';
}

/**
 * Serialises f32 tensors into safetensors bytes. Tensors are laid out in the given order; the
 * header is space-padded so the data area starts at a multiple of 8.
 */
export function encodeSafetensors(tensors: F32TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || Object.prototype.hasOwnProperty.call(header, t.name)) {
      throw new SafetensorsError('<encode>', `duplicate or reserved tensor name ${JSON.stringify(t.name)}`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length) {
      throw new SafetensorsError('<encode>', `tensor ${t.name}: shape [${t.shape.join(', ')}] does not match ${t.data.length} values`);
    }
    const bytes = (t.dtype ?? 'F32') === 'F32' ? 4 : 2;
    header[t.name] = { dtype: t.dtype ?? 'F32', shape: t.shape, data_offsets: [offset, offset + bytes * count] };
    offset += bytes * count;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const grown = new Uint8Array(padded).fill(0x20);
    grown.set(json);
    json = grown;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    if (dtype === 'F32') for (let i = 0; i < t.data.length; i++, pos += 4) view.setFloat32(pos, t.data[i], true);
    else {
      const toBits = dtype === 'BF16' ? f32ToBf16Bits : f32ToF16Bits;
      for (let i = 0; i < t.data.length; i++, pos += 2) view.setUint16(pos, toBits(t.data[i]), true);
    }
  }
  return out;
}

/** Writes f32 tensors to `file` atomically (see atomicFile.ts): readers never see half a file. */
export function writeSafetensors(file: string, tensors: F32TensorToWrite[], metadata?: Record<string, string>): void {
  writeFileAtomic(file, encodeSafetensors(tensors, metadata));
}
