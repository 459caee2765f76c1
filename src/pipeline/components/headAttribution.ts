/**
 * Head importance from cached values (DESIGN.md §3 step 4). Zeroing head h in `attn.hook_z` changes
 * only that layer's o_proj output, by −W_o[:, h]·z_h, so
 *   s_h = ⟨RMSNorm(resid_mid − W_o[:, h]·z_h) · g, v⟩
 * needs O(d·dh) work per head — linear in heads, with no forward pass.
 */
export interface HeadAttributionInput {
  residMid: Float32Array; //  [d]       resid_mid at the last token
  z: Float32Array; //         [H·dh]    attn.hook_z at the last token
  oWeight: Float32Array; //   [d, H·dh] o_proj weight (HF layout)
  gain: Float32Array; //      [d]       post_attention_layernorm weight
  eps: number;
  direction: Float32Array; // [d]       v_e at the attention site
  heads: number;
}

/** s = ⟨RMSNorm(x)·g, v⟩ in float64. */
export function normedProjection(x: ArrayLike<number>, gain: ArrayLike<number>, eps: number, direction: ArrayLike<number>): number {
  const d = x.length;
  let sumSquares = 0;
  let dot = 0;
  for (let i = 0; i < d; i++) {
    sumSquares += x[i] * x[i];
    dot += x[i] * gain[i] * direction[i];
  }
  return dot / Math.sqrt(sumSquares / d + eps);
}

/** Per-head output written into the residual: out[h, i] = Σ_j W_o[i, h·dh + j] · z[h·dh + j]. [H, d] */
export function headOutputs(z: Float32Array, oWeight: Float32Array, d: number, heads: number): Float64Array {
  const width = z.length;
  const dh = width / heads;
  const out = new Float64Array(heads * d);
  for (let i = 0; i < d; i++) {
    const row = i * width;
    for (let h = 0; h < heads; h++) {
      let sum = 0;
      for (let j = h * dh; j < (h + 1) * dh; j++) sum += oWeight[row + j] * z[j];
      out[h * d + i] = sum;
    }
  }
  return out;
}

/** For each head h: s − s_h (positive = the head pushes the representation along v). [H] */
export function headImportances(input: HeadAttributionInput): Float64Array {
  const { residMid, z, oWeight, gain, eps, direction, heads } = input;
  const d = residMid.length;
  const base = normedProjection(residMid, gain, eps, direction);
  const outputs = headOutputs(z, oWeight, d, heads);
  const ablated = new Float64Array(d);
  const importances = new Float64Array(heads);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < d; i++) ablated[i] = residMid[i] - outputs[h * d + i];
    importances[h] = base - normedProjection(ablated, gain, eps, direction);
  }
  return importances;
}
