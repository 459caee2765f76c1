import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../src/errors.js';
import { loadModelConfig, parseModelConfig } from '../src/model/config.js';

const SHARED = process.env.EMOTION_CIRCUITS_SHARED;
const SKIP = 'EMOTION_CIRCUITS_SHARED is not set; point it at the shared data folder (CI sets ../shared)';

test('fixture configs parse to the documented numbers', (t) => {
  if (!SHARED) return t.skip(SKIP);
  const llama = loadModelConfig(path.join(SHARED, 'fixtures', 'random-llama3'));
  assert.deepEqual(llama, {
    modelType: 'llama', hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16,
    intermediateSize: 128, vocabSize: 256, rmsNormEps: 1e-5, ropeTheta: 500000,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 },
    maxPositionEmbeddings: 512, tieWordEmbeddings: false, attentionBias: false, qkNorm: false,
    bosTokenId: 1, eosTokenIds: [2], slidingWindow: null,
  });
  const qwen2 = loadModelConfig(path.join(SHARED, 'fixtures', 'random-qwen2'));
  assert.equal(qwen2.modelType, 'qwen2');
  assert.equal(qwen2.attentionBias, true, 'qwen2 always has q/k/v biases');
  assert.equal(qwen2.tieWordEmbeddings, true);
  assert.equal(qwen2.headDim, 16);
  assert.equal(qwen2.ropeTheta, 1e6);
  assert.equal(qwen2.rmsNormEps, 1e-6);
  assert.equal(qwen2.ropeScaling, null);
  assert.equal(qwen2.slidingWindow, null);
  const qwen3 = loadModelConfig(path.join(SHARED, 'fixtures', 'random-qwen3'));
  assert.equal(qwen3.headDim, 32, 'explicit head_dim, not hidden/heads = 16');
  assert.equal(qwen3.qkNorm, true);
  assert.equal(qwen3.attentionBias, false);
  const tiny = loadModelConfig(path.join(SHARED, 'models', 'tinystories-656k'));
  assert.equal(tiny.hiddenSize, 128);
  assert.equal(tiny.numHeads, 8);
  assert.equal(tiny.numKvHeads, 4);
  assert.equal(tiny.headDim, 16);
  assert.equal(tiny.intermediateSize, 384);
  assert.equal(tiny.vocabSize, 2048);
  assert.equal(tiny.rmsNormEps, 1e-6);
  assert.equal(tiny.ropeTheta, 1e4);
  assert.equal(tiny.tieWordEmbeddings, true);
});

const BASE = {
  model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, vocab_size: 256, max_position_embeddings: 512,
};

function expectConfigError(json: unknown, pattern: RegExp): void {
  assert.throws(() => parseModelConfig(json, 'cfg/config.json'), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.match(err.message, /^cfg\/config\.json: /);
    assert.match(err.message, pattern);
    return true;
  });
}

