/**
 * The model-vs-twin comparisons on numbers written out here: circuit modulation accuracy
 * (evaluation.json → twin: paired difference over the same prompts, overlap verdict, statements),
 * the directions figures (consistency.json → twin: each one's t interval and overlap) and the
 * interval overlap rule itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layerStatement, paired, separates } from '../src/pipeline/directions/twinComparison.js';
import { DEFAULT_BOOTSTRAP } from '../src/pipeline/evaluation/bootstrap.js';
import { compareArmsWithTwin } from '../src/pipeline/evaluation/evaluationTwin.js';
import type { GenerationRecord } from '../src/pipeline/evaluation/records.js';
import { intervalsOverlap } from '../src/pipeline/stats/intervals.js';
import { twinScenarioLimit } from '../src/pipeline/twin/twinEvaluation.js';

const CIRCUIT = 'circuit(lambda=circuit)';

/** One judged text: only the fields the comparison reads are meaningful. */
function record(arm: string, method: GenerationRecord['method'], prompt: number, hit: boolean, emotion: GenerationRecord['emotion'] = 'anger'): GenerationRecord {
  return {
    key: `${arm}|${emotion}|${prompt}`, generationKey: `${arm}|${emotion}|${prompt}`, arm, method, seed: null, emotion, valence: 'negative',
    skeletonId: `s${prompt}`, theme: 't', promptKind: 'uninstructed', prompt: '', settings: { arm: { method: 'none' }, decoding: {} as never },
    text: '', newTokens: 1, stopReason: 'length', nll: 0, nllTokens: 1, judge: 'test', verdict: { target: emotion, match: hit } as never,
  };
}

const records = (arm: string, method: GenerationRecord['method'], hits: readonly number[]): GenerationRecord[] => hits.map((h, i) => record(arm, method, i, h === 1));

test('intervals overlap when they share a point, in either order', () => {
  assert.equal(intervalsOverlap({ low: 0, high: 1 }, { low: 1, high: 2 }), true);
  assert.equal(intervalsOverlap({ low: 1, high: 2 }, { low: 0, high: 1 }), true);
  assert.equal(intervalsOverlap({ low: 0, high: 1 }, { low: 1.01, high: 2 }), false);
  assert.equal(intervalsOverlap({ low: 1.01, high: 2 }, { low: 0, high: 1 }), false);
  assert.equal(intervalsOverlap({ low: 0, high: 3 }, { low: 1, high: 2 }), true);
});

test('a model that hits every prompt where its twin hits none separates from it; unmatched prompts and arms are left out', () => {
  const model = [...records(CIRCUIT, 'circuit', [1, 1, 1, 1, 1]), ...records('prompt', 'prompt', [1, 1, 1, 1])];
  const twin = records(CIRCUIT, 'circuit', [0, 0, 0, 0]); // prompt 4 was not judged on the twin
  const report = compareArmsWithTwin(model, twin, DEFAULT_BOOTSTRAP);
  assert.deepEqual(report.arms.map((a) => a.arm), [CIRCUIT]);
  const [c] = report.arms;
  assert.equal(c.prompts, 4);
  assert.deepEqual([c.model.rate, c.model.low, c.model.high, c.model.n], [1, 1, 1, 4]);
  assert.deepEqual([c.twin.rate, c.twin.low, c.twin.high], [0, 0, 0]);
  assert.deepEqual([c.difference.mean, c.difference.low, c.difference.high, c.difference.n], [1, 1, 1, 4]);
  assert.equal(c.better, 'model');
  assert.equal(c.overlap, false);
  assert.equal(c.separated, true);
  assert.equal(c.role, 'steering');
  const reversed = compareArmsWithTwin(twin, model, DEFAULT_BOOTSTRAP).arms[0];
  assert.deepEqual([reversed.better, reversed.overlap, reversed.separated], ['twin', false, false], 'the twin higher with separate intervals is no separation');
  assert.deepEqual(report.statements, [
    `${CIRCUIT}: the model beats its random-weight twin and the intervals do not overlap (model 100.0 % [100.0, 100.0] vs twin 0.0 % [0.0, 0.0] on 4 prompts; paired difference +100.0 points [100.0, 100.0])`,
  ]);
});

