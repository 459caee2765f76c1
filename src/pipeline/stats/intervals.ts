/**
 * Confidence intervals of a mean for the statistics the pipeline reports: Student-t intervals
 * (exact for normal data, the default for per-prompt effects), a seeded percentile bootstrap (no
 * normality assumption), and paired differences (two measurements of the same prompts).
 *
 * @example
 * const margin = meanInterval(pairedDifferences(randomChange, topChange)); // per prompt, then t
 * if (margin.low > 0) console.log('top-k beats random-k on these prompts');
 */
import { seededRandom } from '../../random.js';
import { studentTQuantile } from './studentT.js';

/** A mean with a two-sided interval at `level`. n = number of independent values it rests on. */
export interface MeanInterval {
  mean: number;
  low: number;
  high: number;
  n: number;
}

function checkValues(values: ArrayLike<number>, what: string): void {
  if (values.length === 0) throw new RangeError(`${what}: no values`);
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) throw new RangeError(`${what}: value ${i} is ${values[i]}`);
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** Sample standard deviation (divisor n − 1); 0 for a single value. */
export function sampleStd(values: ArrayLike<number>): number {
  const n = values.length;
  if (n < 2) return 0;
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/**
 * mean ± t_{(1+level)/2, n−1} · s/√n. With a single value the interval is the point itself (no
 * spread can be estimated; n = 1 says so).
 */
export function meanInterval(values: ArrayLike<number>, level = 0.95): MeanInterval {
  checkValues(values, 'meanInterval');
  const n = values.length;
  const m = mean(values);
  const half = n > 1 ? studentTQuantile((1 + level) / 2, n - 1) * (sampleStd(values) / Math.sqrt(n)) : 0;
  return { mean: m, low: m - half, high: m + half, n };
}

/**
 * Percentile bootstrap interval of the mean: `resamples` seeded resamples with replacement; the
 * interval is the (1−level)/2 and (1+level)/2 quantiles of the resampled means. Deterministic for a seed.
 */
export function bootstrapInterval(values: ArrayLike<number>, options: { level?: number; resamples?: number; seed?: number } = {}): MeanInterval {
  checkValues(values, 'bootstrapInterval');
  const level = options.level ?? 0.95;
  const resamples = options.resamples ?? 2000;
  const random = seededRandom(options.seed ?? 0);
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)];
    means[b] = sum / n;
  }
  means.sort();
  return { mean: mean(values), low: quantileOfSorted(means, (1 - level) / 2), high: quantileOfSorted(means, (1 + level) / 2), n };
}

/** Linear-interpolation quantile (type 7) of ascending `sorted`. */
export function quantileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const position = p * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

/** a[i] − b[i] for two measurements of the same units (prompts); the lengths must agree. */
export function pairedDifferences(a: ArrayLike<number>, b: ArrayLike<number>): number[] {
  if (a.length !== b.length) throw new RangeError(`pairedDifferences: ${a.length} values against ${b.length}; pairs need the same units`);
  return Array.from({ length: a.length }, (_, i) => a[i] - b[i]);
}

/**
 * Per-unit mean over repeated measurements: rows[r][i] is draw r of unit i → [units]. Used to
 * average the random-k draws of each prompt before any interval, so that draws (which share the
 * prompts) never count as independent observations.
 */
export function meanOverDraws(rows: readonly ArrayLike<number>[]): number[] {
  if (rows.length === 0) throw new RangeError('meanOverDraws: no draws');
  const units = rows[0].length;
  if (rows.some((r) => r.length !== units)) throw new RangeError('meanOverDraws: draws measure different numbers of units');
  return Array.from({ length: units }, (_, i) => rows.reduce((s, r) => s + r[i], 0) / rows.length);
}

/**
 * Whether two intervals share at least one point (closed intervals: touching ends overlap). Two
 * figures "separate" only when their intervals do not overlap, a stricter test than a paired
 * difference whose interval excludes 0.
 */
export function intervalsOverlap(a: { low: number; high: number }, b: { low: number; high: number }): boolean {
  return a.low <= b.high && b.low <= a.high;
}

/**
 * The verdict of a paired difference interval (first minus second): `above` when it lies above 0,
 * `below` when below, else 'neither'.
 */
export function pairedVerdict<L extends string>(difference: { low: number; high: number }, above: L, below: L): L | 'neither' {
  return difference.low > 0 ? above : difference.high < 0 ? below : 'neither';
}

/** Whether `a` separates from `b`: their intervals do not overlap and a's estimate is the higher. */
export function separatedAbove(a: { low: number; high: number }, aEstimate: number, b: { low: number; high: number }, bEstimate: number): boolean {
  return !intervalsOverlap(a, b) && aEstimate > bEstimate;
}
