/**
 * The GoEmotions measurement: the loader and the metrics against hand-worked examples, then the
 * built-in judge on the held-out test split (its word lists and rules were tuned on dev only).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DatasetError } from '../src/errors.js';
import { analyzeEmotion } from '../src/judge/builtinJudge.js';
import { labelMetrics, loadGoEmotionsSplit } from '../src/judge/goemotions.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

describe('loader and metrics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ec-goemotions-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const labels = join(dir, 'labels.txt');
  writeFileSync(labels, 'anger\ndisgust\nfear\njoy\nneutral\nsadness\nsurprise');

  test('keeps single-label rows of the six (joy → happiness), skips neutral and multi-label rows', () => {
    const tsv = join(dir, 'split.tsv');
    writeFileSync(tsv, 'so glad\t3\ta1\nwhat\t6\ta2\nmeh\t4\ta3\nboth\t0,5\ta4\nugh\t1\ta5\n');
    const split = loadGoEmotionsSplit(tsv, labels);
    assert.deepEqual(split.rows, [
      { text: 'so glad', emotion: 'happiness' },
      { text: 'what', emotion: 'surprise' },
      { text: 'ugh', emotion: 'disgust' },
    ]);
    assert.equal(split.skipped, 2);
  });

  test('a malformed row or an unknown label index is a DatasetError naming the line', () => {
    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'fine\t3\tx\nno labels here\n');
    assert.throws(() => loadGoEmotionsSplit(bad, labels), (e: unknown) => e instanceof DatasetError && /bad\.tsv:2/.test(e.message));
    writeFileSync(bad, 'fine\t9\tx\n');
    assert.throws(() => loadGoEmotionsSplit(bad, labels), /label index 9/);
  });

  test('accuracy, baselines, precision/recall and confusion on a worked example', () => {
    const gold = ['anger', 'anger', 'anger', 'happiness', 'happiness', 'fear'] as const;
    const predicted = ['anger', 'neutral', 'happiness', 'happiness', 'happiness', 'anger'] as const;
    const m = labelMetrics(gold, predicted);
    assert.equal(m.n, 6);
    assert.equal(m.accuracy, 3 / 6);
    assert.deepEqual(m.majority, { emotion: 'anger', accuracy: 3 / 6 });
    assert.equal(m.neutral, 1);
    assert.equal(m.accuracyWhenLabelled, 3 / 5);
    // Recalls: anger 1/3, happiness 2/2, fear 0/1 → balanced (1/3 + 1 + 0) / 3.
    assert.ok(Math.abs(m.balancedAccuracy - (1 / 3 + 1 + 0) / 3) < 1e-12);
    assert.deepEqual(m.perEmotion.anger, { support: 3, predicted: 2, precision: 1 / 2, recall: 1 / 3 });
    assert.deepEqual(m.perEmotion.happiness, { support: 2, predicted: 3, precision: 2 / 3, recall: 1 });
    assert.deepEqual(m.perEmotion.sadness, { support: 0, predicted: 0, precision: null, recall: null });
    assert.deepEqual(m.confusion.anger, { anger: 1, sadness: 0, happiness: 1, fear: 0, surprise: 0, disgust: 0, neutral: 1 });
    assert.equal(m.confusion.fear.anger, 1);
  });
});

describe('built-in judge on GoEmotions test.tsv', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  test('beats the majority-class baseline and chance', () => {
    const dir = sharedPath('data', 'goemotions-ekman');
    const { rows } = loadGoEmotionsSplit(join(dir, 'test.tsv'), join(dir, 'labels.txt'));
    assert.ok(rows.length > 1000, `only ${rows.length} rows`);
    const m = labelMetrics(
      rows.map((r) => r.emotion),
      rows.map((r) => analyzeEmotion(r.text).label),
    );
    // Measured 61.6 % against a 55.4 % majority baseline, balanced 53.2 % against 16.7 % chance.
    assert.ok(m.accuracy > m.majority.accuracy + 0.04, `accuracy ${m.accuracy} vs majority ${m.majority.accuracy}`);
    assert.ok(m.balancedAccuracy > 2.5 * m.chance, `balanced accuracy ${m.balancedAccuracy} vs chance ${m.chance}`);
    for (const emotion of ['anger', 'sadness', 'happiness', 'fear', 'surprise'] as const) {
      assert.ok(m.perEmotion[emotion].recall! > 0.25, `${emotion} recall ${m.perEmotion[emotion].recall}`);
    }
  });
});
