/**
 * GGUF control vectors: our writer checked by an independent parser (@huggingface/gguf), our reader
 * on our files and on hand-made bytes, the export of a real TinyStories-656K run (direction) and of a
 * circuit file, and the import as interventions on blocks.N.hook_resid_post.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gguf as parseWithHuggingFace } from '@huggingface/gguf';
import { compileInterventions } from '../src/interventions/compile.js';
import { controlVectorInterventions } from '../src/interventions/controlVector.js';
import { decodeGguf, encodeGguf, gguf, readGguf, GgufError } from '../src/model/gguf.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { SafetensorsReader, writeSafetensors } from '../src/model/safetensors.js';
import { ActivationStore } from '../src/pipeline/collection/activationStore.js';
import { directionSteeringLayers, exportControlVector } from '../src/pipeline/export/controlVectorExport.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { seededRandom } from '../src/random.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-cvec-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function randomVector(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

/** Reads tensor values the way any GGUF consumer does: data start + the tensor's offset, little-endian f32. */
async function parseIndependently(file: string): Promise<{ metadata: Record<string, unknown>; tensors: Map<string, { shape: number[]; data: Float32Array }> }> {
  const parsed = await parseWithHuggingFace(file, { allowLocalFile: true });
  const bytes = fs.readFileSync(file);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const info of parsed.tensorInfos) {
    assert.equal(info.dtype, 0, `${info.name} is F32`);
    const shape = info.shape.map(Number);
    const count = shape.reduce((a, b) => a * b, 1);
    const start = Number(parsed.tensorDataOffset + info.offset);
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = bytes.readFloatLE(start + 4 * i);
    tensors.set(info.name, { shape, data });
  }
  return { metadata: parsed.metadata as Record<string, unknown>, tensors };
}

describe('GGUF writer and reader', () => {
  test('a file with odd tensor sizes parses with @huggingface/gguf: names, shapes, values, metadata, alignment', async () => {
    const a = randomVector(13, 1); // 52 bytes: the next tensor starts at a padded offset
    const b = randomVector(6 * 5, 2);
    const file = path.join(tmp, 'odd.gguf');
    fs.writeFileSync(file, encodeGguf(
      { 'general.architecture': gguf.string('controlvector'), 'controlvector.layer_count': gguf.i32(2), 'x.flag': gguf.bool(true), 'x.f': gguf.f32(0.5) },
      [{ name: 'direction.3', shape: [13], data: a }, { name: 'm', shape: [6, 5], data: b }],
    ));
    const parsed = await parseIndependently(file);
    assert.equal(parsed.metadata['general.architecture'], 'controlvector');
    assert.equal(parsed.metadata['controlvector.layer_count'], 2);
    assert.equal(parsed.metadata['x.flag'], true);
    assert.equal(parsed.metadata['x.f'], 0.5);
    assert.equal(parsed.metadata.version, 3);
    assert.deepEqual(parsed.tensors.get('direction.3')!.shape, [13]);
    assert.deepEqual(Array.from(parsed.tensors.get('direction.3')!.data), Array.from(a));
    // GGUF lists dimensions innermost first: a [6, 5] row-major tensor is ne = [5, 6].
    assert.deepEqual(parsed.tensors.get('m')!.shape, [5, 6]);
    assert.deepEqual(Array.from(parsed.tensors.get('m')!.data), Array.from(b));
    const ours = readGguf(file);
    assert.deepEqual(ours.tensors.map((t) => [t.name, t.shape]), [['direction.3', [13]], ['m', [6, 5]]]);
    assert.deepEqual(Array.from(ours.tensors[1].data), Array.from(b));
    assert.equal(ours.metadata.get('x.flag')!.value, true);
  });

  test('the reader reads hand-made bytes (F16 tensor, string array, alignment 64) and rejects broken files', () => {
    const parts: Buffer[] = [];
    const u32 = (x: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(x); parts.push(b); };
    const u64 = (x: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(x)); parts.push(b); };
    const str = (s: string) => { u64(Buffer.byteLength(s)); parts.push(Buffer.from(s)); };
    parts.push(Buffer.from('GGUF'));
    u32(3); u64(1); u64(2);
    str('general.alignment'); u32(4); u32(64);
    str('tags'); u32(9); u32(8); u64(2); str('a'); str('bc');
    str('h'); u32(1); u64(3); u32(1); u64(0);
    const header = Buffer.concat(parts);
    const pad = Buffer.alloc((64 - (header.length % 64)) % 64);
    const data = Buffer.alloc(6);
    [0x3c00, 0xc000, 0x3555].forEach((h, i) => data.writeUInt16LE(h, 2 * i)); // 1, -2, 0.333251953125
    const file = decodeGguf(Buffer.concat([header, pad, data]));
    assert.equal(file.alignment, 64);
    assert.deepEqual(file.metadata.get('tags')!.value, ['a', 'bc']);
    assert.deepEqual(Array.from(file.tensors[0].data), [1, -2, 0.333251953125]);
    // Misaligned data: shifting the data start by the pad makes the tensor run past the end.
    assert.throws(() => decodeGguf(Buffer.concat([header, data])), GgufError);
    assert.throws(() => decodeGguf(Buffer.from('GGUX0000')), /not a GGUF file/);
    assert.throws(() => decodeGguf(header.subarray(0, 30)), /truncated/);
  });
});

