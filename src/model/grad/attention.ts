/**
 * Causal grouped-query attention for one sequence (positions 0…T−1), forward and backward.
 * Query head h reads KV head ⌊h / (H/Hkv)⌋; the scale is 1/√dh.
 *   S[h, t, j] = q[t, h]·k[j, kvh] / √dh  (j ≤ t),   P = softmax_j(S),   z[t, h] = Σ_j P[h, t, j] v[j, kvh]
 * Backward, per (h, t):  dP[j] = dz[t, h]·v[j];  dS[j] = P[j]·(dP[j] − Σ_i P[i]dP[i]);
 *   dq[t, h] = Σ_j dS[j] k[j] / √dh;  dk[j] += dS[j] q[t, h] / √dh;  dv[j] += P[j] dz[t, h].
 */
import type { Floats } from './matmul.js';

export interface AttentionDims {
  readonly tokens: number; //   T
  readonly heads: number; //    H
  readonly kvHeads: number; //  Hkv
  readonly headDim: number; //  dh
}

/**
 * q [T, H, dh], k and v [T, Hkv, dh] → probs [H, T, T] (entries above the diagonal are 0) and
 * z [T, H, dh].
 */
export function attentionForward(q: Floats, k: Floats, v: Floats, dims: AttentionDims, probs: Floats, z: Floats): void {
  const { tokens: T, heads: H, kvHeads: Hkv, headDim: dh } = dims;
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(dh);
  for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const row = (h * T + t) * T;
      const qBase = (t * H + h) * dh;
      let max = -Infinity;
      for (let j = 0; j <= t; j++) {
        const kBase = (j * Hkv + kvh) * dh;
        let dot = 0;
        for (let i = 0; i < dh; i++) dot += q[qBase + i] * k[kBase + i];
        const s = dot * scale;
        probs[row + j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j <= t; j++) {
        const e = Math.exp(probs[row + j] - max);
        probs[row + j] = e;
        sum += e;
      }
      const invSum = 1 / sum;
      for (let j = 0; j <= t; j++) probs[row + j] *= invSum;
      for (let j = t + 1; j < T; j++) probs[row + j] = 0;
      const zBase = (t * H + h) * dh;
      for (let i = 0; i < dh; i++) z[zBase + i] = 0;
      for (let j = 0; j <= t; j++) {
        const p = probs[row + j];
        const vBase = (j * Hkv + kvh) * dh;
        for (let i = 0; i < dh; i++) z[zBase + i] += p * v[vBase + i];
      }
    }
  }
}

/**
 * Gradients of attentionForward. dz [T, H, dh] → dq [T, H, dh], dk and dv [T, Hkv, dh] (all three
 * overwritten). `dProbs` [H, T, T], when given, receives dP (the gradient at hook_pattern); a
 * non-null `probsSeed` [H, T, T] is added to dP first (a metric that reads the pattern directly).
 * `scratch`: T floats.
 */
export function attentionBackward(
  dz: Floats, q: Floats, k: Floats, v: Floats, probs: Floats, dims: AttentionDims,
  dq: Floats, dk: Floats, dv: Floats, scratch: Floats, probsSeed: ArrayLike<number> | null, dProbs: Floats | null,
): void {
  const { tokens: T, heads: H, kvHeads: Hkv, headDim: dh } = dims;
  const group = H / Hkv;
  const scale = 1 / Math.sqrt(dh);
  dk.fill(0, 0, T * Hkv * dh);
  dv.fill(0, 0, T * Hkv * dh);
  const dP = scratch;
  for (let h = 0; h < H; h++) {
    const kvh = Math.floor(h / group);
    for (let t = 0; t < T; t++) {
      const row = (h * T + t) * T;
      const zBase = (t * H + h) * dh;
      let weighted = 0;
      for (let j = 0; j <= t; j++) {
        const vBase = (j * Hkv + kvh) * dh;
        let dot = 0;
        for (let i = 0; i < dh; i++) dot += dz[zBase + i] * v[vBase + i];
        if (probsSeed) dot += probsSeed[row + j];
        dP[j] = dot;
        weighted += probs[row + j] * dot;
        // dv[j] += P[j]·dz[t, h]
        const p = probs[row + j];
        for (let i = 0; i < dh; i++) dv[vBase + i] += p * dz[zBase + i];
      }
      if (dProbs) {
        for (let j = 0; j <= t; j++) dProbs[row + j] = dP[j];
        for (let j = t + 1; j < T; j++) dProbs[row + j] = probsSeed ? probsSeed[row + j] : 0;
      }
      const qBase = zBase;
      for (let i = 0; i < dh; i++) dq[qBase + i] = 0;
      for (let j = 0; j <= t; j++) {
        const dS = probs[row + j] * (dP[j] - weighted) * scale;
        if (dS === 0) continue;
        const kBase = (j * Hkv + kvh) * dh;
        for (let i = 0; i < dh; i++) {
          dq[qBase + i] += dS * k[kBase + i];
          dk[kBase + i] += dS * q[qBase + i];
        }
      }
    }
  }
}
