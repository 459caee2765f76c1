// AssemblyScript kernels: packed, register-blocked f32 GEMM out[M,N] = x[M,K]·Wᵀ (+ bias), for
// prefill and batched decode (M > 1; single-row decode goes through gemv.ts).
//
// Inputs are packed by pack.ts (all offsets in bytes, all regions 16-byte aligned):
//   A packed: per kc block and 4-row panel, kcb×4 f32 (see pack.ts), M padded to mPad = 4·ceil(M/4).
//   W packed: ceil(N/8) panels of K×8 elements (f32, or bf16/f16 widened per kc block in `scratch`).
//   out:      M rows, row stride ldc floats (ldc = 8·ceil(N/8)).
// Loop order: MC-row blocks of A, then 8-column weight panels, then kc blocks of K (KC), then 4×8
// tiles. Each panel is read start to end (a panel is K×8 contiguous elements, and neighbouring
// panels are adjacent), so the weights arrive as one sequential stream per thread instead of
// 2–4 KiB pieces of every panel; A (MC rows × K, ≤ 128 KiB per kc block) stays in L2.
// A bf16 block is widened by the first row tile while it multiplies (kernel4x8Bf16), so the widening
// overlaps the multiply-adds; the other row tiles read the widened block from `scratch` (L1).
// At M = 32 (decode of 32 sequences) this order ran ~15 % faster than kc-outer with a separate
// widening pass, and M = 128 ~8 % faster (single thread, bf16, 0.5B shapes).

import { DTYPE_BF16, DTYPE_F16, DTYPE_F32, KC, madd } from './common';
import { bf16Hi, bf16Lo, widenF16 } from './widen';

// Rows of A per pass over the weight panels: MC×kcb packed f32 (128 KiB at KC = 256) per kc block.
const MC: i32 = 128;

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

// The 4×8 tile over kc k-steps. `b`: kc×8 f32, or with `fromBf16` kc×8 bf16, each k-row widened in
// registers (bf16 → f32 is the 16-bit value shifted into the high half) and also stored to
// `scratch` (kc×8 f32) for the block's other row tiles. Callers pass a constant `fromBf16`, so the
// inlined branch folds away.
// @ts-ignore: decorator
@inline function tile4x8(a: usize, b: usize, scratch: usize, kc: i32, c: usize, ldcBytes: usize, rows: i32, first: bool, bias: usize, fromBf16: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    let b0: v128, b1: v128;
    if (fromBf16) {
      const raw = v128.load(b);
      b0 = bf16Lo(raw);
      b1 = bf16Hi(raw);
      v128.store(scratch, b0);
      v128.store(scratch, b1, 16);
      b += 16;
      scratch += 32;
    } else {
      b0 = v128.load(b);
      b1 = v128.load(b, 16);
      b += 32;
    }
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
  }
  finishRow(c, c00, c01, first, bias);
  if (rows > 1) finishRow(c + ldcBytes, c10, c11, first, bias);
  if (rows > 2) finishRow(c + 2 * ldcBytes, c20, c21, first, bias);
  if (rows > 3) finishRow(c + 3 * ldcBytes, c30, c31, first, bias);
}

function kernel4x8(a: usize, b: usize, kc: i32, c: usize, ldcBytes: usize, rows: i32, first: bool, bias: usize): void {
  tile4x8(a, b, 0, kc, c, ldcBytes, rows, first, bias, false);
}

function kernel4x8Bf16(a: usize, b16: usize, scratch: usize, kc: i32, c: usize, ldcBytes: usize, rows: i32, first: bool, bias: usize): void {
  tile4x8(a, b16, scratch, kc, c, ldcBytes, rows, first, bias, true);
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
  for (let ic = 0; ic < mPad; ic += MC) {
    const icEnd = min(ic + MC, mPad);
    for (let j = p0; j < p1; j++) {
      const colBytes = <usize>j << 5;
      const biasPtr = bias != 0 ? bias + colBytes : 0;
      const panel = w + <usize>j * panelBytes;
      for (let pc = 0; pc < k; pc += KC) {
        const kcb = min(KC, k - pc);
        const first = pc == 0;
        const aBlock = ap + ((<usize>pc * <usize>mPad) << 2);
        let bp = panel + <usize>pc * 8 * eb;
        let i = ic;
        if (dtype == DTYPE_BF16) {
          // The first row tile widens the block into scratch as it goes.
          const aPanel = aBlock + ((<usize>i * <usize>kcb) << 2);
          kernel4x8Bf16(aPanel, bp, scratch, kcb, out + <usize>i * ldcBytes + colBytes, ldcBytes, min(4, m - i), first, biasPtr);
          bp = scratch;
          i += 4;
        } else if (dtype == DTYPE_F16) {
          widenF16(bp, scratch, kcb * 8);
          bp = scratch;
        }
        for (; i < icEnd; i += 4) {
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
