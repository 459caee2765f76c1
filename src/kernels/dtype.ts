/** Conversions from 16-bit float formats to f32, shared by the backends and the loader. */
import type { WeightDType } from './types.js';

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** bf16 is the top 16 bits of an f32. */
export function bf16ToF32(bits: number): number {
  u32Scratch[0] = bits << 16;
  return f32Scratch[0];
}

/** IEEE half precision, including subnormals, infinities and NaN. */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** The bf16 bits nearest to an f32 value (round to nearest, ties to even; NaN stays NaN). */
export function f32ToBf16Bits(value: number): number {
  f32Scratch[0] = value;
  const bits = u32Scratch[0];
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) & 0x8000) | 0x7fc0;
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The IEEE half-precision bits nearest to an f32 value (ties to even; overflow → ±Infinity). */
export function f32ToF16Bits(value: number): number {
  f32Scratch[0] = value;
  const bits = u32Scratch[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  let half: number;
  let rest: number;
  let midpoint: number;
  if (e <= 0) {
    // Subnormal: value = m·2⁻²⁴ with m = (1.mantissa)·2^(e − 14 + 23).
    const shift = 14 - e;
    if (shift > 24) return sign;
    const full = mantissa | 0x800000;
    half = full >>> shift;
    rest = full & ((1 << shift) - 1);
    midpoint = 1 << (shift - 1);
  } else {
    half = (e << 10) | (mantissa >>> 13);
    rest = mantissa & 0x1fff;
    midpoint = 0x1000;
  }
  // Rounding up may carry into the exponent, which is the right answer (up to Infinity).
  if (rest > midpoint || (rest === midpoint && (half & 1) === 1)) half++;
  return sign | half;
}

export function bytesPerElement(dtype: WeightDType): number {
  return dtype === 'f32' ? 4 : dtype === 'int8' ? 1 : 2;
}

/** Decodes little-endian raw bytes of `dtype` into `into` (as many floats as values) or a new Float32Array. */
export function decodeToF32(bytes: Uint8Array, dtype: WeightDType, into?: Float32Array): Float32Array {
  if (dtype === 'int8') throw new RangeError('int8 is a storage dtype (packWeight quantize), not a source dtype');
  const count = bytes.byteLength / bytesPerElement(dtype);
  if (into && into.length !== count) throw new RangeError(`decodeToF32: ${count} values into ${into.length} floats`);
  const out = into ?? new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'f32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'bf16') {
    const u32 = new Uint32Array(out.buffer, out.byteOffset, count);
    for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
  }
  return out;
}
