/**
 * Attribution patching on a tiny random Llama model (GQA, untied head) written to a temp folder:
 * the estimate equals −(finite-difference derivative)·a, with the derivative taken by scaling the
 * hook activation through an intervention; the exact-effect path equals a forward pass with the unit
 * zeroed by a hand-written hook; the gradient model's forward pass equals the engine's (also on
 * TinyStories-656K with the engine's default backend, as the stage runs it).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileInterventions } from '../src/interventions/compile.js';
import type { Hook } from '../src/model/hooks.js';
import { layerHook, type HookName } from '../src/model/hookNames.js';
import { initParams, paramLayout, type LlamaShape } from '../src/model/grad/params.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { attributionEstimates, gradModelOf } from '../src/pipeline/attribution/attributionPatching.js';
import { exactEffects, sampleUnits, type SampledUnit } from '../src/pipeline/attribution/exactEffects.js';
import { seededRandom } from '../src/random.js';
import { exportHfFolder } from '../src/train/hfExport.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const SHAPE: LlamaShape = { d: 16, layers: 2, heads: 4, kvHeads: 2, dff: 24, vocab: 19, tied: false, maxPositions: 32, ropeTheta: 10000, eps: 1e-5 };
const PROMPTS = [[1, 7, 3, 12, 5, 0], [1, 9, 2], [4], [1, 18, 6, 6, 11]];

function unitVector(d: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const v = Array.from({ length: d }, () => random() * 2 - 1);
  const norm = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / norm);
}

/** Mean over prompts of m = Σ_i xhat[last, i]·g_i·v_i, read from ln_final.hook_normalized. */
function meanProjection(model: LanguageModel, prompts: number[][], reference: Float32Array, hooks: readonly Hook[] = []): number {
  const d = model.config.hiddenSize;
  const gain = model.weights.finalNorm;
  let total = 0;
  for (const ids of prompts) {
    const x = model.run(ids, { hooks, cache: ['ln_final.hook_normalized'], logits: 'none' }).activations.get('ln_final.hook_normalized')!;
    const last = (x.shape[0] - 1) * d;
    for (let i = 0; i < d; i++) total += x.data[last + i] * gain[i] * reference[i];
  }
  return total / prompts.length;
}

/** Largest |a − b| relative to the largest |b|. */
function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / Math.max(scale, 1e-30);
}

/** Every hook the estimates read, plus the residual stream and the final norm, equal within `tolerance`. */
function assertForwardMatches(model: LanguageModel, prompts: number[][], tolerance: number): void {
  const grad = gradModelOf(model);
  const tape = grad.forward(prompts);
  const names: HookName[] = ['ln_final.hook_normalized'];
  for (let l = 0; l < model.config.numLayers; l++) names.push(layerHook(l, 'attn.hook_z'), layerHook(l, 'hook_resid_mid'), layerHook(l, 'mlp.hook_post'), layerHook(l, 'hook_resid_post'));
  prompts.forEach((ids, s) => {
    const { activations } = model.run(ids, { cache: names, logits: 'none' });
    for (const name of names) {
      const relative = relativeDifference(grad.activation(tape, name, s), activations.get(name)!.data);
      assert.ok(relative <= tolerance, `${name}, prompt ${s}: relative difference ${relative.toExponential(2)}`);
    }
  });
}

