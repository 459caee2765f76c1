// AssemblyScript kernels: packed, register-blocked f32 GEMM out[M,N] = x[M,K]·Wᵀ (+ bias).
//
// Built twice from this file (scripts/build-wasm.mjs): with `--enable relaxed-simd` the
// multiply-add is one `f32x4.relaxed_madd`; without it, `f32x4.mul` + `f32x4.add`.
// No allocation happens here: JS owns the memory map and passes byte offsets.
//
// Layouts (all offsets in bytes, all regions 16-byte aligned):
//   W packed: ceil(N/8) panels; panel j holds rows 8j…8j+7 of the HF weight [N,K] as K×8
//             contiguous elements (f32, or 16-bit bf16/f16 kept as stored); missing rows are 0.
//   A packed: for each kc block (pc = 0, KC, 2KC, …; kcb = min(KC, K−pc)) and each 4-row panel i:
//             kcb×4 f32 at float offset pc·mPad + i·kcb, mPad = M rounded up to 4; missing rows 0.
//   out:      M rows, row stride ldc floats (ldc = 8·ceil(N/8)).

const KC: i32 = 256;
const MC: i32 = 64;

export const DTYPE_F32: i32 = 0;
export const DTYPE_BF16: i32 = 1;
export const DTYPE_F16: i32 = 2;

/** Largest kc block, for sizing the per-thread B scratch (KC×8 f32) in JS. */
export function blockK(): i32 {
  return KC;
}

// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Reports which build this is: 1 = relaxed-SIMD FMA, 0 = plain SIMD. */
export function isRelaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// 16-bit → f32 widening of one kc×8 block into an f32 scratch block (L1-resident, 8 KiB).

// @ts-ignore: decorator
@inline function bf16Lo(v: v128): v128 {
  // Interleave zero low halves: lane i of the result is v.u16[i] << 16.
  return i16x8.shuffle(i16x8.splat(0), v, 0, 8, 1, 9, 2, 10, 3, 11);
}

// @ts-ignore: decorator
@inline function bf16Hi(v: v128): v128 {
  return i16x8.shuffle(i16x8.splat(0), v, 4, 12, 5, 13, 6, 14, 7, 15);
}

// IEEE half → single for 4 lanes holding zero-extended u16 bits. Normal and subnormal values:
// shifting exponent+mantissa into f32 position and multiplying by 2^112 re-biases the exponent
// exactly (a subnormal half becomes an f32 subnormal times a power of two, which is exact).
// Infinity/NaN (exponent 31) get the f32 exponent forced to 255, keeping the NaN payload.
// @ts-ignore: decorator
@inline function f16x4(h: v128): v128 {
  const em = v128.and(h, i32x4.splat(0x7fff));
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  let f = f32x4.mul(i32x4.shl(em, 13), f32x4.splat(reinterpret<f32>(0x77800000)));
  const infNan = i32x4.gt_s(em, i32x4.splat(0x7bff));
  f = v128.or(f, v128.and(infNan, i32x4.splat(0x7f800000)));
  return v128.or(f, sign);
}

function widenBf16(src: usize, dst: usize, count: i32): void {
  // count is a multiple of 8.
  for (let i = 0; i < count; i += 8) {
    const v = v128.load(src);
    v128.store(dst, bf16Lo(v));
    v128.store(dst, bf16Hi(v), 16);
    src += 16;
    dst += 32;
  }
}

