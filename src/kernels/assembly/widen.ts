// AssemblyScript kernels: 16-bit → f32 widening (bf16 and IEEE half), for 4 or 8 lanes at a time.
// widenBf16/widenF16 turn one kc×8 block of a packed 16-bit weight panel (kc·8 u16) into an f32
// scratch block (kc·8 f32, 8 KiB at KC = 256, L1-resident) for the GEMM micro-kernels.

import { DTYPE_BF16 } from './common';

// @ts-ignore: decorator
@inline export function bf16Lo(v: v128): v128 {
  // Interleave zero low halves: lane i of the result is v.u16[i] << 16.
  return i16x8.shuffle(i16x8.splat(0), v, 0, 8, 1, 9, 2, 10, 3, 11);
}

// @ts-ignore: decorator
@inline export function bf16Hi(v: v128): v128 {
  return i16x8.shuffle(i16x8.splat(0), v, 4, 12, 5, 13, 6, 14, 7, 15);
}

// IEEE half → single for 4 lanes holding zero-extended u16 bits. Normal and subnormal values:
// shifting exponent+mantissa into f32 position and multiplying by 2^112 re-biases the exponent
// exactly (a subnormal half becomes an f32 subnormal times a power of two, which is exact).
// Infinity/NaN (exponent 31) get the f32 exponent forced to 255, keeping the NaN payload.
// @ts-ignore: decorator
@inline export function f16x4(h: v128): v128 {
  const em = v128.and(h, i32x4.splat(0x7fff));
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  let f = f32x4.mul(i32x4.shl(em, 13), f32x4.splat(reinterpret<f32>(0x77800000)));
  const infNan = i32x4.gt_s(em, i32x4.splat(0x7bff));
  f = v128.or(f, v128.and(infNan, i32x4.splat(0x7f800000)));
  return v128.or(f, sign);
}

// bf16 → f32. src: `count` u16, dst: `count` f32; `count` is a multiple of 8.
export function widenBf16(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 8) {
    const v = v128.load(src);
    v128.store(dst, bf16Lo(v));
    v128.store(dst, bf16Hi(v), 16);
    src += 16;
    dst += 32;
  }
}

// f16 → f32. src: `count` u16, dst: `count` f32; `count` is a multiple of 8.
export function widenF16(src: usize, dst: usize, count: i32): void {
  for (let i = 0; i < count; i += 8) {
    const v = v128.load(src);
    v128.store(dst, f16x4(i32x4.extend_low_i16x8_u(v)));
    v128.store(dst, f16x4(i32x4.extend_high_i16x8_u(v)), 16);
    src += 16;
    dst += 32;
  }
}

/** Widens `count` 16-bit values (dtype 1 = bf16, 2 = f16) to f32. `count` need not be a multiple of 8. */
export function widen(dtype: i32, src: usize, dst: usize, count: i32): void {
  const bulk = count & ~7;
  if (dtype == DTYPE_BF16) widenBf16(src, dst, bulk);
  else widenF16(src, dst, bulk);
  for (let i = bulk; i < count; i++) {
    const h = <u32>load<u16>(src + (<usize>i << 1));
    let bits: u32;
    if (dtype == DTYPE_BF16) {
      bits = h << 16;
    } else {
      const v = f16x4(i32x4.splat(h));
      bits = i32x4.extract_lane(v, 0);
    }
    store<u32>(dst + (<usize>i << 2), bits);
  }
}
