// AssemblyScript kernels: int8 weights (symmetric, one f32 scale per output row) times activations
// quantised per row on the fly to int16 (symmetric, one f32 scale per row), with integer dots
// (`i32x4.dot_i16x8_s`, standard SIMD, so both builds run the same code). The relaxed-SIMD
// `i32x4.relaxed_dot_i8x16_i7x16_add_s` is not used: it takes 7-bit unsigned activations, so exact
// int16 activations would need three digit passes, and on Node 20's V8 on AVX2 (no VNNI) one pass
// does about as many products per cycle as dot_i16x8_s + add (10.7 against 9.4–10.9 in a register
// loop), so three would be about 3× slower.
//
// Layouts (byte offsets, regions 16-byte aligned). K is padded to Kp = 4·ceil(K/4) with zeros;
// a "pair" is k = 2p, 2p + 1.
//   W int8:  ceil(N/8) panels of Kp·8 bytes. Panel j, pair p is 16 bytes: column 8j + l's two
//            k's at bytes 2l, 2l + 1 (l = 0…7). One load8x8_s widens columns 8j…8j+3 (or
//            8j+4…8j+7) of a pair to int16, and its dot with the pair of x repeated is those 4
//            columns' partial sums, one per lane. Missing rows are 0. Row scales: ldc f32 (0 for
//            padding) at `wScales`, so that weight[n][k] ≈ q[n][k] · wScale[n].
//   X int16: rows in panels of R rows (R = 4 for the GEMM, 1 for the GEMV). Panel p, pair q is
//            4R bytes: row r%R's two k's as int16 at +4·(r%R) (R = 1: the row, contiguous). Rows
//            padded to mPad = R·ceil(M/R) with 0. Row scales (mPad f32) follow at
//            xScalesOf(dst, mPad, Kp).
//
// Overflow bound. |w| ≤ 127 and |x| ≤ 32767, so one dot lane adds two products per pair, each
// ≤ 127·32767 = 4 161 409, and a lane is one column's sum. A lane runs FLUSH_PAIRS = 256 pairs
// (512 k) before it is flushed to f32: |lane| ≤ 256·2·4 161 409 = 2 130 641 408 < 2^31 − 1 =
// 2 147 483 647. So no i32 sum can overflow; each flushed sum is exact.

import { finishGemv } from './gemv';

/** Pairs of K per integer accumulation; see the bound above. */
const FLUSH_PAIRS: i32 = 256;
const X_LIMIT: f32 = 32767;
const W_LIMIT: f32 = 127;

// @ts-ignore: decorator
@inline function paddedK(k: i32): i32 {
  return (k + 3) & ~3;
}

/** Where quantizeRows() puts the row scales: behind mPad·Kp int16, rounded up to 16 bytes. */
// @ts-ignore: decorator
@inline function xScalesOf(dst: usize, mPad: i32, kp: i32): usize {
  return dst + ((<usize>mPad * <usize>kp * 2 + 15) & ~15);
}

/** max |v[i]| over `count` f32 at `src`. */
function maxAbs(src: usize, count: i32): f32 {
  let m = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= count; i += 4) m = f32x4.max(m, f32x4.abs(v128.load(src + (<usize>i << 2))));
  let best = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < count; i++) best = max(best, abs(load<f32>(src + (<usize>i << 2))));
  return best;
}

/**
 * Quantises `rows` f32 rows of K (row-major at `src`) to int8 with one scale per row
 * (scale = max|row| / 127, q = round-half-even(w / scale)), into panels at `dst` (the panel of
 * row 0 first; rows are a whole number of panels except at the end of the weight) and their scales
 * at `scales` (one f32 per row). Missing rows of the last panel are zero.
 */
