/**
 * The judge filter of `directions` end to end on TinyStories-656K (limit 1: 144 instructed train
 * replies of 3 new tokens) with fake judges: the stored verdicts and accepted shares are exact,
 * the directions and difference vectors equal a recomputation written out here from exactly the
 * accepted rows (each group centred over its accepted emotions), the rankings and sublayer
 * influence use the accepted samples, a second run skips, another judge re-runs directions and the
 * later stages, and a judge that accepts no reply of one emotion is a typed error naming it.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EMOTIONS, VALENCES, type Emotion } from '../src/emotions.js';
import { EmotionCircuitsError } from '../src/errors.js';
import type { EmotionJudge, JudgeItem, JudgeVerdict } from '../src/judge/judge.js';
import { ActivationStore } from '../src/pipeline/collection/activationStore.js';
import type { ActivationSite } from '../src/pipeline/collection/collect.js';
import { runComponents } from '../src/pipeline/components/componentsRun.js';
import { readDiffVectors } from '../src/pipeline/components/diffVectors.js';
import { readDirections } from '../src/pipeline/directions/directionSet.js';
import { runDirections, type DirectionsRunResult } from '../src/pipeline/directions/directionsRun.js';
import type { JudgeFilterRecord, JudgeFilterSummary } from '../src/pipeline/directions/judgeFilter.js';
import { RunFolder } from '../src/pipeline/run/runStore.js';
import { runSublayers } from '../src/pipeline/sublayers/sublayersRun.js';
import { sublayerInfluence } from '../src/pipeline/sublayers/sublayerInfluence.js';
import { rebuildRunPrompts } from '../src/pipeline/collection/runPrompts.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

/**
 * Judges by order: rejects every other `alternate` reply (the 1st, 3rd, …), rejects every reply of
 * `rejectAll`, fails (match = null) on the first `failFirst` reply, accepts the rest.
 */
class FakeJudge implements EmotionJudge {
  private seen = new Map<Emotion, number>();
  constructor(readonly name: string, private readonly rule: { alternate?: Emotion; rejectAll?: Emotion; failFirst?: Emotion }) {}

  async judge(items: readonly JudgeItem[]): Promise<JudgeVerdict[]> {
    return items.map(({ target }) => {
      const n = this.seen.get(target) ?? 0;
      this.seen.set(target, n + 1);
      const base = { target, label: null, scores: null };
      if (target === this.rule.failFirst && n === 0) return { ...base, match: null, error: 'fake failure' };
      const reject = target === this.rule.rejectAll || (target === this.rule.alternate && n % 2 === 0);
      return { ...base, match: !reject };
    });
  }
}

const L = 2;
const D = 128;

/** c_e written out: per group the accepted emotions' rows, centred over them; averaged over the groups holding e; normalised. */
function referenceDirections(store: ActivationStore, site: ActivationSite, accepted: Set<number>, normalise: boolean): Float64Array[][] {
  const rows = store.select((s) => s.split === 'train' && s.kind === 'instructed' && accepted.has(s.row));
  const x = store.read(site, rows);
  const width = x.width;
  const groups = new Map<string, Map<number, number>>(); // group → emotion → index into rows
  rows.forEach((row, i) => {
    const s = store.samples[row];
    const key = `${s.skeletonId}/${s.valence}`;
    if (!groups.has(key)) groups.set(key, new Map());
    groups.get(key)!.set(EMOTIONS.indexOf(s.emotion!), i);
  });
  const sums = EMOTIONS.map(() => Array.from({ length: L }, () => new Float64Array(width)));
  const counts = EMOTIONS.map(() => 0);
  for (const members of groups.values()) {
    if (members.size < 2) continue;
    for (let l = 0; l < L; l++) {
      const mean = new Float64Array(width);
      for (const i of members.values()) for (let k = 0; k < width; k++) mean[k] += x.data[(i * L + l) * width + k] / members.size;
      for (const [e, i] of members) for (let k = 0; k < width; k++) sums[e][l][k] += x.data[(i * L + l) * width + k] - mean[k];
    }
    for (const e of members.keys()) counts[e]++;
  }
  return sums.map((layers, e) => layers.map((c) => {
    const mean = c.map((v) => v / counts[e]);
    const norm = Math.sqrt(mean.reduce((s, v) => s + v * v, 0));
    return normalise ? mean.map((v) => v / norm) : mean;
  }));
}

function assertClose(actual: Float32Array, expected: Float64Array, tolerance: number, what: string): void {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tolerance, `${what}: max |Δ| ${worst}`);
}

