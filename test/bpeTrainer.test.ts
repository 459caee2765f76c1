import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BYTE_TO_CHAR, fromByteChars, preTokenize, toByteChars } from '../src/tokenizer/byteLevel.js';
import { trainBpe, tokenizerJson, type BpeModel } from '../src/tokenizer/bpeTrainer.js';
import { TextTokenizer } from '../src/tokenizer/tokenizer.js';

const SMALL_CORPUS = [
  'the cat sat on the mat',
  'the cat ate the rat',
  'a rat sat on a hat',
  'that hat is the hat of the cat',
  'Héllo wörld, 1234 cats!',
];

/** Reference BPE training, written out naively: recount every pair of every word at each step. */
function referenceMerges(texts: string[], merges: number): [string, string][] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const piece of t.match(/'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu) ?? []) {
    const chars = [...Buffer.from(piece, 'utf8')].map((b) => BYTE_TO_CHAR[b]).join('');
    counts.set(chars, (counts.get(chars) ?? 0) + 1);
  }
  let words = [...counts.entries()].map(([w, c]) => ({ s: [...w], c }));
  const out: [string, string][] = [];
  for (let step = 0; step < merges; step++) {
    const pairs = new Map<string, number>();
    for (const { s, c } of words) for (let i = 0; i + 1 < s.length; i++) pairs.set(`${s[i]} ${s[i + 1]}`, (pairs.get(`${s[i]} ${s[i + 1]}`) ?? 0) + c);
    const best = [...pairs.entries()].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0];
    if (!best || best[1] < 2) break;
    const [a, b] = best[0].split(' ');
    out.push([a, b]);
    words = words.map(({ s, c }) => {
      const n: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          n.push(a + b);
          i++;
        } else n.push(s[i]);
      }
      return { s: n, c };
    });
  }
  return out;
}

/** Reference BPE encoding of one byte-level word: merge the lowest-ranked adjacent pair until none applies. */
function referenceEncodeWord(merges: [string, string][], word: string): string[] {
  const rank = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
  let s = [...word];
  for (;;) {
    let best = -1;
    for (let i = 0; i + 1 < s.length; i++) {
      const r = rank.get(`${s[i]} ${s[i + 1]}`);
      if (r !== undefined && (best < 0 || r < rank.get(`${s[best]} ${s[best + 1]}`)!)) best = i;
    }
    if (best < 0) return s;
    s = [...s.slice(0, best), s[best] + s[best + 1], ...s.slice(best + 2)];
  }
}

function writeTokenizer(model: BpeModel): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bpe-'));
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(model, { bosToken: '<|bos|>' })));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|bos|>', eos_token: '<|end|>', clean_up_tokenization_spaces: false }));
  return dir;
}

test('byte table: the GPT-2 byte-level alphabet', () => {
  assert.equal(BYTE_TO_CHAR.length, 256);
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
  assert.equal(BYTE_TO_CHAR[0x20], '\u0120'); // space → Ġ
  assert.equal(BYTE_TO_CHAR[0x0a], '\u010a'); // newline → Ċ
  assert.equal(BYTE_TO_CHAR[0x00], '\u0100');
  assert.equal(BYTE_TO_CHAR[0xad], '\u0143'); // the last of the 68 remapped bytes
  assert.equal(toByteChars(' é'), '\u0120\u00c3\u00a9');
  assert.equal(fromByteChars(toByteChars('naïve 😀')), 'naïve 😀');
  assert.deepEqual(preTokenize("I'm 12 cats!"), ['I', "'m", '\u012012', '\u0120cats', '!']);
});

test('trainBpe: the same merges as a naive reference, ids in order, independent of corpus order', () => {
  const model = trainBpe(SMALL_CORPUS, { vocabSize: 2 + 256 + 20, specialTokens: ['<|bos|>', '<|end|>'] });
  assert.deepEqual(model.merges, referenceMerges(SMALL_CORPUS, 20));
  assert.ok(model.merges.length > 5);
  assert.equal(model.vocab.get('<|bos|>'), 0);
  assert.equal(model.vocab.get('<|end|>'), 1);
  assert.equal(model.vocab.get('A'), 2 + 0x41);
  const [a, b] = model.merges[0];
  assert.equal(model.vocab.get(a + b), 258);
  const ids = [...model.vocab.values()].sort((x, y) => x - y);
  assert.deepEqual(ids, ids.map((_, i) => i), 'ids are 0..V-1 without gaps');
  const reversed = trainBpe([...SMALL_CORPUS].reverse(), { vocabSize: 278, specialTokens: ['<|bos|>', '<|end|>'] });
  assert.deepEqual(reversed.merges, model.merges);
  assert.throws(() => trainBpe(SMALL_CORPUS, { vocabSize: 100, specialTokens: [] }), RangeError);
});

test('tokenizer.json loads through TextTokenizer: reference segmentation, BOS, exact round trips', () => {
  const model = trainBpe(SMALL_CORPUS, { vocabSize: 300, specialTokens: ['<|bos|>', '<|end|>'] });
  const tok = TextTokenizer.load(writeTokenizer(model));
  assert.equal(tok.bosTokenId, 0);
  assert.deepEqual(tok.eosTokenIds, [1]);
  assert.equal(tok.vocabSize, model.vocab.size);
  for (const text of SMALL_CORPUS) {
    const ids = tok.encode(text, { addSpecialTokens: false });
    const expected = preTokenize(text).flatMap((w) => referenceEncodeWord(model.merges, w));
    assert.deepEqual(ids.map((id) => tok.idToToken(id)), expected, text);
    assert.equal(tok.decode(ids), text);
  }
  assert.equal(tok.encode('the cat')[0], 0, 'BOS is prepended with special tokens');
  assert.notEqual(tok.encode('the cat', { addSpecialTokens: false })[0], 0);
  const arbitrary = [
    'Zebra Quixote 0987654321 3.14159 -42 1e9',
    '  two leading spaces, a tab\tand\n\nnew lines  ',
    'ünïcödé — “quotes” ‘single’ … € £ ¥ © ®',
    '日本語のテキスト 中文 한국어 العربية עברית',
    'emoji 😀👍🏽 🇬🇧 and ZWJ 👩‍👩‍👧',
    "it's we're they've I'd you'll",
    'spaces before punctuation , like this . and ! this ?',
    '<|end|> inside text',
  ];
  for (const text of arbitrary) {
    const ids = tok.encode(text, { addSpecialTokens: false });
    assert.equal(tok.decode(ids, { skipSpecialTokens: false }), text, text);
  }
  assert.equal(tok.encode('<|end|>', { addSpecialTokens: false }).length, 1, 'special tokens are never split');
});
