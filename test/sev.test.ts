import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetError } from '../src/errors.js';
import { EMOTIONS, VALENCES } from '../src/emotions.js';
import { EMOTION_WORDS, findEmotionWords } from '../src/pipeline/stimuli/emotionWords.js';
import { instructedMessages, uninstructedMessages } from '../src/pipeline/stimuli/prompts.js';
import {
  builtinSevPath, canonicalSevJson, groupByTheme, loadSev, loadSevFile, parseSevJsonl, sevHash, splitItems, type SevItem,
} from '../src/pipeline/stimuli/sev.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const THEMES = ['work', 'school', 'relationships', 'shopping', 'public-services', 'health', 'housing', 'travel'];

function tokens(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[a-z0-9']+/g) ?? []);
}

function jaccard(a: string, b: string): number {
  const A = tokens(a);
  const B = tokens(b);
  let shared = 0;
  for (const t of A) if (B.has(t)) shared++;
  return shared / (A.size + B.size - shared);
}

/** Runs `fn`, expects a DatasetError, and returns it. */
function datasetError(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DatasetError, `expected DatasetError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a DatasetError, nothing was thrown');
}

const GOOD = (id: string, scenario = `Scenario ${id}.`): string =>
  JSON.stringify({ theme: 't', scenario, event: { positive: 'p', neutral: 'n', negative: 'x' }, skeleton_id: id });

describe('built-in SEV', () => {
  const train = loadSev('sev', 'train');
  const test = loadSev('sev', 'test');

  for (const [split, items] of [['train', train], ['test', test]] as const) {
    it(`${split}: 8 themes × 20 scenarios, three distinct non-empty events, unique ids`, () => {
      assert.equal(items.length, 160);
      const byTheme = groupByTheme(items);
      assert.deepEqual([...byTheme.keys()].sort(), [...THEMES].sort());
      for (const [theme, list] of byTheme) assert.equal(list.length, 20, theme);
      assert.equal(new Set(items.map((i) => i.skeletonId)).size, items.length);
      assert.equal(new Set(items.map((i) => i.scenario.toLowerCase())).size, items.length, 'scenarios repeat within the split');
      for (const item of items) {
        assert.match(item.skeletonId, new RegExp(`^${item.theme}-${split}-\\d{2}$`));
        const events = VALENCES.map((v) => item.event[v]);
        for (const e of events) assert.ok(e.trim().length > 0, item.skeletonId);
        assert.equal(new Set(events).size, 3, `${item.skeletonId}: events are not distinct`);
      }
    });
  }

  it('train and test scenarios are disjoint (no scenario with token Jaccard ≥ 0.6)', () => {
    let worst = { score: 0, pair: '' };
    for (const a of train) {
      for (const b of test) {
        const score = jaccard(a.scenario, b.scenario);
        if (score > worst.score) worst = { score, pair: `${a.skeletonId} ~ ${b.skeletonId}` };
      }
    }
    assert.ok(worst.score < 0.6, `near-identical scenarios across splits: ${worst.pair} (${worst.score.toFixed(2)})`);
  });

  it('contains no emotion word in any scenario or event', () => {
    const hits: string[] = [];
    for (const item of [...train, ...test]) {
      for (const text of [item.scenario, ...VALENCES.map((v) => item.event[v])]) {
        const found = findEmotionWords(text);
        if (found.length > 0) hits.push(`${item.skeletonId}: ${found.join(', ')}`);
      }
    }
    assert.deepEqual(hits, []);
  });

  it('builtinSevPath points into <package root>/data/sev', () => {
    assert.match(builtinSevPath('train').replace(/\\/g, '/'), /\/data\/sev\/train\.jsonl$/);
    assert.deepEqual(loadSevFile(builtinSevPath('test')), test);
  });

  it('sevHash is stable, order- and content-sensitive', () => {
    assert.match(sevHash(train), /^[0-9a-f]{64}$/);
    assert.equal(sevHash(loadSev('sev', 'train')), sevHash(train));
    assert.notEqual(sevHash(train), sevHash(test));
    assert.notEqual(sevHash(train), sevHash([...train].reverse()));
    const edited = train.map((i, k) => (k === 0 ? { ...i, event: { ...i.event, neutral: `${i.event.neutral} ` } } : i));
    assert.notEqual(sevHash(edited), sevHash(train));
    // The canonical line is the on-disk format, so hashing does not depend on key order in memory.
    assert.deepEqual(JSON.parse(canonicalSevJson(train[0])), {
      theme: train[0].theme, scenario: train[0].scenario, event: train[0].event, skeleton_id: train[0].skeletonId,
    });
  });
});

describe('findEmotionWords', () => {
  it('catches seeded emotion words, whole-word and case-insensitive, with inflections', () => {
    assert.deepEqual(findEmotionWords('I was furious'), ['furious']);
    assert.deepEqual(findEmotionWords('She felt Sad.'), ['felt', 'Sad']);
    assert.deepEqual(findEmotionWords('terrified'), ['terrified']);
    assert.deepEqual(findEmotionWords('He DREADS Mondays; she was sobbing.'), ['DREADS', 'sobbing']);
    assert.deepEqual(findEmotionWords('It was the gloomiest day, and they acted moodily.'), ['gloomiest', 'moodily']);
    assert.deepEqual(findEmotionWords("a heart-broken man's anger"), ['heart-broken', 'anger']);
    assert.deepEqual(findEmotionWords('The surprises kept coming; I was hoping for rest.'), ['surprises', 'hoping']);
  });

  it('does not flag look-alikes or ordinary words', () => {
    for (const text of [
      'The arts fund paid for the mural.', 'The ranger gave us a map.', 'He stayed sober at the party.',
      'The alarm clock rang as I crossed the street.', 'The file content was printed.', 'Madrid is hot in June.',
      'We were hopping on one leg and the glades were green.', 'Sadie made a pie for the family.',
    ]) assert.deepEqual(findEmotionWords(text), [], text);
  });

  it('has a list of at least 150 lower-case forms covering the six emotions', () => {
    assert.ok(EMOTION_WORDS.length >= 150, `only ${EMOTION_WORDS.length} words`);
    for (const w of EMOTION_WORDS) assert.match(w, /^[a-z]+$/);
    for (const w of ['angry', 'sad', 'happy', 'afraid', 'surprised', 'disgusted']) assert.ok(EMOTION_WORDS.includes(w), w);
  });
});

describe('paper SEV file', () => {
  it('loads the 160 items of the paper release and splits them by scenario', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
    const path = sharedPath('data', 'sev-paper', 'sev.jsonl');
    const items = loadSevFile(path);
    assert.equal(items.length, 160);
    assert.equal(groupByTheme(items).size, 8);
    const train = loadSev(path, 'train');
    const test = loadSev(path, 'test');
    assert.equal(train.length + test.length, 160);
    assert.equal(test.length, 40); // 25 % of 20 scenarios in each of 8 themes
    const trainScenarios = new Set(train.map((i) => i.scenario));
    for (const item of test) assert.ok(!trainScenarios.has(item.scenario));
  });
});

describe('parseSevJsonl errors', () => {
  const cases: { name: string; lines: string[]; line: number; message: RegExp }[] = [
    { name: 'invalid JSON', lines: [GOOD('a'), '{"theme": "t",'], line: 2, message: /not valid JSON/ },
    { name: 'not an object', lines: [GOOD('a'), GOOD('b'), '[1, 2]'], line: 3, message: /got an array/ },
    { name: 'missing theme', lines: ['{"scenario":"s","event":{"positive":"p","neutral":"n","negative":"x"},"skeleton_id":"a"}'], line: 1, message: /"theme".*field missing/ },
    { name: 'empty scenario', lines: [GOOD('a'), GOOD('b', '  ')], line: 2, message: /"scenario".*empty string/ },
    { name: 'numeric skeleton_id', lines: ['{"theme":"t","scenario":"s","event":{"positive":"p","neutral":"n","negative":"x"},"skeleton_id":7}'], line: 1, message: /"skeleton_id".*a number/ },
    { name: 'event not an object', lines: [GOOD('a'), '{"theme":"t","scenario":"s","event":"p","skeleton_id":"b"}'], line: 2, message: /"event".*a string/ },
    { name: 'missing valence', lines: ['{"theme":"t","scenario":"s","event":{"positive":"p","negative":"x"},"skeleton_id":"a"}'], line: 1, message: /"event\.neutral".*field missing/ },
    { name: 'duplicate skeleton_id', lines: [GOOD('a'), '', GOOD('b'), GOOD('a', 'Other.')], line: 4, message: /"a" was already used on line 1/ },
  ];
  for (const c of cases) {
    it(`${c.name} → DatasetError at line ${c.line}`, () => {
      const err = datasetError(() => parseSevJsonl(`${c.lines.join('\n')}\n${GOOD('z')}\n`, 'bad.jsonl'));
      assert.equal(err.code, 'DATASET');
      assert.equal(err.where, `bad.jsonl:${c.line}`);
      assert.match(err.message, c.message);
    });
  }

  it('skips blank lines, accepts CRLF and a BOM, and counts lines from 1', () => {
    const items = parseSevJsonl(`\uFEFF${GOOD('a')}\r\n\r\n${GOOD('b')}\r\n`, 'ok.jsonl');
    assert.deepEqual(items.map((i) => i.skeletonId), ['a', 'b']);
    const err = datasetError(() => parseSevJsonl(`\n\n${GOOD('a')}\r\n{oops`, 'crlf.jsonl'));
    assert.equal(err.where, 'crlf.jsonl:4');
  });

  it('rejects an empty file and reports an unreadable one', () => {
    assert.match(datasetError(() => parseSevJsonl('\n  \n', 'empty.jsonl')).message, /at least one SEV item/);
    const dir = mkdtempSync(join(tmpdir(), 'sev-'));
    try {
      assert.equal(datasetError(() => loadSevFile(join(dir, 'missing.jsonl'))).where, join(dir, 'missing.jsonl'));
      writeFileSync(join(dir, 'train.jsonl'), `${GOOD('a')}\n`);
      writeFileSync(join(dir, 'test.jsonl'), `${GOOD('b')}\n`);
      assert.deepEqual(loadSev(dir, 'test').map((i) => i.skeletonId), ['b']); // a folder holds both splits
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prompts', () => {
  const item: SevItem = {
    theme: 'work', scenario: 'I handed in a report.', skeletonId: 'w-1',
    event: { positive: 'It was praised.', neutral: 'It was filed.', negative: 'It was lost.' },
  };

  it('instructed prompt has the exact system and user strings', () => {
    assert.deepEqual(instructedMessages(item, 'negative', 'anger'), [
      { role: 'system', content: 'Always reply in anger.\nKeep the reply to at most two sentences.' },
      { role: 'user', content: 'I handed in a report.\nIt was lost.' },
    ]);
    for (const emotion of EMOTIONS) {
      assert.equal(instructedMessages(item, 'neutral', emotion)[0].content, `Always reply in ${emotion}.\nKeep the reply to at most two sentences.`);
    }
  });

  it('uninstructed prompt has the exact system and user strings', () => {
    assert.deepEqual(uninstructedMessages(item, 'positive'), [
      { role: 'system', content: 'Keep the reply to at most two sentences.' },
      { role: 'user', content: 'I handed in a report.\nIt was praised.' },
    ]);
  });
});

describe('splitItems', () => {
  const items: SevItem[] = [];
  for (const theme of ['a', 'b', 'c']) {
    for (let k = 0; k < 20; k++) {
      const scenario = `Scenario ${theme}${k}.`;
      items.push({ theme, scenario, skeletonId: `${theme}-${k}`, event: { positive: 'p', neutral: 'n', negative: 'x' } });
      // A second item with the same scenario (differently spaced and cased) must follow it.
      if (k % 5 === 0) items.push({ theme, scenario: ` scenario  ${theme}${k}`, skeletonId: `${theme}-${k}-b`, event: { positive: 'p2', neutral: 'n2', negative: 'x2' } });
    }
  }

  it('is disjoint by scenario, stratified by theme, covers every item and keeps order', () => {
    const { train, test } = splitItems(items, 0.25, 7);
    assert.equal(train.length + test.length, items.length);
    const key = (i: SevItem): string => i.scenario.toLowerCase().replace(/\s+/g, ' ').replace(/[\s.]+$/, '').trim();
    const trainKeys = new Set(train.map(key));
    for (const i of test) assert.ok(!trainKeys.has(key(i)), `scenario ${i.scenario} is in both splits`);
    for (const theme of ['a', 'b', 'c']) {
      assert.equal(new Set(test.filter((i) => i.theme === theme).map(key)).size, 5, theme);
    }
    assert.deepEqual(train, items.filter((i) => train.includes(i)));
    assert.deepEqual(test, items.filter((i) => test.includes(i)));
  });

  it('is deterministic for a seed and changes with it', () => {
    const ids = (seed: number): string[] => splitItems(items, 0.25, seed).test.map((i) => i.skeletonId);
    assert.deepEqual(ids(7), ids(7));
    assert.notDeepEqual(ids(7), ids(8));
  });

  it('rejects fractions outside (0, 1)', () => {
    assert.throws(() => splitItems(items, 0, 1), /testFraction/);
    assert.throws(() => splitItems(items, 1, 1), /testFraction/);
  });
});