export function quantizePackB(src: usize, rows: i32, k: i32, dst: usize, scales: usize): void {
  const kp = paddedK(k);
  const panels = (rows + 7) >> 3;
  memory.fill(dst, 0, <usize>panels * <usize>kp * 8);
  for (let r = 0; r < rows; r++) {
    const row = src + ((<usize>r * <usize>k) << 2);
    const scale: f32 = maxAbs(row, k) / W_LIMIT;
    store<f32>(scales + (<usize>r << 2), scale);
    if (scale == 0) continue;
    // Value k of this row goes to base + 16·(k >> 1) + (k & 1).
    const base = dst + <usize>(r >> 3) * <usize>kp * 8 + (<usize>(r & 7) << 1);
    // Whole quads: 4 values divided, rounded and narrowed to int8 together (the same f32 steps).
    const sv = f32x4.splat(scale);
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(row + (<usize>c << 2)), sv)));
      const q16 = i16x8.narrow_i32x4_s(q, q);
      const q8 = i8x16.narrow_i16x8_s(q16, q16);
      const at = base + (<usize>(c >> 1) << 4);
      v128.store_lane<i16>(at, q8, 0);
      v128.store_lane<i16>(at + 16, q8, 1);
    }
    for (; c < k; c++) {
      const q = <i32>nearest<f32>(load<f32>(row + (<usize>c << 2)) / scale);
      store<i8>(base + (<usize>(c >> 1) << 4) + <usize>(c & 1), <i8>q);
    }
  }
}

/**
 * Quantises x[M,K] (row-major f32) to int16 per row (scale = max|row| / 32767,
 * q = round-half-even(x / scale)) in panels of `panelRows` rows at `dst` (layout above), and writes
 * the row scales behind them.
 */
export function quantizeRows(x: usize, m: i32, k: i32, dst: usize, panelRows: i32): void {
  const kp = paddedK(k);
  const mPad = ((m + panelRows - 1) / panelRows) * panelRows;
  const scales = xScalesOf(dst, mPad, kp);
  memory.fill(dst, 0, <usize>mPad * <usize>kp * 2);
  const pairBytes = <usize>panelRows << 2;
  for (let r = 0; r < mPad; r++) {
    let scale: f32 = 0;
    if (r < m) {
      const row = x + ((<usize>r * <usize>k) << 2);
      scale = maxAbs(row, k) / X_LIMIT;
      if (scale != 0) {
        // Value k of this row goes to base + pairBytes·(k >> 1) + 2·(k & 1).
        const base = dst + <usize>(r / panelRows) * <usize>(kp >> 1) * pairBytes + (<usize>(r % panelRows) << 2);
        let c = 0;
        const sv = f32x4.splat(scale);
        for (; c + 4 <= k; c += 4) {
          const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(row + (<usize>c << 2)), sv)));
          const q16 = i16x8.narrow_i32x4_s(q, q);
          const at = base + <usize>(c >> 1) * pairBytes;
          v128.store_lane<i32>(at, q16, 0);
          v128.store_lane<i32>(at + pairBytes, q16, 1);
        }
        for (; c < k; c++) {
          const q = <i32>nearest<f32>(load<f32>(row + (<usize>c << 2)) / scale);
          store<i16>(base + <usize>(c >> 1) * pairBytes + (<usize>(c & 1) << 1), <i16>q);
        }
      }
    }
    store<f32>(scales + (<usize>r << 2), scale);
  }
}

// Adds the flushed integer sums of 4 columns to the f32 partial at `c` (or writes it when `first`).
// @ts-ignore: decorator
@inline function flush4(c: usize, sums: v128, first: bool): void {
  let v = f32x4.convert_i32x4_s(sums);
  if (!first) v = f32x4.add(v, v128.load(c));
  v128.store(c, v);
}

// out[c…c+7] = partial · (xScale · wScale[c…]) + bias (one panel).
// @ts-ignore: decorator
@inline function finish8(c: usize, xScale: f32, wScales: usize, bias: usize): void {
  const xs = f32x4.splat(xScale);
  const v0 = f32x4.mul(v128.load(c), f32x4.mul(xs, v128.load(wScales)));
  finishGemv(c, v0, f32x4.mul(v128.load(c, 16), f32x4.mul(xs, v128.load(wScales, 16))), bias);
}

// One panel over pairs [q0, q1) of the GEMV: `b` = the panel at pair q0, `x` = x at pair q0.
function gemvPanel(x: usize, xEnd: usize, b: usize, c: usize, first: bool): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
  for (; x < xEnd; x += 4) {
    const xv = v128.load32_splat(x);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load8x8_s(b), xv));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load8x8_s(b, 8), xv));
    b += 16;
  }
  flush4(c, a0, first);
  flush4(c + 16, a1, first);
}