function widenF16(src: usize, dst: usize, count: i32): void {
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

// ---------------------------------------------------------------------------------------------
// Micro-kernels. `a`: packed A panel (kc×4 f32), `b`: kc×8 f32, `c`: output tile (row stride
// ldc floats). `first`: this is the first kc block, so the tile is written (plus bias when
// `bias` ≠ 0) instead of accumulated.

// @ts-ignore: decorator
@inline function finishRow(c: usize, acc0: v128, acc1: v128, first: bool, bias: usize): void {
  if (first) {
    if (bias != 0) {
      acc0 = f32x4.add(acc0, v128.load(bias));
      acc1 = f32x4.add(acc1, v128.load(bias, 16));
    }
  } else {
    acc0 = f32x4.add(acc0, v128.load(c));
    acc1 = f32x4.add(acc1, v128.load(c, 16));
  }
  v128.store(c, acc0);
  v128.store(c, acc1, 16);
}

function kernel4x8(a: usize, b: usize, kc: i32, c: usize, ldcBytes: usize, rows: i32, first: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd(av, b0, c00);
    c01 = madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd(av, b0, c10);
    c11 = madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd(av, b0, c20);
    c21 = madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd(av, b0, c30);
    c31 = madd(av, b1, c31);
    a += 16;
    b += 32;
  }
  finishRow(c, c00, c01, first, bias);
  if (rows > 1) finishRow(c + ldcBytes, c10, c11, first, bias);
  if (rows > 2) finishRow(c + 2 * ldcBytes, c20, c21, first, bias);
  if (rows > 3) finishRow(c + 3 * ldcBytes, c30, c31, first, bias);
}

// One row (a last 4-row panel with a single row; decode, M = 1, goes through gemv() instead): two k-steps per iteration on
// separate accumulators so the multiply-add chains overlap.
function kernel1x8(a: usize, b: usize, kc: i32, c: usize, first: bool, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const a0 = v128.load32_splat(a);
    const a1 = v128.load32_splat(a, 16);
    c0 = madd(a0, v128.load(b), c0);
    c1 = madd(a0, v128.load(b, 16), c1);
    d0 = madd(a1, v128.load(b, 32), d0);
    d1 = madd(a1, v128.load(b, 48), d1);
    a += 32;
    b += 64;
  }
  if (k < kc) {
    const a0 = v128.load32_splat(a);
    c0 = madd(a0, v128.load(b), c0);
    c1 = madd(a0, v128.load(b, 16), c1);
  }
  finishRow(c, f32x4.add(c0, d0), f32x4.add(c1, d1), first, bias);
}

// ---------------------------------------------------------------------------------------------
// GEMV (decode, M = 1): out[8j…8j+7] = x·panel j over the whole K, x contiguous f32 (unpacked).
// Each panel is streamed start to end (no kc blocking), so the hardware prefetcher sees long
// sequential streams instead of 4–8 KiB pieces of every panel. f32 and bf16 walk four adjacent
// panels together (…x4): four streams per thread keep more DRAM reads in flight than one (a
// 2-thread wasm read test here: ~24 GB/s with one stream per thread, ~28.5 GB/s with 2–8), one x
// broadcast serves 8 multiply-adds, and the 8 accumulators are independent chains. The one-panel
// kernels (K unrolled by 4 or 2 onto separate accumulators) take the last < 4 panels, and f16.

// @ts-ignore: decorator
@inline function finishGemv(c: usize, acc0: v128, acc1: v128, bias: usize): void {
  if (bias != 0) {
    acc0 = f32x4.add(acc0, v128.load(bias));
    acc1 = f32x4.add(acc1, v128.load(bias, 16));
  }
  v128.store(c, acc0);
  v128.store(c, acc1, 16);
}

