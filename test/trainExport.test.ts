/**
 * A trained model saved as a Hugging Face folder loads in the inference engine, whose logits
 * equal the gradient model's forward logits on the saved (bf16/f16-rounded) weights; the rounding
 * is to the nearest 16-bit value; and the gradient model loads any Llama checkpoint.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { f16ToF32 } from '../src/kernels/dtype.js';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { Checkpoint } from '../src/model/checkpoint.js';
import { GradModel } from '../src/model/grad/gradModel.js';
import { initParams, paramLayout, paramsFromCheckpoint, shapeFromModelConfig, type LlamaShape } from '../src/model/grad/params.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { allHookNames } from '../src/model/hookNames.js';
import { exportHfFolder } from '../src/train/hfExport.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const tmpDirs: string[] = [];
after(() => {
  for (const dir of tmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** The 16-bit grid: is `x` representable, and what is the spacing of the grid at |x|? */
function gridOf(dtype: 'bf16' | 'f16', x: number): { representable: boolean; spacing: number } {
  const exponent = Math.floor(Math.log2(Math.abs(x)));
  if (dtype === 'bf16') {
    const bits = new Uint32Array(Float32Array.of(x).buffer)[0];
    return { representable: (bits & 0xffff) === 0, spacing: 2 ** (exponent - 7) };
  }
  const spacing = 2 ** (Math.max(exponent, -14) - 10);
  return { representable: Number.isInteger(x / spacing) && Math.abs(x) <= 65504, spacing };
}

const CASES: Array<[string, LlamaShape, 'bf16' | 'f16']> = [
  ['untied GQA, bf16', { d: 16, layers: 2, heads: 4, kvHeads: 2, dff: 24, vocab: 19, tied: false, maxPositions: 32, ropeTheta: 10000, eps: 1e-5 }, 'bf16'],
  ['tied, f16', { d: 16, layers: 1, heads: 2, kvHeads: 2, dff: 40, vocab: 23, tied: true, maxPositions: 32, ropeTheta: 500000, eps: 1e-6 }, 'f16'],
];

for (const [label, shape, dtype] of CASES) {
  test(`engine logits on the saved folder equal the trainer's forward (${label})`, async () => {
    const layout = paramLayout(shape);
    const params = initParams(layout, 3, 0.3);
    for (let i = 0; i < 16; i++) params[layout.tensors[1].offset + i] = 0.8 + i / 16; // non-trivial norm gains
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-export-'));
    tmpDirs.push(dir);
    exportHfFolder(dir, layout, params, dtype, { bosTokenId: 1, eosTokenId: 2 });
    const checkpoint = Checkpoint.open(dir);
    assert.deepEqual(shapeFromModelConfig(checkpoint.config), shape);
    const rounded = paramsFromCheckpoint(checkpoint, layout);
    checkpoint.close();
    // Each saved weight is the nearest value of the 16-bit grid.
    for (let i = 0; i < params.length; i++) {
      if (params[i] === 0) continue;
      const { representable, spacing } = gridOf(dtype, rounded[i]);
      assert.ok(representable, `${rounded[i]} is not a ${dtype} value`);
      assert.ok(Math.abs(rounded[i] - params[i]) <= spacing / 2 + 1e-12 * Math.abs(params[i]), `${params[i]} saved as ${rounded[i]}`);
    }
    const ids = [1, 7, 3, 12, 5, 0, 9, 2];
    const model = await LanguageModel.load(dir, { backend: new JsBackend() });
    try {
      const engine = model.run(ids).logits!.data;
      const ours = new GradModel(layout, Float64Array.from(rounded)).forward([ids]).logits;
      assert.equal(engine.length, ours.length);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(engine[i] - ours[i]));
      assert.ok(worst < 1e-4, `max |engine − trainer| = ${worst}`);
      assert.equal(model.config.tieWordEmbeddings, shape.tied);
    } finally {
      await model.dispose();
    }
  });
}

test('f16 conversion handles subnormals, ties and overflow', async () => {
  const { f32ToF16Bits, f32ToBf16Bits } = await import('../src/kernels/dtype.js');
  assert.equal(f16ToF32(f32ToF16Bits(2 ** -24)), 2 ** -24); // smallest subnormal
  assert.equal(f16ToF32(f32ToF16Bits(3 * 2 ** -25)), 2 ** -23); // tie → even
  assert.equal(f16ToF32(f32ToF16Bits(1 + 2 ** -11)), 1); // tie → even (down)
  assert.equal(f16ToF32(f32ToF16Bits(1 + 3 * 2 ** -11)), 1 + 2 ** -9); // tie → even (up)
  assert.equal(f16ToF32(f32ToF16Bits(70000)), Infinity);
  assert.equal(f16ToF32(f32ToF16Bits(-65504)), -65504);
  assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80); // tie → even (down)
  assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie → even (up)
});

test('on TinyStories-656K the gradient model reproduces every hook point of the engine', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, async () => {
  const dir = sharedPath('models', 'tinystories-656k');
  const model = await LanguageModel.load(dir, { backend: new JsBackend() });
  try {
    const ids = [1, 415, 1092, 263, 931, 29892, 727, 471].map((id) => id % model.config.vocabSize);
    const { logits, activations } = model.run(ids, { cache: ['*'] });
    const grad = GradModel.fromCheckpoint(model.checkpoint, undefined, 'f64');
    const tape = grad.forward([ids]);
    for (const name of allHookNames(model.config.numLayers)) {
      const expected = name === 'logits' ? logits!.data : activations.get(name)!.data;
      const ours = grad.activation(tape, name, 0);
      assert.equal(ours.length, expected.length, name);
      let worst = 0;
      let scale = 0;
      for (let i = 0; i < ours.length; i++) {
        worst = Math.max(worst, Math.abs(ours[i] - expected[i]));
        scale = Math.max(scale, Math.abs(expected[i]));
      }
      assert.ok(worst <= 1e-4 * Math.max(1, scale), `${name}: max difference ${worst} (values up to ${scale})`);
    }
  } finally {
    await model.dispose();
  }
});