// Three panels far apart (`b`, `d`, `e` at pair q0; outputs `c`, `c + cs`, `c + 2·cs`) over pairs
// [q0, q1) of the GEMV. Distant read streams let the hardware prefetcher keep more DRAM reads in
// flight: one thread, 896×9728, weights from DRAM: 21.9 GMAC/s with three, 18.4 with two, 13.7
// with one (adjacent panels do not help: 11.5). Four need more than the 16 vector registers (17.9).
function gemvPanels3(x: usize, xEnd: usize, b: usize, d: usize, e: usize, c: usize, cs: usize, first: bool): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), g0 = i32x4.splat(0), g1 = i32x4.splat(0);
  let h0 = i32x4.splat(0), h1 = i32x4.splat(0);
  for (; x < xEnd; x += 4) {
    const xv = v128.load32_splat(x);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load8x8_s(b), xv));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load8x8_s(b, 8), xv));
    g0 = i32x4.add(g0, i32x4.dot_i16x8_s(v128.load8x8_s(d), xv));
    g1 = i32x4.add(g1, i32x4.dot_i16x8_s(v128.load8x8_s(d, 8), xv));
    h0 = i32x4.add(h0, i32x4.dot_i16x8_s(v128.load8x8_s(e), xv));
    h1 = i32x4.add(h1, i32x4.dot_i16x8_s(v128.load8x8_s(e, 8), xv));
    b += 16;
    d += 16;
    e += 16;
  }
  flush4(c, a0, first);
  flush4(c + 16, a1, first);
  flush4(c + cs, g0, first);
  flush4(c + cs + 16, g1, first);
  flush4(c + 2 * cs, h0, first);
  flush4(c + 2 * cs + 16, h1, first);
}

/**
 * GEMV: out[8·p0 : 8·p1] = x·Wᵀ (+ bias) for one quantised row `xq` (quantizeRows with
 * panelRows = 1) and int8 weight panels p0 ≤ j < p1 with row scales at `wScales`. With
 * t = ⌊(p1 − p0)/3⌋, panel j is walked together with panels j + t and j + 2t (three read
 * streams); the last (p1 − p0) mod 3 panels one at a time.
 */
export function gemvI8(xq: usize, k: i32, w: usize, wScales: usize, p0: i32, p1: i32, out: usize, bias: usize): void {
  const kp = paddedK(k);
  const pairs = kp >> 1;
  const panelBytes = <usize>kp << 3;
  const third = (p1 - p0) / 3;
  const farBytes = <usize>third * panelBytes;
  const xScale = load<f32>(xScalesOf(xq, 1, kp));
  for (let j = p0; j < p0 + third; j++) {
    const b = w + <usize>j * panelBytes;
    const c = out + (<usize>j << 5);
    for (let q0 = 0; q0 < pairs; q0 += FLUSH_PAIRS) {
      const q1 = min(pairs, q0 + FLUSH_PAIRS);
      const at = b + (<usize>q0 << 4);
      gemvPanels3(xq + (<usize>q0 << 2), xq + (<usize>q1 << 2), at, at + farBytes, at + 2 * farBytes, c, <usize>third << 5, q0 == 0);
    }
  }
  for (let j = p0 + 3 * third; j < p1; j++) {
    const b = w + <usize>j * panelBytes;
    const c = out + (<usize>j << 5);
    for (let q0 = 0; q0 < pairs; q0 += FLUSH_PAIRS) {
      const q1 = min(pairs, q0 + FLUSH_PAIRS);
      gemvPanel(xq + (<usize>q0 << 2), xq + (<usize>q1 << 2), b + (<usize>q0 << 4), c, q0 == 0);
    }
  }
  for (let j = p0; j < p1; j++) {
    const cols = <usize>j << 5;
    finish8(out + cols, xScale, wScales + cols, bias != 0 ? bias + cols : 0);
  }
}

