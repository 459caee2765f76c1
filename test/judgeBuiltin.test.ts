/**
 * The built-in judge: each rule (negation, intensifiers/diminishers, exclamations, questions,
 * shouting, phrases) pinned by numbers worked out by hand from the lexicon weights
 * (strong 2, normal 1, weak 0.5) and the documented rule constants.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EMOTIONS } from '../src/emotions.js';
import { analyzeEmotion, BuiltinJudge, judgeBuiltin } from '../src/judge/builtinJudge.js';
import { createJudge } from '../src/judge/judge.js';
import { splitSentences, tokenize } from '../src/judge/textTokens.js';

const evidence = (text: string) => analyzeEmotion(text).evidence;
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe('tokens', () => {
  test('contractions split into the word and "not"; apostrophe-less forms too', () => {
    assert.deepEqual(tokenize("I don't know, can't say. Dont!").map((t) => t.text), ['i', 'do', 'not', 'know', ',', 'can', 'not', 'say', '.', 'do', 'not', '!']);
  });

  test('emoticons count only between spaces; emoji are tokens', () => {
    assert.deepEqual(tokenize('at 10:30 :) ok 😂').map((t) => `${t.kind}:${t.text}`), ['word:at', 'word:10', 'punct::', 'word:30', 'emoticon::)', 'word:ok', 'emoji:😂']);
  });

  test('sentences close at . ! ? runs and count their marks', () => {
    const sentences = splitSentences(tokenize('Really?! Yes!!! fine.'));
    assert.deepEqual(sentences.map((s) => [s.tokens.map((t) => t.text).join(' '), s.exclamations, s.questions]), [['really', 1, 1], ['yes', 3, 0], ['fine', 0, 0]]);
  });
});

describe('rules', () => {
  test('a plain cue adds its weight: "angry" (normal) 1, "furious" (strong) 2, "good" (weak) 0.5', () => {
    close(evidence('I am angry').anger, 1, 'angry');
    close(evidence('I am furious').anger, 2, 'furious');
    close(evidence('That is good').happiness, 0.5, 'good');
    assert.equal(analyzeEmotion('I am angry').label, 'anger');
    assert.equal(analyzeEmotion('The train leaves at noon').label, 'neutral');
  });

  test('negation: "not happy" is no happiness, within three words and up to a comma', () => {
    assert.equal(evidence('I am not happy').happiness, 0);
    assert.equal(analyzeEmotion('I am not happy').label, 'neutral');
    assert.equal(evidence("I don't feel happy").happiness, 0);
    assert.equal(evidence('I am never really happy').happiness, 0);
    // The comma ends the negation's reach; beyond three words it no longer reaches.
    close(evidence('Not that it matters, I am happy').happiness, 1, 'after a comma');
    close(evidence('There is no reason to doubt that I am happy').happiness, 1, 'beyond the scope');
    // A phrase that holds its own negator is not negated by it.
    assert.equal(analyzeEmotion("I can't wait to see you").label, 'happiness');
    const verdict = judgeBuiltin({ text: 'I am not afraid of anything', target: 'fear' });
    assert.equal(verdict.match, false);
  });

  test('intensifiers multiply the next cue by 1.6, diminishers by 0.5; "never been this" intensifies', () => {
    close(evidence('I am very angry').anger, 1.6, 'very');
    close(evidence('I am extremely sad').sadness, 1.6, 'extremely');
    close(evidence('I am a bit sad').sadness, 0.5, 'a bit');
    close(evidence('I am so very sad').sadness, 2.5, 'capped at 2.5');
    close(evidence("I've never been this sad").sadness, 1.6, 'never been this');
    // The modifier decides the label: a little anger against much fear.
    assert.equal(analyzeEmotion('I am a bit angry but extremely scared').label, 'fear');
    // "really" before a word modifies it; alone it is surprise.
    close(evidence('really happy').happiness, 1.6, 'really happy');
    assert.equal(evidence('really happy').surprise, 0);
    close(evidence('Really').surprise, 1, 'really alone');
  });

  test('exclamations raise their sentence by 0.3 per "!" up to three', () => {
    close(evidence('I am angry!').anger, 1.3, 'one !');
    close(evidence('I am angry!!!').anger, 1.9, 'three !');
    close(evidence('I am angry!!!!!').anger, 1.9, 'capped');
    close(evidence('I am angry! I am sad.').sadness, 1, 'other sentence untouched');
    // Equal cues: without "!" the tie goes to the first emotion (anger); with it fear wins.
    assert.equal(analyzeEmotion('I am angry. I am scared.').label, 'anger');
    assert.equal(analyzeEmotion('I am angry. I am scared!').label, 'fear');
  });

  test('questions add surprise: 0.7 for "?", 1.05 for "??", 1.2 for "?!"', () => {
    close(evidence('You did that?').surprise, 0.7, '?');
    close(evidence('You did that??').surprise, 1.05, '??');
    close(evidence('You did that?!').surprise, 1.2, '?!');
    assert.equal(analyzeEmotion('You did that?').label, 'surprise');
    assert.equal(analyzeEmotion('You did that.').label, 'neutral');
  });

  test('CAPITALS count 1.5×, stretched words 1.3×, and shouting without a cue is a little anger', () => {
    close(evidence('I am ANGRY').anger, 1.5, 'caps');
    close(evidence('I am SO angry').anger, 2.4, 'caps intensifier');
    close(evidence('I am sooo happy').happiness, 1.6, '"sooo" is "so"');
    close(evidence('I am happyyyy').happiness, 1.3, 'stretched cue');
    close(evidence('STOP DOING THAT NOW').anger, 0.5, 'shouting');
    assert.equal(evidence('Stop doing that now').anger, 0);
  });

  test('phrases, wildcards and blocked words', () => {
    close(evidence('I am fed up with this').anger, 2, 'fed up');
    close(evidence('So annoying').anger, 1.6, 'annoy*');
    assert.equal(evidence('a fearless knight').fear, 0);
    assert.equal(evidence('the scarecrow').fear, 0);
    close(evidence('this is creepy').fear, 1, 'creepy is fear');
    close(evidence('this is creepy').disgust, 1, 'and disgust');
  });
});

describe('verdicts', () => {
  test('scores (six emotions and neutral) sum to 1 and follow evidence / (Σ evidence + 0.4)', () => {
    const analysis = analyzeEmotion('I am angry and a bit sad');
    const total = 1 + 0.5 + 0.4;
    close(analysis.scores.anger, 1 / total, 'anger');
    close(analysis.scores.sadness, 0.5 / total, 'sadness');
    close(analysis.scores.neutral, 0.4 / total, 'neutral');
    close([...EMOTIONS, 'neutral' as const].reduce((s, e) => s + analysis.scores[e], 0), 1, 'sum');
  });

  test('match: the target holds the most evidence (ties included) and beats neutral', () => {
    assert.equal(judgeBuiltin({ text: 'I am so happy!', target: 'happiness' }).match, true);
    assert.equal(judgeBuiltin({ text: 'I am so happy!', target: 'anger' }).match, false);
    assert.equal(judgeBuiltin({ text: 'I am angry and scared', target: 'fear' }).match, true);
    assert.equal(judgeBuiltin({ text: 'The train leaves at noon', target: 'anger' }).match, false);
    const verdict = judgeBuiltin({ text: 'I hate this!', target: 'anger' });
    assert.equal(verdict.label, 'anger');
    assert.match(verdict.reason!, /"hate" anger/);
  });

  test('deterministic: the same items give the same verdicts, in order, from any instance', async () => {
    const items = EMOTIONS.flatMap((target) => ['What a wonderful day!', "I can't believe you did this?!", 'This is disgusting, I hate it', 'so sad :('].map((text) => ({ text, target })));
    const progress: number[] = [];
    const first = await new BuiltinJudge().judge(items, { onProgress: (done) => progress.push(done) });
    const second = await createJudge('builtin').judge(items);
    assert.deepEqual(first, second);
    assert.deepEqual(first.map((v) => v.target), items.map((i) => i.target));
    assert.deepEqual(progress, items.map((_, i) => i + 1));
  });

  test('an aborted signal stops the built-in judge', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(new BuiltinJudge().judge([{ text: 'hi', target: 'anger' }], { signal: controller.signal }), { name: 'AbortError' });
  });
});
