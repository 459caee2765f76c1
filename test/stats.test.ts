/** The interval statistics against tabulated values and known distributions (coverage by simulation). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../src/random.js';
import { bootstrapInterval, meanInterval, meanOverDraws, pairedDifferences, pairedVerdict, quantileOfSorted, separatedAbove } from '../src/pipeline/stats/intervals.js';
import { logGamma, normalCdf, studentTCdf, studentTQuantile } from '../src/pipeline/stats/studentT.js';

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

test('t quantiles match the printed table (two-sided 90/95/99 %)', () => {
  // [p, df, value] from a standard t table (3 decimals).
  const table: Array<[number, number, number]> = [
    [0.975, 1, 12.706], [0.975, 2, 4.303], [0.975, 3, 3.182], [0.975, 5, 2.571], [0.975, 10, 2.228],
    [0.975, 11, 2.201], [0.975, 23, 2.069], [0.975, 30, 2.042], [0.975, 120, 1.980],
    [0.95, 1, 6.314], [0.95, 5, 2.015], [0.95, 20, 1.725],
    [0.995, 2, 9.925], [0.995, 10, 3.169], [0.995, 60, 2.660],
  ];
  for (const [p, df, value] of table) {
    const q = studentTQuantile(p, df);
    assert.ok(Math.abs(q - value) < 6e-4, `t_${p},${df} = ${q}, table ${value}`);
    assert.ok(Math.abs(studentTQuantile(1 - p, df) + value) < 6e-4, 'symmetric');
  }
  assert.ok(Math.abs(studentTQuantile(0.975, Infinity) - 1.95996) < 1e-4, 'normal limit');
  assert.equal(studentTQuantile(0.5, 7), 0);
});

test('t CDF: closed forms at 1 and 2 degrees of freedom; log Γ at known points', () => {
  for (const t of [-3, -0.5, 0, 0.7, 2, 10]) {
    // df = 1 is Cauchy: 1/2 + atan(t)/π. df = 2: 1/2 + t / (2 √(2 + t²)).
    assert.ok(Math.abs(studentTCdf(t, 1) - (0.5 + Math.atan(t) / Math.PI)) < 1e-12, `df 1, t ${t}`);
    assert.ok(Math.abs(studentTCdf(t, 2) - (0.5 + t / (2 * Math.sqrt(2 + t * t)))) < 1e-12, `df 2, t ${t}`);
  }
  assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
  assert.ok(Math.abs(logGamma(5) - Math.log(24)) < 1e-12);
  assert.ok(Math.abs(logGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
});

test('the t interval is mean ± t·s/√n, written out', () => {
  const values = [1.2, -0.3, 2.5, 0.8, 1.9, 0.1];
  const n = values.length;
  const m = values.reduce((a, b) => a + b, 0) / n;
  const s = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (n - 1));
  const half = 2.5706 * s / Math.sqrt(n); // t_{0.975, 5}
  const interval = meanInterval(values);
  assert.ok(Math.abs(interval.mean - m) < 1e-12);
  assert.ok(Math.abs(interval.high - (m + half)) < 1e-4 && Math.abs(interval.low - (m - half)) < 1e-4);
  assert.equal(interval.n, 6);
  assert.deepEqual(meanInterval([3]), { mean: 3, low: 3, high: 3, n: 1 });
  assert.throws(() => meanInterval([]), RangeError);
  assert.throws(() => meanInterval([1, Number.NaN]), RangeError);
});

test('coverage: 95 % t intervals cover the true mean ≈ 95 % of the time (n = 5 and 12); 1.96 with n = 5 does not', () => {
  const random = seededRandom(11);
  const trials = 4000;
  for (const n of [5, 12]) {
    let covered = 0;
    let coveredZ = 0;
    for (let k = 0; k < trials; k++) {
      const values = Array.from({ length: n }, () => 3 + 2 * gaussian(random));
      const interval = meanInterval(values);
      if (interval.low <= 3 && 3 <= interval.high) covered++;
      const zHalf = (1.96 * (interval.high - interval.mean)) / studentTQuantile(0.975, n - 1);
      if (Math.abs(interval.mean - 3) <= zHalf) coveredZ++;
    }
    // Binomial SE at 0.95 and 4000 trials ≈ 0.0034: 0.95 ± 0.012 is ±3.5 SE.
    assert.ok(Math.abs(covered / trials - 0.95) < 0.012, `t coverage at n = ${n}: ${covered / trials}`);
    if (n === 5) assert.ok(coveredZ / trials < 0.92, `the normal interval undercovers at n = 5: ${coveredZ / trials}`);
  }
});

test('coverage: 95 % percentile bootstrap ≈ 95 % on skewed (exponential) data with n = 40; deterministic per seed', () => {
  const random = seededRandom(5);
  const trials = 600;
  let covered = 0;
  for (let k = 0; k < trials; k++) {
    const values = Array.from({ length: 40 }, () => -Math.log(1 - random())); // mean 1
    const interval = bootstrapInterval(values, { resamples: 1000, seed: k });
    if (interval.low <= 1 && 1 <= interval.high) covered++;
  }
  // The percentile bootstrap undercovers a little on skewed data (≈ 0.93 at n = 40); SE ≈ 0.009.
  assert.ok(covered / trials > 0.9 && covered / trials < 0.975, `bootstrap coverage ${covered / trials}`);
  const values = [1, 4, 2, 8, 5, 7];
  assert.deepEqual(bootstrapInterval(values, { seed: 3 }), bootstrapInterval(values, { seed: 3 }));
  assert.notDeepEqual(bootstrapInterval(values, { seed: 3 }), bootstrapInterval(values, { seed: 4 }));
  assert.equal(quantileOfSorted([0, 10, 20], 0.25), 5);
});

test('paired intervals: coverage of the true difference, and far narrower than unpaired when prompts vary', () => {
  const random = seededRandom(21);
  const trials = 2000;
  const n = 12;
  let covered = 0;
  let pairedWidth = 0;
  let unpairedWidth = 0;
  for (let k = 0; k < trials; k++) {
    const prompt = Array.from({ length: n }, () => 5 * gaussian(random)); // shared per-prompt offsets
    const a = prompt.map((p) => p + 0.3 + 0.5 * gaussian(random));
    const b = prompt.map((p) => p + 0.5 * gaussian(random));
    const paired = meanInterval(pairedDifferences(a, b));
    if (paired.low <= 0.3 && 0.3 <= paired.high) covered++;
    pairedWidth += paired.high - paired.low;
    const ia = meanInterval(a);
    const ib = meanInterval(b);
    unpairedWidth += ia.high - ia.low + (ib.high - ib.low);
  }
  assert.ok(Math.abs(covered / trials - 0.95) < 0.015, `paired coverage ${covered / trials}`);
  assert.ok(pairedWidth < 0.25 * unpairedWidth, 'pairing removes the prompt offsets');
  assert.throws(() => pairedDifferences([1, 2], [1]), RangeError);
  assert.deepEqual(meanOverDraws([[1, 2, 3], [3, 4, 5]]), [2, 3, 4]);
});

test('pairedVerdict: the label of the side the difference interval lies on, else neither (0 itself is neither)', () => {
  assert.equal(pairedVerdict({ low: 0.01, high: 0.5 }, 'model', 'twin'), 'model');
  assert.equal(pairedVerdict({ low: -0.5, high: -0.01 }, 'model', 'twin'), 'twin');
  assert.equal(pairedVerdict({ low: -0.1, high: 0.1 }, 'real', 'twin'), 'neither');
  assert.equal(pairedVerdict({ low: 0, high: 0.1 }, 'real', 'twin'), 'neither');
  assert.equal(pairedVerdict({ low: -0.1, high: 0 }, 'real', 'twin'), 'neither');
});

test('separatedAbove: intervals apart and the first estimate higher; touching intervals overlap', () => {
  assert.equal(separatedAbove({ low: 0.6, high: 0.9 }, 0.75, { low: 0.1, high: 0.5 }, 0.3), true);
  assert.equal(separatedAbove({ low: 0.1, high: 0.5 }, 0.3, { low: 0.6, high: 0.9 }, 0.75), false); // apart, but lower
  assert.equal(separatedAbove({ low: 0.5, high: 0.9 }, 0.75, { low: 0.1, high: 0.5 }, 0.3), false); // they touch at 0.5
  assert.equal(separatedAbove({ low: 0.4, high: 0.9 }, 0.75, { low: 0.1, high: 0.5 }, 0.3), false);
});
