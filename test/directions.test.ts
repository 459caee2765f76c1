import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  centredEmotionMeans, centreWithinGroups, cosine, EMOTION_COUNT, nearestDirectionAccuracy, rowsByGroup,
  shuffleEmotionsWithinGroups, unitDirections, type RowLabels, type SiteActivations,
} from '../src/pipeline/directions/directions.js';
import { fitPca, projectPoint } from '../src/pipeline/directions/pca.js';
import { valenceGaps } from '../src/pipeline/directions/valenceAlignment.js';
import { seededRandom } from '../src/random.js';
import { hashJson, writeJsonAtomic } from '../src/pipeline/run/atomicWrite.js';
import { RunFolder } from '../src/pipeline/run/runStore.js';
import { limitPerTheme } from '../src/pipeline/directions/directionsRun.js';
import { formatDuration, formatRate, progressReporter } from '../src/cli/progress.js';
import type { SevItem } from '../src/pipeline/stimuli/sev.js';

const E = EMOTION_COUNT;

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Synthetic activations with a planted emotion signal: row (g, e) at layer l is
 * b_{g,l} (a large group offset) + s · u_{e,l} (the planted direction) + noise. The planted
 * directions come from `seed`; the groups and noise from `sampleSeed` (default: `seed`), so a
 * held-out split shares the directions but none of the samples.
 */
function planted(groups: number, layers: number, width: number, signal: number, seed: number, sampleSeed = seed): { x: SiteActivations; labels: RowLabels; u: Float64Array } {
  const directionRandom = seededRandom(seed);
  const u = new Float64Array(E * layers * width).map(() => gaussian(directionRandom));
  const random = sampleSeed === seed ? directionRandom : seededRandom(sampleSeed);
  const rows = groups * E;
  const data = new Float32Array(rows * layers * width);
  const group: number[] = [];
  const emotion: number[] = [];
  for (let g = 0; g < groups; g++) {
    const offset = Float64Array.from({ length: layers * width }, () => 10 * gaussian(random));
    // Emotions in a shuffled order inside each group, so row order carries no label.
    const order = [0, 1, 2, 3, 4, 5].sort(() => random() - 0.5);
    for (const e of order) {
      const row = group.length;
      group.push(g);
      emotion.push(e);
      for (let i = 0; i < layers * width; i++) data[row * layers * width + i] = offset[i] + signal * u[e * layers * width + i] + gaussian(random);
    }
  }
  return { x: { data, rows, layers, width }, labels: { group, emotion }, u };
}

test('planted directions are recovered, unit norm and centred', () => {
  const layers = 3;
  const width = 16;
  const { x, labels, u } = planted(40, layers, width, 2, 1);
  const c = centredEmotionMeans(x, labels);
  const { directions, norms } = unitDirections(c, layers, width);
  // Expected: u_e − mean_e u_e (the centring removes the emotions' common part).
  for (let l = 0; l < layers; l++) {
    for (let e = 0; e < E; e++) {
      const expected = new Float64Array(width);
      for (let i = 0; i < width; i++) {
        let mean = 0;
        for (let f = 0; f < E; f++) mean += u[(f * layers + l) * width + i];
        expected[i] = u[(e * layers + l) * width + i] - mean / E;
      }
      const base = (e * layers + l) * width;
      assert.ok(cosine(directions, base, expected, 0, width) > 0.98, `emotion ${e} layer ${l} recovered`);
      let norm = 0;
      for (let i = 0; i < width; i++) norm += directions[base + i] ** 2;
      assert.ok(Math.abs(Math.sqrt(norm) - 1) < 1e-6, 'unit norm');
    }
    // Centred: Σ_e ‖c_e‖ v_e = Σ_e c_e = 0.
    for (let i = 0; i < width; i++) {
      let sum = 0;
      let scale = 0;
      for (let e = 0; e < E; e++) {
        sum += norms[l * E + e] * directions[(e * layers + l) * width + i];
        scale += norms[l * E + e];
      }
      assert.ok(Math.abs(sum) < 1e-5 * scale, `Σ_e c_e ≈ 0 (layer ${l}, dim ${i}: ${sum})`);
    }
  }
});