function gemvF32(x: usize, b: usize, k: i32, c: usize, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0);
  let g0 = f32x4.splat(0), g1 = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= k; i += 4) {
    const a0 = v128.load32_splat(x);
    c0 = madd(a0, v128.load(b), c0);
    c1 = madd(a0, v128.load(b, 16), c1);
    const a1 = v128.load32_splat(x, 4);
    d0 = madd(a1, v128.load(b, 32), d0);
    d1 = madd(a1, v128.load(b, 48), d1);
    const a2 = v128.load32_splat(x, 8);
    e0 = madd(a2, v128.load(b, 64), e0);
    e1 = madd(a2, v128.load(b, 80), e1);
    const a3 = v128.load32_splat(x, 12);
    g0 = madd(a3, v128.load(b, 96), g0);
    g1 = madd(a3, v128.load(b, 112), g1);
    x += 16;
    b += 128;
  }
  for (; i < k; i++) {
    const a0 = v128.load32_splat(x);
    c0 = madd(a0, v128.load(b), c0);
    c1 = madd(a0, v128.load(b, 16), c1);
    x += 4;
    b += 32;
  }
  finishGemv(c, f32x4.add(f32x4.add(c0, d0), f32x4.add(e0, g0)), f32x4.add(f32x4.add(c1, d1), f32x4.add(e1, g1)), bias);
}

function gemvF32x4(x: usize, b: usize, k: i32, panelBytes: usize, c: usize, bias: usize): void {
  const q = b + panelBytes, r = q + panelBytes, s = r + panelBytes;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0);
  let g0 = f32x4.splat(0), g1 = f32x4.splat(0);
  let off: usize = 0;
  const end = <usize>k << 5;
  for (; off < end; off += 32) {
    const a0 = v128.load32_splat(x);
    c0 = madd(a0, v128.load(b + off), c0);
    c1 = madd(a0, v128.load(b + off, 16), c1);
    d0 = madd(a0, v128.load(q + off), d0);
    d1 = madd(a0, v128.load(q + off, 16), d1);
    e0 = madd(a0, v128.load(r + off), e0);
    e1 = madd(a0, v128.load(r + off, 16), e1);
    g0 = madd(a0, v128.load(s + off), g0);
    g1 = madd(a0, v128.load(s + off, 16), g1);
    x += 4;
  }
  finishGemv(c, c0, c1, bias);
  finishGemv(c + 32, d0, d1, bias != 0 ? bias + 32 : 0);
  finishGemv(c + 64, e0, e1, bias != 0 ? bias + 64 : 0);
  finishGemv(c + 96, g0, g1, bias != 0 ? bias + 96 : 0);
}

// bf16 without shuffles: for a u32 lane holding columns (2i, 2i+1) as (low, high) halves,
// `lane << 16` is column 2i as f32 and `lane & 0xffff0000` is column 2i+1. The accumulators hold
// even and odd columns; one shuffle per panel restores the column order.
function gemvBf16(x: usize, b: usize, k: i32, c: usize, bias: usize): void {
  const hi = i32x4.splat(0xffff0000);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0);
  let g0 = f32x4.splat(0), g1 = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= k; i += 4) {
    const v0 = v128.load(b);
    const a0 = v128.load32_splat(x);
    c0 = madd(a0, i32x4.shl(v0, 16), c0);
    c1 = madd(a0, v128.and(v0, hi), c1);
    const v1 = v128.load(b, 16);
    const a1 = v128.load32_splat(x, 4);
    d0 = madd(a1, i32x4.shl(v1, 16), d0);
    d1 = madd(a1, v128.and(v1, hi), d1);
    const v2 = v128.load(b, 32);
    const a2 = v128.load32_splat(x, 8);
    e0 = madd(a2, i32x4.shl(v2, 16), e0);
    e1 = madd(a2, v128.and(v2, hi), e1);
    const v3 = v128.load(b, 48);
    const a3 = v128.load32_splat(x, 12);
    g0 = madd(a3, i32x4.shl(v3, 16), g0);
    g1 = madd(a3, v128.and(v3, hi), g1);
    x += 16;
    b += 64;
  }
  for (; i < k; i++) {
    const v0 = v128.load(b);
    const a0 = v128.load32_splat(x);
    c0 = madd(a0, i32x4.shl(v0, 16), c0);
    c1 = madd(a0, v128.and(v0, hi), c1);
    x += 4;
    b += 16;
  }
  const even = f32x4.add(f32x4.add(c0, d0), f32x4.add(e0, g0));
  const odd = f32x4.add(f32x4.add(c1, d1), f32x4.add(e1, g1));
  finishGemv(c, i32x4.shuffle(even, odd, 0, 4, 1, 5), i32x4.shuffle(even, odd, 2, 6, 3, 7), bias);
}

