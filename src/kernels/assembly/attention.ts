// AssemblyScript kernel: causal grouped-query attention for a block of query rows of one head,
// f32 throughout (dot products in 4 SIMD lanes, softmax denominator in f64).
//
// Layouts (byte offsets into the shared memory, rows contiguous, no padding):
//   q, z:    [T, H, dh]     query rows of this chunk / per-head outputs
//   k, v:    [Tk, Hkv, dh]  keys / values of every visible position (Tk ≥ startPos + T)
//   scores:  ≥ Tk f32 per calling thread
// Query row t sits at absolute position p = startPos + t and sees keys j with
// max(0, p − window + 1) ≤ j ≤ p (window = 0: no window). Head h reads KV head h / (H / Hkv).

import { madd } from './common';

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** dot(a[0:n], b[0:n]) for f32 rows at byte offsets a, b. */
// @ts-ignore: decorator
@inline export function dot(a: usize, b: usize, n: i32): f32 {
  let acc0 = f32x4.splat(0), acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = madd(v128.load(a), v128.load(b), acc0);
    acc1 = madd(v128.load(a, 16), v128.load(b, 16), acc1);
    a += 32;
    b += 32;
  }
  if (i + 4 <= n) {
    acc0 = madd(v128.load(a), v128.load(b), acc0);
    a += 16;
    b += 16;
    i += 4;
  }
  let s = hsum(f32x4.add(acc0, acc1));
  for (; i < n; i++) {
    s += load<f32>(a) * load<f32>(b);
    a += 4;
    b += 4;
  }
  return s;
}

/**
 * z rows [t0, t1) of head h = softmax(q·kᵀ / √dh, causal, windowed) · v.
 * `window` ≤ 0 means no sliding window.
 */
export function attention(
  q: usize, k: usize, v: usize, z: usize, scores: usize,
  startPos: i32, heads: i32, kvHeads: i32, headDim: i32, window: i32,
  h: i32, t0: i32, t1: i32,
): void {
  const kvh = h / (heads / kvHeads);
  const scale = 1.0 / Math.sqrt(<f64>headDim);
  const keyStride = <usize>kvHeads * <usize>headDim << 2; // bytes from one position to the next
  const kHead = k + (<usize>kvh * <usize>headDim << 2);
  const vHead = v + (<usize>kvh * <usize>headDim << 2);
  for (let t = t0; t < t1; t++) {
    const p = startPos + t;
    const from = window > 0 ? max(0, p - window + 1) : 0;
    const count = p - from + 1;
    const qRow = q + ((<usize>t * <usize>heads + <usize>h) * <usize>headDim << 2);
    const zRow = z + ((<usize>t * <usize>heads + <usize>h) * <usize>headDim << 2);

    // Scores and their maximum.
    let best: f32 = -Infinity;
    let kRow = kHead + <usize>from * keyStride;
    for (let j = 0; j < count; j++) {
      const s = <f32>(<f64>dot(qRow, kRow, headDim) * scale);
      store<f32>(scores + (<usize>j << 2), s);
      best = max(best, s);
      kRow += keyStride;
    }
    // Exponentials and their sum; then the probabilities, rounded to f32.
    let sum: f64 = 0;
    for (let j = 0; j < count; j++) {
      const at = scores + (<usize>j << 2);
      const e = Mathf.exp(load<f32>(at) - best);
      store<f32>(at, e);
      sum += <f64>e;
    }
    const inv = 1.0 / sum;
    for (let j = 0; j < count; j++) {
      const at = scores + (<usize>j << 2);
      store<f32>(at, <f32>(<f64>load<f32>(at) * inv));
    }

    // z = Σ_j p_j · v_j, 16 columns at a time held in registers.
    const vFirst = vHead + <usize>from * keyStride;
    let c = 0;
    for (; c + 16 <= headDim; c += 16) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let vp = vFirst + (<usize>c << 2);
      for (let j = 0; j < count; j++) {
        const w = v128.load32_splat(scores + (<usize>j << 2));
        a0 = madd(w, v128.load(vp), a0);
        a1 = madd(w, v128.load(vp, 16), a1);
        a2 = madd(w, v128.load(vp, 32), a2);
        a3 = madd(w, v128.load(vp, 48), a3);
        vp += keyStride;
      }
      const out = zRow + (<usize>c << 2);
      v128.store(out, a0);
      v128.store(out, a1, 16);
      v128.store(out, a2, 32);
      v128.store(out, a3, 48);
    }
    for (; c + 4 <= headDim; c += 4) {
      let a0 = f32x4.splat(0);
      let vp = vFirst + (<usize>c << 2);
      for (let j = 0; j < count; j++) {
        a0 = madd(v128.load32_splat(scores + (<usize>j << 2)), v128.load(vp), a0);
        vp += keyStride;
      }
      v128.store(zRow + (<usize>c << 2), a0);
    }
    for (; c < headDim; c++) {
      let a: f32 = 0;
      let vp = vFirst + (<usize>c << 2);
      for (let j = 0; j < count; j++) {
        a += load<f32>(scores + (<usize>j << 2)) * load<f32>(vp);
        vp += keyStride;
      }
      store<f32>(zRow + (<usize>c << 2), a);
    }
  }
}

/**
 * Chunk `chunk` of a call over several sequences (src/kernels/wasmAttentionBatch.ts), on thread
 * `thread`. `args`: i32 heads, kvHeads, headDim, window, then the byte offsets of the chunk table
 * and of thread 0's scores scratch, and the scratch's bytes per thread. Table entry `chunk`
 * (8 i32 at table + 32·chunk): the byte offsets of its sequence's q, k, v and z, then its startPos,
 * the head and the query rows [t0, t1).
 */
export function attentionBatchChunk(args: usize, chunk: i32, thread: i32): void {
  const entry = <usize>load<u32>(args, 16) + (<usize>chunk << 5);
  const scores = <usize>load<u32>(args, 20) + <usize>thread * <usize>load<u32>(args, 24);
  attention(
    <usize>load<u32>(entry), <usize>load<u32>(entry, 4), <usize>load<u32>(entry, 8), <usize>load<u32>(entry, 12), scores,
    load<i32>(entry, 16), load<i32>(args), load<i32>(args, 4), load<i32>(args, 8), load<i32>(args, 12),
    load<i32>(entry, 20), load<i32>(entry, 24), load<i32>(entry, 28),
  );
}
