// AssemblyScript kernels: packing of transposed operands, so the GEMM (gemm.ts) also computes the
// products of training on plain f32 matrices (src/kernels/wasmMatmul.ts):
//   A·B  (B stored [K, N]):        packA(A) and packBN(B)
//   Aᵀ·B (A stored [K, M]):        packAT(A) and packBN(B)
// Both write exactly the layouts of pack.ts (packA: 4-row panels per kc block; packB: 8-column
// panels of K×8 f32), so gemm() runs unchanged.

import { KC } from './common';

/**
 * Packs Aᵀ, where A is stored row-major [K, M] at `a`, as packA packs an [M, K] matrix:
 * per kc block and 4-row panel i, kcb×4 f32 with (kk, r) = A[pc + kk, i + r]; missing rows 0.
 */
export function packAT(a: usize, m: i32, k: i32, ap: usize): void {
  const mPad = (m + 3) & ~3;
  const rowBytes = <usize>m << 2;
  let dst = ap;
  for (let pc = 0; pc < k; pc += KC) {
    const kcb = min(KC, k - pc);
    for (let i = 0; i < mPad; i += 4) {
      let src = a + <usize>pc * rowBytes + (<usize>i << 2);
      if (i + 4 <= m) {
        for (let kk = 0; kk < kcb; kk++) {
          v128.store(dst, v128.load(src));
          src += rowBytes;
          dst += 16;
        }
      } else {
        for (let kk = 0; kk < kcb; kk++) {
          for (let r = 0; r < 4; r++) store<f32>(dst + (<usize>r << 2), i + r < m ? load<f32>(src + (<usize>r << 2)) : 0);
          src += rowBytes;
          dst += 16;
        }
      }
    }
  }
}

/**
 * Packs Bᵀ, where B is stored row-major [K, N] at `b`, as packB packs an [N, K] weight:
 * ceil(N/8) panels of K×8 f32, (kk, lane) of panel j = B[kk, 8j + lane]; missing columns 0.
 */
export function packBN(b: usize, k: i32, n: i32, dst: usize): void {
  const panels = (n + 7) >> 3;
  const rowBytes = <usize>n << 2;
  let out = dst;
  for (let j = 0; j < panels; j++) {
    const col = j << 3;
    let src = b + (<usize>col << 2);
    if (col + 8 <= n) {
      for (let kk = 0; kk < k; kk++) {
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        src += rowBytes;
        out += 32;
      }
    } else {
      for (let kk = 0; kk < k; kk++) {
        for (let lane = 0; lane < 8; lane++) store<f32>(out + (<usize>lane << 2), col + lane < n ? load<f32>(src + (<usize>lane << 2)) : 0);
        src += rowBytes;
        out += 32;
      }
    }
  }
}
