/**
 * Circuit modulation (DESIGN.md §3 step 9) on a random Llama fixture: cached generation under the
 * circuit's interventions equals a full recompute that edits the neurons from the last prompt
 * position on and the heads at every position (hooks written out here); the equivalent vector pair
 * reproduces the circuit's effect on resid_post; random circuits keep the per-layer counts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EmotionCircuitsError } from '../src/errors.js';
import { EMOTIONS } from '../src/emotions.js';
import { compileInterventions } from '../src/interventions/compile.js';
import type { Intervention } from '../src/interventions/intervention.js';
import { JsBackend } from '../src/kernels/jsBackend.js';
import type { Hook } from '../src/model/hooks.js';
import { KVCache } from '../src/model/kvCache.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { CIRCUIT_FORMAT, DEFAULT_CIRCUIT_SETTINGS, readCircuit, type Circuit } from '../src/pipeline/circuits/circuit.js';
import { circuitInterventions, equivalentInterventions, equivalentVectors, randomCircuit } from '../src/pipeline/circuits/modulation.js';
import { checkpointComponentWeights } from '../src/pipeline/components/componentsRun.js';
import type { DiffVectors } from '../src/pipeline/components/diffVectors.js';
import { seededRandom } from '../src/random.js';
import { compare } from './helpers/compare.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

function handCircuit(units: Array<{ neurons: number[]; heads: number[] }>, lambda: number): Circuit {
  const zero = { neurons: 0, heads: 0 };
  return {
    format: CIRCUIT_FORMAT,
    emotion: 'fear',
    lambda,
    budget: { total: 0, requested: zero, neurons: 0, heads: 0, minimum: zero, cap: zero, unplaced: zero },
    randomCircuitsLog10: 0,
    weights: { attn: units.map(() => 0.5), mlp: units.map(() => 0.5) },
    settings: DEFAULT_CIRCUIT_SETTINGS,
    layers: units.map((u, layer) => {
      const counts = { neurons: u.neurons.length, heads: u.heads.length };
      return {
        layer,
        neurons: u.neurons.map((index) => ({ index, score: 1 })),
        heads: u.heads.map((index) => ({ index, score: 1 })),
        planned: counts, used: counts, shortfall: zero,
      };
    }),
  };
}

describe('circuit modulation', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  let diff: DiffVectors;
  before(async () => {
    model = await LanguageModel.load(sharedPath('fixtures', 'random-llama3'), { backend: new JsBackend() });
    const { numLayers: L, intermediateSize: dff, numHeads: H, headDim: dh } = model.config;
    const random = seededRandom(11);
    const values = (n: number) => Float32Array.from({ length: n }, () => 4 * (random() * 2 - 1));
    diff = { mlp: { data: values(6 * L * dff), layers: L, width: dff }, attn: { data: values(6 * L * H * dh), layers: L, width: H * dh } };
  });
  after(async () => model.dispose());

  const circuit = handCircuit([{ neurons: [3, 17, 90], heads: [1] }, { neurons: [5, 6, 127], heads: [0, 2] }], 1.5);
  const prompt = [1, 17, 200, 3, 99, 42, 7];
  const P = prompt.length;
  const fear = EMOTIONS.indexOf('fear');

  /** Last-row logits of the prompt and then of each continuation token, through the KV cache. */
  function cachedLogits(interventions: Intervention[], continuation: number[], capture: Hook[] = []): Float32Array[] {
    const cache = new KVCache(model.config.numLayers, model.config.numKvHeads * model.config.headDim);
    const hooks = [...compileInterventions(interventions, model.config), ...capture];
    const out = [model.forward([{ ids: prompt, cache }], { hooks, logits: 'last' })[0].logits!.data];
    for (const id of continuation) out.push(model.forward([{ ids: [id], cache }], { hooks, logits: 'last' })[0].logits!.data);
    return out;
  }

  test('generation under modulation with the KV cache equals a full recompute', () => {
    const { intermediateSize: dff, numHeads: H, headDim: dh } = model.config;
    const interventions = circuitInterventions(circuit, diff);
    const [generation] = model.generate([prompt], { maxNewTokens: 6, hooks: compileInterventions(interventions, model.config), stopTokenIds: [] });
    const sequence = [...prompt, ...generation.ids];
    // The recompute, written out: Δμ on the circuit's neurons from position P−1 on, Δz on its heads everywhere.
    const lambda = 1.5;
    const recompute: Hook[] = circuit.layers.flatMap(({ layer, neurons, heads }) => [
      {
        name: `blocks.${layer}.mlp.hook_post`,
        fn: (activation) => {
          const delta = diff.mlp.data.subarray((fear * 2 + layer) * dff, (fear * 2 + layer + 1) * dff);
          for (let t = P - 1; t < activation.shape[0]; t++) for (const { index } of neurons) activation.data[t * dff + index] += lambda * delta[index];
        },
      },
      {
        name: `blocks.${layer}.attn.hook_z`,
        fn: (activation) => {
          const delta = diff.attn.data.subarray((fear * 2 + layer) * H * dh, (fear * 2 + layer + 1) * H * dh);
          for (let t = 0; t < activation.shape[0]; t++) for (const { index } of heads) for (let i = 0; i < dh; i++) activation.data[(t * H + index) * dh + i] += lambda * delta[index * dh + i];
        },
      },
    ]);
    const full = model.run(sequence, { hooks: recompute, logits: 'all' }).logits!;
    const V = model.config.vocabSize;
    const cached = cachedLogits(interventions, generation.ids);
    const plain = cachedLogits([], generation.ids);
    for (let k = 0; k < cached.length; k++) {
      const row = full.data.subarray((P - 1 + k) * V, (P + k) * V);
      const diffToFull = compare(cached[k], row);
      assert.ok(diffToFull.relL2 < 1e-5, `step ${k}: rel L2 ${diffToFull.relL2}`);
      assert.ok(compare(plain[k], row).relL2 > 1e-3, `step ${k}: the modulation must change the logits`);
      if (k < generation.ids.length) assert.equal(row.indexOf(Math.max(...row)), generation.ids[k], `greedy token ${k}`);
    }
  });

  test('the equivalent vector pair reproduces the circuit\'s effect on resid_post (prompt and decode)', () => {
    const weights = checkpointComponentWeights(model.checkpoint);
    const vectors = equivalentVectors(circuit, diff, { hiddenSize: model.config.hiddenSize, heads: weights.heads, oWeight: weights.oWeight, downWeight: weights.downWeight });
    assert.deepEqual([vectors.layers, vectors.width], [2, model.config.hiddenSize]);
    const continuation = [11, 250, 33, 8];
    const residuals = (interventions: Intervention[]): Float32Array[] => {
      const rows: Float32Array[] = [];
      const capture: Hook[] = [0, 1].map((l) => ({ name: `blocks.${l}.hook_resid_post`, fn: (a) => void rows.push(Float32Array.from(a.data)) }));
      cachedLogits(interventions, continuation, capture);
      return rows;
    };
    const base = residuals([]);
    const viaCircuit = residuals(circuitInterventions(circuit, diff));
    const viaPair = residuals(equivalentInterventions(vectors));
    assert.equal(viaPair.length, base.length);
    for (let i = 0; i < base.length; i++) {
      const circuitEffect = viaCircuit[i].map((x, j) => x - base[i][j]);
      const pairEffect = viaPair[i].map((x, j) => x - base[i][j]);
      const { relL2 } = compare(pairEffect, circuitEffect);
      assert.ok(compare(circuitEffect, new Float32Array(circuitEffect.length)).maxAbs > 1e-3, `chunk ${i}: the circuit must move resid_post`);
      assert.ok(relL2 < 1e-4, `chunk ${i}: effect rel L2 ${relL2}`);
    }
  });

  test('random circuits: same per-layer counts, seeded, the emotion\'s Δ at the drawn units', () => {
    const a = randomCircuit(circuit, model.config, 1);
    const again = randomCircuit(circuit, model.config, 1);
    const b = randomCircuit(circuit, model.config, 2);
    assert.deepEqual(a, again);
    assert.notDeepEqual(a.layers.map((l) => l.neurons), b.layers.map((l) => l.neurons));
    for (const r of [a, b]) {
      assert.equal(r.random?.seed !== undefined, true);
      r.layers.forEach((layer, l) => {
        assert.equal(layer.neurons.length, circuit.layers[l].neurons.length);
        assert.equal(layer.heads.length, circuit.layers[l].heads.length);
        const n = layer.neurons.map((u) => u.index);
        assert.equal(new Set(n).size, n.length);
        assert.ok(n.every((i) => i >= 0 && i < model.config.intermediateSize));
        assert.ok(layer.heads.every((u) => u.index >= 0 && u.index < model.config.numHeads && u.score === null));
      });
      const edits = circuitInterventions(r, diff, 2);
      const mlp0 = edits.find((e) => e.hook === 'blocks.0.mlp.hook_post')!;
      assert.deepEqual(mlp0.neurons, r.layers[0].neurons.map((u) => u.index));
      assert.equal(mlp0.coeff, 2);
      assert.equal(mlp0.vector![5], diff.mlp.data[fear * 2 * 128 + 5]);
    }
    // A draw can take every unit of a small layer.
    const full = randomCircuit(handCircuit([{ neurons: [], heads: [0, 1, 2, 3] }], 1), model.config, 3);
    assert.deepEqual(full.layers[0].heads.map((u) => u.index), [0, 1, 2, 3]);
  });

  test('readCircuit: round trip, and typed errors for a missing or malformed file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-circuit-'));
    try {
      fs.mkdirSync(path.join(dir, 'circuits'));
      fs.writeFileSync(path.join(dir, 'circuits', 'fear.json'), JSON.stringify(circuit));
      assert.deepEqual(readCircuit(dir, 'fear'), circuit);
      assert.throws(() => readCircuit(dir, 'anger'), (e: unknown) => e instanceof EmotionCircuitsError && /anger\.json/.test(e.message));
      const broken = { ...circuit, layers: [{ ...circuit.layers[0], heads: [{ index: -1, score: 1 }] }] };
      fs.writeFileSync(path.join(dir, 'circuits', 'fear.json'), JSON.stringify(broken));
      assert.throws(() => readCircuit(dir, 'fear'), /layers\[0\]\.heads\[0\]/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
