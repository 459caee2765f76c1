import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LanguageModel } from '../src/model/languageModel.js';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { PRESETS, configJson, parameterCount, syntheticTensors, writeSyntheticModel } from '../bench/syntheticModel.js';
import { loadModelConfig } from '../src/model/config.js';

const shape = PRESETS.tiny;

function withTempDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'synthetic-model-test-'));
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

test('a synthetic model folder is a valid safetensors checkpoint with the expected tensors', withTempDir(async (root) => {
  for (const dtype of ['f32', 'bf16'] as const) {
    const dir = writeSyntheticModel(path.join(root, dtype), shape, { dtype, seed: 7 });
    const reader = SafetensorsReader.open(path.join(dir, 'model.safetensors'));
    try {
      const specs = syntheticTensors(shape);
      assert.equal(reader.tensors.size, specs.length);
      let values = 0;
      for (const spec of specs) {
        const info = reader.info(spec.name);
        assert.equal(info.dtype, dtype === 'f32' ? 'F32' : 'BF16');
        assert.deepEqual(info.shape, spec.shape);
        values += info.byteLength / (dtype === 'f32' ? 4 : 2);
      }
      assert.equal(values, parameterCount(shape));
      // Sensible scales: linear weights ~N(0, 0.02), norm gains around 1.
      const q = reader.readF32('model.layers.0.self_attn.q_proj.weight');
      const mean = q.reduce((a, b) => a + b, 0) / q.length;
      const std = Math.sqrt(q.reduce((a, b) => a + (b - mean) ** 2, 0) / q.length);
      assert.ok(Math.abs(mean) < 0.002, `mean ${mean}`);
      assert.ok(std > 0.017 && std < 0.023, `std ${std}`);
      const norm = reader.readF32('model.norm.weight');
      assert.ok(Math.abs(norm.reduce((a, b) => a + b, 0) / norm.length - 1) < 0.05);
    } finally {
      reader.close();
    }
  }
}));

test('bf16 and f32 synthetic models (same seed, same bf16-exact values) give the same logits', withTempDir(async (root) => {
  const f32Dir = writeSyntheticModel(path.join(root, 'f32'), shape, { dtype: 'f32', seed: 3 });
  const bf16Dir = writeSyntheticModel(path.join(root, 'bf16'), shape, { dtype: 'bf16', seed: 3 });
  // The f32 file holds exactly the bf16 file's values widened.
  const a = SafetensorsReader.open(path.join(f32Dir, 'model.safetensors'));
  const b = SafetensorsReader.open(path.join(bf16Dir, 'model.safetensors'));
  try {
    for (const name of a.tensors.keys()) assert.deepEqual(a.readF32(name), b.readF32(name), name);
  } finally {
    a.close();
    b.close();
  }

  const ids = [1, 5, 17, 200, 42, 9, 255, 0];
  const logitsOf = async (dir: string): Promise<Float32Array> => {
    const model = await LanguageModel.load(dir); // the default backend (wasm where available)
    try {
      return (model.run(ids, { logits: 'all' }).logits as { data: Float32Array }).data.slice();
    } finally {
      await model.dispose();
    }
  };
  const f32 = await logitsOf(f32Dir);
  const bf16 = await logitsOf(bf16Dir);
  assert.equal(f32.length, ids.length * shape.vocabSize);
  let maxDiff = 0;
  let maxAbs = 0;
  for (let i = 0; i < f32.length; i++) {
    assert.ok(Number.isFinite(f32[i]) && Number.isFinite(bf16[i]));
    maxDiff = Math.max(maxDiff, Math.abs(f32[i] - bf16[i]));
    maxAbs = Math.max(maxAbs, Math.abs(f32[i]));
  }
  assert.ok(maxAbs > 1e-3, 'logits should not be all zero');
  assert.ok(maxDiff <= 1e-5 * Math.max(1, maxAbs), `max |f32 − bf16| = ${maxDiff} (max |logit| ${maxAbs})`);
}));

test('writeSyntheticModel reuses a complete folder and is deterministic in the seed', withTempDir(async (root) => {
  const dir = writeSyntheticModel(path.join(root, 'm'), shape, { dtype: 'bf16', seed: 11 });
  const first = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const mtime = fs.statSync(path.join(dir, 'model.safetensors')).mtimeMs;
  assert.equal(writeSyntheticModel(dir, shape, { dtype: 'bf16', seed: 11 }), dir);
  assert.equal(fs.statSync(path.join(dir, 'model.safetensors')).mtimeMs, mtime);
  const again = writeSyntheticModel(path.join(root, 'n'), shape, { dtype: 'bf16', seed: 11 });
  assert.ok(first.equals(fs.readFileSync(path.join(again, 'model.safetensors'))));
  const other = writeSyntheticModel(path.join(root, 'o'), shape, { dtype: 'bf16', seed: 12 });
  assert.ok(!first.equals(fs.readFileSync(path.join(other, 'model.safetensors'))));
}));

test('the Llama-3.1-8B preset (bench --only 8b): its parameter count and a config the loader reads as Llama-3.1-8B', withTempDir(async (root) => {
  const shape = PRESETS.llama_3_1_8b;
  assert.equal(parameterCount(shape), 8_030_261_248); // Llama-3.1-8B's published count
  fs.writeFileSync(path.join(root, 'config.json'), JSON.stringify(configJson(shape, 'bf16')));
  const config = loadModelConfig(root);
  assert.equal(config.hiddenSize, 4096);
  assert.equal(config.numLayers, 32);
  assert.equal(config.numHeads, 32);
  assert.equal(config.numKvHeads, 8);
  assert.equal(config.intermediateSize, 14336);
  assert.equal(config.vocabSize, 128256);
  assert.equal(config.tieWordEmbeddings, false);
  assert.deepEqual(config.ropeScaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
}));
