// AssemblyScript kernels: int8 weights (symmetric, one f32 scale per output row) times activations
// quantised per row on the fly to int16 (symmetric, one f32 scale per row), with integer dots
// (`i32x4.dot_i16x8_s`, standard SIMD, so both builds run the same code).
//
// Layouts (byte offsets, regions 16-byte aligned). K is padded to Kp = 4·ceil(K/4) with zeros.
//   W int8:  ceil(N/8) panels of Kp·8 bytes. Panel j, k-quad q (k = 4q…4q+3) is 32 bytes:
//            bytes [0,16) hold columns 8j…8j+3, 4 k's each (col-major within the quad), bytes
//            [16,32) columns 8j+4…8j+7. Missing rows are 0. Row scales: ldc f32 (0 for padding)
//            at `wScales`, so that weight[n][k] ≈ q[n][k] · wScale[n].
//   X int16: rows in panels of R rows (R = 4 for the GEMM, 1 for the GEMV). Panel p, quad q is
//            8R bytes: row r%R's 4 k's as int16 at +8·(r%R). Rows padded to mPad = R·ceil(M/R)
//            with 0. Row scales (mPad f32) follow at xScalesOf(dst, mPad, Kp).
//
// Overflow bound. |w| ≤ 127 and |x| ≤ 32767, so one dot lane adds two products per quad,
// each ≤ 127·32767 = 4 161 409. A lane runs FLUSH_QUADS = 128 quads (512 k) before it is flushed
// to f32: |lane| ≤ 128·2·4 161 409 = 1 065 320 704. The flush adds two lanes (the two halves
// of a column's quad): ≤ 2 130 641 408 < 2^31 − 1 = 2 147 483 647. So no i32 sum can overflow.

/** Quads of K per integer accumulation; see the bound above. */
const FLUSH_QUADS: i32 = 128;
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
    const lane = r & 7;
    const base = dst + <usize>(r >> 3) * <usize>kp * 8 + <usize>((lane >> 2) << 4) + <usize>((lane & 3) << 2);
    // Whole quads: 4 values divided, rounded and narrowed to int8 together (the same f32 steps).
    const sv = f32x4.splat(scale);
    let c = 0;
    for (; c + 4 <= k; c += 4) {
      const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(row + (<usize>c << 2)), sv)));
      const q16 = i16x8.narrow_i32x4_s(q, q);
      v128.store_lane<i32>(base + (<usize>(c >> 2) << 5), i8x16.narrow_i16x8_s(q16, q16), 0);
    }
    for (; c < k; c++) {
      const q = <i32>nearest<f32>(load<f32>(row + (<usize>c << 2)) / scale);
      store<i8>(base + (<usize>(c >> 2) << 5) + <usize>(c & 3), <i8>q);
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
  const quadBytes = <usize>panelRows << 3;
  for (let r = 0; r < mPad; r++) {
    let scale: f32 = 0;
    if (r < m) {
      const row = x + ((<usize>r * <usize>k) << 2);
      scale = maxAbs(row, k) / X_LIMIT;
      if (scale != 0) {
        const base = dst + <usize>(r / panelRows) * <usize>(kp >> 2) * quadBytes + (<usize>(r % panelRows) << 3);
        let c = 0;
        const sv = f32x4.splat(scale);
        for (; c + 4 <= k; c += 4) {
          const q = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.div(v128.load(row + (<usize>c << 2)), sv)));
          v128.store_lane<i64>(base + <usize>(c >> 2) * quadBytes, i16x8.narrow_i32x4_s(q, q), 0);
        }
        for (; c < k; c++) {
          const q = <i32>nearest<f32>(load<f32>(row + (<usize>c << 2)) / scale);
          store<i16>(base + <usize>(c >> 2) * quadBytes + (<usize>(c & 3) << 1), <i16>q);
        }
      }
    }
    store<f32>(scales + (<usize>r << 2), scale);
  }
}

