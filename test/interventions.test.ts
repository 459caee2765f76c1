/**
 * Interventions: validation of the data, the semantics of each op, and the KV-cache guarantee —
 * cached decoding with an intervention equals a full recompute with the same intervention.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InterventionError } from '../src/errors.js';
import { compileInterventions } from '../src/interventions/compile.js';
import { parseInterventions, type Intervention } from '../src/interventions/intervention.js';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { KVCache } from '../src/model/kvCache.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { seededRandom } from '../src/model/sampling.js';
import { compare } from './helpers/compare.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

function randomVector(n: number, seed: number, scale = 1): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

describe('interventions', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  before(async () => {
    model = await LanguageModel.load(sharedPath('fixtures', 'random-llama3'), { backend: new JsBackend() });
  });
  after(async () => model.dispose());

  const ids = [5, 17, 200, 3, 99, 42, 7, 128, 64, 1];

  test('parseInterventions rejects bad input with the field named', () => {
    const c = model.config;
    const cases: Array<[unknown, RegExp]> = [
      [{ hook: 'blocks.9.hook_resid_post', op: 'zero' }, /\.hook: expected a hook point/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'explode' }, /\.op: expected one of/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'add', vector: [1, 2] }, /\.vector: expected 64 numbers/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'add' }, /\.vector: op add needs a vector/],
      [{ hook: 'blocks.0.attn.hook_z', op: 'zero', heads: [4] }, /heads\[0\]: expected an integer head index in \[0, 4\)/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'zero', heads: [0] }, /has no heads/],
      [{ hook: 'blocks.0.mlp.hook_post', op: 'zero', neurons: [128] }, /neurons\[0\]: expected an integer unit index in \[0, 128\)/],
      [{ hook: 'blocks.0.attn.hook_pattern', op: 'add', vector: [] }, /hook_pattern supports scale and zero/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'zero', phase: 'later' }, /\.phase: expected prefill, decode or both/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'zero', positions: [-1] }, /positions\[0\]/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'zero', colour: 'red' }, /\.colour: unknown field/],
      [{ hook: 'blocks.0.hook_resid_post', op: 'scale', coeff: 'big' }, /\.coeff: expected a finite number/],
      [[{ hook: 'blocks.0.hook_resid_post', op: 'zero' }, 7], /file\.json\[1\]: expected an object/],
    ];
    for (const [json, message] of cases) {
      assert.throws(() => parseInterventions(json, c, 'file.json'), (e: unknown) => e instanceof InterventionError && message.test(e.message), JSON.stringify(json));
    }
    const ok = parseInterventions([{ hook: 'blocks.1.attn.hook_z', op: 'scale', heads: [0, 3], coeff: 2, positions: 'last', phase: 'decode' }], c);
    assert.deepEqual(ok[0].heads, [0, 3]);
  });

  test('each op edits exactly the selected rows and units', () => {
    const d = model.config.hiddenSize;
    const dh = model.config.headDim;
    const base = model.run(ids, { cache: ['*'] }).activations;
    const vector = randomVector(d, 1);
    const cases: Array<{ iv: Intervention; check: (after: Float32Array, before: Float32Array) => void }> = [
      {
        iv: { hook: 'blocks.0.hook_resid_post', op: 'add', vector, coeff: 0.5, positions: [2, 7] },
        check: (a, b) => {
          for (let t = 0; t < ids.length; t++) for (let i = 0; i < d; i++) {
            const expected = b[t * d + i] + (t === 2 || t === 7 ? Math.fround(0.5 * vector[i]) : 0);
            assert.ok(Math.abs(a[t * d + i] - expected) < 1e-6);
          }
        },
      },
      {
        iv: { hook: 'blocks.1.attn.hook_z', op: 'zero', heads: [2], positions: 'all' },
        check: (a, b) => {
          const H = model.config.numHeads;
          for (let t = 0; t < ids.length; t++) for (let h = 0; h < H; h++) for (let i = 0; i < dh; i++) {
            const k = (t * H + h) * dh + i;
            assert.equal(a[k], h === 2 ? 0 : b[k]);
          }
        },
      },
      {
        iv: { hook: 'blocks.0.hook_resid_mid', op: 'project-out', vector, positions: 'last' },
        check: (a, b) => {
          const last = (ids.length - 1) * d;
          let dot = 0;
          for (let i = 0; i < d; i++) dot += a[last + i] * vector[i];
          assert.ok(Math.abs(dot) < 1e-4, `projection left ${dot}`);
          assert.deepEqual(a.subarray(0, last), b.subarray(0, last));
        },
      },
      {
        iv: { hook: 'blocks.1.mlp.hook_post', op: 'scale', neurons: [0, 5], coeff: 3 },
        check: (a, b) => {
          const dff = model.config.intermediateSize;
          for (let t = 0; t < ids.length; t++) for (let i = 0; i < dff; i++) {
            const k = t * dff + i;
            assert.ok(Math.abs(a[k] - (i === 0 || i === 5 ? 3 * b[k] : b[k])) < 1e-6);
          }
        },
      },
      {
        iv: { hook: 'blocks.0.hook_mlp_out', op: 'set', vector, coeff: 2, positions: [0] },
        check: (a, b) => {
          for (let i = 0; i < d; i++) assert.equal(a[i], Math.fround(2 * vector[i]));
          assert.deepEqual(a.subarray(d), b.subarray(d));
        },
      },
    ];
    for (const { iv, check } of cases) {
      const hooks = compileInterventions(parseInterventions(iv, model.config), model.config);
      const edited = model.run(ids, { cache: [iv.hook], hooks }).activations.get(iv.hook)!;
      check(edited.data, base.get(iv.hook)!.data);
    }
    // Zeroing a head's pattern rows zeroes its z.
    const hooks = compileInterventions([{ hook: 'blocks.0.attn.hook_pattern', op: 'zero', heads: [1] }], model.config);
    const z = model.run(ids, { hooks, cache: ['blocks.0.attn.hook_z'] }).activations.get('blocks.0.attn.hook_z')!;
    const H = model.config.numHeads;
    for (let t = 0; t < ids.length; t++) for (let i = 0; i < dh; i++) assert.equal(z.data[(t * H + 1) * dh + i], 0);
  });

  /**
   * Decodes `continuation` one token at a time after a cached prefill of `prompt`, with `cached`
   * interventions, and compares every step's logits with a full recompute of the prefix under the
   * `recompute(step)` interventions.
   */
  function checkCachedEqualsRecompute(prompt: number[], continuation: number[], cached: Intervention[], recompute: (length: number) => Intervention[]): void {
    const cache = new KVCache(model.config.numLayers, model.config.numKvHeads * model.config.headDim);
    const hooks = compileInterventions(cached, model.config);
    let out = model.forward([{ ids: prompt, cache }], { hooks, logits: 'last' })[0].logits!;
    const sequence = [...prompt];
    for (let step = 0; step <= continuation.length; step++) {
      const full = model.run(sequence, { hooks: compileInterventions(recompute(sequence.length), model.config), logits: 'last' }).logits!;
      const diff = compare(out.data, full.data);
      assert.ok(diff.relL2 <= 1e-5, `step ${step}: rel L2 ${diff.relL2}`);
      if (step === continuation.length) break;
      sequence.push(continuation[step]);
      out = model.forward([{ ids: [continuation[step]], cache }], { hooks, logits: 'last' })[0].logits!;
    }
  }

  const prompt = ids.slice(0, 6);
  const continuation = [11, 250, 33, 8, 190];
  const P = prompt.length;
  const edits = (positions: Intervention['positions'], phase: Intervention['phase']): Intervention[] =>
    parseInterventions(
      [
        { hook: 'blocks.0.hook_resid_post', op: 'add', vector: randomVector(64, 2, 0.5), positions, phase },
        { hook: 'blocks.1.attn.hook_z', op: 'scale', heads: [1, 3], coeff: 1.7, positions, phase },
        { hook: 'blocks.0.mlp.hook_post', op: 'zero', neurons: [3, 17, 90], positions, phase },
        { hook: 'blocks.1.hook_resid_mid', op: 'project-out', vector: randomVector(64, 3), positions, phase },
        { hook: 'blocks.0.attn.hook_k', op: 'add', heads: [0], vector: randomVector(32, 4, 0.3), positions, phase },
      ],
      model.config,
    );
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

  test('KV cache equals full recompute with no intervention', () => {
    checkCachedEqualsRecompute(prompt, continuation, [], () => []);
  });

  test('KV cache equals full recompute with interventions on all positions', () => {
    checkCachedEqualsRecompute(prompt, continuation, edits('all', 'both'), () => edits('all', 'both'));
  });

  test('KV cache with "last" equals a recompute that edits the last prompt position and every generated one', () => {
    checkCachedEqualsRecompute(prompt, continuation, edits('last', 'both'), (length) => edits(range(P - 1, length), 'both'));
  });

  test('KV cache with decode-phase edits equals a recompute that edits the generated positions only', () => {
    checkCachedEqualsRecompute(prompt, continuation, edits('all', 'decode'), (length) => edits(range(P, length), 'both'));
  });

  test('the "last"-position recompute really differs from "all" (the check above can fail)', () => {
    const a = model.run([...prompt, ...continuation], { hooks: compileInterventions(edits('all', 'both'), model.config), logits: 'last' }).logits!;
    const b = model.run([...prompt, ...continuation], { hooks: compileInterventions(edits(range(P - 1, P + 5), 'both'), model.config), logits: 'last' }).logits!;
    assert.ok(compare(a.data, b.data).relL2 > 1e-3);
  });
});