// One 4-row × 8-column tile over pairs [q0, q1): `a` = the 4-row x panel at pair q0 (16 bytes a
// pair), `b` = the weight panel at pair q0 (16 bytes a pair), `c` = output tile (row stride
// ldcBytes). 8 accumulators, 2 widened weight vectors and 4 x broadcasts fit the 16 registers.
function tile4x8(a: usize, b: usize, n: i32, c: usize, ldcBytes: usize, rows: i32, first: bool): void {
  let r0a = i32x4.splat(0), r0b = i32x4.splat(0);
  let r1a = i32x4.splat(0), r1b = i32x4.splat(0);
  let r2a = i32x4.splat(0), r2b = i32x4.splat(0);
  let r3a = i32x4.splat(0), r3b = i32x4.splat(0);
  const bEnd = b + (<usize>n << 4);
  for (; b < bEnd; b += 16) {
    const lo = v128.load8x8_s(b);
    const hi = v128.load8x8_s(b, 8);
    let xv = v128.load32_splat(a);
    r0a = i32x4.add(r0a, i32x4.dot_i16x8_s(lo, xv));
    r0b = i32x4.add(r0b, i32x4.dot_i16x8_s(hi, xv));
    xv = v128.load32_splat(a, 4);
    r1a = i32x4.add(r1a, i32x4.dot_i16x8_s(lo, xv));
    r1b = i32x4.add(r1b, i32x4.dot_i16x8_s(hi, xv));
    xv = v128.load32_splat(a, 8);
    r2a = i32x4.add(r2a, i32x4.dot_i16x8_s(lo, xv));
    r2b = i32x4.add(r2b, i32x4.dot_i16x8_s(hi, xv));
    xv = v128.load32_splat(a, 12);
    r3a = i32x4.add(r3a, i32x4.dot_i16x8_s(lo, xv));
    r3b = i32x4.add(r3b, i32x4.dot_i16x8_s(hi, xv));
    a += 16;
  }
  flush4(c, r0a, first);
  flush4(c + 16, r0b, first);
  if (rows > 1) {
    flush4(c + ldcBytes, r1a, first);
    flush4(c + ldcBytes + 16, r1b, first);
  }
  if (rows > 2) {
    flush4(c + 2 * ldcBytes, r2a, first);
    flush4(c + 2 * ldcBytes + 16, r2b, first);
  }
  if (rows > 3) {
    flush4(c + 3 * ldcBytes, r3a, first);
    flush4(c + 3 * ldcBytes + 16, r3b, first);
  }
}

// Rows of x per pass over the weight panels: MC rows × 512 k of int16 = 128 KiB, L2-resident,
// while each 4 KiB weight panel block stays in L1 for all MC rows. (MC = 16, L1-resident x,
// re-read every weight block from L3 eight times per 128-row prompt: 17 % slower at N = 9728.)
const MC: i32 = 128;

/**
 * GEMM: out[0:M, 8·p0 : 8·p1] = X·Wᵀ (+ bias) for x quantised by quantizeRows (panelRows = 4) at
 * `ap` and int8 weight panels p0 ≤ j < p1 with row scales at `wScales`; out row stride ldc floats.
 * Loop order: blocks of FLUSH_PAIRS pairs of K, then MC rows, then weight panels, then 4×8
 * tiles; the last block scales the f32 partials and adds the bias.
 */
export function gemmI8(ap: usize, m: i32, k: i32, w: usize, wScales: usize, p0: i32, p1: i32, out: usize, ldc: i32, bias: usize): void {
  const kp = paddedK(k);
  const pairs = kp >> 1;
  const mPad = (m + 3) & ~3;
  const xScales = xScalesOf(ap, mPad, kp);
  const panelBytes = <usize>kp << 3;
  const xPanelBytes = <usize>kp << 3; // 4 rows × Kp int16
  const ldcBytes = <usize>ldc << 2;
  for (let q0 = 0; q0 < pairs; q0 += FLUSH_PAIRS) {
    const n = min(FLUSH_PAIRS, pairs - q0);
    const first = q0 == 0;
    for (let ic = 0; ic < mPad; ic += MC) {
      const icEnd = min(ic + MC, mPad);
      for (let j = p0; j < p1; j++) {
        const b = w + <usize>j * panelBytes + (<usize>q0 << 4);
        const cols = <usize>j << 5;
        for (let i = ic; i < icEnd; i += 4) {
          tile4x8(ap + <usize>(i >> 2) * xPanelBytes + (<usize>q0 << 4), b, n, out + <usize>i * ldcBytes + cols, ldcBytes, min(4, m - i), first);
        }
      }
    }
  }
  for (let i = 0; i < m; i++) {
    const xScale = load<f32>(xScales + (<usize>i << 2));
    const row = out + <usize>i * ldcBytes;
    for (let j = p0; j < p1; j++) {
      const cols = <usize>j << 5;
      finish8(row + cols, xScale, wScales + cols, bias != 0 ? bias + cols : 0);
    }
  }
}
