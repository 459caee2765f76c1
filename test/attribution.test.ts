/**
 * Neuron and head attribution and the measured projection s: the fast, cached-value formulas
 * against explicit recomputation. The reference s is written out here (RMS, gain, projection), not
 * taken from the module it checks:
 *   s = Σ_i (x_i / √(mean_j x_j² + ε)) · g_i · v_i
 * with g the gain of the norm that reads x next (post_attention_layernorm for resid_mid; the next
 * layer's input_layernorm, or model.norm after the last layer, for resid_post), read from the
 * checkpoint file by its Hugging Face name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileInterventions } from '../src/interventions/compile.js';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { adapterFor } from '../src/model/adapters.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { seededRandom } from '../src/model/sampling.js';
import { headImportances } from '../src/pipeline/components/headAttribution.js';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { downProjectionReadout, meanContributions, topIndices } from '../src/pipeline/components/neuronAttribution.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

function randomArray(n: number, random: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

/** s = ⟨RMSNorm(x) · g, v⟩, spelled out. */
function referenceS(x: ArrayLike<number>, gain: ArrayLike<number>, eps: number, v: ArrayLike<number>): number {
  const d = x.length;
  let meanSquare = 0;
  for (let i = 0; i < d; i++) meanSquare += x[i] * x[i];
  meanSquare /= d;
  const rms = Math.sqrt(meanSquare + eps);
  let s = 0;
  for (let i = 0; i < d; i++) {
    const normalised = x[i] / rms;
    const scaled = normalised * gain[i];
    s += scaled * v[i];
  }
  return s;
}

test('β = W_downᵀ v and mean contributions match a direct double loop', () => {
  const random = seededRandom(4);
  const d = 5;
  const dff = 7;
  const w = randomArray(d * dff, random);
  const v = randomArray(d, random);
  const beta = downProjectionReadout(w, v, dff);
  for (let n = 0; n < dff; n++) {
    let expected = 0;
    for (let i = 0; i < d; i++) expected += w[i * dff + n] * v[i];
    assert.ok(Math.abs(beta[n] - expected) < 1e-12);
  }
  const acts = randomArray(3 * dff, random);
  const contributions = meanContributions(acts, 3, beta);
  for (let n = 0; n < dff; n++) {
    const mean = (acts[n] + acts[dff + n] + acts[2 * dff + n]) / 3;
    assert.ok(Math.abs(contributions[n] - mean * beta[n]) < 1e-12);
  }
  assert.deepEqual(topIndices([0.1, 3, -2, 3, 0.5], 3), [1, 3, 4]);
});

test('fast head importance equals rebuilding o_proj without the head', () => {
  const random = seededRandom(9);
  const d = 12;
  const heads = 3;
  const dh = 4;
  const residMid = randomArray(d, random);
  const z = randomArray(heads * dh, random);
  const oWeight = randomArray(d * heads * dh, random);
  const gain = randomArray(d, random);
  const direction = randomArray(d, random);
  const fast = headImportances({ residMid, z, oWeight, gain, eps: 1e-6, direction, heads });
  for (let h = 0; h < heads; h++) {
    const ablated = Array.from(residMid);
    for (let i = 0; i < d; i++) for (let j = 0; j < dh; j++) ablated[i] -= oWeight[i * heads * dh + h * dh + j] * z[h * dh + j];
    const expected = referenceS(residMid, gain, 1e-6, direction) - referenceS(ablated, gain, 1e-6, direction);
    assert.ok(Math.abs(fast[h] - expected) < 1e-9, `head ${h}`);
  }
});

test('head importance: a large residual scale and a non-unit gain both matter (hand-sized example)', () => {
  // d = 2, one head with dh = 1, W_o = [1, 0]ᵀ, z = [1]: the head writes (1, 0).
  const residMid = Float32Array.from([3, 4]);
  const fast = headImportances({ residMid, z: Float32Array.from([1]), oWeight: Float32Array.from([1, 0]), gain: Float32Array.from([2, 0.5]), eps: 0, direction: Float32Array.from([1, 0]), heads: 1 });
  // s = 3·2/√(12.5) = 1.697056; without the head x = (2, 4): s = 2·2/√10 = 1.264911.
  assert.ok(Math.abs(fast[0] - (6 / Math.sqrt(12.5) - 4 / Math.sqrt(10))) < 1e-12, `importance ${fast[0]}`);
});

const REAL_MODELS: Array<[string, string[]]> = [
  ['tinystories-656k', ['models', 'tinystories-656k']],
  ['random-qwen3', ['fixtures', 'random-qwen3']],
];
for (const [label, path] of REAL_MODELS) {
  describe(`fast head importance on ${label}`, { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
    let model: LanguageModel;
    let file: SafetensorsReader;
    before(async () => {
      model = await LanguageModel.load(sharedPath(...path), { backend: new JsBackend() });
      file = SafetensorsReader.open(sharedPath(...path, 'model.safetensors'));
    });
    after(async () => {
      file.close();
      await model.dispose();
    });

    test(`${label}: equals the naive forward-pass ablation within 1e-4 relative`, () => {
      const { config } = model;
      const ids = [1, 40, 90, 7, 300, 12, 5, 77].map((i) => i % config.vocabSize);
      const last = ids.length - 1;
      const d = config.hiddenSize;
      const width = config.numHeads * config.headDim;
      const random = seededRandom(3);
      for (let l = 0; l < config.numLayers; l++) {
        const direction = randomArray(d, random);
        const residName = `blocks.${l}.hook_resid_mid` as const;
        const zName = `blocks.${l}.attn.hook_z` as const;
        const { activations } = model.run(ids, { cache: [residName, zName], logits: 'none' });
        const residMid = activations.get(residName)!.data.slice(last * d, (last + 1) * d);
        const gain = file.readF32(`model.layers.${l}.post_attention_layernorm.weight`);
        const fast = headImportances({
          residMid,
          z: activations.get(zName)!.data.slice(last * width, (last + 1) * width),
          oWeight: model.weightF32(adapterFor(config).layer(l).o),
          gain,
          eps: config.rmsNormEps,
          direction,
          heads: config.numHeads,
        });
        const base = referenceS(residMid, gain, config.rmsNormEps, direction);
        for (let h = 0; h < config.numHeads; h++) {
          const hooks = compileInterventions([{ hook: zName, op: 'zero', heads: [h] }], config);
          const ablated = model.run(ids, { hooks, cache: [residName], logits: 'none' }).activations.get(residName)!.data.slice(last * d, (last + 1) * d);
          const naive = base - referenceS(ablated, gain, config.rmsNormEps, direction);
          const scale = Math.max(Math.abs(naive), 1e-3 * Math.abs(base), 1e-6);
          assert.ok(Math.abs(fast[h] - naive) / scale < 1e-4, `layer ${l} head ${h}: fast ${fast[h]} naive ${naive}`);
        }
      }
    });
  });
}