test('defaults only where HF defines them', () => {
  const cfg = parseModelConfig({ ...BASE, num_key_value_heads: undefined }, 'c');
  assert.equal(cfg.numKvHeads, 4, 'llama: absent num_key_value_heads = num_attention_heads');
  assert.equal(cfg.ropeTheta, 10000);
  assert.equal(cfg.rmsNormEps, 1e-6);
  assert.equal(cfg.tieWordEmbeddings, false);
  assert.equal(cfg.bosTokenId, null);
  assert.deepEqual(cfg.eosTokenIds, []);
  assert.equal(cfg.ropeScaling, null);
  assert.equal(parseModelConfig({ ...BASE, attention_bias: true }, 'c').attentionBias, true);
  assert.deepEqual(parseModelConfig({ ...BASE, eos_token_id: [128001, 128009] }, 'c').eosTokenIds, [128001, 128009]);
  assert.equal(parseModelConfig({ ...BASE, model_type: 'mistral' }, 'c').slidingWindow, 4096, 'MistralConfig default');
  assert.equal(parseModelConfig({ ...BASE, model_type: 'mistral', sliding_window: null }, 'c').slidingWindow, null);
  assert.equal(parseModelConfig({ ...BASE, rope_scaling: { rope_type: 'default' } }, 'c').ropeScaling, null);
  // transformers 5 moves rope_theta and the scaling into rope_parameters.
  const v5 = parseModelConfig({ ...BASE, rope_parameters: { rope_type: 'llama3', rope_theta: 5e5, factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }, 'c');
  assert.equal(v5.ropeTheta, 5e5);
  assert.equal(v5.ropeScaling?.factor, 32);
  // legacy key "type"
  assert.equal(parseModelConfig({ ...BASE, rope_scaling: { type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } }, 'c').ropeScaling?.type, 'llama3');
});

test('each config error names the field and the file', () => {
  expectConfigError([], /expected a JSON object/);
  expectConfigError({ ...BASE, model_type: undefined }, /missing required field model_type/);
  expectConfigError({ ...BASE, model_type: 'gpt2' }, /model_type "gpt2" is not supported/);
  for (const field of ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size', 'vocab_size', 'max_position_embeddings']) {
    expectConfigError({ ...BASE, [field]: undefined }, new RegExp(`missing required field ${field}`));
  }
  expectConfigError({ ...BASE, hidden_size: '64' }, /hidden_size must be a positive integer, got "64"/);
  expectConfigError({ ...BASE, num_hidden_layers: 2.5 }, /num_hidden_layers must be a positive integer/);
  expectConfigError({ ...BASE, vocab_size: 0 }, /vocab_size must be a positive integer/);
  expectConfigError({ ...BASE, rms_norm_eps: 'small' }, /rms_norm_eps must be a positive number/);
  expectConfigError({ ...BASE, tie_word_embeddings: 'yes' }, /tie_word_embeddings must be true or false/);
  expectConfigError({ ...BASE, hidden_act: 'gelu' }, /hidden_act "gelu" is not supported/);
  expectConfigError({ ...BASE, mlp_bias: true }, /mlp_bias true is not supported/);
  for (const kind of ['linear', 'dynamic', 'yarn']) {
    expectConfigError({ ...BASE, rope_scaling: { rope_type: kind, factor: 2 } }, new RegExp(`rope_type "${kind}" is not supported`));
  }
  expectConfigError({ ...BASE, rope_scaling: { type: 'yarn', factor: 2 } }, /rope_type "yarn" is not supported/);
  expectConfigError({ ...BASE, rope_scaling: { rope_type: 'llama3', factor: 8 } }, /missing required field rope_scaling.low_freq_factor/);
  expectConfigError({ ...BASE, num_key_value_heads: 3 }, /num_attention_heads 4 is not divisible by num_key_value_heads 3/);
  expectConfigError({ ...BASE, model_type: 'qwen2', num_key_value_heads: undefined }, /missing required field num_key_value_heads/);
  expectConfigError({ ...BASE, model_type: 'qwen3' }, /missing required field head_dim/);
  expectConfigError({ ...BASE, hidden_size: 66 }, /hidden_size 66 is not divisible by num_attention_heads 4/);
  expectConfigError({ ...BASE, head_dim: 15 }, /head_dim 15 must be even/);
  expectConfigError({ ...BASE, model_type: 'qwen2', use_sliding_window: true, sliding_window: 128 }, /use_sliding_window true is not supported/);
  expectConfigError({ ...BASE, eos_token_id: ['x'] }, /eos_token_id must be a non-negative integer/);
});

test('loadModelConfig reports unreadable and malformed files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfg-'));
  try {
    assert.throws(() => loadModelConfig(dir), (e: unknown) => e instanceof ConfigError && /config\.json: cannot read/.test(e.message));
    fs.writeFileSync(path.join(dir, 'config.json'), '{"model_type": "llama",');
    assert.throws(() => loadModelConfig(dir), (e: unknown) => e instanceof ConfigError && /not valid JSON/.test(e.message));
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(BASE));
    assert.equal(loadModelConfig(dir).hiddenSize, 64);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
