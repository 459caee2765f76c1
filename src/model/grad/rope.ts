/**
 * Rotary position embeddings for training, in the HF rotate_half layout (dimension i pairs with
 * i + dh/2), with the same float64 frequencies as the inference engine (model/rope.ts).
 * Forward rotates by +angle, backward by −angle (a rotation's transpose is its inverse).
 */
import type { Floats } from './matmul.js';

/** cos/sin tables [positions, dh/2], float64. */
export interface RopeTables {
  readonly positions: number;
  readonly half: number;
  readonly cos: Float64Array;
  readonly sin: Float64Array;
}

/** Tables for positions [0, positions) from inverse frequencies (model/rope.ts inverseFrequencies). */
export function ropeTables(invFreq: Float64Array, positions: number): RopeTables {
  const half = invFreq.length;
  const cos = new Float64Array(positions * half);
  const sin = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      cos[p * half + i] = Math.cos(p * invFreq[i]);
      sin[p * half + i] = Math.sin(p * invFreq[i]);
    }
  }
  return { positions, half, cos, sin };
}

/**
 * Rotates x [T, heads, dh] in place; row t is at position t. direction +1: forward
 * (x₁' = x₁c − x₂s, x₂' = x₂c + x₁s); −1: the backward pass (the transposed rotation applied to a gradient).
 */
export function ropeRotate(x: Floats, tokens: number, heads: number, tables: RopeTables, direction: 1 | -1): void {
  const half = tables.half;
  const dh = 2 * half;
  if (tokens > tables.positions) throw new RangeError(`rope: ${tokens} positions, the tables hold ${tables.positions}`);
  for (let t = 0; t < tokens; t++) {
    const table = t * half;
    for (let h = 0; h < heads; h++) {
      const base = (t * heads + h) * dh;
      for (let i = 0; i < half; i++) {
        const c = tables.cos[table + i];
        const s = direction * tables.sin[table + i];
        const x1 = x[base + i];
        const x2 = x[base + i + half];
        x[base + i] = x1 * c - x2 * s;
        x[base + i + half] = x2 * c + x1 * s;
      }
    }
  }
}
