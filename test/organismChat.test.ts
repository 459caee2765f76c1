import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EmotionCircuitsError } from '../src/errors.js';
import { parseModelConfig } from '../src/model/config.js';
import { instructedMessages, uninstructedMessages } from '../src/pipeline/stimuli/prompts.js';
import { TextTokenizer } from '../src/tokenizer/tokenizer.js';
import { generateCorpus, organismSev } from '../src/organism/corpus/generator.js';
import { specialTokenIds, trainOrganismTokenizer, writeTokenizerFiles } from '../src/organism/chatFormat.js';
import { buildDataset, datasetStats, encodeConversation } from '../src/organism/dataset.js';
import { llamaConfigJson } from '../src/train/hfExport.js';
import { DEFAULT_ORGANISM_SHAPE, organismShape, parameterCount } from '../src/organism/organismConfig.js';

const CORPUS = generateCorpus({ seed: 3, examples: 1500 });
const MODEL = trainOrganismTokenizer(CORPUS.map((e) => e.messages), 1024);
const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'organism-tok-'));
writeTokenizerFiles(DIR, MODEL);
const TOK = TextTokenizer.load(DIR);

test('organism tokenizer: special tokens, BOS/EOS, deterministic files', () => {
  assert.equal(TOK.vocabSize, 1024);
  assert.equal(TOK.bosToken, '<|bos|>');
  assert.equal(TOK.eosToken, '<|end|>');
  assert.equal(TOK.bosTokenId, TOK.tokenToId('<|bos|>'));
  assert.deepEqual(TOK.eosTokenIds, [TOK.tokenToId('<|end|>')]);
  for (const s of ['<|system|>', '<|user|>', '<|assistant|>', '<|pad|>']) assert.notEqual(TOK.tokenToId(s), null, s);
  const again = fs.mkdtempSync(path.join(os.tmpdir(), 'organism-tok-'));
  writeTokenizerFiles(again, trainOrganismTokenizer(CORPUS.map((e) => e.messages), 1024));
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) {
    assert.ok(fs.readFileSync(path.join(DIR, f)).equals(fs.readFileSync(path.join(again, f))), f);
  }
  const gen = JSON.parse(fs.readFileSync(path.join(DIR, 'generation_config.json'), 'utf8'));
  assert.equal(gen.eos_token_id, TOK.tokenToId('<|end|>'));
});

test('organism tokenizer: exact round trips on the corpus and on arbitrary text', () => {
  for (const e of CORPUS.slice(0, 200)) {
    const text = TOK.applyChatTemplate(e.messages, { addGenerationPrompt: false }).text;
    assert.equal(TOK.decode(TOK.encode(text, { addSpecialTokens: false }), { skipSpecialTokens: false }), text);
    for (const m of e.messages) assert.equal(TOK.decode(TOK.encode(m.content, { addSpecialTokens: false })), m.content);
  }
  for (const text of ['Price: 1234.50 € on 2026-11-30, ok?', 'naïve café — “quoted” 日本語 😀', ' a , b . c ! ', 'Tab\tand\nnewline\n']) {
    assert.equal(TOK.decode(TOK.encode(text, { addSpecialTokens: false })), text, text);
  }
  // Training words are mostly single tokens; novel words split into pieces but survive.
  assert.ok(TOK.encode(' reply', { addSpecialTokens: false }).length === 1);
});

