import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, MissingTensorError, SafetensorsError, ShapeError } from '../src/errors.js';
import { adapterFor, expectedShapes, resolveEmbeddingNames } from '../src/model/adapters.js';
import { Checkpoint } from '../src/model/checkpoint.js';
import { parseModelConfig } from '../src/model/config.js';
import { SafetensorsReader, writeSafetensors, type F32TensorToWrite } from '../src/model/safetensors.js';

const SHARED = process.env.EMOTION_CIRCUITS_SHARED;
const SKIP = 'EMOTION_CIRCUITS_SHARED is not set; point it at the shared data folder (CI sets ../shared)';

const LLAMA = {
  model_type: 'llama', hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2, num_attention_heads: 4,
  num_key_value_heads: 2, vocab_size: 32, max_position_embeddings: 64, tie_word_embeddings: false,
};

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-'));
}

/** Random f32 tensors with exactly the shapes the config needs. */
function tensorsFor(configJson: object): F32TensorToWrite[] {
  const shapes = expectedShapes(parseModelConfig(configJson, 'test'));
  let seed = 1;
  return [...shapes].map(([name, shape]) => ({
    name, shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((seed = (seed * 48271) % 2147483647) / 2147483647) - 0.5),
  }));
}

function writeModel(dir: string, configJson: object, tensors: F32TensorToWrite[]): void {
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(configJson));
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
}

function throwsWith(fn: () => unknown, type: new (...args: never[]) => Error, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
    assert.match((err as Error).message, pattern);
    return true;
  });
}

test('opens the four shared models and reads their tensors', (t) => {
  if (!SHARED) return t.skip(SKIP);
  const dirs = ['fixtures/random-llama3', 'fixtures/random-qwen2', 'fixtures/random-qwen3', 'models/tinystories-656k'];
  for (const rel of dirs) {
    const ckpt = Checkpoint.open(path.join(SHARED, rel));
    const cfg = ckpt.config;
    const layer0 = adapterFor(cfg).layer(0);
    assert.deepEqual(ckpt.info(layer0.q).shape, [cfg.numHeads * cfg.headDim, cfg.hiddenSize], rel);
    assert.equal(ckpt.weightDType(layer0.q), 'f32');
    const q = ckpt.readF32(layer0.q);
    assert.equal(q.length, cfg.numHeads * cfg.headDim * cfg.hiddenSize);
    assert.equal(ckpt.readBytes(layer0.q).byteLength, q.length * 4);
    assert.ok(ckpt.names().length >= expectedShapes(cfg).size - 1, rel);
    if (rel.endsWith('llama3')) assert.deepEqual(ckpt.embeddingNames, { embed: 'model.embed_tokens.weight', lmHead: 'lm_head.weight' });
    if (rel.endsWith('qwen2')) {
      assert.ok(layer0.qBias && ckpt.has(layer0.qBias));
      assert.deepEqual(ckpt.embeddingNames, { embed: 'model.embed_tokens.weight', lmHead: 'model.embed_tokens.weight' });
    }
    if (rel.endsWith('qwen3')) {
      assert.deepEqual(ckpt.info(layer0.qNorm!).shape, [32]);
      assert.deepEqual(ckpt.info(layer0.o).shape, [64, 128]);
    }
    if (rel.endsWith('tinystories-656k')) {
      // Tied, and the file stores only lm_head.weight: it serves as the embedding.
      assert.equal(ckpt.has('model.embed_tokens.weight'), false);
      assert.deepEqual(ckpt.embeddingNames, { embed: 'lm_head.weight', lmHead: 'lm_head.weight' });
      assert.deepEqual(ckpt.info('lm_head.weight').shape, [2048, 128]);
    }
    ckpt.close();
  }
});