test('c_e matches the formula on a hand-sized example, several rows per (group, emotion) averaged', () => {
  // One layer, width 1, two groups. Group 0: emotion e has value e (twice for e = 0: values 0 and 2 → mean 1).
  const values: number[] = [];
  const group: number[] = [];
  const emotion: number[] = [];
  const push = (g: number, e: number, v: number): void => {
    values.push(v);
    group.push(g);
    emotion.push(e);
  };
  push(0, 0, 0);
  push(0, 0, 2);
  for (let e = 1; e < E; e++) push(0, e, e);
  for (let e = 0; e < E; e++) push(1, e, 100 + 2 * e);
  const x = { data: Float32Array.from(values), rows: values.length, layers: 1, width: 1 };
  const c = centredEmotionMeans(x, { group, emotion });
  // Group 0: h = [1,1,2,3,4,5], mean 16/6. Group 1: h = 100 + 2e, mean 105.
  for (let e = 0; e < E; e++) {
    const g0 = [1, 1, 2, 3, 4, 5][e] - 16 / 6;
    const g1 = 2 * e - 5;
    assert.ok(Math.abs(c[e] - (g0 + g1) / 2) < 1e-12);
  }
});

test('a group without every emotion is an error', () => {
  const x = { data: new Float32Array(5), rows: 5, layers: 1, width: 1 };
  assert.throws(() => centredEmotionMeans(x, { group: [0, 0, 0, 0, 0], emotion: [0, 1, 2, 3, 4] }), /no row for emotion disgust/);
});

test('held-out accuracy is high for planted directions and at chance for the permutation control', () => {
  const layers = 2;
  const width = 24;
  const train = planted(60, layers, width, 1, 7);
  // Same planted u (same direction seed), fresh groups and noise for the test split.
  const testSet = planted(60, layers, width, 1, 7, 8);
  const real = unitDirections(centredEmotionMeans(train.x, train.labels), layers, width).directions;
  const centred = centreWithinGroups(testSet.x, testSet.labels.group);
  const acc = nearestDirectionAccuracy(centred, testSet.x.rows, layers, width, real, testSet.labels.emotion);
  for (const a of acc.accuracy) assert.ok(a > 0.9, `real accuracy ${a}`);

  let permutedMean = 0;
  const runs = 20;
  for (let k = 0; k < runs; k++) {
    const shuffled = shuffleEmotionsWithinGroups(train.labels, k);
    const dirs = unitDirections(centredEmotionMeans(train.x, shuffled), layers, width).directions;
    permutedMean += nearestDirectionAccuracy(centred, testSet.x.rows, layers, width, dirs, testSet.labels.emotion).accuracy[0] / runs;
  }
  assert.ok(Math.abs(permutedMean - 1 / 6) < 0.06, `permutation accuracy ${permutedMean} ≈ 1/6`);
});

test('held-out means held out: with no planted signal, accuracy on a fresh split is at chance though the train split scores high', () => {
  const layers = 1;
  const width = 40;
  const train = planted(8, layers, width, 0, 21, 22);
  const directions = unitDirections(centredEmotionMeans(train.x, train.labels), layers, width).directions;
  const accuracy = (set: typeof train): number =>
    nearestDirectionAccuracy(centreWithinGroups(set.x, set.labels.group), set.x.rows, layers, width, directions, set.labels.emotion).accuracy[0];
  // With 8 groups in 40 dimensions the directions fit the train noise: the train rows score far above chance.
  assert.ok(accuracy(train) > 0.6, `train accuracy ${accuracy(train)}`);
  // 25 held-out splits of the same size, each with its own sample seed (never the train's, 22):
  // 1200 rows in all, SE of a chance accuracy ≈ 0.011.
  const heldOutSeeds = Array.from({ length: 25 }, (_, k) => 100 + k);
  const heldOut = heldOutSeeds.reduce((sum, sampleSeed) => sum + accuracy(planted(8, layers, width, 0, 21, sampleSeed)), 0) / heldOutSeeds.length;
  assert.ok(Math.abs(heldOut - 1 / 6) < 0.04, `held-out accuracy ${heldOut} ≈ 1/6`);
});

