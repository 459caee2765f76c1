/** Small public pieces of the model layer: hook names and globs, KV cache, tensors, RoPE, RMSNorm. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selectedRows } from '../src/interventions/compile.js';
import { parseModelConfig } from '../src/model/config.js';
import { rmsNorm } from '../src/model/forward.js';
import { allHookNames, hookGlob, matchHooks, parseLayerHook } from '../src/model/hookNames.js';
import { HookTable } from '../src/model/hooks.js';
import { KVCache } from '../src/model/kvCache.js';
import { inverseFrequencies, RopeTable } from '../src/model/rope.js';
import { rowOf, tensor } from '../src/model/tensor.js';

test('hook names: every point in forward order, parsed back, matched by globs', () => {
  const names = allHookNames(2);
  assert.equal(names.length, 1 + 2 * 12 + 2);
  assert.deepEqual(names.slice(0, 3), ['hook_embed', 'blocks.0.hook_resid_pre', 'blocks.0.attn.hook_q']);
  assert.deepEqual(names.slice(-2), ['ln_final.hook_normalized', 'logits']);
  assert.deepEqual(parseLayerHook('blocks.11.mlp.hook_post'), { layer: 11, suffix: 'mlp.hook_post' });
  assert.equal(parseLayerHook('blocks.1.mlp.hook_nope'), null);
  assert.equal(parseLayerHook('hook_embed'), null);
  assert.deepEqual([...matchHooks(['blocks.*.hook_resid_post'], 3)], ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post', 'blocks.2.hook_resid_post']);
  assert.deepEqual([...matchHooks(['blocks.{0,2}.attn.hook_?'], 3)], ['blocks.0.attn.hook_q', 'blocks.0.attn.hook_k', 'blocks.0.attn.hook_v', 'blocks.0.attn.hook_z', 'blocks.2.attn.hook_q', 'blocks.2.attn.hook_k', 'blocks.2.attn.hook_v', 'blocks.2.attn.hook_z']);
  assert.equal(matchHooks(['*'], 1).size, allHookNames(1).length);
  assert.ok(!hookGlob('blocks.1.hook_resid_post').test('blocks.11.hook_resid_post'), 'dots are literal');
  assert.throws(() => hookGlob('blocks.{0,1.hook_z'), /unclosed/);
});

test('HookTable resolves globs once and keeps registration order', () => {
  const calls: string[] = [];
  const table = new HookTable([
    { name: 'blocks.*.hook_z', fn: () => calls.push('glob') },
    { name: 'blocks.1.hook_z', fn: () => calls.push('exact') },
  ]);
  const fns = table.lookup('blocks.1.hook_z');
  assert.equal(fns.length, 2);
  fns.forEach((fn) => fn(tensor(new Float32Array(1), [1]), { name: 'blocks.1.attn.hook_z', layer: 1, sequence: 0, startPos: 0, phase: 'prefill' }));
  assert.deepEqual(calls, ['glob', 'exact']);
  assert.equal(table.lookup('blocks.1.hook_z'), fns);
  assert.equal(table.lookup('logits').length, 0);
  assert.ok(new HookTable([]).empty);
});

test('KV cache keeps stored positions when it grows, and truncates within bounds', () => {
  const cache = new KVCache(2, 3, 2);
  cache.keys[1].set([1, 2, 3, 4, 5, 6]);
  cache.values[0].set([7, 8, 9]);
  cache.length = 2;
  cache.reserve(5);
  assert.deepEqual([...cache.keys[1].subarray(0, 6)], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...cache.values[0].subarray(0, 3)], [7, 8, 9]);
  assert.ok(cache.keys[0].length >= 5 * 3);
  cache.truncate(1);
  assert.equal(cache.length, 1);
  assert.throws(() => cache.truncate(2), RangeError);
  assert.equal(cache.byteLength, 2 * 2 * (cache.keys[0].length / 3) * 3 * 4);
});

test('tensor checks its size; rowOf is a view', () => {
  assert.throws(() => tensor(new Float32Array(5), [2, 3]), /needs 6 values/);
  const t = tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);
  const row = rowOf(t, 1);
  assert.deepEqual([...row], [3, 4]);
  row[0] = 9;
  assert.equal(t.data[2], 9);
});

test('rmsNorm with and without gain', () => {
  const x = Float32Array.from([3, 4, 0, 0]);
  const out = new Float32Array(4);
  rmsNorm(x, 2, 1e-6, null, out);
  const inv = 1 / Math.sqrt(12.5 + 1e-6);
  assert.ok(Math.abs(out[0] - 3 * inv) < 1e-6 && Math.abs(out[1] - 4 * inv) < 1e-6);
  assert.deepEqual([...out.subarray(2)], [0, 0]);
  rmsNorm(x, 2, 1e-6, Float32Array.from([2, -1]), out);
  assert.ok(Math.abs(out[0] - 6 * inv) < 1e-6 && Math.abs(out[1] + 4 * inv) < 1e-6);
});

test('RoPE: llama3 scaling regimes and rotate_half pairing', () => {
  const base = {
    model_type: 'llama', hidden_size: 64, num_hidden_layers: 1, num_attention_heads: 4, num_key_value_heads: 2,
    intermediate_size: 128, vocab_size: 256, max_position_embeddings: 128, rms_norm_eps: 1e-5, rope_theta: 500000,
  };
  const plain = inverseFrequencies(parseModelConfig(base, 'config.json'));
  const scaled = inverseFrequencies(parseModelConfig({ ...base, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } }, 'config.json'));
  // head_dim 16 → 8 frequencies: i = 0 kept, i = 1 smoothed, i ≥ 2 divided by 8 (fixtures/README.md).
  assert.equal(scaled[0], plain[0]);
  assert.ok(scaled[1] < plain[1] && scaled[1] > plain[1] / 8);
  for (let i = 2; i < 8; i++) assert.ok(Math.abs(scaled[i] - plain[i] / 8) < 1e-15 * plain[i]);
  // Position 1, one head of dh 4: dimension j pairs with j + 2.
  const rope = new RopeTable(Float64Array.from([1, 0.5]));
  const x = Float32Array.from([1, 0, 0, 0, /* position 1: */ 1, 0, 0, 0]);
  rope.apply(x, 2, 1, 0);
  assert.deepEqual([...x.subarray(0, 4)], [1, 0, 0, 0]);
  assert.ok(Math.abs(x[4] - Math.cos(1)) < 1e-6 && Math.abs(x[6] - Math.sin(1)) < 1e-6 && x[5] === 0 && x[7] === 0);
});

test('intervention positions: all, last, absolute lists clipped to the chunk', () => {
  assert.deepEqual(selectedRows('all', 3, 10), [0, 1, 2]);
  assert.deepEqual(selectedRows(undefined, 2, 0), [0, 1]);
  assert.deepEqual(selectedRows('last', 4, 0), [3]);
  assert.deepEqual(selectedRows([9, 10, 12, 13], 3, 10), [0, 2]);
});
