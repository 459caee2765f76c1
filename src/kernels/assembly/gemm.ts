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

// One row (decode, M = 1, or a last panel with a single row): two k-steps per iteration on
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

// Decode (M = 1) on 16-bit weights: widen in registers instead of through the scratch block,
// since each weight is used once. T = u16 reads bf16, T = i16 reads f16 (a type tag only).
// @ts-ignore: decorator
@inline function widenLo<T>(v: v128): v128 {
  if (isSigned<T>()) return f16x4(i32x4.extend_low_i16x8_u(v));
  return bf16Lo(v);
}

// @ts-ignore: decorator
@inline function widenHi<T>(v: v128): v128 {
  if (isSigned<T>()) return f16x4(i32x4.extend_high_i16x8_u(v));
  return bf16Hi(v);
}

function kernel1x8Half<T>(a: usize, b: usize, kc: i32, c: usize, first: bool, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0);
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const a0 = v128.load32_splat(a);
    const a1 = v128.load32_splat(a, 16);
    const v0 = v128.load(b);
    const v1 = v128.load(b, 16);
    c0 = madd(a0, widenLo<T>(v0), c0);
    c1 = madd(a0, widenHi<T>(v0), c1);
    d0 = madd(a1, widenLo<T>(v1), d0);
    d1 = madd(a1, widenHi<T>(v1), d1);
    a += 32;
    b += 32;
  }
  if (k < kc) {
    const a0 = v128.load32_splat(a);
    const v0 = v128.load(b);
    c0 = madd(a0, widenLo<T>(v0), c0);
    c1 = madd(a0, widenHi<T>(v0), c1);
  }
  finishRow(c, f32x4.add(c0, d0), f32x4.add(c1, d1), first, bias);
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

/**
 * Packs `rows` rows (row-major [rows, K] raw elements of `elemBytes` = 4 or 2 at `src`) into
 * ceil(rows/8) panels at `dst`, zero-filling missing rows of the last panel.
 */
export function packB(src: usize, rows: i32, k: i32, dst: usize, elemBytes: i32): void {
  const panels = (rows + 7) >> 3;
  const eb = <usize>elemBytes;
  const kk = <usize>k;
  for (let p = 0; p < panels; p++) {
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
        if (m == 1 && dtype != DTYPE_F32) {
          if (dtype == DTYPE_BF16) kernel1x8Half<u16>(aBlock, bp, kcb, out + colBytes, first, biasPtr);
          else kernel1x8Half<i16>(aBlock, bp, kcb, out + colBytes, first, biasPtr);
          continue;
        }
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
