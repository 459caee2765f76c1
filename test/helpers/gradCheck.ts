/** Central finite differences in float64, for the gradient checks. */
import assert from 'node:assert/strict';

/** Random values in [−scale, scale), float64. */
export function randomF64(n: number, random: () => number, scale = 1): Float64Array {
  return Float64Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

/**
 * d f/d x[i] by the five-point central difference (error O(eps⁴)):
 * (8·(f(x + eps) − f(x − eps)) − (f(x + 2eps) − f(x − 2eps))) / 12eps; x is restored afterwards.
 */
export function numericGradientAt(f: () => number, x: Float64Array, i: number, eps = 1e-4): number {
  const saved = x[i];
  const at = (delta: number): number => {
    x[i] = saved + delta;
    return f();
  };
  const value = (8 * (at(eps) - at(-eps)) - (at(2 * eps) - at(-2 * eps))) / (12 * eps);
  x[i] = saved;
  return value;
}

/**
 * Asserts analytic[i] ≈ numeric at every index in `indices` (default all): |a − n| ≤ 1e-6·(|n| + 1e-3).
 * Returns the largest relative error seen.
 */
export function checkGradient(what: string, f: () => number, x: Float64Array, analytic: ArrayLike<number>, indices?: number[], eps = 1e-4): number {
  let worst = 0;
  const list = indices ?? Array.from({ length: x.length }, (_, i) => i);
  for (const i of list) {
    const numeric = numericGradientAt(f, x, i, eps);
    const err = Math.abs(analytic[i] - numeric) / (Math.abs(numeric) + 1e-3);
    worst = Math.max(worst, err);
    assert.ok(err <= 1e-6, `${what}[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`);
  }
  return worst;
}

/** Σ c·x (a linear readout: its gradient with respect to x is c). */
export function dot(c: ArrayLike<number>, x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += c[i] * x[i];
  return sum;
}
