/**
 * The intervention forms steering needs: `add-rms` (a vector scaled by the row's RMS),
 * 'from-last-prompt' positions (KV-cached generation equals a full recompute), and hooks routed per
 * sequence of a ragged batch.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { compileInterventions, selectedRows } from '../src/interventions/compile.js';
import { parseInterventions, type Intervention } from '../src/interventions/intervention.js';
import { perSequenceHooks } from '../src/interventions/perSequence.js';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { seededRandom } from '../src/random.js';
import { compare } from './helpers/compare.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

function randomVector(n: number, seed: number, scale = 1): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

test("'from-last-prompt' selects the last prompt row and every later one", () => {
  assert.deepEqual(selectedRows('from-last-prompt', 5, 0, 3), [2, 3, 4]); // prefill of a longer chunk
  assert.deepEqual(selectedRows('from-last-prompt', 3, 0, 3), [2]); // prefill of the prompt
  assert.deepEqual(selectedRows('from-last-prompt', 1, 7, 3), [0]); // a decode step
  assert.deepEqual(selectedRows('from-last-prompt', 2, 0, 9), []); // a chunk before the prompt's end
  assert.deepEqual(selectedRows('from-last-prompt', 4, 0, undefined), [3]); // no prompt length: the chunk is the prompt
});

describe('steering interventions', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  before(async () => {
    model = await LanguageModel.load(sharedPath('fixtures', 'random-llama3'), { backend: new JsBackend() });
  });
  after(async () => model.dispose());
  const ids = [5, 17, 200, 3, 99, 42, 7, 128, 64, 1];

  test('add-rms adds coeff·RMS(x)·v of the unedited row, on the selected rows and units only', () => {
    const d = model.config.hiddenSize;
    const hook = 'blocks.0.hook_resid_post';
    const vector = randomVector(d, 5);
    const before = model.run(ids, { cache: [hook] }).activations.get(hook)!.data;
    for (const iv of [
      { hook, op: 'add-rms', vector, coeff: 8, positions: [1, 6] },
      { hook, op: 'add-rms', vector, coeff: -2.5, positions: 'last', neurons: [0, 9, 33] },
    ] as const) {
      const hooks = compileInterventions(parseInterventions(iv, model.config), model.config);
      const after = model.run(ids, { cache: [hook], hooks }).activations.get(hook)!.data;
      const rows = iv.positions === 'last' ? [ids.length - 1] : [...iv.positions];
      const units = 'neurons' in iv ? new Set<number>(iv.neurons) : null;
      for (let t = 0; t < ids.length; t++) {
        let squares = 0;
        for (let i = 0; i < d; i++) squares += before[t * d + i] ** 2;
        const rms = Math.sqrt(squares / d);
        for (let i = 0; i < d; i++) {
          const edited = rows.includes(t) && (units === null || units.has(i));
          const expected = before[t * d + i] + (edited ? iv.coeff * rms * vector[i] : 0);
          assert.ok(Math.abs(after[t * d + i] - expected) <= 1e-5 * (1 + Math.abs(expected)), `row ${t} unit ${i}: ${after[t * d + i]} vs ${expected}`);
        }
      }
    }
    assert.throws(() => parseInterventions({ hook, op: 'add-rms' }, model.config), /op add-rms needs a vector/);
  });

  const steering = (positions: Intervention['positions']): Intervention[] =>
    parseInterventions(
      [
        { hook: 'blocks.0.hook_resid_post', op: 'add-rms', vector: randomVector(64, 2), coeff: 3, positions },
        { hook: 'blocks.1.mlp.hook_post', op: 'add', neurons: [3, 17, 90], vector: randomVector(128, 3), positions },
        { hook: 'blocks.1.attn.hook_z', op: 'add', heads: [1], vector: randomVector(64, 4), positions: 'all' },
      ],
      model.config,
    );

  test("generation under 'from-last-prompt' edits equals a greedy full recompute with the same edits", () => {
    const prompt = ids.slice(0, 6);
    const hooks = compileInterventions(steering('from-last-prompt'), model.config);
    const [generated] = model.generate([prompt], { hooks, maxNewTokens: 8, stopTokenIds: [] });
    // Reference: no cache, the whole sequence recomputed each step, edits at explicit positions.
    const sequence = [...prompt];
    for (let step = 0; step < 8; step++) {
      const positions = Array.from({ length: sequence.length - prompt.length + 1 }, (_, i) => prompt.length - 1 + i);
      const logits = model.run(sequence, { hooks: compileInterventions(steering(positions), model.config), logits: 'last' }).logits!.data;
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
      sequence.push(best);
    }
    assert.deepEqual(generated.ids, sequence.slice(prompt.length));
    const unsteered = model.generate([prompt], { maxNewTokens: 8, stopTokenIds: [] })[0];
    assert.notDeepEqual(unsteered.ids, generated.ids, 'the edits must change the output for this check to mean anything');
  });

  test('per-sequence hooks give each sequence of a batch what it gets alone', () => {
    const prompts = [ids.slice(0, 6), ids.slice(2, 9), ids.slice(0, 4)];
    const sets = [compileInterventions(steering('from-last-prompt'), model.config), [], compileInterventions(steering('all'), model.config)];
    const batched = model.generate(prompts, { hooks: perSequenceHooks(sets), maxNewTokens: 6, stopTokenIds: [], repetitionPenalty: 1.1 });
    prompts.forEach((prompt, s) => {
      const alone = model.generate([prompt], { hooks: sets[s], maxNewTokens: 6, stopTokenIds: [], repetitionPenalty: 1.1 })[0];
      assert.deepEqual(batched[s].ids, alone.ids, `sequence ${s}`);
    });
    // The forward-pass path too (context.sequence = input index).
    const outs = model.forward(prompts.map((p) => ({ ids: p, promptLength: p.length })), { hooks: perSequenceHooks(sets), logits: 'last' });
    prompts.forEach((prompt, s) => {
      const alone = model.forward([{ ids: prompt, promptLength: prompt.length }], { hooks: sets[s], logits: 'last' })[0];
      assert.ok(compare(outs[s].logits!.data, alone.logits!.data).relL2 < 1e-6, `sequence ${s}`);
    });
  });
});
