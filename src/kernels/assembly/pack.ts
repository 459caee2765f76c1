// AssemblyScript kernels: packing for the GEMM. Layouts (byte offsets, 16-byte aligned regions):
//   A packed: for each kc block (pc = 0, KC, 2KC, …; kcb = min(KC, K−pc)) and each 4-row panel i:
//             kcb×4 f32 at float offset pc·mPad + i·kcb, mPad = M rounded up to 4; missing rows 0.
//   W packed: ceil(N/8) panels; panel j holds rows 8j…8j+7 of the HF weight [N,K] as K×8
//             contiguous elements (f32, or 16-bit bf16/f16 kept as stored); missing rows are 0.

import { KC } from './common';

/**
 * Packs x[M,K] (row-major f32 at `x`) into 4-row panels per kc block at `ap`
 * (mPad×K f32 in all, mPad = M rounded up to 4; layout above).
 */
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

// src: 8 rows of K 16-bit elements (row stride 2K bytes); panel: K×8 16-bit elements.
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

// src: 8 rows of K f32 (row stride 4K bytes); panel: K×8 f32.
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