describe('attribution patching on a tiny random model', () => {
  let dir: string;
  let model: LanguageModel;
  before(async () => {
    const layout = paramLayout(SHAPE);
    const params = initParams(layout, 5, 0.35);
    const random = seededRandom(9);
    for (const t of layout.tensors) if (!t.decay) for (let i = 0; i < t.size; i++) params[t.offset + i] = 0.6 + 0.8 * random(); // non-trivial gains
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-attribution-'));
    exportHfFolder(dir, layout, params, 'f16', { bosTokenId: 1, eosTokenId: 2 });
    model = await LanguageModel.load(dir);
  });
  after(async () => {
    await model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("the gradient model's forward pass equals the engine's (relative 1e-5)", () => {
    assertForwardMatches(model, PROMPTS, 1e-5);
  });

  test('estimate = −(finite-difference derivative)·a, the derivative taken through a scale intervention', () => {
    const reference = unitVector(SHAPE.d, 3);
    const estimates = attributionEstimates(gradModelOf(model), PROMPTS, reference, model.weights.finalNorm, 3); // batches of 3 and 1
    // Scaling a by (1 ± ε) moves m by ±ε·(∂m/∂a)·a + O(ε²): the central difference over 2ε is (∂m/∂a)·a.
    const epsilon = 1e-2;
    const directional = (hook: HookName, select: { heads: number[] } | { neurons: number[] }, positions: 'all' | 'last'): number => {
      const at = (coeff: number): number => meanProjection(model, PROMPTS, reference, compileInterventions([{ hook, op: 'scale', coeff, positions, ...select }], model.config));
      return (at(1 + epsilon) - at(1 - epsilon)) / (2 * epsilon);
    };
    const expectedHeads: number[] = [];
    const expectedNeurons: number[] = [];
    for (let l = 0; l < SHAPE.layers; l++) {
      for (let h = 0; h < SHAPE.heads; h++) expectedHeads.push(-directional(layerHook(l, 'attn.hook_z'), { heads: [h] }, 'all'));
      for (let n = 0; n < SHAPE.dff; n++) expectedNeurons.push(-directional(layerHook(l, 'mlp.hook_post'), { neurons: [n] }, 'last'));
    }
    const headScale = Math.max(...expectedHeads.map(Math.abs));
    const neuronScale = Math.max(...expectedNeurons.map(Math.abs));
    assert.ok(headScale > 1e-2 && neuronScale > 1e-2, `effects too small to test: ${headScale}, ${neuronScale}`);
    expectedHeads.forEach((x, i) => assert.ok(Math.abs(estimates.headEffects[i] - x) <= 2e-3 * headScale, `head ${i}: estimate ${estimates.headEffects[i]}, finite difference ${x}`));
    expectedNeurons.forEach((x, i) => assert.ok(Math.abs(estimates.neuronEffects[i] - x) <= 2e-3 * neuronScale, `neuron ${i}: estimate ${estimates.neuronEffects[i]}, finite difference ${x}`));
    // m per prompt is the gradient model's forward value of the projection.
    PROMPTS.forEach((ids, p) => assert.ok(Math.abs(estimates.projections[p] - meanProjection(model, [ids], reference)) < 1e-5));
  });

  test('exact effects equal a forward pass with the unit zeroed by a hand-written hook', () => {
    const reference = unitVector(SHAPE.d, 4);
    const dh = SHAPE.d / SHAPE.heads;
    const units: SampledUnit[] = [
      { kind: 'heads', layer: 0, unit: 2, group: 'all' },
      { kind: 'heads', layer: 1, unit: 0, group: 'all' },
      { kind: 'neurons', layer: 0, unit: 5, group: 'top' },
      { kind: 'neurons', layer: 1, unit: 17, group: 'random' },
    ];
    const { effects, baseline } = exactEffects(model, PROMPTS, reference, units, 3);
    const base = meanProjection(model, PROMPTS, reference);
    assert.ok(Math.abs(baseline.reduce((a, b) => a + b, 0) / PROMPTS.length - base) < 1e-6);
    units.forEach((u, i) => {
      const zero: Hook = u.kind === 'heads'
        ? { name: layerHook(u.layer, 'attn.hook_z'), fn: (a) => { for (let t = 0; t < a.shape[0]; t++) a.data.fill(0, t * SHAPE.d + u.unit * dh, t * SHAPE.d + (u.unit + 1) * dh); } }
        : { name: layerHook(u.layer, 'mlp.hook_post'), fn: (a) => { a.data[(a.shape[0] - 1) * SHAPE.dff + u.unit] = 0; } };
      const expected = meanProjection(model, PROMPTS, reference, [zero]) - base;
      assert.ok(Math.abs(effects[i] - expected) < 1e-6, `${u.kind} ${u.layer}.${u.unit}: ${effects[i]} vs ${expected}`);
      assert.ok(Math.abs(expected) > 1e-4, 'zeroing the unit should move m');
    });
  });

  test('sampled units: every head, then per layer the top, bottom and random neurons by estimate', () => {
    const effects = Float64Array.from({ length: 2 * 10 }, (_, i) => ((i * 7) % 10) - 4.5 + (i >= 10 ? 100 : 0)); // distinct per layer
    const units = sampleUnits(2, 3, effects, 3, 1);
    assert.deepEqual(units.filter((u) => u.kind === 'heads').map((u) => `${u.layer}.${u.unit}`), ['0.0', '0.1', '0.2', '1.0', '1.1', '1.2']);
    for (let l = 0; l < 2; l++) {
      const layer = Array.from(effects.subarray(l * 10, (l + 1) * 10));
      const sorted = layer.map((x, n) => [x, n]).sort((a, b) => b[0] - a[0]).map(([, n]) => n);
      const of = (group: string) => units.filter((u) => u.kind === 'neurons' && u.layer === l && u.group === group).map((u) => u.unit);
      assert.deepEqual(of('top'), sorted.slice(0, 3));
      assert.deepEqual(of('bottom'), sorted.slice(7).reverse());
      const random = of('random');
      assert.equal(new Set(random).size, 3, 'three distinct random neurons');
      assert.ok(random.every((n) => sorted.slice(3, 7).includes(n)));
    }
  });
});

test("on TinyStories-656K the gradient model's forward pass equals the engine's (relative 1e-5)", { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, async () => {
  const model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'));
  try {
    assertForwardMatches(model, [[1, 415, 1092, 263, 931, 29892, 727, 471].map((id) => id % model.config.vocabSize), [1, 12, 600]], 1e-5);
  } finally {
    await model.dispose();
  }
});
