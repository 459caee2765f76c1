import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTrainOrganismCommand } from '../src/cli/commands/trainOrganism.js';
import { UsageError } from '../src/errors.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { uninstructedMessages } from '../src/pipeline/stimuli/prompts.js';
import { organismSev } from '../src/organism/corpus/generator.js';
import { DEFAULT_ORGANISM_SHAPE } from '../src/organism/organismConfig.js';
import { trainOrganism } from '../src/organism/trainOrganism.js';

test('trainOrganism: corpus → tokenizer → training → an HF folder the engine loads, with a model card', async (t) => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'organism-'));
  const options = {
    out, seed: 5, examples: 120, vocab: 400, steps: 3, batchSize: 4, learningRate: 3e-3, evalExamples: 24,
    shape: { ...DEFAULT_ORGANISM_SHAPE, d: 32, layers: 2, heads: 2, kvHeads: 1, dff: 64 },
    command: 'emotion-circuits train-organism --out X --seed 5',
  };
  const result = await trainOrganism(options);
  assert.ok(result.finished && result.summary);
  const s = result.summary;
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'README.md']) {
    assert.ok(fs.existsSync(path.join(out, f)), f);
  }
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.equal(config.model_type, 'llama');
  assert.equal(config.vocab_size, 400);
  assert.equal(config.torch_dtype, 'bfloat16');
  const card = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.match(card, /license: apache-2\.0/);
  assert.ok(card.includes(options.command));
  assert.match(card, /Seed 5; 3 AdamW steps of 4/);
  assert.equal(fs.readFileSync(path.join(out, 'training', 'loss.jsonl'), 'utf8').trim().split('\n').length, 3);
  assert.ok(Number.isFinite(s.firstLoss) && Number.isFinite(s.finalLoss));
  assert.notEqual(s.finalLoss, s.firstLoss, 'the optimizer changed the weights');
  for (const loss of Object.values(s.evalLoss)) assert.ok(Number.isFinite(loss.loss) && loss.tokens > 0);
  // Untrained, the reply loss is about ln(V); the engine's loss on the exported bf16 weights agrees with the trainer's.
  assert.ok(Math.abs(s.evalLoss.train.loss - Math.log(400)) < 1, `${s.evalLoss.train.loss}`);
  assert.equal(s.samples.length, 9);
  for (const part of Object.values(s.conditioning)) {
    for (const effect of [part.instruction, part.valence]) {
      assert.ok(effect.examples > 0 && Number.isFinite(effect.matched) && Number.isFinite(effect.swapped));
      assert.notEqual(effect.matched, effect.swapped, 'the swapped prompt differs from the matching one');
    }
  }
  assert.match(card, /instruction: own \/ swapped/);
  t.diagnostic(`loss ${s.firstLoss.toFixed(3)} → ${s.finalLoss.toFixed(3)}; eval ${s.evalLoss.train.loss.toFixed(3)}`);

  const model = await LanguageModel.load(out);
  try {
    const prompt = model.encodeChat(uninstructedMessages(organismSev('heldout')[0], 'neutral'));
    assert.equal(prompt.prompt.templateKind, 'model');
    assert.equal(model.decode(prompt.ids.slice(-1)), '', 'the prompt ends with the <|assistant|> special token');
    assert.deepEqual(model.config.eosTokenIds, [1]);
  } finally {
    await model.dispose();
  }
  // A second run on the same folder finds the finished checkpoint and does no new step.
  const steps: number[] = [];
  const again = await trainOrganism({ ...options, onProgress: (p) => steps.push(p.step) });
  assert.deepEqual(steps, []);
  assert.equal(again.summary?.finalLoss, s.finalLoss);
  assert.equal(fs.readFileSync(path.join(out, 'training', 'loss.jsonl'), 'utf8').trim().split('\n').length, 3);
});

test('train-organism command: usage errors name the flag', async () => {
  await assert.rejects(runTrainOrganismCommand([]), (e: unknown) => e instanceof UsageError && /--out is required/.test(e.message));
  await assert.rejects(runTrainOrganismCommand(['--out', 'x', '--dtype', 'f32']), (e: unknown) => e instanceof UsageError && /--dtype expects bf16 or f16/.test(e.message));
  await assert.rejects(runTrainOrganismCommand(['--out', 'x', '--steps', '0']), (e: unknown) => e instanceof UsageError && /--steps must be at least 1/.test(e.message));
});
