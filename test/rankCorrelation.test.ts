/**
 * Spearman's ρ against hand-worked examples, ties included (average ranks, then the Pearson
 * correlation of the ranks — not 1 − 6Σd²/(n(n²−1)), which is wrong with ties).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageRanks, spearman } from '../src/pipeline/attribution/rankCorrelation.js';

test('average ranks share tied places', () => {
  // sorted: -1 (1), 0.5 0.5 0.5 (2, 3, 4 → 3), 2 (5), 7 7 (6, 7 → 6.5)
  assert.deepEqual(Array.from(averageRanks([0.5, 7, -1, 0.5, 2, 7, 0.5])), [3, 6.5, 1, 3, 5, 6.5, 3]);
});

test('ρ with a tie, worked by hand', () => {
  // x = [1, 2, 2, 3] → ranks [1, 2.5, 2.5, 4]; y = [10, 30, 20, 40] → ranks [1, 3, 2, 4]; mean rank 2.5.
  // deviations: x [−1.5, 0, 0, 1.5], y [−1.5, 0.5, −0.5, 1.5]
  // Σ dx·dy = 2.25 + 0 + 0 + 2.25 = 4.5; Σ dx² = 4.5; Σ dy² = 5 → ρ = 4.5 / √(4.5·5) = √0.9
  // (the no-ties shortcut would give 1 − 6·0.5/(4·15) = 0.95)
  assert.ok(Math.abs(spearman([1, 2, 2, 3], [10, 30, 20, 40]) - Math.sqrt(0.9)) < 1e-12);
  assert.ok(Math.abs(spearman([10, 30, 20, 40], [1, 2, 2, 3]) - Math.sqrt(0.9)) < 1e-12);
});

test('ρ without ties, worked by hand; monotone maps give ±1', () => {
  // ranks x [1, 2, 3, 4, 5], y [2, 1, 4, 3, 5]: d² = 1+1+1+1+0 = 4 → 1 − 6·4/(5·24) = 0.8
  assert.ok(Math.abs(spearman([0.1, 0.2, 0.3, 0.4, 0.5], [-3, -7, 8, 2, 100]) - 0.8) < 1e-12);
  assert.equal(spearman([1, 5, 2, 9], [1, 125, 8, 729]), 1);
  assert.equal(spearman([1, 5, 2, 9], [-1, -5, -2, -9]), -1);
});

test('ρ is undefined for constant samples or fewer than two pairs, and needs equal lengths', () => {
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  assert.ok(Number.isNaN(spearman([4], [2])));
  assert.throws(() => spearman([1, 2], [1, 2, 3]), RangeError);
});