function gemvBf16x4(x: usize, b: usize, k: i32, panelBytes: usize, c: usize, bias: usize): void {
  const hi = i32x4.splat(0xffff0000);
  const q = b + panelBytes, r = q + panelBytes, s = r + panelBytes;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0);
  let g0 = f32x4.splat(0), g1 = f32x4.splat(0);
  let off: usize = 0;
  const end = <usize>k << 4;
  for (; off < end; off += 16) {
    const a0 = v128.load32_splat(x);
    const v0 = v128.load(b + off);
    c0 = madd(a0, i32x4.shl(v0, 16), c0);
    c1 = madd(a0, v128.and(v0, hi), c1);
    const v1 = v128.load(q + off);
    d0 = madd(a0, i32x4.shl(v1, 16), d0);
    d1 = madd(a0, v128.and(v1, hi), d1);
    const v2 = v128.load(r + off);
    e0 = madd(a0, i32x4.shl(v2, 16), e0);
    e1 = madd(a0, v128.and(v2, hi), e1);
    const v3 = v128.load(s + off);
    g0 = madd(a0, i32x4.shl(v3, 16), g0);
    g1 = madd(a0, v128.and(v3, hi), g1);
    x += 4;
  }
  finishGemv(c, i32x4.shuffle(c0, c1, 0, 4, 1, 5), i32x4.shuffle(c0, c1, 2, 6, 3, 7), bias);
  finishGemv(c + 32, i32x4.shuffle(d0, d1, 0, 4, 1, 5), i32x4.shuffle(d0, d1, 2, 6, 3, 7), bias != 0 ? bias + 32 : 0);
  finishGemv(c + 64, i32x4.shuffle(e0, e1, 0, 4, 1, 5), i32x4.shuffle(e0, e1, 2, 6, 3, 7), bias != 0 ? bias + 64 : 0);
  finishGemv(c + 96, i32x4.shuffle(g0, g1, 0, 4, 1, 5), i32x4.shuffle(g0, g1, 2, 6, 3, 7), bias != 0 ? bias + 96 : 0);
}

function gemvF16(x: usize, b: usize, k: i32, c: usize, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let i = 0;
  for (; i + 2 <= k; i += 2) {
    const v0 = v128.load(b);
    const a0 = v128.load32_splat(x);
    c0 = madd(a0, f16x4(i32x4.extend_low_i16x8_u(v0)), c0);
    c1 = madd(a0, f16x4(i32x4.extend_high_i16x8_u(v0)), c1);
    const v1 = v128.load(b, 16);
    const a1 = v128.load32_splat(x, 4);
    d0 = madd(a1, f16x4(i32x4.extend_low_i16x8_u(v1)), d0);
    d1 = madd(a1, f16x4(i32x4.extend_high_i16x8_u(v1)), d1);
    x += 8;
    b += 32;
  }
  if (i < k) {
    const v0 = v128.load(b);
    const a0 = v128.load32_splat(x);
    c0 = madd(a0, f16x4(i32x4.extend_low_i16x8_u(v0)), c0);
    c1 = madd(a0, f16x4(i32x4.extend_high_i16x8_u(v0)), c1);
  }
  finishGemv(c, f32x4.add(c0, d0), f32x4.add(c1, d1), bias);
}

/**
 * out[8·p0 : 8·p1] = x·Wᵀ (+ bias) for one row x (k contiguous f32 at `x`, not packed) and
 * weight panels p0 ≤ j < p1; `bias`: ldc floats or 0. Output panel j is written at out + 32·j.
 */