// [c0a, c0b, c1a, c1b] + [c2a, c2b, c3a, c3b] → [c0, c1, c2, c3] (pairs of partial dot lanes).
// @ts-ignore: decorator
@inline function pairSum(lo: v128, hi: v128): v128 {
  return i32x4.add(i32x4.shuffle(lo, hi, 0, 2, 4, 6), i32x4.shuffle(lo, hi, 1, 3, 5, 7));
}

// Adds the flushed integer sums of 4 columns to the f32 partial at `c` (or writes it when `first`).
// @ts-ignore: decorator
@inline function flush4(c: usize, lo: v128, hi: v128, first: bool): void {
  let v = f32x4.convert_i32x4_s(pairSum(lo, hi));
  if (!first) v = f32x4.add(v, v128.load(c));
  v128.store(c, v);
}

// out[c…c+3] = partial · (xScale · wScale[c…]) + bias.
// @ts-ignore: decorator
@inline function finish4(c: usize, xScale: f32, wScales: usize, bias: usize): void {
  let v = f32x4.mul(v128.load(c), f32x4.mul(f32x4.splat(xScale), v128.load(wScales)));
  if (bias != 0) v = f32x4.add(v, v128.load(bias));
  v128.store(c, v);
}

/**
 * GEMV: out[8·p0 : 8·p1] = x·Wᵀ (+ bias) for one quantised row `xq` (quantizeRows with
 * panelRows = 1) and int8 weight panels p0 ≤ j < p1 with row scales at `wScales`.
 */
export function gemvI8(xq: usize, k: i32, w: usize, wScales: usize, p0: i32, p1: i32, out: usize, bias: usize): void {
  const kp = paddedK(k);
  const quads = kp >> 2;
  const panelBytes = <usize>kp << 3;
  const xScale = load<f32>(xScalesOf(xq, 1, kp));
  for (let j = p0; j < p1; j++) {
    const c = out + (<usize>j << 5);
    const b = w + <usize>j * panelBytes;
    for (let q0 = 0; q0 < quads; q0 += FLUSH_QUADS) {
      const q1 = min(quads, q0 + FLUSH_QUADS);
      let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
      let bp = b + (<usize>q0 << 5);
      let xp = xq + (<usize>q0 << 3);
      const xEnd = xq + (<usize>q1 << 3);
      // load8x8_s widens 8 weights (2 columns × 4 k) as it loads: one instruction, no shuffles.
      for (; xp < xEnd; xp += 8) {
        const xv = v128.load64_splat(xp);
        a0 = i32x4.add(a0, i32x4.dot_i16x8_s(v128.load8x8_s(bp), xv));
        a1 = i32x4.add(a1, i32x4.dot_i16x8_s(v128.load8x8_s(bp, 8), xv));
        a2 = i32x4.add(a2, i32x4.dot_i16x8_s(v128.load8x8_s(bp, 16), xv));
        a3 = i32x4.add(a3, i32x4.dot_i16x8_s(v128.load8x8_s(bp, 24), xv));
        bp += 32;
      }
      flush4(c, a0, a1, q0 == 0);
      flush4(c + 16, a2, a3, q0 == 0);
    }
    const cols = <usize>j << 5;
    finish4(c, xScale, wScales + cols, bias != 0 ? bias + cols : 0);
    finish4(c + 16, xScale, wScales + cols + 16, bias != 0 ? bias + cols + 16 : 0);
  }
}

