/**
 * Whole-model gradient checks in float64 on small random Llama models (tied and untied, GQA):
 * every parameter's gradient of the masked cross-entropy, and the gradients at hook points of a
 * metric that adds seeds (linear readouts) at several hooks, against central finite differences
 * (hook activations are perturbed with additive edits in the forward pass).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GradModel } from '../src/model/grad/gradModel.js';
import { initParams, paramLayout, type LlamaShape } from '../src/model/grad/params.js';
import type { HookValue } from '../src/model/grad/hookRows.js';
import { allHookNames, type HookName } from '../src/model/hookNames.js';
import { seededRandom } from '../src/random.js';
import { checkGradient, dot, numericGradientAt, randomF64 } from './helpers/gradCheck.js';

const BASE: LlamaShape = { d: 8, layers: 2, heads: 4, kvHeads: 2, dff: 12, vocab: 11, tied: false, maxPositions: 16, ropeTheta: 10000, eps: 1e-5 };
const SEQUENCES = [[1, 4, 9, 2, 7], [3, 3, 10, 0]];
const MASKS = [Uint8Array.of(1, 0, 1, 1, 1), Uint8Array.of(1, 1, 1, 0)];

function randomModel(shape: LlamaShape, seed: number): GradModel<Float64Array> {
  const layout = paramLayout(shape);
  // Larger than the training init (0.02), and random gains, so every path carries signal.
  const params = Float64Array.from(initParams(layout, seed, 0.4));
  const random = seededRandom(seed + 100);
  for (const t of layout.tensors) if (!t.decay) for (let i = 0; i < t.size; i++) params[t.offset + i] = 0.5 + random();
  return new GradModel(layout, params);
}

for (const [label, shape] of [['untied', BASE], ['tied', { ...BASE, tied: true }], ['MHA, tied', { ...BASE, kvHeads: 4, tied: true }]] as const) {
  test(`every parameter gradient of the masked cross-entropy (${label})`, () => {
    const model = randomModel(shape, 7);
    const lossOf = (): number => model.backward(model.forward(SEQUENCES), { lossMasks: MASKS, seeds: [] }).loss as number;
    const grads = new Float64Array(model.layout.size);
    const { loss, lossTokens } = model.backward(model.forward(SEQUENCES), { lossMasks: MASKS, grads });
    assert.equal(lossTokens, 3 + 3, 'the last position of each sequence has no target');
    assert.ok(loss !== null && loss > 1);
    for (const t of model.layout.tensors) {
      const indices = Array.from({ length: t.size }, (_, i) => t.offset + i);
      checkGradient(t.name, lossOf, model.params, grads, indices);
    }
  });
}

test('gradients at every hook point, with seeds at several hooks (GQA, untied)', () => {
  const model = randomModel(BASE, 11);
  const random = seededRandom(12);
  const { d, vocab: V, heads: H, kvHeads: Hkv, dff } = BASE;
  const dh = d / H;
  const widthOf = (name: HookName): number => {
    if (name === 'logits') return V;
    if (/hook_q|hook_z/.test(name)) return H * dh;
    if (/hook_k|hook_v/.test(name)) return Hkv * dh;
    if (/mlp\.hook_(pre|post)/.test(name)) return dff;
    return d;
  };
  const seedHooks: HookName[] = [
    'logits', 'blocks.1.attn.hook_z', 'blocks.0.mlp.hook_post', 'blocks.0.hook_resid_mid', 'blocks.1.hook_resid_pre', 'blocks.0.attn.hook_k',
    'blocks.1.hook_mlp_out', 'blocks.0.hook_attn_out', 'ln_final.hook_normalized',
  ];
  const seeds: HookValue[] = [];
  SEQUENCES.forEach((ids, s) => {
    for (const hook of seedHooks) seeds.push({ sequence: s, hook, values: randomF64(ids.length * widthOf(hook), random) });
  });
  // The metric: cross-entropy + Σ ⟨seed, activation⟩, evaluated on a forward pass with `edits`.
  const metric = (edits: HookValue[]): number => {
    const tape = model.forward(SEQUENCES, { edits });
    let value = model.backward(tape, { lossMasks: MASKS, seeds: [] }).loss as number;
    for (const seed of seeds) value += dot(seed.values, model.activation(tape, seed.hook, seed.sequence));
    return value;
  };
  const hooks = allHookNames(BASE.layers).filter((name) => !name.endsWith('hook_pattern'));
  const result = model.backward(model.forward(SEQUENCES), { lossMasks: MASKS, seeds, hooks: ['*'] });
  for (const hook of hooks) {
    SEQUENCES.forEach((ids, s) => {
      const analytic = result.hookGrads[s].get(hook);
      assert.ok(analytic, `gradient at ${hook} for sequence ${s}`);
      const delta = new Float64Array(ids.length * widthOf(hook));
      assert.equal(analytic.length, delta.length, `${hook} shape`);
      const f = (): number => metric([{ sequence: s, hook, values: delta }]);
      // A handful of entries per hook and sequence keeps the test fast.
      for (let n = 0; n < 4; n++) {
        const i = Math.floor(random() * delta.length);
        const numeric = numericGradientAt(f, delta, i);
        assert.ok(Math.abs(analytic[i] - numeric) <= 1e-6 * (Math.abs(numeric) + 1e-3), `${hook} seq ${s} [${i}]: ${analytic[i]} vs ${numeric}`);
      }
    });
  }
  // The pattern gradient is reported too: [H, T, T] per sequence.
  assert.equal(result.hookGrads[0].get('blocks.0.attn.hook_pattern')?.length, H * 5 * 5);
});

test('weight gradients are skipped without `grads`, hook gradients unchanged', () => {
  const model = randomModel(BASE, 13);
  const seeds: HookValue[] = [{ sequence: 1, hook: 'blocks.1.hook_resid_post', values: randomF64(4 * BASE.d, seededRandom(1)) }];
  const a = model.backward(model.forward(SEQUENCES), { seeds, hooks: ['blocks.*.attn.hook_z'] });
  const b = model.backward(model.forward(SEQUENCES), { seeds, hooks: ['blocks.*.attn.hook_z'], grads: new Float64Array(model.layout.size) });
  assert.equal(a.loss, null);
  assert.deepEqual([...a.hookGrads[1].get('blocks.0.attn.hook_z')!], [...b.hookGrads[1].get('blocks.0.attn.hook_z')!]);
  // Only sequence 1 was seeded: sequence 0's gradients are zero.
  assert.ok(a.hookGrads[0].get('blocks.0.attn.hook_z')!.every((x) => x === 0));
  assert.throws(() => model.backward(model.forward(SEQUENCES), {}), /no metric/);
});

test('logits at the loss positions only (forward with lossMasks) give the same loss and gradients', () => {
  const model = randomModel({ ...BASE, tied: true }, 17);
  const full = new Float64Array(model.layout.size);
  const compact = new Float64Array(model.layout.size);
  const a = model.backward(model.forward(SEQUENCES), { lossMasks: MASKS, grads: full, hooks: ['blocks.0.hook_resid_mid'] });
  const tape = model.forward(SEQUENCES, { lossMasks: MASKS });
  assert.equal(tape.logits.length, 6 * BASE.vocab, 'logits for the 6 counted positions only');
  const b = model.backward(tape, { lossMasks: MASKS, grads: compact, hooks: ['blocks.0.hook_resid_mid'] });
  assert.ok(Math.abs((a.loss as number) - (b.loss as number)) < 1e-12);
  assert.equal(b.lossTokens, 6);
  for (let i = 0; i < full.length; i++) assert.ok(Math.abs(full[i] - compact[i]) < 1e-12, `grad [${i}]`);
  const ga = a.hookGrads[1].get('blocks.0.hook_resid_mid')!;
  const gb = b.hookGrads[1].get('blocks.0.hook_resid_mid')!;
  for (let i = 0; i < ga.length; i++) assert.ok(Math.abs(ga[i] - gb[i]) < 1e-12);
  assert.throws(() => model.backward(tape, { lossMasks: [MASKS[0], Uint8Array.of(0, 1, 1, 0)] }), /lossMasks that forward/);
  assert.throws(() => model.backward(tape, { lossMasks: MASKS, hooks: ['logits'] }), /without lossMasks/);
});