export function gemv(x: usize, k: i32, w: usize, dtype: i32, p0: i32, p1: i32, out: usize, bias: usize): void {
  const eb: usize = dtype == DTYPE_F32 ? 4 : 2;
  const panelBytes = <usize>k * 8 * eb;
  let j = p0;
  if (dtype == DTYPE_F32) {
    for (; j + 4 <= p1; j += 4) {
      const colBytes = <usize>j << 5;
      gemvF32x4(x, w + <usize>j * panelBytes, k, panelBytes, out + colBytes, bias != 0 ? bias + colBytes : 0);
    }
  } else if (dtype == DTYPE_BF16) {
    for (; j + 4 <= p1; j += 4) {
      const colBytes = <usize>j << 5;
      gemvBf16x4(x, w + <usize>j * panelBytes, k, panelBytes, out + colBytes, bias != 0 ? bias + colBytes : 0);
    }
  }
  for (; j < p1; j++) {
    const bp = w + <usize>j * panelBytes;
    const colBytes = <usize>j << 5;
    const c = out + colBytes;
    const biasPtr = bias != 0 ? bias + colBytes : 0;
    if (dtype == DTYPE_F32) gemvF32(x, bp, k, c, biasPtr);
    else if (dtype == DTYPE_BF16) gemvBf16(x, bp, k, c, biasPtr);
    else gemvF16(x, bp, k, c, biasPtr);
  }
}

// ---------------------------------------------------------------------------------------------

/** Packs x[M,K] (row-major f32 at `x`) into 4-row panels per kc block at `ap`. */
export function packA(x: usize, m: i32, k: i32, ap: usize): void {
  const mPad = (m + 3) & ~3;
  let dst = ap;
  for (let pc = 0; pc < k; pc += KC) {
    const kcb = min(KC, k - pc);
    for (let i = 0; i < mPad; i += 4) {
      if (i + 4 <= m) {
        const r0 = x + ((<usize>i * <usize>k + <usize>pc) << 2);
        const stride = <usize>k << 2;
        for (let kk = 0; kk < kcb; kk++) {
          const src = r0 + (<usize>kk << 2);
          const v = f32x4.replace_lane(
            f32x4.replace_lane(
              f32x4.replace_lane(f32x4.splat(load<f32>(src)), 1, load<f32>(src + stride)),
              2, load<f32>(src + 2 * stride)),
            3, load<f32>(src + 3 * stride));
          v128.store(dst, v);
          dst += 16;
        }
      } else {
        for (let kk = 0; kk < kcb; kk++) {
          for (let r = 0; r < 4; r++) {
            const row = i + r;
            const value: f32 = row < m ? load<f32>(x + ((<usize>row * <usize>k + <usize>(pc + kk)) << 2)) : 0;
            store<f32>(dst, value);
            dst += 4;
          }
        }
      }
    }
  }
}

// Full panels are transposed in registers: 8 rows × 8 columns of 16-bit elements (or two 4×4
// blocks of f32) per step become 8 (4) consecutive k-rows of the panel, 128 contiguous bytes.

