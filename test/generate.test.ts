/** Generation: logit processors, seeded sampling, stop tokens and ragged batches. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBackend } from '../src/kernels/index.js';
import type { LinearBackend } from '../src/kernels/types.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { applyRepetitionPenalty, argmax, banRepeatedNgrams, sampleToken, seededRandom } from '../src/model/sampling.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

test('repetition penalty divides positive and multiplies negative logits of seen tokens (HF semantics)', () => {
  const logits = new Float32Array([2, -2, 1, 4]);
  applyRepetitionPenalty(logits, [0, 1, 0], 2);
  assert.deepEqual([...logits], [1, -4, 1, 4]);
});

test('no-repeat n-gram bans tokens that would repeat an n-gram', () => {
  const logits = new Float32Array(6).fill(1);
  // Sequence 1 2 3 1 2 → the 3-gram (1,2,3) exists, so 3 after (1,2) is banned.
  banRepeatedNgrams(logits, [1, 2, 3, 1, 2], 3);
  assert.deepEqual([...logits], [1, 1, 1, -Infinity, 1, 1]);
  const untouched = new Float32Array(6).fill(1);
  banRepeatedNgrams(untouched, [1, 2, 3, 4, 5], 3);
  assert.deepEqual([...untouched], [1, 1, 1, 1, 1, 1]);
});

test('argmax takes the first maximum; temperature 0 is greedy', () => {
  assert.equal(argmax(new Float32Array([1, 3, 3, 2])), 1);
  assert.equal(sampleToken(new Float32Array([1, 3, 3, 2]), 0, 1, seededRandom(1)), 1);
});

test('sampling is seeded, follows the distribution, and top-p keeps only the nucleus', () => {
  const logits = new Float32Array([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  const draw = (seed: number, topP: number, n: number): number[] => {
    const random = seededRandom(seed);
    return Array.from({ length: n }, () => sampleToken(logits, 1, topP, random));
  };
  assert.deepEqual(draw(7, 1, 50), draw(7, 1, 50));
  assert.notDeepEqual(draw(7, 1, 50), draw(8, 1, 50));
  const counts = [0, 0, 0, 0];
  for (const t of draw(3, 1, 20000)) counts[t]++;
  [0.5, 0.3, 0.15, 0.05].forEach((p, i) => assert.ok(Math.abs(counts[i] / 20000 - p) < 0.02, `token ${i}: ${counts[i]}`));
  // top-p 0.75: the nucleus is {0, 1} (0.5 + 0.3 ≥ 0.75).
  assert.ok(draw(5, 0.75, 2000).every((t) => t === 0 || t === 1));
  assert.ok(draw(5, 0.1, 200).every((t) => t === 0));
});

describe('generation on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let backend: LinearBackend;
  let model: LanguageModel;
  before(async () => {
    backend = await createBackend();
    model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'), { backend });
  });
  after(async () => {
    await model.dispose();
    await backend.dispose();
  });

  const prompts = ['Once upon a time, there was a little dog ', 'Tom was sad ', 'Lily and Ben went to the park. They saw a big '];

  test('a ragged batch of prompts of different lengths gives what each prompt gives alone', () => {
    const ids = prompts.map((p) => model.encode(p));
    const options = { maxNewTokens: 20, repetitionPenalty: 1.1, noRepeatNgramSize: 3 };
    const batched = model.generate(ids, options);
    ids.forEach((prompt, i) => assert.deepEqual(batched[i].ids, model.generate([prompt], options)[0].ids, `prompt ${i}`));
    const sampled = model.generate(ids, { ...options, temperature: 0.8, topP: 0.9, seed: 11 });
    ids.forEach((prompt, i) => assert.deepEqual(sampled[i].ids, model.generate([prompt], { ...options, temperature: 0.8, topP: 0.9, seed: 11 + i })[0].ids));
  });

  test('seeded sampling is reproducible and differs across seeds', () => {
    const ids = model.encode(prompts[0]);
    const a = model.generate([ids], { maxNewTokens: 25, temperature: 1, seed: 1 })[0].ids;
    assert.deepEqual(model.generate([ids], { maxNewTokens: 25, temperature: 1, seed: 1 })[0].ids, a);
    assert.notDeepEqual(model.generate([ids], { maxNewTokens: 25, temperature: 1, seed: 2 })[0].ids, a);
  });

  test('no-repeat n-gram and stop tokens shape the output', () => {
    const ids = model.encode(prompts[1]);
    const out = model.generate([ids], { maxNewTokens: 60, noRepeatNgramSize: 3, stopTokenIds: [] })[0];
    const all = [...ids, ...out.ids];
    const seen = new Set<string>();
    for (let i = 0; i + 3 <= all.length; i++) {
      const key = all.slice(i, i + 3).join(',');
      assert.ok(!seen.has(key), `3-gram ${key} repeated`);
      seen.add(key);
    }
    assert.equal(out.stopReason, 'length');
    const greedy = model.generate([ids], { maxNewTokens: 10, stopTokenIds: [] })[0].ids;
    const stopped = model.generate([ids], { maxNewTokens: 10, stopTokenIds: [greedy[3]] })[0];
    assert.deepEqual(stopped.ids, greedy.slice(0, greedy.indexOf(greedy[3])));
    assert.equal(stopped.stopReason, 'stop-token');
  });

  test('a prompt longer than the context is a typed error', () => {
    const tooLong = new Array(model.config.maxPositionEmbeddings + 1).fill(5);
    assert.throws(() => model.run(tooLong), /exceeds the model's context/);
    assert.throws(() => model.run([model.config.vocabSize]), /outside the vocabulary/);
  });
});
