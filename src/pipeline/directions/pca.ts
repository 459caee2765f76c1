/**
 * A small PCA for plots: the top k principal axes of n points in d dimensions by power iteration
 * with deflation on XᵀX (X centred), never forming the d×d covariance. Float64 throughout.
 *
 * @example
 * const pca = fitPca(points, n, d, { components: 2, seed: 0 });
 * const [x, y] = projectPoint(pca, points.subarray(0, d));
 */
import { seededRandom } from '../../random.js';

export interface Pca {
  readonly dim: number;
  /** Column means that were subtracted [d]. */
  readonly mean: Float64Array;
  /** Unit-norm, mutually orthogonal axes, [k][d]; sign fixed so the largest-|·| entry is positive. */
  readonly components: Float64Array[];
  /** Variance along each axis (eigenvalues of the covariance, divisor n), [k]. */
  readonly variances: number[];
  /** Total variance (trace of the covariance), so variances[i] / totalVariance is the explained share. */
  readonly totalVariance: number;
}

export interface PcaOptions {
  components?: number;
  seed?: number;
  /** Stop when 1 − |cos(v, v_prev)| falls below this. Default 1e-9 (plenty for plot coordinates). */
  tolerance?: number;
  /** Cap per axis. Default 300: with nearly equal eigenvalues the axes converge slowly, but the
   *  plane they span (what a 2-D plot shows) is found early. */
  maxIterations?: number;
}

/** Fits PCA to the rows of `points` [n, d]. */
export function fitPca(points: ArrayLike<number>, n: number, d: number, options: PcaOptions = {}): Pca {
  if (points.length !== n * d) throw new RangeError(`fitPca: ${points.length} values are not ${n}×${d}`);
  const k = Math.min(options.components ?? 2, d);
  const tolerance = options.tolerance ?? 1e-9;
  const maxIterations = options.maxIterations ?? 300;
  const random = seededRandom(options.seed ?? 0);

  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += points[r * d + j];
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  const x = new Float64Array(n * d); // [n, d] centred
  let total = 0;
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < d; j++) {
      const value = points[r * d + j] - mean[j];
      x[r * d + j] = value;
      total += value * value;
    }
  }
  const totalVariance = total / Math.max(n, 1);

  const components: Float64Array[] = [];
  const variances: number[] = [];
  const xv = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    let v = new Float64Array(d).map(() => random() - 0.5);
    orthogonalise(v, components);
    normalise(v);
    let lambda = 0;
    for (let iter = 0; iter < maxIterations; iter++) {
      // w = Xᵀ X v / n, then deflate against the axes already found.
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += x[r * d + j] * v[j];
        xv[r] = s;
      }
      const w = new Float64Array(d);
      for (let r = 0; r < n; r++) {
        const s = xv[r];
        if (s !== 0) for (let j = 0; j < d; j++) w[j] += x[r * d + j] * s;
      }
      for (let j = 0; j < d; j++) w[j] /= Math.max(n, 1);
      orthogonalise(w, components);
      lambda = normalise(w);
      if (lambda === 0) break; // no variance left in the complement: any unit vector will do
      let cos = 0;
      for (let j = 0; j < d; j++) cos += w[j] * v[j];
      v = w;
      if (1 - Math.abs(cos) < tolerance) break;
    }
    if (lambda === 0) {
      // Keep an orthonormal (if meaningless) axis so the output always has k rows.
      orthogonalise(v, components);
      normalise(v);
    }
    fixSign(v);
    components.push(v);
    variances.push(lambda);
  }
  return { dim: d, mean, components, variances, totalVariance };
}

/** Coordinates of one point [d] on the fitted axes: [k]. */
export function projectPoint(pca: Pca, point: ArrayLike<number>): number[] {
  return pca.components.map((axis) => {
    let s = 0;
    for (let j = 0; j < pca.dim; j++) s += (point[j] - pca.mean[j]) * axis[j];
    return s;
  });
}

/** Coordinates of a direction [d] on the fitted axes (no mean subtracted): [k]. */
export function projectDirection(pca: Pca, direction: ArrayLike<number>): number[] {
  return pca.components.map((axis) => {
    let s = 0;
    for (let j = 0; j < pca.dim; j++) s += direction[j] * axis[j];
    return s;
  });
}

function orthogonalise(v: Float64Array, basis: readonly Float64Array[]): void {
  for (const u of basis) {
    let dot = 0;
    for (let j = 0; j < v.length; j++) dot += v[j] * u[j];
    for (let j = 0; j < v.length; j++) v[j] -= dot * u[j];
  }
}

/** Scales v to unit norm in place; returns its former norm. */
function normalise(v: Float64Array): number {
  let s = 0;
  for (let j = 0; j < v.length; j++) s += v[j] * v[j];
  const norm = Math.sqrt(s);
  if (norm > 0) for (let j = 0; j < v.length; j++) v[j] /= norm;
  return norm;
}

function fixSign(v: Float64Array): void {
  let best = 0;
  for (let j = 1; j < v.length; j++) if (Math.abs(v[j]) > Math.abs(v[best])) best = j;
  if (v[best] < 0) for (let j = 0; j < v.length; j++) v[j] = -v[j];
}
