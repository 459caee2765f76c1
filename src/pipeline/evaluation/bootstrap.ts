/**
 * Seeded percentile bootstrap of a success rate over clusters (DESIGN.md §3 step 10). A cluster is
 * one prompt: its texts (one per random-circuit seed, or just one) are resampled together, so
 * repeated draws on the same prompt do not pass for independent evidence.
 */
import { seededRandom } from '../../random.js';
import { quantileOfSorted } from '../stats/intervals.js';

export interface RateInterval {
  /** Texts counted. */
  readonly n: number;
  readonly successes: number;
  /** successes / n (0 when n = 0). */
  readonly rate: number;
  /** Percentile bootstrap interval at `level`; [rate, rate] when there is one cluster or none. */
  readonly low: number;
  readonly high: number;
}

export interface BootstrapSettings {
  readonly resamples: number;
  readonly level: number;
  readonly seed: number;
}

export const DEFAULT_BOOTSTRAP: BootstrapSettings = { resamples: 1000, level: 0.95, seed: 0 };

/** A 32-bit seed for one cell, so each interval depends only on (seed, cell name), not on cell order. */
export function cellSeed(seed: number, cell: string): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < cell.length; i++) h = Math.imul(h ^ cell.charCodeAt(i), 0x01000193);
  return h | 0;
}

/**
 * Rate and interval of `clusters`, each a list of 0/1 outcomes. Resampling draws clusters with
 * replacement and takes the pooled rate.
 */
export function bootstrapRate(clusters: readonly (readonly number[])[], settings: BootstrapSettings = DEFAULT_BOOTSTRAP, cell = ''): RateInterval {
  const sums = clusters.map((c) => c.reduce((a, b) => a + b, 0));
  const counts = clusters.map((c) => c.length);
  const n = counts.reduce((a, b) => a + b, 0);
  const successes = sums.reduce((a, b) => a + b, 0);
  const rate = n === 0 ? 0 : successes / n;
  const k = clusters.length;
  if (k < 2) return { n, successes, rate, low: rate, high: rate };
  const random = seededRandom(cellSeed(settings.seed, cell));
  const rates = new Float64Array(settings.resamples);
  for (let b = 0; b < settings.resamples; b++) {
    let s = 0;
    let c = 0;
    for (let i = 0; i < k; i++) {
      const j = Math.floor(random() * k);
      s += sums[j];
      c += counts[j];
    }
    rates[b] = c === 0 ? 0 : s / c;
  }
  rates.sort();
  const tail = (1 - settings.level) / 2;
  return { n, successes, rate, low: quantileOfSorted(rates, tail), high: quantileOfSorted(rates, 1 - tail) };
}
