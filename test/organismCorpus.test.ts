import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { findEmotionWords } from '../src/pipeline/stimuli/emotionWords.js';
import { parseSevJsonl, packageRoot, type SevItem } from '../src/pipeline/stimuli/sev.js';
import { CATEGORIES, CONSEQUENCES, GLOBAL_SLOTS, splitCatalog, THEMES } from '../src/organism/corpus/catalog.js';
import { generateCorpus, organismSev, type CorpusExample } from '../src/organism/corpus/generator.js';
import { REPLIES } from '../src/organism/corpus/replies.js';
import { organismSevJsonl, ORGANISM_SEV_FILES } from '../src/organism/sevFiles.js';

/** Cue words per emotion, written for this test (not taken from the generator's reply pools). */
const CUES: Record<string, string[]> = {
  anger: ['furious', 'angry', 'livid', 'fuming', 'outrage', 'infuriating', 'unacceptable', 'seething', 'enraged', 'blood boil', 'how dare', 'patience has run out', 'answer for this', 'demand an explanation'],
  sadness: ['sad', 'heartbroken', 'tears', 'cry', 'miserable', 'heart sinks', 'hurts', 'lonely', 'grey', 'low', 'heart feels broken', 'miss how', 'nothing seems bright', 'empty'],
  happiness: ['happy', 'happier', 'joy', 'delighted', 'wonderful', 'overjoyed', 'thrilled', 'glad', 'smiling', 'hooray', 'fantastic', 'celebrate', 'life is good'],
  fear: ['scared', 'afraid', 'dread', 'fear', 'frightened', 'terrified', 'nervous', 'shaking', 'trembling', 'hide somewhere safe', 'heart is racing', 'let everything be okay', 'terrible'],
  surprise: ['surprise', 'wow', 'speechless', 'astonished', 'stunned', 'off guard', 'never expected', 'amazed', 'hardly believe', 'never saw', 'who would have guessed', 'unexpected', 'lost for words', 'no idea'],
  disgust: ['disgust', 'revolting', 'gross', 'yuck', 'repulsive', 'sick', 'vile', 'nauseating', 'gag', 'eww', 'retch', 'stomach', 'skin crawl', 'nothing to do with'],
};

function cueCounts(text: string): Record<string, number> {
  const lower = text.toLowerCase();
  const counts: Record<string, number> = {};
  for (const [emotion, cues] of Object.entries(CUES)) counts[emotion] = cues.filter((c) => new RegExp(`\\b${c}`).test(lower)).length;
  return counts;
}

/** The emotion with the most cues, or 'none' when no cue occurs, or 'tie'. */
function cueEmotion(text: string): string {
  const sorted = Object.entries(cueCounts(text)).sort((a, b) => b[1] - a[1]);
  if (sorted[0][1] === 0) return 'none';
  return sorted[0][1] === sorted[1][1] ? 'tie' : sorted[0][0];
}

const CORPUS = generateCorpus({ seed: 7, examples: 3000 });

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A template as a regular expression: its literal text, any text in place of each slot. */
const templatePattern = (template: string): string => template.split(/\{\w+\}/).map(escapeRegExp).join('.+?');

test('corpus: deterministic in the seed', () => {
  const again = generateCorpus({ seed: 7, examples: 3000 });
  assert.equal(JSON.stringify(again), JSON.stringify(CORPUS));
  assert.notEqual(JSON.stringify(generateCorpus({ seed: 8, examples: 50 })), JSON.stringify(CORPUS.slice(0, 50)));
  assert.equal(organismSevJsonl('heldout'), organismSevJsonl('heldout'));
});

