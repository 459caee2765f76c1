/**
 * Neuron contributions (DESIGN.md §3 step 3): neuron n of layer l writes a_n · W_down[:, n] into the
 * residual, so its direct contribution along v_e (MLP site) is a_n · β_n with β = W_downᵀ v_e.
 */

/** β = W_downᵀ v: W_down is [d, dff] (HF layout), v is [d] → β [dff]. */
export function downProjectionReadout(downWeight: Float32Array, direction: ArrayLike<number>, dff: number): Float64Array {
  const d = direction.length;
  const beta = new Float64Array(dff);
  for (let i = 0; i < d; i++) {
    const vi = direction[i];
    const row = i * dff;
    for (let n = 0; n < dff; n++) beta[n] += downWeight[row + n] * vi;
  }
  return beta;
}

/** contributions[n] = mean over samples of a[s, n] · β[n]; activations [samples, dff]. */
export function meanContributions(activations: Float32Array, samples: number, beta: Float64Array): Float64Array {
  const dff = beta.length;
  const out = new Float64Array(dff);
  for (let s = 0; s < samples; s++) for (let n = 0; n < dff; n++) out[n] += activations[s * dff + n];
  for (let n = 0; n < dff; n++) out[n] = (out[n] / samples) * beta[n];
  return out;
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, Math.min(k, values.length));
}
