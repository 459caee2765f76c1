// AssemblyScript kernels: packed, register-blocked f32 GEMM out[M,N] = x[M,K]·Wᵀ (+ bias), for
// prefill (M > 1; decode, M = 1, goes through gemv.ts).
//
// Inputs are packed by pack.ts (all offsets in bytes, all regions 16-byte aligned):
//   A packed: per kc block and 4-row panel, kcb×4 f32 (see pack.ts), M padded to mPad = 4·ceil(M/4).
//   W packed: ceil(N/8) panels of K×8 elements (f32, or bf16/f16 widened per kc block in `scratch`).
//   out:      M rows, row stride ldc floats (ldc = 8·ceil(N/8)).
// Loop order: kc blocks of K (KC), then MC rows of A, then 8-column weight panels, then 4×8 tiles.

import { DTYPE_BF16, DTYPE_F16, DTYPE_F32, KC, madd } from './common';
import { widenBf16, widenF16 } from './widen';

// Rows of A per pass over the weight panels: MC×kcb packed f32 (64 KiB at KC = 256), reused by every panel.
const MC: i32 = 64;

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
