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

  test('forward writes the logits into a given buffer (as views of it) and rejects one too small', () => {
    const inputs = prompts.slice(0, 2).map((p) => ({ ids: model.encode(p) }));
    const V = model.config.vocabSize;
    const fresh = model.forward(inputs, { logits: 'last' });
    const buffer = new Float32Array(3 * V).fill(NaN);
    const viaBuffer = model.forward(inputs, { logits: 'last', logitsBuffer: buffer });
    viaBuffer.forEach((output, i) => {
      const logits = output.logits!.data;
      assert.equal(logits.buffer, buffer.buffer, `sequence ${i}: a view of the buffer`);
      assert.equal(logits.byteOffset, i * V * 4);
      assert.deepEqual(logits, fresh[i].logits!.data);
    });
    assert.ok(Number.isNaN(buffer[2 * V]), 'rows past the logits are left alone');
    assert.throws(() => model.forward(inputs, { logits: 'last', logitsBuffer: new Float32Array(2 * V - 1) }), /logitsBuffer holds/);
  });

  test('a prompt longer than the context is a typed error', () => {
    const tooLong = new Array(model.config.maxPositionEmbeddings + 1).fill(5);
    assert.throws(() => model.run(tooLong), /exceeds the model's context/);
    assert.throws(() => model.run([model.config.vocabSize]), /outside the vocabulary/);
  });
});

describe('streaming, cancellation and a minimum length on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  before(async () => {
    model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'));
  });
  after(async () => {
    await model.dispose();
  });
  const options = { maxNewTokens: 12, repetitionPenalty: 1.1, noRepeatNgramSize: 3 };

  test('onToken reports every kept token of every sequence, in order, with the prompt index', async () => {
    const prompts = ['Tom was sad ', 'Once upon a time, there was a big red ball that'].map((p) => model.encode(p));
    const streamed: number[][] = [[], []];
    const results = model.generate(prompts, { ...options, onToken: (i, id) => streamed[i].push(id) });
    assert.deepEqual(streamed, results.map((r) => r.ids));
    const streamedAsync: number[][] = [[], []];
    const asyncResults = await model.generateAsync(prompts, { ...options, onToken: (i, id) => streamedAsync[i].push(id) });
    assert.deepEqual(asyncResults.map((r) => r.ids), results.map((r) => r.ids));
    assert.deepEqual(streamedAsync, streamed);
  });

  test('hooks see the prompt index as the sequence even after other sequences finish', () => {
    const short = model.encode('Tom was sad ');
    const long = model.encode('Lily and Ben went to the park. They saw a big ');
    const stopAfterTwo = model.generate([short], { maxNewTokens: 2, stopTokenIds: [] })[0].ids;
    // Sequence 0 stops after its 2nd token (that token is a stop token); sequence 1 goes on.
    const seen: Array<[number, number]> = [];
    const hooks = [{ name: 'blocks.0.hook_resid_post', fn: (_: unknown, c: { sequence: number; startPos: number }) => void seen.push([c.sequence, c.startPos]) }];
    model.generate([short, long], { maxNewTokens: 6, stopTokenIds: [stopAfterTwo[1]], hooks });
    const sequence1 = seen.filter(([s]) => s === 1).map(([, p]) => p);
    assert.deepEqual(sequence1, [0, ...Array.from({ length: 5 }, (_, i) => long.length + i)]);
    const sequence0 = seen.filter(([s]) => s === 0).map(([, p]) => p);
    assert.deepEqual(sequence0, [0, short.length]);
  });

  test('an aborted signal stops every running sequence at a step boundary with "cancelled"', async () => {
    const prompt = model.encode('Tom was sad ');
    const full = model.generate([prompt], { ...options, stopTokenIds: [] })[0].ids;
    const controller = new AbortController();
    const partial = model.generate([prompt], {
      ...options,
      stopTokenIds: [],
      signal: controller.signal,
      onToken: (_, id) => {
        if (id === full[3]) controller.abort();
      },
    })[0];
    assert.equal(partial.stopReason, 'cancelled');
    assert.deepEqual(partial.ids, full.slice(0, 4));
    // Aborted before the call: nothing runs.
    const none = await model.generateAsync([prompt], { ...options, signal: AbortSignal.abort() });
    assert.deepEqual(none[0].ids, []);
    assert.equal(none[0].stopReason, 'cancelled');
    // An abort from a timer lands between async steps.
    const timed = new AbortController();
    let tokens = 0;
    const asyncRun = model.generateAsync([prompt], {
      maxNewTokens: 100000,
      stopTokenIds: [],
      signal: timed.signal,
      onToken: () => {
        if (++tokens === 5) setImmediate(() => timed.abort());
      },
    });
    const [result] = await asyncRun;
    assert.equal(result.stopReason, 'cancelled');
    assert.ok(result.ids.length >= 5 && result.ids.length <= 7, `stopped after ${result.ids.length} tokens`);
  });

  test('minNewTokens suppresses the stop tokens before that length only', () => {
    const prompt = model.encode('Tom was sad ');
    const greedy = model.generate([prompt], { maxNewTokens: 10, stopTokenIds: [] })[0].ids;
    const stop = greedy[1];
    const early = model.generate([prompt], { maxNewTokens: 10, stopTokenIds: [stop] })[0];
    assert.deepEqual(early.ids, greedy.slice(0, 1));
    const held = model.generate([prompt], { maxNewTokens: 10, minNewTokens: 5, stopTokenIds: [stop] })[0];
    assert.ok(held.ids.length >= 5, `got ${held.ids.length} tokens`);
    assert.ok(!held.ids.slice(0, 5).includes(stop));
    // Once the minimum is reached the stop token ends the sequence again.
    assert.deepEqual(model.generate([prompt], { maxNewTokens: 10, minNewTokens: 1, stopTokenIds: [stop] })[0], early);
  });
});
