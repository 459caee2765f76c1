/**
 * Validation statistics: distinct random draws, per-prompt averaging of the draws before any
 * interval (never pooling seeds × prompts), paired top-vs-random margins with t intervals, and the
 * real-vs-twin comparison. The reference numbers are written out here, not taken from the module.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomial, compareWithTwin, conditionSeed, conditionStatistics, distinctDraws, twinSummary, validationSummary } from '../src/pipeline/components/validationStatistics.js';

/** mean ± t·s/√n with the tabulated t_{0.975, n−1}. */
function tInterval(values: number[], t: number): { mean: number; low: number; high: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const s = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, low: mean - (t * s) / Math.sqrt(n), high: mean + (t * s) / Math.sqrt(n) };
}
const T_975_11 = 2.201; // 12 prompts
const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 2e-3 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('random draws are distinct unit sets; when fewer exist than seeds, all of them and the count', () => {
  assert.equal(binomial(4, 4), 1);
  assert.equal(binomial(10, 3), 120);
  assert.equal(binomial(384, 2), 73536);
  // Heads, k = 4 of 8: the complement of the top 4 is the only set.
  const only = distinctDraws([1, 3, 5, 7], 4, 3, 0);
  assert.deepEqual(only, { draws: [[1, 3, 5, 7]], possible: 1 });
  const few = distinctDraws([0, 1, 2, 4], 2, 10, 1);
  assert.equal(few.possible, 6);
  assert.equal(few.draws.length, 6);
  assert.equal(new Set(few.draws.map((d) => d.join())).size, 6);
  for (const seed of [0, 1, 2, 3]) {
    const many = distinctDraws(Array.from({ length: 6 }, (_, i) => i + 2), 2, 14, seed); // 15 possible
    assert.equal(many.draws.length, 14);
    assert.equal(new Set(many.draws.map((d) => d.join())).size, 14, 'no draw repeats');
    for (const d of many.draws) assert.ok(d.every((u) => u >= 2 && u < 8) && d[0] < d[1]);
  }
  assert.deepEqual(distinctDraws([0, 1, 2, 3, 4, 5, 6], 3, 3, 9), distinctDraws([0, 1, 2, 3, 4, 5, 6], 3, 3, 9), 'seeded');
  assert.notEqual(conditionSeed(0, ['anger', 'heads', 'ablate', 0, 1]), conditionSeed(0, ['anger', 'heads', 'ablate', 1, 0]));
});

test('random draws are averaged per prompt before the interval: n = prompts, t with n − 1 df (pooling would fail)', () => {
  const prompts = 12;
  const top = { site: Array.from({ length: prompts }, (_, i) => -1 - 0.1 * i + (i % 3) * 0.05), final: Array.from({ length: prompts }, (_, i) => 0.01 * i) };
  // Three seeds that drew the same (only) set: identical per-prompt values, as with heads k = 4 of 8.
  const draw = { site: Array.from({ length: prompts }, (_, i) => -0.2 - 0.1 * i + ((i * 7) % 5) * 0.03), final: Array.from({ length: prompts }, (_, i) => 0.02 * i) };
  const stats = conditionStatistics('ablate', top, [draw, draw, draw], [[4, 5, 6, 7]], 1, { site: [1, 2, 3], final: [0, 0, 0] });
  assert.equal(stats.random.site.n, prompts, 'one value per prompt, not seeds × prompts');
  const random = tInterval(draw.site, T_975_11);
  close(stats.random.site.low, random.low, 'random low');
  close(stats.random.site.high, random.high, 'random high');
  // Paired margin: random − top per prompt (ablation: positive = the top units lower s more).
  const margin = tInterval(draw.site.map((r, i) => r - top.site[i]), T_975_11);
  close(stats.margin.site.mean, margin.mean, 'margin mean');
  close(stats.margin.site.low, margin.low, 'margin low');
  close(stats.margin.site.high, margin.high, 'margin high');
  assert.equal(stats.margin.site.n, prompts);
  draw.site.forEach((r, i) => close(stats.promptMargins.site[i], r - top.site[i], `prompt ${i} margin`));

  // Different draws: the per-prompt mean over draws, then the interval.
  const other = { site: draw.site.map((v, i) => v + (i % 2 === 0 ? 0.4 : -0.1)), final: draw.final };
  const two = conditionStatistics('enhance', top, [draw, other], [[1], [2]], 5, draw);
  const perPrompt = draw.site.map((v, i) => (v + other.site[i]) / 2);
  const enhanceMargin = tInterval(top.site.map((t, i) => t - perPrompt[i]), T_975_11);
  close(two.margin.site.low, enhanceMargin.low, 'enhance margin low');
  close(two.margin.site.high, enhanceMargin.high, 'enhance margin high');
  assert.equal(two.random.site.n, prompts);
});

