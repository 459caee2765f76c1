/**
 * Causal grouped-query attention for one sequence chunk, against keys/values that already hold
 * the earlier positions. Query head h reads KV head ⌊h / (H/Hkv)⌋.
 */

export interface AttentionShape {
  tokens: number; //     T: new positions in this chunk
  startPos: number; //   absolute position of the first new row (= cached positions)
  heads: number; //      H
  kvHeads: number; //    Hkv
  headDim: number; //    dh
  /** Mistral-style window: a query at p sees keys j with p − j < window. Null = unlimited. */
  slidingWindow: number | null;
}

/** First key position visible from absolute position p. */
function firstKey(p: number, window: number | null): number {
  return window === null ? 0 : Math.max(0, p - window + 1);
}

/**
 * Unnormalised softmax of one query row: scores[j] = exp(q·k_j/√dh − max) for the visible keys
 * j ∈ [from, p]; returns their sum (float64 throughout).
 */
function expScores(q: Float32Array, qBase: number, keys: Float32Array, kvh: number, kvHeads: number, headDim: number, from: number, p: number, scores: Float64Array): number {
  const scale = 1 / Math.sqrt(headDim);
  let max = -Infinity;
  for (let j = from; j <= p; j++) {
    const kBase = (j * kvHeads + kvh) * headDim;
    let dot = 0;
    for (let i = 0; i < headDim; i++) dot += q[qBase + i] * keys[kBase + i];
    scores[j] = dot * scale;
    if (scores[j] > max) max = scores[j];
  }
  let sum = 0;
  for (let j = from; j <= p; j++) {
    scores[j] = Math.exp(scores[j] - max);
    sum += scores[j];
  }
  return sum;
}

/**
 * Writes the probabilities into pattern [H, T, Tk] (Tk = startPos + T; masked entries are 0).
 * q: [T, H, dh]; keys: [≥Tk, Hkv, dh].
 */
export function attentionPattern(q: Float32Array, keys: Float32Array, shape: AttentionShape, pattern: Float32Array): void {
  const { tokens, startPos, heads, kvHeads, headDim } = shape;
  const keyCount = startPos + tokens;
  const group = heads / kvHeads;
  const scores = new Float64Array(keyCount);
  pattern.fill(0);
  for (let h = 0; h < heads; h++) {
    const kvh = Math.floor(h / group);
    for (let t = 0; t < tokens; t++) {
      const p = startPos + t;
      const row = (h * tokens + t) * keyCount;
      const qBase = (t * heads + h) * headDim;
      const from = firstKey(p, shape.slidingWindow);
      const sum = expScores(q, qBase, keys, kvh, kvHeads, headDim, from, p, scores);
      for (let j = from; j <= p; j++) pattern[row + j] = scores[j] / sum;
    }
  }
}

/** z [T, H, dh] = pattern [H, T, Tk] · values [Tk, Hkv, dh]. */
export function applyPattern(pattern: Float32Array, values: Float32Array, shape: AttentionShape, z: Float32Array): void {
  const { tokens, startPos, heads, kvHeads, headDim } = shape;
  const keyCount = startPos + tokens;
  const group = heads / kvHeads;
  const acc = new Float64Array(headDim);
  for (let h = 0; h < heads; h++) {
    const kvh = Math.floor(h / group);
    for (let t = 0; t < tokens; t++) {
      const row = (h * tokens + t) * keyCount;
      acc.fill(0);
      for (let j = 0; j < keyCount; j++) {
        const w = pattern[row + j];
        if (w === 0) continue;
        const vBase = (j * kvHeads + kvh) * headDim;
        for (let i = 0; i < headDim; i++) acc[i] += w * values[vBase + i];
      }
      const zBase = (t * heads + h) * headDim;
      for (let i = 0; i < headDim; i++) z[zBase + i] = acc[i];
    }
  }
}

/**
 * Fused attention without materialising the pattern: one query row at a time.
 * Same numbers as attentionPattern + applyPattern, less memory.
 */
export function attention(q: Float32Array, keys: Float32Array, values: Float32Array, shape: AttentionShape, z: Float32Array): void {
  const { tokens, startPos, heads, kvHeads, headDim } = shape;
  const keyCount = startPos + tokens;
  const group = heads / kvHeads;
  const scores = new Float64Array(keyCount);
  const acc = new Float64Array(headDim);
  for (let h = 0; h < heads; h++) {
    const kvh = Math.floor(h / group);
    for (let t = 0; t < tokens; t++) {
      const p = startPos + t;
      const qBase = (t * heads + h) * headDim;
      const from = firstKey(p, shape.slidingWindow);
      const sum = expScores(q, qBase, keys, kvh, kvHeads, headDim, from, p, scores);
      acc.fill(0);
      for (let j = from; j <= p; j++) {
        // Round the probability to f32 as the materialised pattern does, so both paths agree exactly.
        const w = Math.fround(scores[j] / sum);
        const vBase = (j * kvHeads + kvh) * headDim;
        for (let i = 0; i < headDim; i++) acc[i] += w * values[vBase + i];
      }
      const zBase = (t * heads + h) * headDim;
      for (let i = 0; i < headDim; i++) z[zBase + i] = acc[i];
    }
  }
}
