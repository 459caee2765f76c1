/**
 * v_ref (DESIGN.md §3 step 6): a stable read-out of "how much emotion e the final representation
 * carries" — the normalised sum of the unit directions of BOTH sites (attention = resid_mid, MLP =
 * resid_post) over the layers at about 75–90 % depth, each sign-aligned to the first of them.
 * The order is the forward order: layer by layer, the attention site before the MLP site, so "the
 * first" is the attention-site direction of the first reference layer.
 */
import { DIRECTION_SITES, type DirectionSet } from './directionSet.js';

/**
 * Layers l whose depth (l+1)/L lies in [0.75, 0.9]. When none does (shallow models), the single
 * layer whose depth is nearest 0.825 among all but the last layer (a 2-layer model picks layer 0,
 * a 3-layer model layer 1); a 1-layer model has only layer 0.
 */
export function referenceLayers(layers: number): number[] {
  const picked = Array.from({ length: layers }, (_, l) => l).filter((l) => (l + 1) / layers >= 0.75 && (l + 1) / layers <= 0.9);
  if (picked.length > 0) return picked;
  const candidates = layers > 1 ? layers - 1 : 1;
  let best = 0;
  for (let l = 1; l < candidates; l++) if (Math.abs((l + 1) / layers - 0.825) < Math.abs((best + 1) / layers - 0.825)) best = l;
  return [best];
}

/** v_ref for emotion index e: [d], unit norm (zero if the directions are all zero). */
export function referenceDirection(set: DirectionSet, e: number): Float32Array {
  const { layers, width } = set.mlp;
  const sum = new Float64Array(width);
  let first: Float32Array | null = null;
  for (const l of referenceLayers(layers)) {
    for (const site of DIRECTION_SITES) {
      const start = (e * layers + l) * width;
      const direction = set[site].directions.subarray(start, start + width);
      first ??= direction;
      let dot = 0;
      for (let i = 0; i < width; i++) dot += direction[i] * first[i];
      const sign = dot < 0 ? -1 : 1;
      for (let i = 0; i < width; i++) sum[i] += sign * direction[i];
    }
  }
  let norm = 0;
  for (const x of sum) norm += x * x;
  norm = Math.sqrt(norm);
  return Float32Array.from(sum, (x) => (norm > 0 ? x / norm : 0));
}
