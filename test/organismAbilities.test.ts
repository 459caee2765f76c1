/**
 * The organism's abilities measurement: instructed replies judged against their instruction, and
 * uninstructed replies' labels against the valence rule — counted exactly as written out here, with
 * a judge whose answers the test controls, on the committed organism.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EMOTIONS, VALENCES, type Emotion } from '../src/emotions.js';
import type { EmotionJudge, JudgeItem, JudgeVerdict } from '../src/judge/judge.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { measureAbilities, VALENCE_LABELS } from '../src/organism/abilities.js';
import { defaultModelDir } from '../src/organism/defaultModel.js';
import { loadSev } from '../src/pipeline/stimuli/sev.js';

/** Labels a text by its length, so the test can recompute every verdict. */
function labelOf(text: string): Emotion | 'neutral' {
  const k = text.length % 7;
  return k === 6 ? 'neutral' : EMOTIONS[k];
}
const lengthJudge: EmotionJudge = {
  name: 'length-rule',
  judge: async (items: readonly JudgeItem[]): Promise<JudgeVerdict[]> =>
    items.map(({ text, target }) => ({ target, match: labelOf(text) === target, label: labelOf(text), scores: null })),
};

let model: LanguageModel;
before(async () => {
  model = await LanguageModel.load(defaultModelDir()!);
});
after(async () => model?.dispose());

test('valence rule: positive → happiness or surprise, negative → anger, sadness, fear, disgust, neutral → no emotion', () => {
  assert.deepEqual([...VALENCE_LABELS.positive].sort(), ['happiness', 'surprise']);
  assert.deepEqual([...VALENCE_LABELS.negative].sort(), ['anger', 'disgust', 'fear', 'sadness']);
  assert.deepEqual([...VALENCE_LABELS.neutral], ['neutral']);
});

test('measureAbilities counts instructed matches and valence-following replies exactly', async () => {
  const items = loadSev('data/organism-sev', 'test').slice(0, 2);
  const abilities = await measureAbilities(model, items, lengthJudge, 5);
  // Reference: the same prompts, generated one by one with the shared decoding, counted here.
  const decoding = { maxNewTokens: 100, minNewTokens: 10, repetitionPenalty: 1.1, noRepeatNgramSize: 3 };
  let instructedHits = 0;
  let valenceHits = 0;
  const positiveHits = { hits: 0, total: 0 };
  for (const item of items) {
    for (const valence of VALENCES) {
      const user = `${item.scenario}\n${item.event[valence]}`;
      for (const emotion of EMOTIONS) {
        const { ids } = model.encodeChat([{ role: 'system', content: `Always reply in ${emotion}.\nKeep the reply to at most two sentences.` }, { role: 'user', content: user }]);
        const [reply] = model.generate([ids], decoding);
        if (labelOf(model.decode(reply.ids)) === emotion) instructedHits++;
      }
      const { ids } = model.encodeChat([{ role: 'system', content: 'Keep the reply to at most two sentences.' }, { role: 'user', content: user }]);
      const [reply] = model.generate([ids], decoding);
      const label = labelOf(model.decode(reply.ids));
      const follows = valence === 'positive' ? label === 'happiness' || label === 'surprise' : valence === 'neutral' ? label === 'neutral' : !['happiness', 'surprise', 'neutral'].includes(label);
      if (follows) valenceHits++;
      if (valence === 'positive') {
        positiveHits.total++;
        if (follows) positiveHits.hits++;
      }
    }
  }
  assert.equal(abilities.items, 2);
  assert.deepEqual([abilities.instructed.overall.hits, abilities.instructed.overall.total], [instructedHits, 2 * 3 * 6]);
  assert.deepEqual([abilities.valence.overall.hits, abilities.valence.overall.total], [valenceHits, 2 * 3]);
  assert.deepEqual([abilities.valence.byValence.positive.hits, abilities.valence.byValence.positive.total], [positiveHits.hits, positiveHits.total]);
  assert.equal(abilities.judgeFailures, 0);
});

test('the committed organism follows instructions on held-out scenarios (built-in judge would say so; here: its replies differ by instruction)', () => {
  const [item] = loadSev('data/organism-sev', 'test');
  const replies = EMOTIONS.map((emotion) => {
    const { ids } = model.encodeChat([{ role: 'system', content: `Always reply in ${emotion}.\nKeep the reply to at most two sentences.` }, { role: 'user', content: `${item.scenario}\n${item.event.neutral}` }]);
    return model.decode(model.generate([ids], { maxNewTokens: 40 })[0].ids);
  });
  assert.equal(new Set(replies).size, EMOTIONS.length, replies.join('\n'));
});