// @ts-ignore: decorator
@inline function packPanel16(src: usize, k: i32, panel: usize): void {
  const rowBytes = <usize>k << 1;
  const bulk = k & ~7;
  let inp = src;
  let out = panel;
  for (let c = 0; c < bulk; c += 8) {
    const r0 = v128.load(inp), r1 = v128.load(inp + rowBytes);
    const r2 = v128.load(inp + 2 * rowBytes), r3 = v128.load(inp + 3 * rowBytes);
    const r4 = v128.load(inp + 4 * rowBytes), r5 = v128.load(inp + 5 * rowBytes);
    const r6 = v128.load(inp + 6 * rowBytes), r7 = v128.load(inp + 7 * rowBytes);
    // 16-bit, then 32-bit, then 64-bit interleaves.
    const t0 = i16x8.shuffle(r0, r1, 0, 8, 1, 9, 2, 10, 3, 11), t1 = i16x8.shuffle(r0, r1, 4, 12, 5, 13, 6, 14, 7, 15);
    const t2 = i16x8.shuffle(r2, r3, 0, 8, 1, 9, 2, 10, 3, 11), t3 = i16x8.shuffle(r2, r3, 4, 12, 5, 13, 6, 14, 7, 15);
    const t4 = i16x8.shuffle(r4, r5, 0, 8, 1, 9, 2, 10, 3, 11), t5 = i16x8.shuffle(r4, r5, 4, 12, 5, 13, 6, 14, 7, 15);
    const t6 = i16x8.shuffle(r6, r7, 0, 8, 1, 9, 2, 10, 3, 11), t7 = i16x8.shuffle(r6, r7, 4, 12, 5, 13, 6, 14, 7, 15);
    const u0 = i32x4.shuffle(t0, t2, 0, 4, 1, 5), u1 = i32x4.shuffle(t0, t2, 2, 6, 3, 7);
    const u2 = i32x4.shuffle(t1, t3, 0, 4, 1, 5), u3 = i32x4.shuffle(t1, t3, 2, 6, 3, 7);
    const u4 = i32x4.shuffle(t4, t6, 0, 4, 1, 5), u5 = i32x4.shuffle(t4, t6, 2, 6, 3, 7);
    const u6 = i32x4.shuffle(t5, t7, 0, 4, 1, 5), u7 = i32x4.shuffle(t5, t7, 2, 6, 3, 7);
    v128.store(out, v128.shuffle<i64>(u0, u4, 0, 2));
    v128.store(out, v128.shuffle<i64>(u0, u4, 1, 3), 16);
    v128.store(out, v128.shuffle<i64>(u1, u5, 0, 2), 32);
    v128.store(out, v128.shuffle<i64>(u1, u5, 1, 3), 48);
    v128.store(out, v128.shuffle<i64>(u2, u6, 0, 2), 64);
    v128.store(out, v128.shuffle<i64>(u2, u6, 1, 3), 80);
    v128.store(out, v128.shuffle<i64>(u3, u7, 0, 2), 96);
    v128.store(out, v128.shuffle<i64>(u3, u7, 1, 3), 112);
    inp += 16;
    out += 128;
  }
  for (let c = bulk; c < k; c++) {
    for (let lane = 0; lane < 8; lane++) {
      store<u16>(out + (<usize>lane << 1), load<u16>(src + <usize>lane * rowBytes + (<usize>c << 1)));
    }
    out += 16;
  }
}

// @ts-ignore: decorator
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, out: usize): void {
  // Column i of the 4×4 block (rows r0…r3) goes to out + 32·i.
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<i64>(t0, t2, 0, 2));
  v128.store(out, v128.shuffle<i64>(t0, t2, 1, 3), 32);
  v128.store(out, v128.shuffle<i64>(t1, t3, 0, 2), 64);
  v128.store(out, v128.shuffle<i64>(t1, t3, 1, 3), 96);
}

// @ts-ignore: decorator
@inline function packPanel32(src: usize, k: i32, panel: usize): void {
  const rowBytes = <usize>k << 2;
  const bulk = k & ~3;
  let inp = src;
  let out = panel;
  for (let c = 0; c < bulk; c += 4) {
    transpose4(v128.load(inp), v128.load(inp + rowBytes), v128.load(inp + 2 * rowBytes), v128.load(inp + 3 * rowBytes), out);
    const hi = inp + 4 * rowBytes;
    transpose4(v128.load(hi), v128.load(hi + rowBytes), v128.load(hi + 2 * rowBytes), v128.load(hi + 3 * rowBytes), out + 16);
    inp += 16;
    out += 128;
  }
  for (let c = bulk; c < k; c++) {
    for (let lane = 0; lane < 8; lane++) {
      store<u32>(out + (<usize>lane << 2), load<u32>(src + <usize>lane * rowBytes + (<usize>c << 2)));
    }
    out += 32;
  }
}