test('shuffling within groups keeps each group\'s labels and is deterministic for a seed', () => {
  const labels = { group: [0, 0, 0, 1, 1, 1, 0, 1], emotion: [0, 1, 2, 0, 1, 2, 3, 3] };
  const a = shuffleEmotionsWithinGroups(labels, 5);
  assert.deepEqual(a, shuffleEmotionsWithinGroups(labels, 5));
  for (const rows of rowsByGroup(labels.group)) {
    assert.deepEqual(rows.map((r) => a.emotion[r]).sort(), rows.map((r) => labels.emotion[r]).sort());
  }
  const seeds = new Set(Array.from({ length: 10 }, (_, s) => shuffleEmotionsWithinGroups(labels, s).emotion.join()));
  assert.ok(seeds.size > 1, 'different seeds give different shuffles');
});

test('PCA recovers planted axes and variances', () => {
  const d = 10;
  const n = 2000;
  const random = seededRandom(3);
  // Axes: a1 = normalised (1,1,0,…), a2 = normalised (1,−1,0,…); std 3 and 1; small isotropic noise.
  const a1 = [Math.SQRT1_2, Math.SQRT1_2];
  const a2 = [Math.SQRT1_2, -Math.SQRT1_2];
  const points = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const s = 3 * gaussian(random);
    const t = gaussian(random);
    for (let j = 0; j < d; j++) points[r * d + j] = 5 + 0.01 * gaussian(random);
    points[r * d] += s * a1[0] + t * a2[0];
    points[r * d + 1] += s * a1[1] + t * a2[1];
  }
  const pca = fitPca(points, n, d, { components: 2, seed: 1 });
  assert.ok(Math.abs(Math.abs(pca.components[0][0] * a1[0] + pca.components[0][1] * a1[1]) - 1) < 1e-4);
  assert.ok(Math.abs(Math.abs(pca.components[1][0] * a2[0] + pca.components[1][1] * a2[1]) - 1) < 1e-4);
  let dot = 0;
  for (let j = 0; j < d; j++) dot += pca.components[0][j] * pca.components[1][j];
  assert.ok(Math.abs(dot) < 1e-9, 'orthogonal');
  assert.ok(Math.abs(pca.variances[0] / 9 - 1) < 0.1, `variance 1 ≈ 9: ${pca.variances[0]}`);
  assert.ok(Math.abs(pca.variances[1] - 1) < 0.1, `variance 2 ≈ 1: ${pca.variances[1]}`);
  assert.ok(pca.variances[0] + pca.variances[1] <= pca.totalVariance + 1e-9);
  assert.ok(Math.abs(projectPoint(pca, pca.mean)[0]) < 1e-12, 'the mean projects to the origin');
  assert.deepEqual(fitPca(points, n, d, { seed: 1 }).components, pca.components, 'deterministic');
});