test('summary counts wins and significant wins from the paired margin', () => {
  const margin = (mean: number, low: number) => ({ site: { mean, low, high: mean + (mean - low), n: 12 } });
  const summary = validationSummary([
    { kind: 'heads', edit: 'ablate', ...{ margin: margin(0.5, 0.1) } },
    { kind: 'heads', edit: 'ablate', ...{ margin: margin(0.2, -0.1) } },
    { kind: 'heads', edit: 'ablate', ...{ margin: margin(-0.2, -0.5) } },
  ]);
  assert.deepEqual(summary['heads.ablate'], { wins: 2, significant: 1, total: 3 });
});

test('real vs twin: per-prompt margin differences on the same prompts, matched by condition, each in its own scale', () => {
  const key = { emotion: 'anger', kind: 'neurons' as const, edit: 'ablate' as const, layer: 1, k: 2 };
  const realMargins = [0.5, 0.7, 0.4, 0.9, 0.6, 0.8];
  const twinMargins = [0.1, 0.2, 0.0, 0.3, 0.1, 0.2];
  const unit = { site: 1, final: 1 };
  const [c] = compareWithTwin(
    [{ ...key, promptMargins: { site: realMargins, final: realMargins }, scale: { site: 2, final: 1 } }, { ...key, k: 4, promptMargins: { site: [1], final: [1] }, scale: unit }],
    [{ ...key, promptMargins: { site: twinMargins, final: twinMargins }, scale: { site: 0.5, final: 1 } }],
  );
  // Site margins in scale units: real / 2, twin / 0.5.
  const expected = tInterval(realMargins.map((r, i) => r / 2 - twinMargins[i] / 0.5), 2.571); // t_{0.975, 5}
  close(c.site.low, expected.low, 'low');
  close(c.site.high, expected.high, 'high');
  assert.equal(c.better, 'neither');
  const finalExpected = tInterval(realMargins.map((r, i) => r - twinMargins[i]), 2.571);
  close(c.final.low, finalExpected.low, 'final low');
  close(c.siteRaw.low, finalExpected.low, 'raw site margins, unscaled');
  const [better] = compareWithTwin([{ ...key, promptMargins: { site: realMargins, final: realMargins }, scale: unit }], [{ ...key, promptMargins: { site: twinMargins, final: twinMargins }, scale: unit }]);
  assert.equal(better.better, 'real');
  const [reverse] = compareWithTwin([{ ...key, promptMargins: { site: twinMargins, final: twinMargins }, scale: unit }], [{ ...key, promptMargins: { site: realMargins, final: realMargins }, scale: unit }]);
  assert.equal(reverse.better, 'twin');

  // Each model's own margin interval, and whether they overlap. Scaled: real/2 (mean 0.325) and
  // twin/0.5 (mean 0.3) overlap; unscaled: real [0.454, 0.846] and twin [0.040, 0.260] do not.
  close(c.realSite.low, tInterval(realMargins.map((r) => r / 2), 2.571).low, 'real site interval');
  close(c.twinSite.high, tInterval(twinMargins.map((t) => t / 0.5), 2.571).high, 'twin site interval');
  assert.equal(c.overlap, true);
  assert.equal(c.separated, false);
  close(better.realSite.low, 0.4536, 'real low');
  close(better.twinSite.high, 0.2601, 'twin high');
  assert.equal(better.overlap, false);
  assert.equal(better.separated, true);
  assert.equal(reverse.overlap, false);
  assert.equal(reverse.separated, false, 'no overlap, but the twin is higher');
  assert.deepEqual(twinSummary([c, better, reverse]), { 'neurons.ablate': { real: 1, twin: 1, neither: 1, separated: 1, total: 3 } });
});
