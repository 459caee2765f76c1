/**
 * The sublayers and circuits stages end to end on TinyStories-656K (2 layers, d = 128, 8 heads,
 * dff = 384): directions → components (small) → sublayers → circuits; the files hold what the
 * method says, and a second run skips both stages.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EMOTIONS } from '../src/emotions.js';
import { Checkpoint } from '../src/model/checkpoint.js';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { ActivationStore } from '../src/pipeline/collection/activationStore.js';
import { readCircuit, readEquivalentVectors, runCircuits, runSublayers, type CircuitsRunResult, type SublayersRunResult } from '../src/pipeline/circuits/index.js';
import { checkpointComponentWeights, runComponents } from '../src/pipeline/components/componentsRun.js';
import { readDirections } from '../src/pipeline/directions/directionSet.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { referenceDirection } from '../src/pipeline/directions/referenceDirection.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

describe('sublayers and circuits on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-circuits-'));
  let sublayers: SublayersRunResult;
  let circuits: CircuitsRunResult;
  before(async () => {
    await runDirections({ model: sharedPath('models', 'tinystories-656k'), dataset: 'sev', out: runDir, limit: 2, permutations: 2 });
    await runComponents({ runDir, ks: [1], seeds: 1, samples: 2, layers: [0], totalEffectHeads: 1, top: 4 });
    sublayers = await runSublayers({ runDir });
    circuits = await runCircuits({ runDir });
  });
  after(() => fs.rmSync(runDir, { recursive: true, force: true }));

  test('sublayers.json: σ from the instructed train prompts, v_ref, I per α and their mean, weights per kind', () => {
    const file = JSON.parse(fs.readFileSync(path.join(runDir, 'sublayers.json'), 'utf8'));
    assert.equal(sublayers.stage, 'ran');
    assert.deepEqual(file.alphas, [0.1, 0.3, 0.5, 0.7]);
    assert.deepEqual(file.referenceLayers, [0]);
    const store = ActivationStore.open(path.join(runDir, 'activations'));
    assert.equal(file.prompts, store.select((s) => s.split === 'train' && s.kind === 'uninstructed').length);
    const rows = store.select((s) => s.split === 'train' && s.kind === 'instructed');
    for (const [site, activation] of [['attn', 'resid_mid'], ['mlp', 'resid_post']] as const) {
      const x = store.read(activation, rows);
      for (let l = 0; l < 2; l++) {
        let sum = 0;
        for (let r = 0; r < rows.length; r++) {
          const v = x.data.subarray((r * 2 + l) * 128, (r * 2 + l + 1) * 128);
          sum += Math.sqrt(v.reduce((s, a) => s + a * a, 0) / 128);
        }
        assert.ok(Math.abs(file.sigma[site][l] - sum / rows.length) < 1e-6 * sum, `σ ${site} L${l}`);
      }
    }
    const directions = readDirections(path.join(runDir, 'directions.safetensors'));
    EMOTIONS.forEach((emotion, e) => {
      const entry = file.emotions[emotion];
      assert.deepEqual(entry.reference, Array.from(referenceDirection(directions, e)));
      for (const site of ['attn', 'mlp']) {
        const { byAlpha, mean } = entry.influence[site];
        assert.equal(byAlpha.length, 4);
        for (let l = 0; l < 2; l++) assert.ok(Math.abs(mean[l] - byAlpha.reduce((s: number, r: number[]) => s + r[l], 0) / 4) < 1e-9);
        const weights: number[] = entry.weights[site];
        assert.ok(Math.abs(weights.reduce((a, b) => a + b, 0) - 1) < 1e-9);
        const positive = mean.map((x: number) => Math.max(x, 0));
        const total = positive.reduce((a: number, b: number) => a + b, 0);
        assert.equal(entry.uniformWeights[site], total === 0);
        if (total > 0) weights.forEach((w, l) => assert.ok(Math.abs(w - positive[l] / total) < 1e-12));
      }
      console.log(`${emotion.padEnd(9)} I attn ${entry.influence.attn.mean.map((x: number) => x.toFixed(3)).join(' ')}  mlp ${entry.influence.mlp.mean.map((x: number) => x.toFixed(3)).join(' ')}  w attn ${entry.weights.attn.map((x: number) => x.toFixed(2)).join(' ')}  mlp ${entry.weights.mlp.map((x: number) => x.toFixed(2)).join(' ')}`);
    });
  });

  test('circuits: budget 40 (28 neurons, 12 heads asked, capped at 8 = half the heads), each layer\'s top units by signed score, the vector pair', () => {
    const checkpoint = Checkpoint.open(sharedPath('models', 'tinystories-656k'));
    const weights = checkpointComponentWeights(checkpoint);
    const neurons = SafetensorsReader.open(path.join(runDir, 'neurons.safetensors'));
    const heads = SafetensorsReader.open(path.join(runDir, 'heads.safetensors'));
    const diff = SafetensorsReader.open(path.join(runDir, 'diff_vectors.safetensors'));
    try {
      for (const emotion of EMOTIONS) {
        const circuit = readCircuit(runDir, emotion);
        assert.deepEqual(circuit, circuits.circuits[emotion]);
        assert.equal(circuit.budget.total, 40);
        assert.equal(circuit.layers.reduce((s, l) => s + l.used.neurons, 0), 28);
        assert.deepEqual(circuit.budget.requested, { neurons: 28, heads: 12 });
        assert.equal(circuit.budget.heads, 8);
        assert.equal(circuit.layers.reduce((s, l) => s + l.used.heads, 0), 8);
        // Distinct random circuits: Π over layers of C(384, n_l)·C(8, h_l), as log10.
        let log10Draws = 0;
        for (const layer of circuit.layers) {
          for (const [size, count] of [[384, layer.used.neurons], [8, layer.used.heads]]) {
            for (let i = 0; i < count; i++) log10Draws += Math.log10((size - i) / (i + 1));
          }
        }
        assert.ok(Math.abs(circuit.randomCircuitsLog10 - log10Draws) < 1e-9, `${circuit.randomCircuitsLog10} vs ${log10Draws}`);
        assert.ok(circuit.randomCircuitsLog10 > 1);
        const neuronScores = neurons.readF32(`mean.${emotion}`);
        const headScores = heads.readF32(`mean.${emotion}`);
        const { layers, width, mlpOut, attnOut } = readEquivalentVectors(path.join(runDir, 'circuits', `${emotion}.safetensors`));
        assert.deepEqual([layers, width], [2, 128]);
        const dMu = diff.readF32(`mlp.${emotion}`);
        const dZ = diff.readF32(`attn.${emotion}`);
        for (const layer of circuit.layers) {
          const l = layer.layer;
          assert.ok(layer.used.neurons >= 4 && layer.used.heads >= 2 && layer.used.heads <= 8);
          // The chosen units are the layer's largest signed scores.
          for (const [units, scores, size] of [[layer.neurons, neuronScores, 384], [layer.heads, headScores, 8]] as const) {
            const row = Array.from(scores.subarray(l * size, (l + 1) * size));
            const sorted = [...row].sort((a, b) => b - a);
            assert.deepEqual(units.map((u) => u.score), sorted.slice(0, units.length));
            units.forEach((u) => assert.equal(row[u.index], u.score));
          }
          // mlp_out = W_down · λΔμ over the circuit's neurons; attn_out = W_O · λΔz over its heads.
          const down = weights.downWeight(l);
          const o = weights.oWeight(l);
          for (let i = 0; i < 128; i += 17) {
            const expectedMlp = layer.neurons.reduce((s, u) => s + down[i * 384 + u.index] * dMu[l * 384 + u.index], 0);
            const expectedAttn = layer.heads.reduce((s, u) => s + Array.from({ length: 16 }, (_, j) => o[i * 128 + u.index * 16 + j] * dZ[l * 128 + u.index * 16 + j]).reduce((a, b) => a + b, 0), 0);
            assert.ok(Math.abs(mlpOut[l * 128 + i] - circuit.lambda * expectedMlp) < 1e-5 + 1e-4 * Math.abs(expectedMlp));
            assert.ok(Math.abs(attnOut[l * 128 + i] - circuit.lambda * expectedAttn) < 1e-5 + 1e-4 * Math.abs(expectedAttn));
          }
        }
      }
      const anger = circuits.circuits.anger;
      console.log(`anger circuit: ${anger.layers.map((l) => `layer ${l.layer}: planned ${l.planned.neurons}n/${l.planned.heads}h, used ${l.used.neurons}n/${l.used.heads}h`).join('; ')}`);
    } finally {
      neurons.close();
      heads.close();
      diff.close();
      checkpoint.close();
    }
  });

  test('a second run skips both stages; a λ override re-runs circuits', async () => {
    assert.equal((await runSublayers({ runDir })).stage, 'skipped');
    assert.equal((await runCircuits({ runDir })).stage, 'skipped');
    const before = SafetensorsReader.open(path.join(runDir, 'circuits', 'anger.safetensors')).readF32('mlp_out');
    const again = await runCircuits({ runDir, settings: { lambda: { default: 1, overrides: { anger: 0.8 } } } });
    assert.equal(again.stage, 'ran');
    assert.equal(again.circuits.anger.lambda, 0.8);
    assert.equal(again.circuits.fear.lambda, 1);
    const after = SafetensorsReader.open(path.join(runDir, 'circuits', 'anger.safetensors')).readF32('mlp_out');
    before.forEach((x, i) => assert.ok(Math.abs(after[i] - 0.8 * x) < 1e-6));
  });
});