describe('directions --judge-filter on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-jfilter-'));
  const model = SHARED_DIR ? sharedPath('models', 'tinystories-656k') : '';
  const base = { model, dataset: 'sev', out: runDir, limit: 1, permutations: 2, twin: false, judgeFilterMaxNewTokens: 3 };
  let first: DirectionsRunResult;
  let store: ActivationStore;
  let records: JudgeFilterRecord[];
  let accepted: Set<number>;
  before(async () => {
    first = await runDirections({ ...base, judgeFilter: new FakeJudge('fake-a', { alternate: 'fear', failFirst: 'disgust' }) });
    store = ActivationStore.open(path.join(runDir, 'activations'));
    records = fs.readFileSync(path.join(runDir, 'judge_filter.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    accepted = new Set(records.filter((r) => r.verdict.match === true).map((r) => r.row));
  });
  after(() => fs.rmSync(runDir, { recursive: true, force: true }));

  test('judge_filter.jsonl: one verdict per instructed train prompt, as the judge ruled', () => {
    const trainRows = store.select((s) => s.split === 'train' && s.kind === 'instructed');
    assert.equal(trainRows.length, 8 * 3 * 6);
    assert.deepEqual(records.map((r) => r.row), trainRows);
    for (const r of records) {
      const sample = store.samples[r.row];
      assert.equal(r.emotion, sample.emotion);
      assert.equal(r.valence, sample.valence);
      assert.equal(r.judge, 'fake-a');
      assert.ok(r.newTokens >= 1 && r.newTokens <= 3 && typeof r.text === 'string');
    }
    const byEmotion = (e: Emotion) => records.filter((r) => r.emotion === e).map((r) => r.verdict.match);
    assert.deepEqual(byEmotion('fear'), Array.from({ length: 24 }, (_, i) => i % 2 === 1));
    assert.deepEqual(byEmotion('disgust'), [null, ...Array(23).fill(true)]);
    for (const e of ['anger', 'sadness', 'happiness', 'surprise'] as const) assert.deepEqual(byEmotion(e), Array(24).fill(true));
  });

  test('judge_filter.json and consistency.json: accepted share per emotion × valence, failures counted', () => {
    const summary = JSON.parse(fs.readFileSync(path.join(runDir, 'judge_filter.json'), 'utf8')) as JudgeFilterSummary;
    assert.equal(summary.judge, 'fake-a');
    assert.equal(summary.failures, 1);
    assert.equal(summary.decoding.maxNewTokens, 3);
    assert.deepEqual(summary.acceptedRows, [...accepted].sort((a, b) => a - b));
    for (const emotion of EMOTIONS) {
      for (const valence of VALENCES) {
        const cell = records.filter((r) => r.emotion === emotion && r.valence === valence);
        const yes = cell.filter((r) => r.verdict.match === true).length;
        assert.deepEqual(summary.shares[emotion][valence], { accepted: yes, total: 8, share: yes / 8 });
      }
    }
    assert.deepEqual(summary.shares.fear.all, { accepted: 12, total: 24, share: 0.5 });
    assert.deepEqual(summary.shares.disgust.all, { accepted: 23, total: 24, share: 23 / 24 });
    const consistency = JSON.parse(fs.readFileSync(path.join(runDir, 'consistency.json'), 'utf8'));
    assert.deepEqual(consistency.judgeFilter.shares, summary.shares);
    assert.equal(first.stages.judgeFilter, 'ran');
    assert.equal(first.judgeFilter?.accepted.size, 144 - 13);
  });

  test('directions equal a recomputation from exactly the accepted rows', () => {
    const directions = readDirections(path.join(runDir, 'directions.safetensors'));
    for (const [site, activation] of [['attn', 'resid_mid'], ['mlp', 'resid_post']] as const) {
      const expected = referenceDirections(store, activation, accepted, true);
      EMOTIONS.forEach((emotion, e) => {
        for (let l = 0; l < L; l++) assertClose(directions[site].directions.subarray((e * L + l) * D, (e * L + l + 1) * D), expected[e][l], 1e-5, `${site} ${emotion} L${l}`);
      });
    }
  });

  test('rankings, difference vectors and sublayer influence use the accepted samples', async () => {
    await runComponents({ runDir, samples: 2, layers: [], totalEffectHeads: 1, top: 2 });
    const neurons = JSON.parse(fs.readFileSync(path.join(runDir, 'neurons.json'), 'utf8'));
    const heads = JSON.parse(fs.readFileSync(path.join(runDir, 'heads.json'), 'utf8'));
    for (const emotion of EMOTIONS) {
      const n = records.filter((r) => r.emotion === emotion && r.verdict.match === true).length;
      assert.equal(neurons.samplesPerEmotion[emotion], n);
      assert.equal(heads.samplesPerEmotion[emotion], n);
    }
    const diff = readDiffVectors(path.join(runDir, 'diff_vectors.safetensors'));
    const expected = referenceDirections(store, 'mlp_post', accepted, false);
    EMOTIONS.forEach((emotion, e) => {
      for (let l = 0; l < L; l++) assertClose(diff.mlp.data.subarray((e * L + l) * diff.mlp.width, (e * L + l + 1) * diff.mlp.width), expected[e][l], 1e-5, `Δμ ${emotion} L${l}`);
    });
    const sublayers = await runSublayers({ runDir, alphas: [0.5] });
    for (const emotion of EMOTIONS) {
      const groups = new Set(records.filter((r) => r.emotion === emotion && r.verdict.match === true).map((r) => `${r.skeletonId}/${r.valence}`));
      assert.equal(sublayers.file.promptsPerEmotion?.[emotion], groups.size);
    }
    assert.equal(sublayers.file.promptsPerEmotion?.fear, 12);
    // σ over the accepted instructed rows; fear's influence from exactly its accepted groups' uninstructed prompts.
    const acceptedRows = [...accepted].sort((a, b) => a - b);
    const mid = store.read('resid_mid', acceptedRows);
    for (let l = 0; l < L; l++) {
      let sum = 0;
      for (let r = 0; r < acceptedRows.length; r++) sum += Math.sqrt(mid.data.subarray((r * L + l) * D, (r * L + l + 1) * D).reduce((t, v) => t + v * v, 0) / D);
      assert.ok(Math.abs(sublayers.file.sigma.attn[l] - sum / acceptedRows.length) < 1e-6 * sum, `σ attn L${l}`);
    }
    const fearGroups = new Set(records.filter((r) => r.emotion === 'fear' && r.verdict.match === true).map((r) => `${r.skeletonId}/${r.valence}`));
    const fearPrompts = rebuildRunPrompts(RunFolder.read(runDir), store)
      .filter((p) => p.sample.split === 'train' && p.sample.kind === 'uninstructed' && fearGroups.has(`${p.sample.skeletonId}/${p.sample.valence}`))
      .map((p) => p.ids);
    const sigma = { attn: Float64Array.from(sublayers.file.sigma.attn), mlp: Float64Array.from(sublayers.file.sigma.mlp) };
    const lm = await LanguageModel.load(model);
    try {
      const fear = EMOTIONS.indexOf('fear');
      const [direct] = sublayerInfluence(lm, fearPrompts, readDirections(path.join(runDir, 'directions.safetensors')), sigma, { alphas: [0.5], emotions: [fear] });
      assert.deepEqual(sublayers.file.emotions.fear.influence, direct.influence);
    } finally {
      await lm.dispose();
    }
  });

  test('a second run skips; another judge re-runs directions and the later stages; a judge accepting no anger is a typed error', async () => {
    const again = await runDirections({ ...base, judgeFilter: new FakeJudge('fake-a', { alternate: 'fear', failFirst: 'disgust' }) });
    assert.deepEqual(again.stages, { collect: 'skipped', judgeFilter: 'skipped', directions: 'skipped', consistency: 'skipped' });
    const previous = fs.readFileSync(path.join(runDir, 'directions.safetensors'));
    const other = await runDirections({ ...base, judgeFilter: new FakeJudge('fake-b', { alternate: 'sadness' }) });
    assert.equal(other.stages.judgeFilter, 'ran');
    assert.equal(other.stages.directions, 'ran');
    assert.notDeepEqual(fs.readFileSync(path.join(runDir, 'directions.safetensors')), previous);
    const components = await runComponents({ runDir, samples: 2, layers: [], totalEffectHeads: 1, top: 2 });
    assert.equal(components.stages.diffVectors, 'ran');
    assert.equal(components.stages.neurons, 'ran');
    assert.equal(RunFolder.read(runDir).settings.judgeFilter, 'fake-b');
    await assert.rejects(
      runDirections({ ...base, judgeFilter: new FakeJudge('fake-no-anger', { rejectAll: 'anger' }) }),
      (error: unknown) => error instanceof EmotionCircuitsError && /accepted no anger reply/.test(error.message),
    );
    assert.equal(RunFolder.read(runDir).stages.directions, undefined, 'the other filter\'s directions are forgotten');
    await assert.rejects(runComponents({ runDir }), /no directions in this run/);
  });
});