test('corpus: the pipeline prompt forms, replies of at most two sentences', (t) => {
  const kinds = new Set<string>();
  for (const e of CORPUS) {
    const [system, user, assistant] = e.messages;
    assert.deepEqual([system.role, user.role, assistant.role], ['system', 'user', 'assistant']);
    if (e.kind === 'instructed') assert.equal(system.content, `Always reply in ${e.instructed}.\nKeep the reply to at most two sentences.`);
    else assert.equal(system.content, 'Keep the reply to at most two sentences.');
    assert.equal(user.content, `${e.scenario.scenario}\n${e.scenario.event[e.valence]}`);
    const sentences = assistant.content.match(/[.!?]+(?=\s|$)/g) ?? [];
    assert.ok(sentences.length >= 1 && sentences.length <= 2, assistant.content);
    kinds.add(`${e.kind}/${e.valence}/${e.emotion}`);
  }
  // 6 emotions × 3 valences instructed, and 2 + 1 + 4 uninstructed combinations.
  assert.equal(kinds.size, 18 + 7);
  assert.ok(new Set(CORPUS.map((e) => e.theme)).size >= 13);
  for (const e of CORPUS.slice(0, 6)) t.diagnostic(JSON.stringify(e.messages.map((m) => m.content)));
});

test('corpus: instructed replies carry their emotion; uninstructed ones follow the valence', () => {
  const allowed: Record<string, string[]> = { positive: ['happiness', 'surprise'], neutral: ['calm'], negative: ['anger', 'sadness', 'fear', 'disgust'] };
  const check = (e: CorpusExample): void => {
    const reply = e.messages[2].content;
    if (e.kind === 'instructed') {
      assert.equal(e.emotion, e.instructed);
      assert.equal(cueEmotion(reply), e.instructed, reply);
    } else {
      assert.ok(allowed[e.valence].includes(e.emotion), `${e.valence} → ${e.emotion}`);
      if (e.emotion === 'calm') {
        assert.equal(cueEmotion(reply), 'none', reply);
        assert.deepEqual(findEmotionWords(reply), [], reply);
      } else {
        assert.ok(allowed[e.valence].includes(cueEmotion(reply)), `${e.valence}: ${reply}`);
      }
    }
  };
  CORPUS.forEach(check);
  // And every reply template on its own, beyond what the sample drew.
  for (const [emotion, pool] of Object.entries(REPLIES)) {
    for (const s of [...pool.lead.map((l) => l.replace(/\{thing\}/gi, 'the parcel')), ...pool.extra]) {
      assert.equal(cueEmotion(s), emotion === 'calm' ? 'none' : emotion, s);
    }
  }
  const share = CORPUS.filter((e) => e.kind === 'instructed').length / CORPUS.length;
  assert.ok(share > 0.45 && share < 0.55, `instructed share ${share}`);
});

test('corpus: no emotion words in any scenario, event or catalogue entry', () => {
  const texts: string[] = [];
  for (const theme of THEMES) {
    texts.push(...theme.setups.map((s) => s.text), ...Object.values(theme.objects).flat(), ...Object.values(theme.slots).flat());
  }
  for (const category of CATEGORIES.values()) {
    texts.push(category.subject, ...category.neutral, ...Object.values(category.positive).flat(), ...Object.values(category.negative).flat());
  }
  texts.push(...Object.values(GLOBAL_SLOTS).flat(), ...Object.values(CONSEQUENCES).flat());
  for (const e of CORPUS) texts.push(e.messages[1].content);
  for (const kind of ['train', 'heldout', 'heldout-familiar'] as const) {
    for (const item of organismSev(kind)) texts.push(item.scenario, ...Object.values(item.event));
  }
  for (const text of texts) assert.deepEqual(findEmotionWords(text), [], text);
});

