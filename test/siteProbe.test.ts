/**
 * The measured projections of the component stages against a from-scratch computation on
 * TinyStories-656K (RMS, gain and projection written out here; gains read from the checkpoint
 * file by their Hugging Face names):
 *   attention site, layer l: s = ⟨RMSNorm(resid_mid)·g, v⟩, g = model.layers.l.post_attention_layernorm
 *   MLP site, layer l:       s = ⟨RMSNorm(resid_post)·g, v⟩, g = model.layers.(l+1).input_layernorm, or model.norm after the last layer
 *   final:                   ⟨RMSNorm(resid_post of the last layer)·model.norm, v_ref⟩
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { layerHook } from '../src/model/hookNames.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { probe, siteGain } from '../src/pipeline/components/siteProbe.js';
import { seededRandom } from '../src/random.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

function rmsNormTimesGain(x: ArrayLike<number>, gain: ArrayLike<number>, eps: number): number[] {
  let meanSquare = 0;
  for (let i = 0; i < x.length; i++) meanSquare += x[i] * x[i];
  const rms = Math.sqrt(meanSquare / x.length + eps);
  return Array.from(x, (xi, i) => (xi / rms) * gain[i]);
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

describe('site projections s on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  let file: SafetensorsReader;
  before(async () => {
    model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'));
    file = SafetensorsReader.open(sharedPath('models', 'tinystories-656k', 'model.safetensors'));
  });
  after(async () => {
    file.close();
    await model.dispose();
  });

  test('siteGain is the gain of the norm that reads the site next', () => {
    const L = model.config.numLayers;
    for (let l = 0; l < L; l++) {
      assert.deepEqual(siteGain(model, 'attn', l), file.readF32(`model.layers.${l}.post_attention_layernorm.weight`), `attn ${l}`);
      const next = l + 1 < L ? `model.layers.${l + 1}.input_layernorm.weight` : 'model.norm.weight';
      assert.deepEqual(siteGain(model, 'mlp', l), file.readF32(next), `mlp ${l} reads ${next}`);
    }
    // The gains are far from 1, so a computation that drops them cannot pass the next test.
    const g = file.readF32('model.layers.0.post_attention_layernorm.weight');
    assert.ok(g.some((x) => Math.abs(x - 1) > 0.2), 'post-attention gain differs from 1');
  });

  test('probe equals RMS · gain · projection at the last token, for every site and layer, in ragged batches', () => {
    const { config } = model;
    const d = config.hiddenSize;
    const eps = config.rmsNormEps;
    const prompts = [[1, 40, 90, 7, 300], [1, 12, 5], [1, 77, 201, 33, 9, 18, 250], [1, 2]];
    const random = seededRandom(17);
    const unit = (): Float32Array => {
      const v = Float32Array.from({ length: d }, () => random() - 0.5);
      const norm = Math.sqrt(dot(v, v));
      return v.map((x) => x / norm);
    };
    const L = config.numLayers;
    const finalGain = file.readF32('model.norm.weight');
    for (let l = 0; l < L; l++) {
      for (const site of ['attn', 'mlp'] as const) {
        const direction = unit();
        const reference = unit();
        const result = probe(model, prompts, { site, layer: l, direction, reference }, [], 3);
        const gain = site === 'attn' ? file.readF32(`model.layers.${l}.post_attention_layernorm.weight`)
          : file.readF32(l + 1 < L ? `model.layers.${l + 1}.input_layernorm.weight` : 'model.norm.weight');
        prompts.forEach((ids, p) => {
          const hook = layerHook(l, site === 'attn' ? 'hook_resid_mid' : 'hook_resid_post');
          const lastResid = layerHook(L - 1, 'hook_resid_post');
          const { activations } = model.run(ids, { cache: [hook, lastResid], logits: 'none' });
          const T = ids.length;
          const x = activations.get(hook)!.data.subarray((T - 1) * d, T * d);
          const expected = dot(rmsNormTimesGain(x, gain, eps), direction);
          assert.ok(Math.abs(result.site[p] - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `${site} L${l} prompt ${p}: ${result.site[p]} vs ${expected}`);
          const finalX = activations.get(lastResid)!.data.subarray((T - 1) * d, T * d);
          const expectedFinal = dot(rmsNormTimesGain(finalX, finalGain, eps), reference);
          assert.ok(Math.abs(result.final[p] - expectedFinal) < 1e-4 * Math.max(1, Math.abs(expectedFinal)), `final, prompt ${p}: ${result.final[p]} vs ${expectedFinal}`);
        });
      }
    }
  });
});