/**
 * Packs `rows` rows (row-major [rows, K] raw elements of `elemBytes` = 4 or 2 at `src`) into
 * ceil(rows/8) panels at `dst`, zero-filling missing rows of the last panel.
 */
export function packB(src: usize, rows: i32, k: i32, dst: usize, elemBytes: i32): void {
  const panels = (rows + 7) >> 3;
  const eb = <usize>elemBytes;
  const kk = <usize>k;
  const full = rows >> 3;
  for (let p = 0; p < full; p++) {
    const panel = dst + <usize>p * kk * 8 * eb;
    const inp = src + <usize>p * 8 * kk * eb;
    if (eb == 4) packPanel32(inp, k, panel);
    else packPanel16(inp, k, panel);
  }
  for (let p = full; p < panels; p++) {
    const panel = dst + <usize>p * kk * 8 * eb;
    for (let lane = 0; lane < 8; lane++) {
      const row = p * 8 + lane;
      let out = panel + <usize>lane * eb;
      if (row < rows) {
        let inp = src + <usize>row * kk * eb;
        if (eb == 4) {
          for (let c = 0; c < k; c++) {
            store<u32>(out, load<u32>(inp));
            inp += 4;
            out += 32;
          }
        } else {
          for (let c = 0; c < k; c++) {
            store<u16>(out, load<u16>(inp));
            inp += 2;
            out += 16;
          }
        }
      } else if (eb == 4) {
        for (let c = 0; c < k; c++) {
          store<u32>(out, 0);
          out += 32;
        }
      } else {
        for (let c = 0; c < k; c++) {
          store<u16>(out, 0);
          out += 16;
        }
      }
    }
  }
}

/**
 * out[0:M, 8·p0 : 8·p1] = A·Wᵀ (+ bias) for weight panels p0 ≤ j < p1.
 * `ap`: packed A; `w`: packed weight (first panel); `bias`: ldc floats or 0;
 * `scratch`: KC×8 f32 for widening 16-bit weights (unused for f32).
 */
export function gemm(
  ap: usize, m: i32, k: i32, w: usize, dtype: i32, p0: i32, p1: i32,
  out: usize, ldc: i32, bias: usize, scratch: usize,
): void {
  const mPad = (m + 3) & ~3;
  const eb: usize = dtype == DTYPE_F32 ? 4 : 2;
  const ldcBytes = <usize>ldc << 2;
  const panelBytes = <usize>k * 8 * eb;
  for (let pc = 0; pc < k; pc += KC) {
    const kcb = min(KC, k - pc);
    const first = pc == 0;
    const aBlock = ap + ((<usize>pc * <usize>mPad) << 2);
    for (let ic = 0; ic < mPad; ic += MC) {
      const icEnd = min(ic + MC, mPad);
      for (let j = p0; j < p1; j++) {
        let bp = w + <usize>j * panelBytes + <usize>pc * 8 * eb;
        const colBytes = <usize>j << 5;
        const biasPtr = bias != 0 ? bias + colBytes : 0;
        if (dtype == DTYPE_BF16) {
          widenBf16(bp, scratch, kcb * 8);
          bp = scratch;
        } else if (dtype == DTYPE_F16) {
          widenF16(bp, scratch, kcb * 8);
          bp = scratch;
        }
        for (let i = ic; i < icEnd; i += 4) {
          const rows = min(4, m - i);
          const aPanel = aBlock + ((<usize>i * <usize>kcb) << 2);
          const cPtr = out + <usize>i * ldcBytes + colBytes;
          if (rows == 1) kernel1x8(aPanel, bp, kcb, cPtr, first, biasPtr);
          else kernel4x8(aPanel, bp, kcb, cPtr, ldcBytes, rows, first, biasPtr);
        }
      }
    }
  }
}

// Other kernels built into the same module.
export { attention } from './attention';
export { siluMul } from './elementwise';
