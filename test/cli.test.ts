/** The command line, run as a child process the way a user runs it. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { allHookNames } from '../src/model/hookNames.js';
import { chooseModelSpec } from '../src/cli/args.js';
import { defaultModelDir } from '../src/organism/defaultModel.js';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { compare } from './helpers/compare.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';
import { writeSmallSev } from './helpers/smallSev.js';
import { cli } from './helpers/cli.js';



test('without --model the CLI uses the embedded organism, and says plainly what it needs when there is none', () => {
  assert.deepEqual(chooseModelSpec('start', 'a', 'b', 'c'), { spec: 'a', source: 'flag' });
  assert.deepEqual(chooseModelSpec('start', undefined, 'b', 'c'), { spec: 'b', source: 'env' });
  assert.deepEqual(chooseModelSpec('start', undefined, undefined, 'c'), { spec: 'c', source: 'default' });
  assert.throws(() => chooseModelSpec('start', undefined, undefined, null), /start: no model given\. Pass --model DIR .* or set EMOTION_CIRCUITS_MODEL/);
  const organism = defaultModelDir();
  assert.ok(organism !== null && existsSync(join(organism, 'model.safetensors')), 'the repository carries the organism');
  const result = cli(['generate', '--prompt', 'Hello', '--max-new-tokens', '3']);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /using the embedded default model, the emotion model organism/);
  assert.equal(cli(['frobnicate']).status, 2);
  assert.match(cli(['trace', '--bogus']).stderr, /Unknown option '--bogus'/);
});

describe('trace and generate on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ec-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cases = () => JSON.parse(readFileSync(sharedPath('fixtures', 'tinystories-656k', 'cases.json'), 'utf8')) as Array<{ name: string; text: string; ids: number[]; greedy_text: string }>;

  test("trace --hooks '*' saves every hook point, matching the fixture, with the ids in the metadata", () => {
    const c = cases()[0];
    const out = join(dir, 'trace.safetensors');
    const result = cli(['trace', '--model', sharedPath('models', 'tinystories-656k'), '--text', c.text, '--hooks', '*', '--out', out]);
    assert.equal(result.status, 0, result.stderr);
    const saved = SafetensorsReader.open(out);
    const reference = SafetensorsReader.open(sharedPath('fixtures', 'tinystories-656k', `${c.name}.safetensors`));
    assert.deepEqual(JSON.parse(saved.metadata.ids), c.ids);
    assert.deepEqual([...saved.tensors.keys()].sort(), allHookNames(2).sort());
    for (const name of saved.tensors.keys()) {
      const diff = compare(saved.readF32(name), reference.readF32(name));
      assert.ok(diff.relL2 < 2e-5, `${name}: rel L2 ${diff.relL2}`);
    }
    saved.close();
    reference.close();
  });

  test('trace --ids runs raw ids (no BOS added) and a glob selects hooks', () => {
    const out = join(dir, 'ids.safetensors');
    const result = cli(['trace', '--model', sharedPath('models', 'tinystories-656k'), '--ids', '5,6,7', '--hooks', 'blocks.*.hook_resid_post', '--out', out]);
    assert.equal(result.status, 0, result.stderr);
    const saved = SafetensorsReader.open(out);
    assert.deepEqual(JSON.parse(saved.metadata.ids), [5, 6, 7]);
    assert.deepEqual([...saved.tensors.keys()].sort(), ['blocks.0.hook_resid_post', 'blocks.1.hook_resid_post', 'logits']);
    assert.deepEqual(saved.tensors.get('logits')!.shape, [3, 2048]);
    saved.close();
    assert.match(cli(['trace', '--model', sharedPath('models', 'tinystories-656k'), '--ids', '5,x', '--out', out]).stderr, /--ids expects comma-separated non-negative integers/);
    assert.match(cli(['trace', '--model', sharedPath('models', 'tinystories-656k'), '--ids', '5', '--hooks', 'nope', '--out', out]).stderr, /matches no hook point/);
  });

  test('generate prints the greedy continuation, and an intervention file changes it', () => {
    const c = cases()[1];
    const model = sharedPath('models', 'tinystories-656k');
    const plain = cli(['generate', '--model', model, '--prompt', c.text, '--max-new-tokens', '30']);
    assert.equal(plain.status, 0, plain.stderr);
    assert.equal(plain.stdout, c.greedy_text + '\n');
    const file = join(dir, 'iv.json');
    writeFileSync(file, JSON.stringify([{ hook: 'blocks.1.hook_resid_post', op: 'add', vector: new Array(128).fill(0).map((_, i) => (i % 2 ? 4 : -4)), positions: 'all' }]));
    const steered = cli(['generate', '--model', model, '--prompt', c.text, '--max-new-tokens', '30', '--intervention', file]);
    assert.equal(steered.status, 0, steered.stderr);
    assert.notEqual(steered.stdout, plain.stdout);
    writeFileSync(file, JSON.stringify({ hook: 'blocks.1.hook_resid_post', op: 'add', vector: [1] }));
    const bad = cli(['generate', '--model', model, '--prompt', c.text, '--intervention', file]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /iv\.json\.vector: expected 128 numbers/);
  });

  test('start runs the main job (discover) into a run folder', () => {
    const out = join(dir, 'start-run');
    const dataset = writeSmallSev(dir);
    const result = cli(['start', '--model', sharedPath('models', 'tinystories-656k'), '--dataset', dataset, '--out', out, '--max-new-tokens', '4', '--samples', '2', '--ks', '1', '--arms', 'none,direction', '--no-twin']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`run folder: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n$`));
    assert.match(result.stderr, /directions \(attn site\): best held-out accuracy/);
    assert.match(result.stderr, /components neurons\.ablate: top-k beats random-k in \d+\/\d+ conditions/);
    for (const file of ['manifest.json', 'directions.safetensors', 'consistency.json', 'neurons.json', 'heads.json', 'diff_vectors.safetensors', 'validation.json', 'sublayers.json', 'circuits/anger.json', 'evaluation.json', 'report.html']) {
      assert.ok(existsSync(join(out, file)), `${file} written`);
    }
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(Object.keys(manifest.stages).sort(), ['circuits', 'collect', 'consistency', 'diffVectors', 'directions', 'evaluation', 'heads', 'neurons', 'sublayers', 'validation']);
    for (const record of Object.values(manifest.stages) as Array<{ wallMs?: number; peakRssBytes?: number }>) assert.ok(record.wallMs! >= 0 && record.peakRssBytes! > 0, 'every stage timed');
    // --no-twin keeps this test short (the twin is covered by components.test.ts); it is recorded, and excludes --twin.
    assert.equal(manifest.settings.twin, false);
    assert.equal(JSON.parse(readFileSync(join(out, 'validation.json'), 'utf8')).twin, null);
    const both = cli(['start', '--model', sharedPath('models', 'tinystories-656k'), '--out', out, '--twin', '--no-twin']);
    assert.equal(both.status, 2, both.stderr);
    assert.match(both.stderr, /--twin and --no-twin exclude each other/);
  });
});

test('discover/start: a malformed --ks is a usage error before any stage runs', () => {
  const out = mkdtempSync(join(tmpdir(), 'ec-ks-'));
  try {
    const result = cli(['start', '--out', out, '--ks', '1,a']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /start: --ks expects comma-separated non-negative integers, got "1,a"/);
    assert.deepEqual(readdirSync(out), []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
