// AssemblyScript kernels: causal grouped-query attention for training, forward (keeping the
// probabilities) and backward, over a batch of sequences stacked row-wise. One call handles one
// (sequence, KV head) pair — every query head of that group — so the threads never write the same
// dk/dv rows, and each result is computed in one fixed order (deterministic).
//
// Argument block (i32 words at `args`, byte offsets into the shared memory):
//   0 kind (0 forward, 1 backward)  1 sequence table  2 H  3 Hkv  4 dh
//   5 q [R, H, dh]  6 k [R, Hkv, dh]  7 v [R, Hkv, dh]  8 probs (per sequence [H, T, T])
//   9 z (forward) or dz (backward) [R, H, dh]  10 dq [R, H, dh]  11 dk, 12 dv [R, Hkv, dh]
//   13 scratch (T_max f32 per thread)  14 scratch stride in bytes
// Sequence table: 3 i32 per sequence: first row, T, offset of its probs block (in floats).
//   forward:   P = softmax(q·kᵀ/√dh, causal), z = P·v
//   backward:  dP = dz·vᵀ; dS = P ⊙ (dP − rowsum(P ⊙ dP)); dq = dS·k/√dh; dk = dSᵀ·q/√dh; dv = Pᵀ·dz

import { madd } from './common';
import { dot } from './attention';

// y[0:n] += a · x[0:n]
// @ts-ignore: decorator
@inline function axpy(y: usize, a: f32, x: usize, n: i32): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(y, madd(av, v128.load(x), v128.load(y)));
    x += 16;
    y += 16;
  }
  for (; i < n; i++) {
    store<f32>(y, load<f32>(y) + a * load<f32>(x));
    x += 4;
    y += 4;
  }
}

// @ts-ignore: decorator
@inline function zero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

// @ts-ignore: decorator
@inline function arg(args: usize, i: i32): usize {
  return <usize>load<u32>(args + (<usize>i << 2));
}

export function attentionTrainChunk(args: usize, chunk: i32, thread: i32): void {
  const heads = <i32>arg(args, 2);
  const kvHeads = <i32>arg(args, 3);
  const dh = <i32>arg(args, 4);
  const seq = chunk / kvHeads;
  const kvh = chunk % kvHeads;
  const table = arg(args, 1) + (<usize>seq * 12);
  const row0 = <usize>load<i32>(table);
  const T = load<i32>(table, 4);
  const probs = arg(args, 8) + (<usize>load<i32>(table, 8) << 2);
  const group = heads / kvHeads;
  const scale: f32 = <f32>(1.0 / Math.sqrt(<f64>dh));
  const qStride = <usize>heads * <usize>dh << 2; //  bytes per row of q, z, dq
  const kvStride = <usize>kvHeads * <usize>dh << 2; // bytes per row of k, v, dk, dv
  const headBytes = <usize>dh << 2;
  const q = arg(args, 5) + row0 * qStride;
  const k = arg(args, 6) + row0 * kvStride + <usize>kvh * headBytes;
  const v = arg(args, 7) + row0 * kvStride + <usize>kvh * headBytes;
  const zOrDz = arg(args, 9) + row0 * qStride;

  if (arg(args, 0) == 0) {
    for (let h = kvh * group; h < (kvh + 1) * group; h++) {
      for (let t = 0; t < T; t++) {
        const p = probs + ((<usize>h * <usize>T + <usize>t) * <usize>T << 2);
        const qRow = q + <usize>t * qStride + <usize>h * headBytes;
        let best: f32 = -Infinity;
        for (let j = 0; j <= t; j++) {
          const s = dot(qRow, k + <usize>j * kvStride, dh) * scale;
          store<f32>(p + (<usize>j << 2), s);
          best = max(best, s);
        }
        let sum: f64 = 0;
        for (let j = 0; j <= t; j++) {
          const at = p + (<usize>j << 2);
          const e = Mathf.exp(load<f32>(at) - best);
          store<f32>(at, e);
          sum += <f64>e;
        }
        const inv = <f32>(1.0 / sum);
        for (let j = 0; j <= t; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * inv);
        zero(p + (<usize>(t + 1) << 2), T - t - 1);
        const zRow = zOrDz + <usize>t * qStride + <usize>h * headBytes;
        zero(zRow, dh);
        for (let j = 0; j <= t; j++) axpy(zRow, load<f32>(p + (<usize>j << 2)), v + <usize>j * kvStride, dh);
      }
    }
    return;
  }

  const dq = arg(args, 10) + row0 * qStride;
  const dk = arg(args, 11) + row0 * kvStride + <usize>kvh * headBytes;
  const dv = arg(args, 12) + row0 * kvStride + <usize>kvh * headBytes;
  const dP = arg(args, 13) + <usize>thread * arg(args, 14);
  for (let j = 0; j < T; j++) {
    zero(dk + <usize>j * kvStride, dh);
    zero(dv + <usize>j * kvStride, dh);
  }
  for (let h = kvh * group; h < (kvh + 1) * group; h++) {
    for (let t = 0; t < T; t++) {
      const p = probs + ((<usize>h * <usize>T + <usize>t) * <usize>T << 2);
      const dzRow = zOrDz + <usize>t * qStride + <usize>h * headBytes;
      let weighted: f32 = 0;
      for (let j = 0; j <= t; j++) {
        const pj = load<f32>(p + (<usize>j << 2));
        const dpj = dot(dzRow, v + <usize>j * kvStride, dh);
        store<f32>(dP + (<usize>j << 2), dpj);
        weighted += pj * dpj;
        axpy(dv + <usize>j * kvStride, pj, dzRow, dh);
      }
      const qRow = q + <usize>t * qStride + <usize>h * headBytes;
      const dqRow = dq + <usize>t * qStride + <usize>h * headBytes;
      zero(dqRow, dh);
      for (let j = 0; j <= t; j++) {
        const dS = load<f32>(p + (<usize>j << 2)) * (load<f32>(dP + (<usize>j << 2)) - weighted) * scale;
        axpy(dqRow, dS, k + <usize>j * kvStride, dh);
        axpy(dk + <usize>j * kvStride, dS, qRow, dh);
      }
    }
  }
}
