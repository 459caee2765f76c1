/**
 * Sublayer influence (DESIGN.md §3 step 6) against a brute-force recomputation written out here:
 * one full forward pass per prompt, emotion, layer, sublayer and α with a hand-written hook that adds
 * α·σ·ṽ to the sublayer output at the last token, and the final state read with its gain.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { LanguageModel } from '../src/model/languageModel.js';
import type { DirectionSet, SiteDirections } from '../src/pipeline/directions/directionSet.js';
import { referenceDirection } from '../src/pipeline/directions/referenceDirection.js';
import { sublayerInfluence, sublayerWeights } from '../src/pipeline/sublayers/sublayerInfluence.js';
import { seededRandom } from '../src/random.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

function randomUnitDirections(layers: number, width: number, seed: number): SiteDirections {
  const random = seededRandom(seed);
  const directions = new Float32Array(6 * layers * width);
  for (let k = 0; k < 6 * layers; k++) {
    const v = Array.from({ length: width }, () => random() * 2 - 1);
    const n = Math.hypot(...v);
    directions.set(v.map((x) => x / n), k * width);
  }
  return { directions, norms: new Float64Array(6 * layers), layers, width };
}

describe('sublayer influence', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  before(async () => {
    model = await LanguageModel.load(sharedPath('fixtures', 'random-llama3'), { backend: new JsBackend() });
  });
  after(async () => model.dispose());

  test('equals a brute-force recomputation (ragged batches, a one-token prompt, several α)', () => {
    const { hiddenSize: d, numLayers: L } = model.config;
    const directions: DirectionSet = { attn: randomUnitDirections(L, d, 1), mlp: randomUnitDirections(L, d, 2) };
    const sigma = { attn: Float64Array.from([0.7, 1.3]), mlp: Float64Array.from([2.1, 0.4]) };
    const prompts = [[1, 17, 200, 3, 99], [1, 5], [9], [1, 42, 7, 128, 64, 33, 2], [1, 250, 8]];
    const alphas = [0.3, 0.7];
    const emotions = [0, 3];
    const result = sublayerInfluence(model, prompts, directions, sigma, { alphas, emotions, batchSize: 2 });

    const gain = model.weights.finalNorm;
    const finalProjection = (ids: number[], reference: Float32Array, hook?: { name: string; vector: Float64Array }): number => {
      const hooks = hook ? [{ name: hook.name, fn: (a: { data: Float32Array; shape: readonly number[] }) => { const t = a.shape[0] - 1; for (let i = 0; i < d; i++) a.data[t * d + i] += hook.vector[i]; } }] : [];
      const x = model.run(ids, { hooks, cache: ['ln_final.hook_normalized'], logits: 'none' }).activations.get('ln_final.hook_normalized')!;
      const t = x.shape[0] - 1;
      let dot = 0;
      for (let i = 0; i < d; i++) dot += x.data[t * d + i] * gain[i] * reference[i];
      return dot;
    };
    emotions.forEach((e, k) => {
      const reference = referenceDirection(directions, e);
      assert.deepEqual(Array.from(result[k].reference), Array.from(reference));
      for (const site of ['attn', 'mlp'] as const) {
        for (let l = 0; l < L; l++) {
          const v = directions[site].directions.subarray((e * L + l) * d, (e * L + l + 1) * d);
          const sign = v.reduce((s, x, i) => s + x * reference[i], 0) < 0 ? -1 : 1;
          alphas.forEach((alpha, a) => {
            const vector = Float64Array.from(v, (x) => sign * alpha * sigma[site][l] * x);
            let sum = 0;
            for (const ids of prompts) {
              const name = `blocks.${l}.${site === 'attn' ? 'hook_attn_out' : 'hook_mlp_out'}`;
              sum += finalProjection(ids, reference, { name, vector }) - finalProjection(ids, reference);
            }
            const expected = sum / prompts.length / (alpha * sigma[site][l]);
            const got = result[k].influence[site].byAlpha[a][l];
            assert.ok(Math.abs(got - expected) <= 1e-4 * Math.max(1, Math.abs(expected)), `e${e} ${site} L${l} α${alpha}: ${got} vs ${expected}`);
            assert.ok(Math.abs(expected) > 1e-3, 'the edit must move the read-out');
          });
          const mean = (result[k].influence[site].byAlpha[0][l] + result[k].influence[site].byAlpha[1][l]) / 2;
          assert.ok(Math.abs(result[k].influence[site].mean[l] - mean) < 1e-12);
        }
      }
    });
  });

  test('weights: max(I, 0) normalised; uniform when every I ≤ 0', () => {
    assert.deepEqual(sublayerWeights([2, -1, 6]), { weights: [0.25, 0, 0.75], uniform: false });
    assert.deepEqual(sublayerWeights([-2, 0]), { weights: [0.5, 0.5], uniform: true });
  });
});
