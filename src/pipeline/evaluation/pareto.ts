/** The accuracy–fluency Pareto front of sweep settings: higher accuracy and lower perplexity are better. */

export interface FrontPoint {
  readonly accuracy: number;
  /** Perplexity under the unsteered model; null (no tokens) counts as worst. */
  readonly perplexity: number | null;
}

/** For each point, whether no other point is at least as good on both axes and better on one. */
export function paretoFront(points: readonly FrontPoint[]): boolean[] {
  const ppl = (p: FrontPoint): number => p.perplexity ?? Infinity;
  return points.map((a) => !points.some((b) => b.accuracy >= a.accuracy && ppl(b) <= ppl(a) && (b.accuracy > a.accuracy || ppl(b) < ppl(a))));
}

/**
 * The setting to use: among front points whose perplexity is at most `maxPerplexity`, the most
 * accurate (ties: lower perplexity, then the earlier point); if none qualifies, the front point with
 * the lowest perplexity. Returns an index into `points`, or null when there are none.
 */
export function chooseSetting(points: readonly FrontPoint[], maxPerplexity: number): number | null {
  const front = paretoFront(points);
  const ppl = (i: number): number => points[i].perplexity ?? Infinity;
  const candidates = points.map((_, i) => i).filter((i) => front[i]);
  if (candidates.length === 0) return null;
  const fluent = candidates.filter((i) => ppl(i) <= maxPerplexity);
  if (fluent.length > 0) return fluent.reduce((best, i) => (points[i].accuracy > points[best].accuracy || (points[i].accuracy === points[best].accuracy && ppl(i) < ppl(best)) ? i : best));
  return candidates.reduce((best, i) => (ppl(i) < ppl(best) ? i : best));
}