test('chat template: the pipeline prompt forms and the generation prompt', () => {
  const item = organismSev('heldout')[0];
  const instructed = TOK.applyChatTemplate(instructedMessages(item, 'negative', 'anger'), { addGenerationPrompt: true });
  assert.equal(instructed.templateKind, 'model');
  assert.equal(instructed.addSpecialTokens, false);
  assert.equal(
    instructed.text,
    '<|bos|><|system|>Always reply in anger.\nKeep the reply to at most two sentences.<|end|>' +
      `<|user|>${item.scenario}\n${item.event.negative}<|end|><|assistant|>`,
  );
  const uninstructed = TOK.applyChatTemplate(uninstructedMessages(item, 'positive'), { addGenerationPrompt: true });
  assert.equal(uninstructed.text, `<|bos|><|system|>Keep the reply to at most two sentences.<|end|><|user|>${item.scenario}\n${item.event.positive}<|end|><|assistant|>`);
  const ids = TOK.encode(uninstructed.text, { addSpecialTokens: false });
  assert.equal(ids[0], TOK.bosTokenId);
  assert.equal(ids[1], TOK.tokenToId('<|system|>'));
  assert.equal(ids[ids.length - 1], TOK.tokenToId('<|assistant|>'));
  const closed = TOK.applyChatTemplate([...uninstructedMessages(item, 'positive'), { role: 'assistant', content: 'Okay.' }], { addGenerationPrompt: false });
  assert.equal(closed.text, uninstructed.text + 'Okay.<|end|>');
  assert.throws(() => TOK.applyChatTemplate([{ role: 'tool' as 'user', content: 'x' }], { addGenerationPrompt: true }), EmotionCircuitsError);
});

test('dataset: the loss mask covers exactly the reply and its EOS', (t) => {
  const examples = buildDataset(TOK, CORPUS.slice(0, 300).map((e) => e.messages), 256);
  const eos = TOK.tokenToId('<|end|>')!;
  examples.forEach((ex, i) => {
    const messages = CORPUS[i].messages;
    const promptText = TOK.applyChatTemplate(messages.slice(0, 2), { addGenerationPrompt: true }).text;
    const promptIds = TOK.encode(promptText, { addSpecialTokens: false });
    assert.deepEqual(ex.ids.slice(0, promptIds.length), promptIds, 'the prompt the pipeline feeds is the start of the example');
    assert.equal(ex.ids.length, ex.lossMask.length);
    const trained: number[] = [];
    for (let p = 0; p < ex.ids.length; p++) {
      if (ex.lossMask[p] === 1) {
        assert.ok(p >= promptIds.length - 1 && p < ex.ids.length - 1, `position ${p} is in the reply span`);
        trained.push(ex.ids[p + 1]);
      }
    }
    assert.equal(trained.length, ex.ids.length - promptIds.length);
    assert.equal(trained[trained.length - 1], eos);
    assert.equal(TOK.decode(trained, { skipSpecialTokens: false }), messages[2].content + '<|end|>');
  });
  const stats = datasetStats(examples);
  t.diagnostic(`300 examples: ${stats.tokens} tokens (mean ${stats.meanLength.toFixed(1)}, max ${stats.maxLength}), ${stats.trainedTokens} trained`);
  assert.ok(stats.maxLength <= 256 && stats.trainedTokens < stats.tokens);
  assert.throws(() => buildDataset(TOK, [CORPUS[0].messages], 10), /expected at most 10 tokens/);
  assert.throws(() => encodeConversation(TOK, CORPUS[0].messages.slice(0, 2)), /assistant reply/);
});

test('organism config: a Llama config the engine accepts', () => {
  const ids = specialTokenIds(MODEL);
  const shape = organismShape(TOK.vocabSize);
  const config = parseModelConfig(llamaConfigJson(shape, 'bf16', { bosTokenId: ids.bos, eosTokenId: ids.eos, padTokenId: ids.pad }), 'config.json');
  assert.equal(config.modelType, 'llama');
  assert.equal(config.vocabSize, 1024);
  assert.equal(config.hiddenSize, 128);
  assert.equal(config.numLayers, 4);
  assert.equal(config.numKvHeads, 2);
  assert.equal(config.headDim, 32);
  assert.equal(config.intermediateSize, 384);
  assert.equal(config.maxPositionEmbeddings, 256);
  assert.equal(config.tieWordEmbeddings, true);
  assert.deepEqual(config.eosTokenIds, [ids.eos]);
  // Embedding 1024·128 + 4 × (q,o 2·128² + k,v 2·128·64 + SwiGLU 3·128·384 + 2 norms) + final norm.
  assert.equal(parameterCount(shape), 1024 * 128 + 4 * (2 * 128 * 128 + 2 * 128 * 64 + 3 * 128 * 384 + 2 * 128) + 128);
  assert.throws(() => organismShape(1024, { ...DEFAULT_ORGANISM_SHAPE, kvHeads: 3 }), RangeError);
});