test('sharded index made by splitting a checkpoint gives the same tensors', (t) => {
  const dir = tmp();
  try {
    // Split a shared fixture when available, else a synthetic model: the index logic is the same.
    const fixture = SHARED ? path.join(SHARED, 'fixtures', 'random-qwen3') : '';
    let tensors: F32TensorToWrite[];
    if (fixture && fs.existsSync(fixture)) {
      fs.copyFileSync(path.join(fixture, 'config.json'), path.join(dir, 'config.json'));
      const r = SafetensorsReader.open(path.join(fixture, 'model.safetensors'));
      tensors = [...r.tensors.values()].map((i) => ({ name: i.name, shape: i.shape, data: r.readF32(i.name) }));
      r.close();
    } else {
      t.diagnostic('shared data absent: splitting a synthetic llama checkpoint');
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(LLAMA));
      tensors = tensorsFor(LLAMA);
    }
    const half = Math.ceil(tensors.length / 2);
    const shards = [tensors.slice(0, half), tensors.slice(half)];
    const weightMap: Record<string, string> = {};
    shards.forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(path.join(dir, file), part);
      for (const tensor of part) weightMap[tensor.name] = file;
    });
    const indexFile = path.join(dir, 'model.safetensors.index.json');
    fs.writeFileSync(indexFile, JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));

    const ckpt = Checkpoint.open(dir);
    assert.deepEqual(ckpt.names().sort(), tensors.map((x) => x.name).sort());
    for (const tensor of tensors) assert.deepEqual(ckpt.readF32(tensor.name), tensor.data, tensor.name);
    ckpt.close();

    // A mapped tensor that its shard does not hold.
    const moved = { ...weightMap, [tensors[0].name]: 'model-00002-of-00002.safetensors' };
    fs.writeFileSync(indexFile, JSON.stringify({ weight_map: moved }));
    throwsWith(() => Checkpoint.open(dir), MissingTensorError, new RegExp(`maps ${tensors[0].name.replace(/\./g, '\\.')} to this shard`));
    // A shard path that escapes the folder.
    fs.writeFileSync(indexFile, JSON.stringify({ weight_map: { ...weightMap, [tensors[0].name]: '../x.safetensors' } }));
    throwsWith(() => Checkpoint.open(dir), SafetensorsError, /must be a shard file name/);
    fs.writeFileSync(indexFile, '{"weight_map": 3}');
    throwsWith(() => Checkpoint.open(dir), SafetensorsError, /weight_map/);
    // A missing shard.
    fs.writeFileSync(indexFile, JSON.stringify({ weight_map: weightMap }));
    fs.rmSync(path.join(dir, 'model-00002-of-00002.safetensors'));
    throwsWith(() => Checkpoint.open(dir), MissingTensorError, /shard model-00002-of-00002\.safetensors .* does not exist/);
    // Neither weights file.
    fs.rmSync(indexFile);
    throwsWith(() => Checkpoint.open(dir), MissingTensorError, /expected model\.safetensors or model\.safetensors\.index\.json/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a missing tensor, a wrong shape and an unused tensor are named', () => {
  const dir = tmp();
  try {
    const all = tensorsFor(LLAMA);
    writeModel(dir, LLAMA, all.filter((x) => x.name !== 'model.layers.1.mlp.up_proj.weight'));
    throwsWith(() => Checkpoint.open(dir), MissingTensorError, /missing tensor model\.layers\.1\.mlp\.up_proj\.weight, expected shape \[24, 16\]/);

    writeModel(dir, LLAMA, all.map((x) => x.name === 'model.layers.0.self_attn.k_proj.weight' ? { ...x, shape: [16, 8] } : x));
    throwsWith(() => Checkpoint.open(dir), ShapeError, /model\.layers\.0\.self_attn\.k_proj\.weight has shape \[16, 8\], expected \[8, 16\]/);

    writeModel(dir, LLAMA, all.filter((x) => x.name !== 'lm_head.weight'));
    throwsWith(() => Checkpoint.open(dir), MissingTensorError, /missing tensor lm_head\.weight, .*tie_word_embeddings is false/);

    const bias = { name: 'model.layers.0.self_attn.q_proj.bias', shape: [16], data: new Float32Array(16) };
    writeModel(dir, LLAMA, [...all, bias]);
    throwsWith(() => Checkpoint.open(dir), ConfigError, /q_proj\.bias is not used/);
    writeModel(dir, { ...LLAMA, attention_bias: true }, [...all, bias]);
    throwsWith(() => Checkpoint.open(dir), MissingTensorError, /missing tensor model\.layers\.0\.self_attn\.k_proj\.bias/);

    const inv = { name: 'model.layers.0.self_attn.rotary_emb.inv_freq', shape: [2], data: new Float32Array(2) };
    writeModel(dir, LLAMA, [...all, inv]);
    Checkpoint.open(dir).close();

    fs.writeFileSync(path.join(dir, 'model.safetensors'), new Uint8Array(4));
    throwsWith(() => Checkpoint.open(dir), SafetensorsError, /fewer than the 8-byte header length/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tied embeddings stored only as lm_head.weight are used as the embedding', () => {
  const dir = tmp();
  try {
    const tied = { ...LLAMA, model_type: 'qwen2', tie_word_embeddings: true };
    const all = tensorsFor(tied);
    const embed = all.find((x) => x.name === 'model.embed_tokens.weight')!;
    writeModel(dir, tied, [...all.filter((x) => x !== embed), { ...embed, name: 'lm_head.weight' }]);
    const ckpt = Checkpoint.open(dir);
    assert.deepEqual(ckpt.embeddingNames, { embed: 'lm_head.weight', lmHead: 'lm_head.weight' });
    assert.deepEqual(ckpt.readF32(ckpt.embeddingNames.embed), embed.data);
    ckpt.close();

    writeModel(dir, tied, all.filter((x) => x !== embed));
    throwsWith(() => Checkpoint.open(dir), MissingTensorError, /tied embeddings need model\.embed_tokens\.weight \(or lm_head\.weight\)/);

    writeModel(dir, tied, [...all, { name: 'lm_head.weight', shape: [16, 32], data: new Float32Array(512) }]);
    throwsWith(() => Checkpoint.open(dir), ShapeError, /lm_head\.weight has shape \[16, 32\], expected \[32, 16\]/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('adapters list the exact HF shapes per family', () => {
  const qwen3 = parseModelConfig({ ...LLAMA, model_type: 'qwen3', head_dim: 8, tie_word_embeddings: true }, 'c');
  const shapes = expectedShapes(qwen3);
  assert.deepEqual(shapes.get('model.layers.0.self_attn.q_proj.weight'), [32, 16]);
  assert.deepEqual(shapes.get('model.layers.0.self_attn.o_proj.weight'), [16, 32]);
  assert.deepEqual(shapes.get('model.layers.1.self_attn.k_norm.weight'), [8]);
  assert.equal(shapes.has('lm_head.weight'), false);
  assert.equal(shapes.has('model.layers.0.self_attn.q_proj.bias'), false);
  const qwen2 = adapterFor(parseModelConfig({ ...LLAMA, model_type: 'qwen2' }, 'c')).layer(3);
  assert.equal(qwen2.vBias, 'model.layers.3.self_attn.v_proj.bias');
  assert.equal(qwen2.qNorm, undefined);
  const mistral = adapterFor(parseModelConfig({ ...LLAMA, model_type: 'mistral', attention_bias: true }, 'c')).layer(0);
  assert.equal(mistral.qBias, undefined, 'mistral never has q/k/v biases');
  const untied = parseModelConfig(LLAMA, 'c');
  assert.deepEqual(resolveEmbeddingNames(untied, () => true), { embed: 'model.embed_tokens.weight', lmHead: 'lm_head.weight' });
});
