/**
 * The components stage end to end on TinyStories-656K and its random-weight twin (run by
 * `directions` by default for a model this small). Top-k beating random-k is not evidence on its
 * own — on random weights it does too, since ranking units by their direct contribution makes
 * top-k ablation lower s almost by construction — so the assertions are about what separates the
 * model from its twin, measured on the same prompts:
 * - uninstructed-valence alignment (no emotion word in the prompt): the model's mean gap is positive
 *   at every site and layer, the twin's is not; at layer 0 the paired difference lies above 0 (with
 *   these 32 scenarios partly because the twin's gap is negative there; on the full SEV, 320
 *   scenarios, the clear separation is at layer 1: 0.09 [0.05, 0.13] against 0.00 [−0.04, 0.05]);
 * - held-out accuracy does NOT separate them: the twin classifies the instructed prompts at least as
 *   well (the emotion word alone suffices), and consistency.json says so;
 * - top-k ablation: in units of each model's own prompt-to-prompt spread of s, the model's paired
 *   top-vs-random margin beats the twin's in most neuron conditions.
 * And the statistics' bookkeeping: one value per prompt, distinct random draws, and their count.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { runComponents, type ComponentsRunResult } from '../src/pipeline/components/componentsRun.js';
import { runDirections, type DirectionsRunResult } from '../src/pipeline/directions/directionsRun.js';
import type { TwinLayerComparison } from '../src/pipeline/directions/twinComparison.js';
import { EMOTIONS } from '../src/emotions.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const SETTINGS = { ks: [1, 4], seeds: 2, samples: 8, layers: [0] };

describe('components on TinyStories-656K and its random-weight twin', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-components-'));
  let directions: DirectionsRunResult;
  let result: ComponentsRunResult;
  before(async () => {
    directions = await runDirections({ model: sharedPath('models', 'tinystories-656k'), dataset: 'sev', out: runDir, limit: 2, permutations: 2 });
    result = await runComponents({ runDir, ...SETTINGS });
  });
  after(() => fs.rmSync(runDir, { recursive: true, force: true }));

  test('directions: uninstructed-valence alignment separates the model from its twin at layer 0; held-out accuracy does not', (t) => {
    const twin = directions.consistency.twin;
    assert.ok(twin, 'the twin runs by default for a 656K-parameter model');
    for (const line of twin.statements) t.diagnostic(line);
    const gaps = (sites: Record<'attn' | 'mlp', Array<{ gap: { mean: number } }>>) => [...sites.attn, ...sites.mlp].map((l) => l.gap.mean);
    assert.ok(gaps(directions.consistency.valenceAlignment!).every((g) => g > 0), 'the model: positive events nearer happiness at every site and layer');
    assert.ok(!gaps(twin.twin.valenceAlignment).every((g) => g > 0), 'the twin: not at every site and layer');
    for (const site of ['attn', 'mlp'] as const) {
      const layer0: TwinLayerComparison = twin.comparison[site][0];
      assert.equal(layer0.valenceGap.better, 'model', `${site}: valence gap model ${layer0.valenceGap.model} vs twin ${layer0.valenceGap.twin}`);
      for (const c of twin.comparison[site]) {
        assert.ok(c.groupCentred.twin >= c.groupCentred.model, `${site} L${c.layer}: the twin's group-centred accuracy ${c.groupCentred.twin} ≥ the model's ${c.groupCentred.model}`);
        assert.notEqual(c.groupCentred.better, 'model');
      }
      assert.ok(twin.statements.some((s) => s.startsWith(`${site} groupCentred: the model does NOT beat its random-weight twin`)));
    }
    const stored = JSON.parse(fs.readFileSync(path.join(runDir, 'consistency.json'), 'utf8'));
    assert.deepEqual(stored.twin.statements, twin.statements, 'consistency.json carries the comparison');
  });

  test('validation: in its own units the model\'s top-k ablation margin beats the twin\'s in most neuron conditions', (t) => {
    const twin = result.twin;
    assert.ok(twin);
    for (const line of twin.statements) t.diagnostic(line);
    for (const [key, cell] of Object.entries(result.summary)) t.diagnostic(`model ${key}: ${cell.wins}/${cell.total} wins, ${cell.significant} significant; twin ${twin.summary[key as keyof typeof twin.summary].wins}/${cell.total}`);
    const neurons = twin.comparisonSummary['neurons.ablate'];
    assert.ok(neurons.real > 0.75 * neurons.total, `neurons.ablate: model better in ${neurons.real}/${neurons.total}`);
    const validation = JSON.parse(fs.readFileSync(path.join(runDir, 'validation.json'), 'utf8'));
    assert.deepEqual(validation.twin.comparisonSummary, twin.comparisonSummary, 'validation.json carries the comparison');
    assert.equal(validation.twin.conditions.length, result.validation.length, 'the twin is validated on the same conditions');
  });

  test('validation statistics: one value per prompt, distinct draws, and how many exist', () => {
    for (const r of result.validation) {
      const prompts = r.promptMargins.site.length;
      assert.ok(prompts > 1 && prompts <= SETTINGS.samples);
      for (const interval of [r.top.site, r.random.site, r.margin.site, r.margin.final]) assert.equal(interval.n, prompts);
      assert.equal(new Set(r.random.draws.map((d) => d.join())).size, r.random.draws.length, 'distinct draws');
      for (const draw of r.random.draws) assert.ok(draw.length === r.k && draw.every((u) => !r.units.includes(u)));
      if (r.kind === 'heads' && r.k === 4) assert.deepEqual([r.random.draws.length, r.random.possibleDraws], [1, 1], 'k = 4 of 8 heads: only the complement');
      else assert.equal(r.random.draws.length, SETTINGS.seeds);
    }
  });

  test('artefacts: rankings sorted, difference vectors centred, k capped by layer size', () => {
    const neurons = JSON.parse(fs.readFileSync(path.join(runDir, 'neurons.json'), 'utf8'));
    for (const emotion of EMOTIONS) {
      for (const layer of neurons.emotions[emotion]) {
        const means = layer.top.map((u: { mean: number }) => u.mean);
        assert.deepEqual(means, [...means].sort((a, b) => b - a));
        assert.equal(layer.top.length, 20);
      }
    }
    const heads = JSON.parse(fs.readFileSync(path.join(runDir, 'heads.json'), 'utf8'));
    assert.equal(heads.emotions.anger[0].top.length, 8);
    assert.equal(heads.totalEffect.anger.length, 8);
    const diff = SafetensorsReader.open(path.join(runDir, 'diff_vectors.safetensors'));
    for (const site of ['mlp', 'attn']) {
      const vectors = EMOTIONS.map((e) => diff.readF32(`${site}.${e}`));
      assert.deepEqual(diff.info(`${site}.anger`).shape, site === 'mlp' ? [2, 384] : [2, 128]);
      for (let i = 0; i < vectors[0].length; i++) {
        const sum = vectors.reduce((s, v) => s + v[i], 0);
        assert.ok(Math.abs(sum) < 1e-3, `${site} Σ_e Δ_e[${i}] = ${sum}`);
      }
    }
    diff.close();
  });

  test('a second run skips every finished stage', async () => {
    const again = await runComponents({ runDir, ...SETTINGS });
    assert.deepEqual(again.stages, { neurons: 'skipped', heads: 'skipped', diffVectors: 'skipped', validation: 'skipped' });
    assert.deepEqual(again.summary, result.summary);
    assert.deepEqual(again.twin?.comparisonSummary, result.twin?.comparisonSummary);
  });
});
