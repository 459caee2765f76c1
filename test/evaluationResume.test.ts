/**
 * The evaluation survives a kill: records are appended per batch, a torn last line is cut, a re-run
 * generates only what is missing and ends with exactly the records of an uninterrupted run; a new
 * judge re-judges logged texts without generating. Also the sweep's accuracy–fluency front.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Emotion } from '../src/emotions.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { defaultArm, type ArmResources } from '../src/pipeline/control/arms.js';
import { DEFAULT_DECODING } from '../src/pipeline/control/decoding.js';
import { generateAndJudge } from '../src/pipeline/evaluation/generateAndJudge.js';
import { JsonlLog } from '../src/pipeline/evaluation/generationsLog.js';
import { chooseSetting, paretoFront } from '../src/pipeline/evaluation/pareto.js';
import { evaluationPlan } from '../src/pipeline/evaluation/plan.js';
import type { EvaluationJudge, EvaluationVerdict, GenerationRecord } from '../src/pipeline/evaluation/records.js';
import type { SevItem } from '../src/pipeline/stimuli/sev.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

test('the Pareto front keeps the settings no other beats on both accuracy and perplexity', () => {
  const points = [
    { accuracy: 0.5, perplexity: 10 }, // front
    { accuracy: 0.4, perplexity: 12 }, // dominated by 0
    { accuracy: 0.8, perplexity: 30 }, // front
    { accuracy: 0.8, perplexity: 40 }, // dominated by 2 (equal accuracy, worse perplexity)
    { accuracy: 0.2, perplexity: 5 }, // front
    { accuracy: 0.9, perplexity: null }, // front: nothing is more accurate
  ];
  assert.deepEqual(paretoFront(points), [true, false, true, false, true, true]);
  assert.equal(chooseSetting(points, 35), 2); // most accurate front point within the perplexity limit
  assert.equal(chooseSetting(points, 10), 0);
  assert.equal(chooseSetting(points, 1), 4); // none qualifies: the most fluent front point
  assert.equal(chooseSetting([], 10), null);
});

/** A deterministic judge: the text matches when its length has the given parity. */
function parityJudge(name: string, parity: 0 | 1, calls: { items: number }): EvaluationJudge {
  return {
    name,
    judge: async (items: ReadonlyArray<{ text: string; target: Emotion }>) => {
      calls.items += items.length;
      return items.map((item): EvaluationVerdict => ({ target: item.target, match: item.text.length % 2 === parity, label: null, scores: null }));
    },
  };
}