test('run folder: atomic writes leave no temp files; stages skip only with unchanged inputs and outputs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-run-'));
  const header = { tool: { name: 't', version: '0' }, model: { dir: 'm', files: {} }, dataset: { spec: 's', hash: 'h', train: 1, test: 1 }, settings: {}, seed: 0 };
  const run = RunFolder.open(dir, header);
  assert.equal(run.isStageDone('a', 'x'), false);
  writeJsonAtomic(run.path('a.json'), { ok: true });
  run.completeStage('a', 'x', ['a.json']);
  assert.equal(run.isStageDone('a', 'x'), true);
  assert.equal(run.isStageDone('a', 'y'), false, 'other inputs');
  const reopened = RunFolder.open(dir, header);
  assert.equal(reopened.isStageDone('a', 'x'), true, 'records survive a new invocation');
  fs.rmSync(run.path('a.json'));
  assert.equal(reopened.isStageDone('a', 'x'), false, 'missing output');
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  assert.equal(hashJson({ a: 1, b: [1, { c: 2, d: 3 }] }), hashJson({ b: [1, { d: 3, c: 2 }], a: 1 }));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('limitPerTheme keeps the first N scenarios of every theme', () => {
  const item = (theme: string, id: string): SevItem => ({ theme, scenario: id, skeletonId: id, event: { positive: 'p', neutral: 'n', negative: 'm' } });
  const items = [item('a', 'a0'), item('b', 'b0'), item('a', 'a1'), item('a', 'a2'), item('b', 'b1')];
  assert.deepEqual(limitPerTheme(items, 1).map((i) => i.skeletonId), ['a0', 'b0']);
  assert.deepEqual(limitPerTheme(items, 2).map((i) => i.skeletonId), ['a0', 'b0', 'a1', 'b1']);
  assert.equal(limitPerTheme(items, undefined).length, 5);
});

test('progress: a line per 10 % off a terminal, with an ETA', () => {
  const lines: string[] = [];
  let clock = 0;
  const report = progressReporter('collect', { write: (t: string) => lines.push(t), isTTY: false }, () => clock);
  for (let done = 0; done <= 100; done += 5) {
    clock = done * 100;
    report({ rowsDone: done, rowsTotal: 100, rowsResumed: 0, chunksDone: done / 5, chunksTotal: 20 });
  }
  assert.equal(lines.length, 11);
  assert.match(lines[5], /50\/100 prompts \(50%\).*10\.0 prompts\/s.*ETA 5s/);
  assert.equal(formatDuration(3725), '1h02m');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatRate(0.25), '4.0 s/prompt');
});

test('uninstructed-valence gap: cos toward happiness minus cos toward sadness/anger/fear, positive minus negative event, hand-worked', () => {
  // One layer, width 6, v_e = the e-th unit vector (EMOTIONS order: anger, sadness, happiness, fear, surprise, disgust).
  const directions = new Float32Array(36);
  for (let e = 0; e < 6; e++) directions[e * 6 + e] = 1;
  // One scenario: positive, neutral, negative rows.
  const positive = [1, 1, 4, 1, 1, 1];
  const neutral = [1, 1, 1, 1, 1, 1];
  const negative = [1, 4, 1, 1, 1, 1];
  const x = { data: Float32Array.from([...positive, ...neutral, ...negative]), rows: 3, layers: 1, width: 6 };
  const [[gap]] = valenceGaps(x, directions);
  // mean = (1, 2, 2, 1, 1, 1); δ_pos = (0, −1, 2, 0, 0, 0), |δ| = √5; δ_neg = (0, 2, −1, 0, 0, 0), |δ| = √5.
  // score_pos = 2/√5 − (−1/√5 + 0 + 0)/3; score_neg = −1/√5 − (2/√5)/3.
  const scorePositive = 2 / Math.sqrt(5) + 1 / (3 * Math.sqrt(5));
  const scoreNegative = -1 / Math.sqrt(5) - 2 / (3 * Math.sqrt(5));
  assert.ok(Math.abs(gap - (scorePositive - scoreNegative)) < 1e-9, `gap ${gap}`);
  // Swapping the events flips the sign.
  const swapped = { ...x, data: Float32Array.from([...negative, ...neutral, ...positive]) };
  assert.ok(Math.abs(valenceGaps(swapped, directions)[0][0] + gap) < 1e-9);
});
