// AssemblyScript kernels: GEMV (decode, M = 1): out[8j…8j+7] = x·panel j over the whole K, x contiguous f32 (unpacked).
// Each panel is streamed start to end (no kc blocking), so the hardware prefetcher sees long
// sequential streams instead of 4–8 KiB pieces of every panel. f32 and bf16 walk four adjacent
// panels together (…x4): four streams per thread keep more DRAM reads in flight than one (a
// 2-thread wasm read test here: ~24 GB/s with one stream per thread, ~28.5 GB/s with 2–8), one x
// broadcast serves 8 multiply-adds, and the 8 accumulators are independent chains. The one-panel
// kernels (K unrolled by 4 or 2 onto separate accumulators) take the last < 4 panels, and f16.
//
// Shapes: x [K] f32; W packed as in pack.ts (ceil(N/8) panels of K×8 elements; `panelBytes` =
// K·8·elemBytes); out and bias [ldc] f32 with ldc = 8·ceil(N/8). Each one-panel kernel writes 8
// floats at `c`, each …x4 kernel 32 floats (4 panels).

import { DTYPE_BF16, DTYPE_F32, madd } from './common';
import { f16x4 } from './widen';

// @ts-ignore: decorator
@inline export function finishGemv(c: usize, acc0: v128, acc1: v128, bias: usize): void {
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