// One 4×4 tile over quads [q0, q1): `a` = the 4-row x panel at quad q0, `b` = the weight half-panel
// (4 columns) at quad q0 (quad stride 32 bytes), `c` = output tile (row stride ldcBytes).
function tile4x4(a: usize, b: usize, n: i32, c: usize, ldcBytes: usize, rows: i32, first: bool): void {
  let r0a = i32x4.splat(0), r0b = i32x4.splat(0);
  let r1a = i32x4.splat(0), r1b = i32x4.splat(0);
  let r2a = i32x4.splat(0), r2b = i32x4.splat(0);
  let r3a = i32x4.splat(0), r3b = i32x4.splat(0);
  const bEnd = b + (<usize>n << 5);
  for (; b < bEnd; b += 32) {
    const lo = v128.load8x8_s(b);
    const hi = v128.load8x8_s(b, 8);
    let xv = v128.load64_splat(a);
    r0a = i32x4.add(r0a, i32x4.dot_i16x8_s(lo, xv));
    r0b = i32x4.add(r0b, i32x4.dot_i16x8_s(hi, xv));
    xv = v128.load64_splat(a, 8);
    r1a = i32x4.add(r1a, i32x4.dot_i16x8_s(lo, xv));
    r1b = i32x4.add(r1b, i32x4.dot_i16x8_s(hi, xv));
    xv = v128.load64_splat(a, 16);
    r2a = i32x4.add(r2a, i32x4.dot_i16x8_s(lo, xv));
    r2b = i32x4.add(r2b, i32x4.dot_i16x8_s(hi, xv));
    xv = v128.load64_splat(a, 24);
    r3a = i32x4.add(r3a, i32x4.dot_i16x8_s(lo, xv));
    r3b = i32x4.add(r3b, i32x4.dot_i16x8_s(hi, xv));
    a += 32;
  }
  flush4(c, r0a, r0b, first);
  if (rows > 1) flush4(c + ldcBytes, r1a, r1b, first);
  if (rows > 2) flush4(c + 2 * ldcBytes, r2a, r2b, first);
  if (rows > 3) flush4(c + 3 * ldcBytes, r3a, r3b, first);
}

// Rows of x per pass over the weight panels: MC rows × 512 k of int16 = 128 KiB, L2-resident,
// while each 2 KiB weight half-panel block stays in L1 for all MC rows. (MC = 16, L1-resident x,
// re-read every weight block from L3 eight times per 128-row prompt: 17 % slower at N = 9728.)
const MC: i32 = 128;

/**
 * GEMM: out[0:M, 8·p0 : 8·p1] = X·Wᵀ (+ bias) for x quantised by quantizeRows (panelRows = 4) at
 * `ap` and int8 weight panels p0 ≤ j < p1 with row scales at `wScales`; out row stride ldc floats.
 * Loop order: blocks of FLUSH_QUADS quads of K, then MC rows, then weight half-panels, then 4×4
 * tiles; the last block scales the f32 partials and adds the bias.
 */
export function gemmI8(ap: usize, m: i32, k: i32, w: usize, wScales: usize, p0: i32, p1: i32, out: usize, ldc: i32, bias: usize): void {
  const kp = paddedK(k);
  const quads = kp >> 2;
  const mPad = (m + 3) & ~3;
  const xScales = xScalesOf(ap, mPad, kp);
  const panelBytes = <usize>kp << 3;
  const xPanelBytes = <usize>kp << 3; // 4 rows × Kp int16
  const ldcBytes = <usize>ldc << 2;
  for (let q0 = 0; q0 < quads; q0 += FLUSH_QUADS) {
    const n = min(FLUSH_QUADS, quads - q0);
    const first = q0 == 0;
    for (let ic = 0; ic < mPad; ic += MC) {
      const icEnd = min(ic + MC, mPad);
      for (let j = p0; j < p1; j++) {
        for (let h = 0; h < 2; h++) {
          const b = w + <usize>j * panelBytes + (<usize>q0 << 5) + (<usize>h << 4);
          const cols = (<usize>j << 5) + (<usize>h << 4);
          for (let i = ic; i < icEnd; i += 4) {
            tile4x4(ap + <usize>(i >> 2) * xPanelBytes + (<usize>q0 << 5), b, n, out + <usize>i * ldcBytes + cols, ldcBytes, min(4, m - i), first);
          }
        }
      }
    }
  }
  for (let i = 0; i < m; i++) {
    const xScale = load<f32>(xScales + (<usize>i << 2));
    const row = out + <usize>i * ldcBytes;
    for (let j = p0; j < p1; j++) {
      const cols = <usize>j << 5;
      finish4(row + cols, xScale, wScales + cols, bias != 0 ? bias + cols : 0);
      finish4(row + cols + 16, xScale, wScales + cols + 16, bias != 0 ? bias + cols + 16 : 0);
    }
  }
}