test('the difference is paired by prompt: equal rates on different prompts give a difference interval around 0 and overlapping intervals', () => {
  const model = records(CIRCUIT, 'circuit', [1, 0, 1, 0, 1, 0, 1, 0]);
  const twin = records(CIRCUIT, 'circuit', [0, 1, 0, 1, 0, 1, 0, 1]);
  const [c] = compareArmsWithTwin(model, twin, DEFAULT_BOOTSTRAP).arms;
  assert.equal(c.model.rate, 0.5);
  assert.equal(c.twin.rate, 0.5);
  // Per-prompt differences are +1, −1, +1, …: mean 0, and the bootstrap interval lies within [−1, 1] around it.
  assert.equal(c.difference.mean, 0);
  assert.ok(c.difference.low < 0 && c.difference.high > 0 && c.difference.low >= -1 && c.difference.high <= 1, JSON.stringify(c.difference));
  assert.equal(c.better, 'neither');
  assert.equal(c.overlap, true);
  assert.equal(c.separated, false);
  assert.match(compareArmsWithTwin(model, twin, DEFAULT_BOOTSTRAP).statements[0], /the model does NOT beat its random-weight twin \(model 50\.0 % /);
});

test('a paired difference above 0 with overlapping intervals is not a separation; the unsteered arm is a baseline without a statement', () => {
  // 20 prompts: the model hits 12, the twin 6, every twin hit also a model hit → differences: six 1s, fourteen 0s.
  const modelHits = Array.from({ length: 20 }, (_, i) => (i < 12 ? 1 : 0));
  const twinHits = Array.from({ length: 20 }, (_, i) => (i < 6 ? 1 : 0));
  const model = [...records('none', 'none', modelHits.map(() => 0)), ...records(CIRCUIT, 'circuit', modelHits)];
  const twin = [...records('none', 'none', modelHits.map(() => 0)), ...records(CIRCUIT, 'circuit', twinHits)];
  const report = compareArmsWithTwin(model, twin, DEFAULT_BOOTSTRAP);
  assert.deepEqual(report.arms.map((a) => [a.arm, a.role]), [['none', 'baseline'], [CIRCUIT, 'steering']]);
  const c = report.arms[1];
  assert.equal(c.model.rate, 0.6);
  assert.equal(c.twin.rate, 0.3);
  assert.ok(Math.abs(c.difference.mean - 0.3) < 1e-12);
  // Binomial standard errors ≈ 0.11 (model), 0.10 (twin), 0.10 (difference): the difference
  // interval stays above 0 while the model's [≈0.4, ≈0.8] and the twin's [≈0.1, ≈0.5] overlap.
  assert.ok(c.difference.low > 0, JSON.stringify(c.difference));
  assert.ok(c.model.low < c.twin.high, `${JSON.stringify(c.model)} vs ${JSON.stringify(c.twin)}`);
  assert.equal(c.better, 'model');
  assert.equal(c.overlap, true);
  assert.equal(c.separated, false);
  assert.equal(report.statements.length, 1);
  assert.match(report.statements[0], /above its random-weight twin on the same prompts \(paired interval above 0\) but the intervals overlap, so it does NOT beat/);
});

test('directions: each figure gets its own t interval, and the overlap verdict is stricter than the paired one', () => {
  // model [3, 4, 5]: mean 4, s = 1; twin [0, 0.5, 1]: mean 0.5, s = 0.5; t_{0.975, 2} = 4.302653.
  const f = paired([3, 4, 5], [0, 0.5, 1]);
  const half = (s: number): number => (4.302653 * s) / Math.sqrt(3);
  const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-5, `${a} vs ${b}`);
  near(f.modelInterval.low, 4 - half(1)); // 1.51586
  near(f.twinInterval.high, 0.5 + half(0.5)); // 1.74207
  near(f.difference.low, 3.5 - half(0.5)); // differences [3, 3.5, 4]
  assert.equal(f.better, 'model');
  assert.equal(f.overlap, true, 'model low 1.516 < twin high 1.742');
  assert.equal(separates(f), false);
  const g = paired([3, 4, 5], [0, 0.1, 0.2]); // twin high 0.1 + 4.302653·0.1/√3 = 0.348
  assert.equal(g.overlap, false);
  assert.equal(separates(g), true);
  assert.match(layerStatement('mlp valenceGap', [{ layer: 0, figure: f }, { layer: 1, figure: g }]),
    /^mlp valenceGap: the model beats its random-weight twin at layer\(s\) 0, 1 \(paired interval above 0\); their intervals do not overlap at layer\(s\) 1 \(L0 4\.000 \[1\.516, 6\.484\] vs 0\.500 \[-0\.742, 1\.742\], L1/);
  assert.match(layerStatement('attn groupCentred', [{ layer: 0, figure: paired([0, 0.5, 1], [3, 4, 5]) }]),
    /the model does NOT beat its random-weight twin at any layer; their intervals overlap \(or the twin is higher\) at every layer/);
});

test('the twin runs on --twin-limit scenarios per theme, never more than the model', () => {
  assert.equal(twinScenarioLimit(undefined, undefined), undefined);
  assert.equal(twinScenarioLimit(undefined, 3), 3);
  assert.equal(twinScenarioLimit(2, undefined), 2);
  assert.equal(twinScenarioLimit(2, 5), 2);
  assert.equal(twinScenarioLimit(4, 1), 1);
});