describe('control vectors from a TinyStories-656K run', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const runDir = path.join(tmp, 'run');
  let model: LanguageModel;

  before(async () => {
    await runDirections({ model: sharedPath('models', 'tinystories-656k'), dataset: 'sev', out: runDir, limit: 2, permutations: 2 });
    model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'));
  });
  after(async () => model?.dispose());

  test('direction export: alpha·σ_l·v_l at the band layers, readable by @huggingface/gguf and by our import', async () => {
    const out = path.join(tmp, 'anger.gguf');
    const cli = spawnSync(process.execPath, ['dist/src/cli/main.js', 'export', '--run', runDir, '--emotion', 'anger', '--what', 'direction', '--format', 'gguf', '--out', out, '--alpha', '3'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /approximates: direction steering of anger/);
    const L = model.config.numLayers;
    const d = model.config.hiddenSize;
    assert.deepEqual(directionSteeringLayers(L), [1]);
    // Reference: σ_1 = mean over instructed train prompts of sqrt(mean_i h_i²) at resid_post of layer 1.
    const store = ActivationStore.open(path.join(runDir, 'activations'));
    const rows = store.select((s) => s.split === 'train' && s.kind === 'instructed');
    const x = store.read('resid_post', rows);
    let sigma = 0;
    for (let r = 0; r < rows.length; r++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += x.data[(r * L + 1) * d + i] ** 2;
      sigma += Math.sqrt(s / d) / rows.length;
    }
    const directions = SafetensorsReader.open(path.join(runDir, 'directions.safetensors'));
    const v = directions.readF32('mlp.anger').subarray(d, 2 * d);
    directions.close();
    const parsed = await parseIndependently(out);
    assert.equal(parsed.metadata['general.architecture'], 'controlvector');
    assert.equal(parsed.metadata['controlvector.layer_count'], 1);
    assert.match(String(parsed.metadata['emotion_circuits.approximates']), /every position/);
    assert.deepEqual([...parsed.tensors.keys()], ['direction.1']);
    const got = parsed.tensors.get('direction.1')!;
    assert.deepEqual(got.shape, [d]);
    for (let i = 0; i < d; i++) assert.ok(Math.abs(got.data[i] - 3 * sigma * v[i]) < 1e-5 * (1 + Math.abs(3 * sigma * v[i])), `dim ${i}`);

    // Import: one add on blocks.1.hook_resid_post at every position, scaled.
    const interventions = controlVectorInterventions(out, model.config, 0.5);
    assert.equal(interventions.length, 1);
    assert.equal(interventions[0].hook, 'blocks.1.hook_resid_post');
    assert.equal(interventions[0].positions, 'all');
    assert.deepEqual(interventions[0].vector, Array.from(got.data));
    // Same generation as adding 0.5·vector by hand after block 1 at every position.
    const ids = model.encode('Once upon a time ');
    const [imported] = model.generate([ids], { hooks: compileInterventions(interventions, model.config), maxNewTokens: 12 });
    const handHook = { name: 'blocks.1.hook_resid_post', fn: (t: { data: Float32Array }) => { for (let i = 0; i < t.data.length; i++) t.data[i] += 0.5 * got.data[i % d]; } };
    const [byHand] = model.generate([ids], { hooks: [handHook], maxNewTokens: 12 });
    assert.deepEqual(imported.ids, byHand.ids);
    const logitsSteered = model.run(ids, { hooks: compileInterventions(interventions, model.config) }).logits!.data;
    const logitsPlain = model.run(ids).logits!.data;
    assert.ok(logitsSteered.some((value, i) => Math.abs(value - logitsPlain[i]) > 1e-3), 'the vector changes the logits');
  });

  test('steer --vector applies a control vector on top of the arm: the same text as generating with the vector added by hand', async () => {
    const file = path.join(tmp, 'steer-anger.gguf');
    const made = spawnSync(process.execPath, ['dist/src/cli/main.js', 'export', '--run', runDir, '--emotion', 'anger', '--what', 'direction', '--format', 'gguf', '--out', file, '--alpha', '8'], { encoding: 'utf8' });
    assert.equal(made.status, 0, made.stderr);
    const prompt = 'The bus was late again.';
    const steer = (extra: string[]) => spawnSync(process.execPath, ['dist/src/cli/main.js', 'steer', '--run', runDir, '--emotion', 'anger', '--method', 'none', '--prompt', prompt, '--max-new-tokens', '16', ...extra], { encoding: 'utf8' });
    const withVector = steer(['--vector', file, '--vector-scale', '2']);
    const without = steer([]);
    assert.equal(withVector.status, 0, withVector.stderr);
    assert.equal(without.status, 0, without.stderr);
    assert.match(withVector.stderr, /1 interventions/);
    // Reference: the uninstructed prompt, greedy with the shared decoding, 2·direction.1 added by hand after block 1.
    const vector = readGguf(file).tensors.find((t) => t.name === 'direction.1')!.data;
    const d = model.config.hiddenSize;
    const { ids } = model.encodeChat([{ role: 'system', content: 'Keep the reply to at most two sentences.' }, { role: 'user', content: prompt }]);
    const handHook = { name: 'blocks.1.hook_resid_post', fn: (t: { data: Float32Array }) => { for (let i = 0; i < t.data.length; i++) t.data[i] += 2 * vector[i % d]; } };
    const decoding = { maxNewTokens: 16, minNewTokens: 10, repetitionPenalty: 1.1, noRepeatNgramSize: 3 };
    const [byHand] = model.generate([ids], { hooks: [handHook], ...decoding });
    const [plain] = model.generate([ids], decoding);
    assert.equal(withVector.stdout, model.decode(byHand.ids) + '\n');
    assert.equal(without.stdout, model.decode(plain.ids) + '\n');
    assert.notEqual(withVector.stdout, without.stdout, 'the vector changes the reply');
    const lonely = spawnSync(process.execPath, ['dist/src/cli/main.js', 'steer', '--run', runDir, '--emotion', 'anger', '--method', 'none', '--prompt', prompt, '--vector-scale', '2'], { encoding: 'utf8' });
    assert.equal(lonely.status, 2);
    assert.match(lonely.stderr, /--vector-scale needs --vector/);
  });

  test('circuit export sums attn_out + mlp_out per layer ≥ 1; safetensors format carries the same tensors', async () => {
    const L = model.config.numLayers;
    const d = model.config.hiddenSize;
    const attn = randomVector(L * d, 5);
    const mlp = randomVector(L * d, 6);
    fs.mkdirSync(path.join(runDir, 'circuits'), { recursive: true });
    writeSafetensors(path.join(runDir, 'circuits', 'fear.safetensors'), [{ name: 'attn_out', shape: [L, d], data: attn }, { name: 'mlp_out', shape: [L, d], data: mlp }]);
    const ggufOut = path.join(tmp, 'fear.gguf');
    const result = exportControlVector({ runDir, emotion: 'fear', what: 'circuit', format: 'gguf', out: ggufOut });
    assert.match(result.summary.join('\n'), /same layer's MLP no longer reads it/);
    const parsed = await parseIndependently(ggufOut);
    assert.deepEqual([...parsed.tensors.keys()], ['direction.1']);
    const expected = Float32Array.from({ length: d }, (_, i) => attn[d + i] + mlp[d + i]);
    assert.deepEqual(Array.from(parsed.tensors.get('direction.1')!.data), Array.from(expected));
    const stOut = path.join(tmp, 'fear.safetensors');
    exportControlVector({ runDir, emotion: 'fear', what: 'circuit', format: 'safetensors', out: stOut });
    const viaSafetensors = controlVectorInterventions(stOut, model.config);
    const viaGguf = controlVectorInterventions(ggufOut, model.config);
    assert.deepEqual(viaSafetensors, viaGguf);
  });

  test('import rejects direction.0, a wrong width, a layer beyond the model and a non-control-vector GGUF', () => {
    const d = model.config.hiddenSize;
    const write = (name: string, metadata: Record<string, ReturnType<typeof gguf.string>>, tensors: { name: string; data: Float32Array }[]) => {
      const file = path.join(tmp, name);
      fs.writeFileSync(file, encodeGguf(metadata, tensors.map((t) => ({ ...t, shape: [t.data.length] }))));
      return file;
    };
    const cv = { 'general.architecture': gguf.string('controlvector') };
    assert.throws(() => controlVectorInterventions(write('zero.gguf', cv, [{ name: 'direction.0', data: new Float32Array(d) }]), model.config), /after block 0/);
    assert.throws(() => controlVectorInterventions(write('wide.gguf', cv, [{ name: 'direction.1', data: new Float32Array(d + 1) }]), model.config), /hidden size/);
    assert.throws(() => controlVectorInterventions(write('deep.gguf', cv, [{ name: 'direction.7', data: new Float32Array(d) }]), model.config), /2 layers/);
    assert.throws(() => controlVectorInterventions(write('llama.gguf', { 'general.architecture': gguf.string('llama') }, [{ name: 'direction.1', data: new Float32Array(d) }]), model.config), /not a control vector/);
  });
});
