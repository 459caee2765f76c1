/**
 * The correctness oracle: every hook point, the logits and the greedy continuations of the
 * shared fixtures (fixtures/README.md), with the recommended tolerances, on the JS and the wasm
 * backends, with and without the KV cache: for every case, a half-prompt prefill and then one
 * token at a time through the cache must reproduce every hook point's rows (the pattern's row
 * over the keys seen so far) and the logits; greedy ids are checked through the cache for every
 * fixture model whose cases have them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { createBackend } from '../src/kernels/index.js';
import type { LinearBackend } from '../src/kernels/types.js';
import { allHookNames } from '../src/model/hookNames.js';
import { KVCache } from '../src/model/kvCache.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { argmax } from '../src/model/sampling.js';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { compare } from './helpers/compare.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

interface FixtureCase {
  name: string;
  ids: number[];
  greedy_ids?: number[];
  greedy_text?: string;
}

const MODELS = [
  { fixture: 'tinystories-656k', modelDir: () => sharedPath('models', 'tinystories-656k') },
  { fixture: 'random-llama3', modelDir: () => sharedPath('fixtures', 'random-llama3') },
  { fixture: 'random-qwen2', modelDir: () => sharedPath('fixtures', 'random-qwen2') },
  { fixture: 'random-qwen3', modelDir: () => sharedPath('fixtures', 'random-qwen3') },
];

function readCases(fixture: string): FixtureCase[] {
  return JSON.parse(readFileSync(sharedPath('fixtures', fixture, 'cases.json'), 'utf8')) as FixtureCase[];
}

function assertHookClose(name: string, actual: Float32Array, expected: Float32Array, label: string): void {
  const diff = compare(actual, expected);
  if (name === 'logits') {
    assert.ok(diff.maxAbs <= 1e-4 && diff.relL2 <= 1e-5, `${label} logits: max abs ${diff.maxAbs}, rel L2 ${diff.relL2}`);
  } else {
    const scale = Math.max(1, diff.refMaxAbs);
    assert.ok(diff.maxAbs <= 2e-5 * scale && diff.relL2 <= 2e-5, `${label} ${name}: max abs ${diff.maxAbs} (scale ${scale}), rel L2 ${diff.relL2}`);
  }
}

for (const backendKind of ['js', 'wasm'] as const) {
  describe(`fixtures on the ${backendKind} backend`, { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
    let backend: LinearBackend;
    before(async () => {
      backend = backendKind === 'js' ? new JsBackend() : await createBackend();
    });
    after(async () => backend.dispose());

    for (const { fixture, modelDir } of MODELS) {
      test(`${fixture}: every hook point and the logits match the reference`, async () => {
        const model = await LanguageModel.load(modelDir(), { backend });
        try {
          for (const c of readCases(fixture)) {
            const reference = SafetensorsReader.open(sharedPath('fixtures', fixture, `${c.name}.safetensors`));
            const { activations, logits } = model.run(c.ids, { cache: ['*'] });
            const names = allHookNames(model.config.numLayers);
            for (const name of names) {
              assert.ok(reference.tensors.has(name), `reference lacks ${name}`);
              const expected = reference.readF32(name);
              const actual = name === 'logits' ? logits!.data : activations.get(name)?.data;
              assert.ok(actual, `engine did not cache ${name}`);
              assert.deepEqual([...(activations.get(name)?.shape ?? [])], reference.tensors.get(name)!.shape, `${name} shape`);
              assertHookClose(name, actual, expected, `${fixture}/${c.name}`);
            }
            // Entries above the diagonal of every pattern are exactly zero.
            for (let l = 0; l < model.config.numLayers; l++) {
              const p = activations.get(`blocks.${l}.attn.hook_pattern`)!;
              const [H, T] = p.shape;
              for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let j = t + 1; j < T; j++) assert.equal(p.data[(h * T + t) * T + j], 0);
            }
            reference.close();
          }
        } finally {
          await model.dispose();
        }
      });

      test(`${fixture}: the fused attention path (no pattern hook) matches hook_z, hook_post and the logits`, async () => {
        const model = await LanguageModel.load(modelDir(), { backend });
        try {
          for (const c of readCases(fixture)) {
            const reference = SafetensorsReader.open(sharedPath('fixtures', fixture, `${c.name}.safetensors`));
            const { activations, logits } = model.run(c.ids, { cache: ['*.attn.hook_z', '*.mlp.hook_post'] });
            assert.equal(activations.size, 2 * model.config.numLayers);
            for (const [name, value] of activations) assertHookClose(name, value.data, reference.readF32(name), `${fixture}/${c.name} fused`);
            assertHookClose('logits', logits!.data, reference.readF32('logits'), `${fixture}/${c.name} fused`);
            reference.close();
          }
        } finally {
          await model.dispose();
        }
      });

      test(`${fixture}: KV-cached prefill and decoding reproduce every hook point and the logits, every case`, async () => {
        const model = await LanguageModel.load(modelDir(), { backend });
        try {
          const names = allHookNames(model.config.numLayers);
          for (const c of readCases(fixture)) {
            const reference = SafetensorsReader.open(sharedPath('fixtures', fixture, `${c.name}.safetensors`));
            const T = c.ids.length;
            const cache = new KVCache(model.config.numLayers, model.config.numKvHeads * model.config.headDim);
            // Prefill half, then one token at a time; each step's rows are positions [start, start + n).
            const split = Math.max(1, Math.floor(T / 2));
            const steps: Array<[number, number[]]> = [[0, c.ids.slice(0, split)], ...c.ids.slice(split).map((id, i): [number, number[]] => [split + i, [id]])];
            for (const [start, ids] of steps) {
              const [out] = model.forward([{ ids, cache }], { cache: ['*'] });
              const n = ids.length;
              for (const name of names) {
                const expected = reference.readF32(name);
                const label = `${fixture}/${c.name} cached rows ${start}..${start + n - 1}`;
                if (name === 'logits') {
                  const V = model.config.vocabSize;
                  assertHookClose(name, out.logits!.data, expected.subarray(start * V, (start + n) * V), label);
                  continue;
                }
                const actual = out.activations.get(name);
                assert.ok(actual, `${label}: engine did not cache ${name}`);
                if (name.endsWith('hook_pattern')) {
                  // [H, n, start + n] against rows start.. of the reference [H, T, T], keys 0..start+n−1.
                  const H = actual.shape[0];
                  const keys = start + n;
                  assert.deepEqual([...actual.shape], [H, n, keys], `${label} ${name} shape`);
                  const rows = new Float32Array(H * n * keys);
                  for (let h = 0; h < H; h++) for (let t = 0; t < n; t++) rows.set(expected.subarray((h * T + start + t) * T, (h * T + start + t) * T + keys), (h * n + t) * keys);
                  assertHookClose(name, actual.data, rows, label);
                } else {
                  const rowSize = expected.length / T;
                  assert.equal(actual.shape[0], n, `${label} ${name} rows`);
                  assertHookClose(name, actual.data, expected.subarray(start * rowSize, (start + n) * rowSize), label);
                }
              }
            }
            reference.close();
          }
        } finally {
          await model.dispose();
        }
      });

      // Only fixtures that carry greedy ids get this test (the random models' fixtures have none): a
      // test that would only skip proves nothing.
      const hasGreedy = SHARED_DIR === null || readCases(fixture).some((c) => c.greedy_ids);
      if (hasGreedy) test(`${fixture}: greedy continuations are exact, with and without the KV cache`, async () => {
        const cases = readCases(fixture).filter((c) => c.greedy_ids);
        assert.ok(cases.length > 0, `the ${fixture} fixture has greedy ids`);
        const model = await LanguageModel.load(modelDir(), { backend });
        try {
          for (const c of cases) {
            // Full recomputation each step, as the reference did.
            const ids = [...c.ids];
            for (let i = 0; i < c.greedy_ids!.length; i++) ids.push(argmax(model.run(ids, { logits: 'last' }).logits!.data));
            assert.deepEqual(ids.slice(c.ids.length), c.greedy_ids, `${c.name} full recompute`);
            // KV cache; EOS must not stop the run, as in the reference.
            const [generation] = model.generate([c.ids], { maxNewTokens: c.greedy_ids!.length, stopTokenIds: [] });
            assert.deepEqual(generation.ids, c.greedy_ids, `${c.name} KV cache`);
            if (c.greedy_text !== undefined) {
              const text = model.decode([...c.ids, ...generation.ids]).slice(model.decode(c.ids).length);
              assert.equal(text, c.greedy_text, `${c.name} text`);
            }
          }
        } finally {
          await model.dispose();
        }
      });
    }
  });
}
