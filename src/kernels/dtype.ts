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

export function bytesPerElement(dtype: WeightDType): number {
  return dtype === 'f32' ? 4 : dtype === 'int8' ? 1 : 2;
}

/** Decodes little-endian raw bytes of `dtype` into a new Float32Array. */
export function decodeToF32(bytes: Uint8Array, dtype: WeightDType): Float32Array {
  if (dtype === 'int8') throw new RangeError('int8 is a storage dtype (packWeight quantize), not a source dtype');
  const count = bytes.byteLength / bytesPerElement(dtype);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'f32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'bf16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(i * 2, true));
  }
  return out;
}
