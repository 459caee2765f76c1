/**
 * The components stage end to end on TinyStories-656K: rankings from cached activations, difference
 * vectors, and causal validation — top-k ablation must lower s more than random-k ablation, and
 * top-k enhancement raise it more than random-k enhancement, for most conditions.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { runComponents, type ComponentsRunResult } from '../src/pipeline/components/componentsRun.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { EMOTIONS } from '../src/emotions.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

describe('components on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-components-'));
  let result: ComponentsRunResult;
  before(async () => {
    await runDirections({ model: sharedPath('models', 'tinystories-656k'), dataset: 'sev', out: runDir, limit: 2, permutations: 2 });
    result = await runComponents({ runDir, ks: [1, 2, 4, 8], seeds: 2, samples: 12 });
  });
  after(() => fs.rmSync(runDir, { recursive: true, force: true }));

  test('top-k units beat random-k units for most emotions and k (margins printed)', () => {
    for (const r of result.validation) {
      const margin = r.edit === 'ablate' ? r.random.site.mean - r.top.site.mean : r.top.site.mean - r.random.site.mean;
      console.log(`${r.emotion.padEnd(9)} ${r.kind.padEnd(7)} L${r.layer} ${r.edit.padEnd(7)} k=${String(r.k).padEnd(2)} top Δs ${r.top.site.mean.toFixed(3).padStart(8)} random Δs ${r.random.site.mean.toFixed(3).padStart(8)} margin ${margin.toFixed(3)}`);
    }
    for (const [key, { wins, total }] of Object.entries(result.summary)) console.log(`${key}: ${wins}/${total}`);
    assert.ok(result.summary['neurons.ablate'].wins > 0.75 * result.summary['neurons.ablate'].total);
    assert.ok(result.summary['heads.ablate'].wins > 0.75 * result.summary['heads.ablate'].total);
    assert.ok(result.summary['neurons.enhance'].wins > 0.75 * result.summary['neurons.enhance'].total);
    assert.ok(result.summary['heads.enhance'].wins > 0.5 * result.summary['heads.enhance'].total);
    // Ablating the top units lowers s in absolute terms too, on average.
    const ablations = result.validation.filter((r) => r.edit === 'ablate');
    assert.ok(ablations.filter((r) => r.top.site.mean < 0).length > 0.9 * ablations.length);
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
    // 8 heads per layer: k = 8 has no 8 random heads outside the top 8, so it is skipped; neurons keep it.
    assert.ok(!result.validation.some((r) => r.kind === 'heads' && r.k === 8));
    assert.ok(result.validation.some((r) => r.kind === 'neurons' && r.k === 8));
  });

  test('a second run skips every finished stage', async () => {
    const again = await runComponents({ runDir, ks: [1, 2, 4, 8], seeds: 2, samples: 12 });
    assert.deepEqual(again.stages, { neurons: 'skipped', heads: 'skipped', diffVectors: 'skipped', validation: 'skipped' });
    assert.deepEqual(again.summary, result.summary);
  });
});
