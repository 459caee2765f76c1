/**
 * v_ref (DESIGN.md §3 step 6): the normalised sum of an emotion's MLP-site directions over the layers
 * at about 75–90 % depth — a stable read-out of "how much emotion e the final representation carries".
 */
import type { SiteDirections } from './directionSet.js';

/**
 * Layers l whose depth (l+1)/L lies in [0.75, 0.9]; when none does (shallow models), the single
 * layer whose depth is nearest 0.825.
 */
export function referenceLayers(layers: number): number[] {
  const picked = Array.from({ length: layers }, (_, l) => l).filter((l) => (l + 1) / layers >= 0.75 && (l + 1) / layers <= 0.9);
  if (picked.length > 0) return picked;
  let best = 0;
  for (let l = 1; l < layers; l++) if (Math.abs((l + 1) / layers - 0.825) < Math.abs((best + 1) / layers - 0.825)) best = l;
  return [best];
}

/** v_ref for emotion index e: [d], unit norm (zero if the directions are all zero). */
export function referenceDirection(site: SiteDirections, e: number): Float32Array {
  const { layers, width } = site;
  const sum = new Float64Array(width);
  for (const l of referenceLayers(layers)) {
    const start = (e * layers + l) * width;
    for (let i = 0; i < width; i++) sum[i] += site.directions[start + i];
  }
  let norm = 0;
  for (const x of sum) norm += x * x;
  norm = Math.sqrt(norm);
  return Float32Array.from(sum, (x) => (norm > 0 ? x / norm : 0));
}