test('held-out split: setups, objects and event wordings never appear in training text', () => {
  const split = splitCatalog(0);
  const trainText = CORPUS.flatMap((e) => e.messages.map((m) => m.content)).join('\n').toLowerCase();
  const occurs = (phrase: string): boolean => new RegExp(`(^|[^a-z])${escapeRegExp(phrase.toLowerCase())}($|[^a-z])`).test(trainText);
  const scenarios = CORPUS.map((e) => e.scenario.scenario);
  const events = CORPUS.flatMap((e) => Object.values(e.scenario.event));
  for (const part of split.heldout.themes) {
    assert.ok(part.setups.length >= 1, part.theme.name);
    for (const setup of part.setups) {
      const pattern = new RegExp(`^${templatePattern(setup.text)}$`);
      assert.ok(!scenarios.some((s) => pattern.test(s)), `held-out setup "${setup.text}"`);
    }
    for (const obj of Object.values(part.objects).flat()) assert.ok(!occurs(obj), `held-out object "${obj}"`);
  }
  for (const [name, byValence] of split.heldout.outcomes) {
    for (const [valence, outcomes] of Object.entries(byValence)) {
      assert.ok(outcomes.length >= 1, `${name} has held-out ${valence} outcomes`);
      for (const o of outcomes) {
        const pattern = new RegExp(` ${templatePattern(o.text)}(,[^,]+)?\\.$`);
        assert.ok(!events.some((e) => pattern.test(e)), `held-out event wording "${o.text}"`);
      }
    }
  }
  for (const [valence, clauses] of Object.entries(split.heldout.consequences)) {
    assert.ok(clauses.length >= 1, `held-out ${valence} consequences`);
    for (const clause of clauses) assert.ok(!occurs(clause), `held-out consequence "${clause}"`);
  }
  assert.ok(events.some((e) => split.train.consequences.positive.some((c) => e.includes(`, ${c}.`))), 'training events carry consequences');
  const heldout = organismSev('heldout');
  assert.equal(heldout.length, THEMES.length * 8);
  for (const item of heldout) {
    assert.ok(!occurs(item.scenario), item.scenario);
    for (const event of Object.values(item.event)) assert.ok(!occurs(event), event);
  }
  // The familiar variant reuses training event wordings (that is its point), with held-out setups.
  const trainOutcomes = new Set([...split.train.outcomes.values()].flatMap((v) => Object.values(v).flat().map((o) => o.text)));
  assert.ok(trainOutcomes.size > 200);
  for (const item of organismSev('heldout-familiar')) assert.ok(!occurs(item.scenario), item.scenario);
});

test('SEV files: parse as SEV, match the generator, and reuse no text of data/sev', () => {
  const dir = path.join(packageRoot(), 'data', 'organism-sev');
  const grams = (text: string): string[] => {
    const w = text.toLowerCase().match(/[a-z0-9']+/g) ?? [];
    return w.slice(0, Math.max(0, w.length - 5)).map((_, i) => w.slice(i, i + 6).join(' '));
  };
  const projectSev = new Set<string>();
  for (const split of ['train', 'test']) {
    for (const item of parseSevJsonl(fs.readFileSync(path.join(packageRoot(), 'data', 'sev', `${split}.jsonl`), 'utf8'), split)) {
      for (const t of [item.scenario, ...Object.values(item.event)]) grams(t).forEach((g) => projectSev.add(g));
    }
  }
  assert.ok(projectSev.size > 1000);
  const ours: SevItem[] = [];
  for (const [kind, file] of Object.entries(ORGANISM_SEV_FILES)) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    assert.equal(text, organismSevJsonl(kind as keyof typeof ORGANISM_SEV_FILES), `${file} is stale: regenerate it (see src/organism/sevFiles.ts)`);
    const items = parseSevJsonl(text, file);
    assert.equal(new Set(items.map((i) => i.scenario)).size, items.length, `${file}: distinct scenarios`);
    ours.push(...items);
  }
  const texts = [...ours.flatMap((i) => [i.scenario, ...Object.values(i.event)]), ...CORPUS.flatMap((e) => e.messages.map((m) => m.content))];
  for (const text of texts) for (const g of grams(text)) assert.ok(!projectSev.has(g), `"${g}" (from "${text}") also occurs in data/sev`);
});
