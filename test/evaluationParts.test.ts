/** Evaluation building blocks: bootstrap intervals, fluency metrics on hand-made texts, the resumable JSONL log. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LanguageModel } from '../src/model/languageModel.js';
import { bootstrapRate } from '../src/pipeline/evaluation/bootstrap.js';
import { quantileOfSorted as quantileSorted } from '../src/pipeline/stats/intervals.js';
import { distinctN, fluencySummary, repeatedNgramShare, textLikelihoods, words } from '../src/pipeline/evaluation/fluency.js';
import { JsonlLog } from '../src/pipeline/evaluation/generationsLog.js';
import type { GenerationRecord } from '../src/pipeline/evaluation/records.js';
import { outcomesByPrompt } from '../src/pipeline/evaluation/summary.js';
import { seededRandom } from '../src/random.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const settings = { resamples: 1000, level: 0.95, seed: 7 };

test('quantiles interpolate linearly between order statistics', () => {
  assert.equal(quantileSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileSorted([5], 0.5), 5);
});

test('bootstrap: rate, degenerate cases, determinism per cell', () => {
  const ones = Array.from({ length: 20 }, () => [1]);
  assert.deepEqual(bootstrapRate(ones, settings), { n: 20, successes: 20, rate: 1, low: 1, high: 1 });
  assert.deepEqual(bootstrapRate([], settings), { n: 0, successes: 0, rate: 0, low: 0, high: 0 });
  const data = Array.from({ length: 50 }, (_, i) => [i % 3 === 0 ? 1 : 0]);
  const a = bootstrapRate(data, settings, 'cell-a');
  assert.equal(a.successes, 17);
  assert.equal(a.rate, 17 / 50);
  assert.deepEqual(bootstrapRate(data, settings, 'cell-a'), a);
  assert.notDeepEqual(bootstrapRate(data, settings, 'cell-b'), a);
  assert.ok(a.low < a.rate && a.rate < a.high);
});

test('bootstrap: the interval matches the normal approximation and covers the true rate ≈ 95 % of the time', () => {
  const random = seededRandom(1);
  const n = 400;
  const sample = Array.from({ length: n }, () => [random() < 0.3 ? 1 : 0]);
  const r = bootstrapRate(sample, settings);
  const se = Math.sqrt((r.rate * (1 - r.rate)) / n);
  assert.ok(Math.abs(r.low - (r.rate - 1.96 * se)) < 0.012, `low ${r.low} vs ${r.rate - 1.96 * se}`);
  assert.ok(Math.abs(r.high - (r.rate + 1.96 * se)) < 0.012, `high ${r.high} vs ${r.rate + 1.96 * se}`);
  let covered = 0;
  const trials = 200;
  for (let k = 0; k < trials; k++) {
    const data = Array.from({ length: 100 }, () => [random() < 0.4 ? 1 : 0]);
    const interval = bootstrapRate(data, { ...settings, resamples: 400 }, `trial ${k}`);
    if (interval.low <= 0.4 && 0.4 <= interval.high) covered++;
  }
  assert.ok(covered / trials > 0.89 && covered / trials < 0.99, `coverage ${covered / trials}`);
});

test('bootstrap resamples clusters: three identical draws per prompt are not three times the evidence', () => {
  const random = seededRandom(2);
  const prompts = Array.from({ length: 120 }, () => (random() < 0.5 ? 1 : 0));
  const clustered = bootstrapRate(prompts.map((x) => [x, x, x]), settings);
  const independent = bootstrapRate(prompts.flatMap((x) => [[x], [x], [x]]), settings);
  const single = bootstrapRate(prompts.map((x) => [x]), settings);
  assert.equal(clustered.rate, single.rate);
  const width = (r: { low: number; high: number }): number => r.high - r.low;
  assert.ok(Math.abs(width(clustered) / width(single) - 1) < 0.15, `clustered ${width(clustered)} vs single ${width(single)}`);
  assert.ok(width(clustered) / width(independent) > 1.45, `clustered ${width(clustered)} vs independent ${width(independent)}`);
});

test('fluency metrics on hand-made texts', () => {
  assert.deepEqual(words("Don't stop! It's 3 o'clock."), ["don't", 'stop', "it's", '3', "o'clock"]);
  assert.equal(distinctN(['the cat the dog', 'a cat'], 1), 4 / 6);
  assert.equal(distinctN(['the cat the dog', 'a cat'], 2), 1); // "the cat", "cat the", "the dog", "a cat"
  assert.equal(distinctN(['the cat', 'the cat'], 2), 1 / 2);
  assert.equal(distinctN(['', '!!'], 1), null);
  assert.equal(repeatedNgramShare('a b c a b c a', 3), 2 / 5); // abc bca cab abc* bca*
  assert.equal(repeatedNgramShare('one two three four', 3), 0);
  assert.equal(repeatedNgramShare('too short', 3), null);
  const summary = fluencySummary([
    { text: 'a b c a b c a', newTokens: 10, stopReason: 'length', nll: 10, nllTokens: 10 },
    { text: 'one two three four', newTokens: 4, stopReason: 'stop-token', nll: 2, nllTokens: 4 },
  ]);
  assert.equal(summary.texts, 2);
  assert.equal(summary.distinct1, (3 / 7 + 1) / 2); // per text: 3 distinct of 7 words; 4 of 4
  assert.equal(summary.distinct2, (3 / 6 + 1) / 2); // ab bc ca ab bc ca; 3 of 3

  assert.ok(Math.abs(summary.perplexity! - Math.exp(12 / 14)) < 1e-12);
  assert.equal(summary.repeatedWord3gramShare, (2 / 5 + 0) / 2);
  assert.equal(summary.hitTokenLimitShare, 0.5);
  assert.equal(summary.meanNewTokens, 7);
});

test('the JSONL log appends, reopens, cuts a torn last line, and rejects a corrupt complete line', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-jsonl-'));
  try {
    const file = path.join(dir, 'generations.jsonl');
    const log = JsonlLog.open<{ key: string; value: number }>(file);
    log.append([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    log.append([{ key: 'c', value: 3 }]);
    fs.appendFileSync(file, '{"key":"d","val'); // killed mid-write
    const reopened = JsonlLog.open<{ key: string; value: number }>(file);
    assert.deepEqual([...reopened.records()].map((r) => r.key), ['a', 'b', 'c']);
    assert.equal(fs.readFileSync(file, 'utf8').endsWith('{"key":"c","value":3}\n'), true);
    reopened.append([{ key: 'd', value: 4 }, { key: 'a', value: 5 }]);
    const again = JsonlLog.open<{ key: string; value: number }>(file);
    assert.equal(again.size, 4);
    assert.equal(again.get('a')!.value, 5); // the later record wins
    fs.writeFileSync(file, '{"key":"a"}\nnot json\n{"key":"b"}\n');
    assert.throws(() => JsonlLog.open(file), /generations\.jsonl: line 2 is not valid JSON/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('perplexity under the unsteered model', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  before(async () => {
    model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'));
  });
  after(async () => model.dispose());

  test('text NLL equals −Σ log softmax of the next-token logits, batched or not', () => {
    const texts = [
      { promptIds: model.encode('Tom was sad '), ids: model.encode('and he cried.', false) },
      { promptIds: model.encode('Once upon a time'), ids: model.encode(' there was a cat.', false) },
      { promptIds: model.encode('Hi'), ids: [] },
      { promptIds: model.encode('Tom').slice(0, 1), ids: model.encode(' ran home.', false) }, // a one-token prompt: no cached context
    ];
    const V = model.config.vocabSize;
    const expected = texts.map(({ promptIds, ids }) => {
      if (ids.length === 0) return 0;
      const logits = model.run([...promptIds, ...ids]).logits!.data;
      let nll = 0;
      ids.forEach((id, j) => {
        const row = logits.subarray((promptIds.length - 1 + j) * V, (promptIds.length + j) * V);
        const logSum = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
        nll -= row[id] - logSum;
      });
      return nll;
    });
    for (const maxLogitFloats of [1 << 26, V * 12]) {
      const got = textLikelihoods(model, texts, maxLogitFloats);
      got.forEach((g, i) => {
        assert.equal(g.tokens, texts[i].ids.length);
        assert.ok(Math.abs(g.nll - expected[i]) < 1e-3 * (1 + expected[i]), `text ${i}: ${g.nll} vs ${expected[i]}`);
      });
    }
  });
});

test('outcomesByPrompt: hits grouped by emotion, scenario and valence, in record order (no verdict counts 0)', () => {
  const r = (emotion: string, skeletonId: string, valence: string, match: boolean | null) => ({ emotion, skeletonId, valence, verdict: { match } }) as unknown as GenerationRecord;
  const grouped = outcomesByPrompt([r('anger', 's1', 'positive', true), r('anger', 's1', 'negative', false), r('anger', 's1', 'positive', false), r('fear', 's1', 'positive', null)]);
  assert.deepEqual([...grouped], [['anger|s1|positive', [1, 0]], ['anger|s1|negative', [0]], ['fear|s1|positive', [0]]]);
});