describe('resumable generations.jsonl on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  let dir: string;
  let resources: ArmResources;
  const items: SevItem[] = [
    { theme: 't', skeletonId: 'a', scenario: 'Tom went to the park.', event: { positive: 'He found a ball.', neutral: 'He sat down.', negative: 'He lost his hat.' } },
    { theme: 't', skeletonId: 'b', scenario: 'Lily baked a cake.', event: { positive: 'It was big.', neutral: 'It was round.', negative: 'It burned.' } },
  ];
  before(async () => {
    model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-resume-'));
    const d = model.config.hiddenSize;
    const directions = new Float32Array(6 * 2 * d).map((_, i) => ((i * 7919) % 13) / 13 - 0.5);
    resources = { numLayers: 2, mlpDirections: { directions, norms: new Float64Array(12), layers: 2, width: d } };
  });
  after(async () => {
    await model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const plan = () => evaluationPlan({
    arms: [defaultArm('none'), defaultArm('prompt'), defaultArm('direction')],
    items,
    emotions: ['anger', 'fear'],
    decoding: { ...DEFAULT_DECODING, minNewTokens: 2, maxNewTokens: 6 },
    context: 'test',
    encodeChat: (messages) => model.encodeChat(messages),
  });

  /** A model whose generateAsync calls are counted. */
  function countingModel(counter: { sequences: number }): LanguageModel {
    const spy = Object.create(model) as LanguageModel;
    spy.generateAsync = (prompts, options) => {
      counter.sequences += prompts.length;
      return model.generateAsync(prompts, options);
    };
    return spy;
  }

  test('a run killed after its first batch resumes to the records of an uninterrupted run', async () => {
    const items = plan();
    // none: 2 scenarios × 3 valences, one text for both targets; prompt and direction: × 2 emotions.
    assert.equal(items.length, 3 * 2 * 2 * 3);
    assert.equal(new Set(items.map((i) => i.generationKey)).size, 6 + 12 + 12);

    const reference = JsonlLog.open<GenerationRecord>(path.join(dir, 'reference.jsonl'));
    const full = await generateAndJudge(items, { model, resources, judge: parityJudge('parity@0', 0, { items: 0 }), log: reference, batchSize: 8 });

    const file = path.join(dir, 'generations.jsonl');
    const controller = new AbortController();
    let batches = 0;
    const killingJudge: EvaluationJudge = {
      name: 'parity@0',
      judge: async (list) => {
        if (++batches === 2) controller.abort(new Error('killed'));
        return parityJudge('parity@0', 0, { items: 0 }).judge(list);
      },
    };
    await assert.rejects(generateAndJudge(items, { model, resources, judge: killingJudge, log: JsonlLog.open(file), batchSize: 8, signal: controller.signal }), /killed/);
    const afterKill = fs.readFileSync(file, 'utf8').trim().split('\n').length;
    assert.ok(afterKill > 0 && afterKill < items.length, `${afterKill} records after the kill`);
    fs.appendFileSync(file, '{"key":"torn'); // the process died mid-write

    const generated = { sequences: 0 };
    const judged = { items: 0 };
    // The model as a loader: called once, as texts are missing.
    let loads = 0;
    const loader = (counter: { sequences: number }) => async () => (loads++, countingModel(counter));
    const resumed = await generateAndJudge(items, { model: loader(generated), resources, judge: parityJudge('parity@0', 0, judged), log: JsonlLog.open(file), batchSize: 8 });
    assert.equal(loads, 1);
    assert.equal(judged.items, items.length - afterKill);
    assert.equal(generated.sequences, 30 - new Set(resumedKeys(file, afterKill)).size);
    const strip = (records: GenerationRecord[]) => records.map(({ key, text, newTokens, stopReason, verdict, nll }) => ({ key, text, newTokens, stopReason, verdict, nll: Math.round(nll * 1e3) }));
    assert.deepEqual(strip(resumed), strip(full));
    assert.equal(JsonlLog.open<GenerationRecord>(file).size, items.length);

    // Another judge: every text is judged again, none generated.
    const regenerated = { sequences: 0 };
    const rejudged = { items: 0 };
    const other = await generateAndJudge(items, { model: loader(regenerated), resources, judge: parityJudge('parity@1', 1, rejudged), log: JsonlLog.open(file), batchSize: 8 });
    assert.equal(regenerated.sequences, 0);
    assert.equal(loads, 1, 'every text is logged: the model is not loaded');
    assert.equal(rejudged.items, items.length);
    other.forEach((r, i) => {
      assert.equal(r.text, full[i].text);
      assert.equal(r.verdict.match, !full[i].verdict.match, `${i} ${r.judge} ${JSON.stringify(r.text)} ${JSON.stringify(full[i].text)} ${r.text.length}`);
    });
    // Nothing left to do.
    const idle = { sequences: 0 };
    await generateAndJudge(items, { model: loader(idle), resources, judge: parityJudge('parity@1', 1, { items: 0 }), log: JsonlLog.open(file), batchSize: 8 });
    assert.equal(idle.sequences, 0);
    assert.equal(loads, 1);
  });
});

/** Generation keys of the first `count` records of a log file. */
function resumedKeys(file: string, count: number): string[] {
  return fs.readFileSync(file, 'utf8').split('\n').slice(0, count).map((line) => (JSON.parse(line) as GenerationRecord).generationKey);
}
