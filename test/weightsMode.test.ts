/**
 * `--weights stored|int8` on every command that loads a model, and the run's weights mode: recorded
 * in manifest.json (model.weights, and per stage), used by later stages unless overridden, part of
 * each stage's inputs (a changed mode re-runs the stage), and the stage really runs with it (int8
 * activations differ slightly from the stored weights').
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ATTRIBUTE_USAGE } from '../src/cli/commands/attribute.js';
import { COMPONENTS_USAGE } from '../src/cli/commands/components.js';
import { DIRECTIONS_USAGE } from '../src/cli/commands/directions.js';
import { DISCOVER_USAGE, START_USAGE } from '../src/cli/commands/discover.js';
import { EVALUATE_USAGE, SWEEP_USAGE } from '../src/cli/commands/evaluate.js';
import { SERVE_USAGE } from '../src/cli/commands/serve.js';
import { STEER_USAGE } from '../src/cli/commands/steer.js';
import { EmotionCircuitsError } from '../src/errors.js';
import { readDirections, DIRECTIONS_FILE, DIRECTION_SITES } from '../src/pipeline/directions/directionSet.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { RunFolder } from '../src/pipeline/run/runStore.js';
import { requireStoredWeights, runWeights, stageWeights, weightsHashPart, weightsSummary } from '../src/pipeline/run/weightsMode.js';
import { renderReport } from '../src/report/report.js';
import { runSublayers } from '../src/pipeline/sublayers/sublayersRun.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';
import { cli, type CliResult } from './helpers/cli.js';

const run = (args: string[]): CliResult => cli(args);

test('the run weights mode: recorded mode or stored; a stage flag overrides it and says so; hashes keep stored runs valid', () => {
  const model = { dir: 'm', files: {} };
  assert.equal(runWeights({ model }), 'stored');
  assert.equal(runWeights({ model: { ...model, weights: 'int8' } }), 'int8');
  const lines: string[] = [];
  assert.equal(stageWeights({ model: { ...model, weights: 'int8' } }, undefined, 'components', (l) => lines.push(l)), 'int8');
  assert.equal(lines.length, 0);
  assert.equal(stageWeights({ model: { ...model, weights: 'int8' } }, 'stored', 'components', (l) => lines.push(l)), 'stored');
  assert.deepEqual(lines, ["components: stored weights, while this run's activations were collected with int8 weights (recorded in manifest.json)"]);
  assert.deepEqual(weightsHashPart('stored'), {});
  assert.deepEqual(weightsHashPart('int8'), { weights: 'int8' });
  requireStoredWeights('stored', 'attribute', 'runs/x');
  assert.throws(() => requireStoredWeights('int8', 'attribute', 'runs/x'), (e: unknown) => e instanceof EmotionCircuitsError && /attribute needs backward passes.*pass --weights stored/.test(e.message));
});

test('every command that loads a model documents --weights', () => {
  for (const usage of [DIRECTIONS_USAGE, COMPONENTS_USAGE, ATTRIBUTE_USAGE, EVALUATE_USAGE, SWEEP_USAGE, STEER_USAGE, DISCOVER_USAGE, START_USAGE, SERVE_USAGE]) {
    assert.match(usage, /--weights stored/, usage.split('\n')[0]);
  }
});

describe('--weights on the command line', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  test('every command that loads a model rejects a wrong --weights as a usage error (exit 2)', () => {
    const model = sharedPath('models', 'tinystories-656k');
    const missingRun = path.join(os.tmpdir(), 'ec-weights-no-such-run');
    const commands: Record<string, string[]> = {
      directions: ['--model', model, '--dataset', 'sev', '--out', missingRun],
      components: ['--run', missingRun],
      attribute: ['--run', missingRun],
      evaluate: ['--run', missingRun],
      sweep: ['--run', missingRun, '--method', 'circuit'],
      steer: ['--run', missingRun, '--emotion', 'anger', '--method', 'none', '--prompt', 'hi'],
      discover: ['--model', model, '--out', missingRun],
      start: ['--model', model, '--out', missingRun],
      serve: ['--port', '0'],
      generate: ['--model', model, '--prompt', 'hi'],
      trace: ['--model', model, '--text', 'hi', '--out', path.join(missingRun, 'x.safetensors')],
    };
    for (const [command, args] of Object.entries(commands)) {
      const bad = run([command, ...args, '--weights', 'int4']);
      assert.equal(bad.status, 2, `${command}: ${bad.stderr}`);
      assert.match(bad.stderr, new RegExp(`${command}: --weights expects stored or int8, got "int4"`), command);
      assert.ok(!fs.existsSync(missingRun), `${command} touched the run folder`);
    }
    // A valid mode gets past the flags: the missing run is what fails (exit 1).
    for (const command of ['components', 'attribute', 'evaluate']) {
      const ok = run([command, '--run', missingRun, '--weights', 'int8']);
      assert.equal(ok.status, 1, `${command}: ${ok.stderr}`);
      assert.match(ok.stderr, /manifest\.json is missing|no directions|not a run folder/, command);
    }
  });
});

describe('the weights mode of a run (TinyStories-656K)', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-weights-mode-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  const base = { dataset: 'sev', limit: 1, permutations: 2, twin: false } as const;

  test('directions --weights int8 records the mode, runs the model with int8 weights, and later stages follow the run', async () => {
    const model = sharedPath('models', 'tinystories-656k');
    const int8Dir = path.join(root, 'int8');
    const cli = run(['directions', '--model', model, '--out', int8Dir, '--dataset', 'sev', '--limit', '1', '--permutations', '2', '--no-twin', '--weights', 'int8', '--quiet']);
    assert.equal(cli.status, 0, cli.stderr);
    let manifest = RunFolder.read(int8Dir);
    assert.equal(manifest.model.weights, 'int8');
    assert.equal(manifest.stages.collect.weights, 'int8');

    // The activations were computed with int8 weights: every emotion direction at every layer and
    // site is within cosine 0.999 of the stored weights' (measured ≥ 0.9994 here), and not equal.
    const storedDir = path.join(root, 'stored');
    await runDirections({ ...base, model, out: storedDir });
    assert.equal(RunFolder.read(storedDir).model.weights, 'stored');
    const a = readDirections(path.join(storedDir, DIRECTIONS_FILE)), b = readDirections(path.join(int8Dir, DIRECTIONS_FILE));
    for (const site of DIRECTION_SITES) {
      const { layers, width } = a[site];
      const x = a[site].directions, y = b[site].directions;
      let maxAbs = 0;
      for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i] - y[i]));
      assert.ok(maxAbs > 0, `${site}: int8 directions equal the stored ones: the collection did not run int8`);
      for (let row = 0; row < x.length / width; row++) {
        let dot = 0, nx = 0, ny = 0;
        for (let i = row * width; i < (row + 1) * width; i++) {
          dot += x[i] * y[i];
          nx += x[i] ** 2;
          ny += y[i] ** 2;
        }
        const cosine = dot / Math.sqrt(nx * ny);
        assert.ok(cosine >= 0.999, `${site}, emotion ${Math.floor(row / layers)}, layer ${row % layers}: cosine ${cosine}`);
      }
    }

    // Same mode: nothing re-runs. A later stage runs with the run's mode unless told otherwise.
    const again = await runDirections({ ...base, model, out: int8Dir, weights: 'int8' });
    assert.equal(again.stages.collect, 'skipped');
    assert.equal((await runSublayers({ runDir: int8Dir, alphas: [0.5] })).stage, 'ran');
    assert.equal(RunFolder.read(int8Dir).stages.sublayers.weights, 'int8');
    assert.equal((await runSublayers({ runDir: int8Dir, alphas: [0.5] })).stage, 'skipped');
    const lines: string[] = [];
    assert.equal((await runSublayers({ runDir: int8Dir, alphas: [0.5], weights: 'stored', log: (l) => lines.push(l) })).stage, 'ran', 'a changed mode re-runs the stage');
    assert.equal(RunFolder.read(int8Dir).stages.sublayers.weights, 'stored');
    assert.ok(lines.some((l) => l.startsWith('sublayers: stored weights, while this run')), lines.join('\n'));
    assert.equal(weightsSummary(RunFolder.read(int8Dir)), 'int8 (sublayers: stored)');
    assert.match(await renderReport(int8Dir), /int8 \(sublayers: stored\)/, 'the report says which weights the stages ran with');

    // A changed run mode re-collects, and the later stages follow.
    const back = await runDirections({ ...base, model, out: int8Dir });
    assert.equal(back.stages.collect, 'ran');
    manifest = RunFolder.read(int8Dir);
    assert.equal(manifest.model.weights, 'stored');
    assert.equal(manifest.stages.collect.weights, 'stored');
    assert.deepEqual(readDirections(path.join(int8Dir, DIRECTIONS_FILE)).attn.directions, a.attn.directions, 'stored weights again: the stored run\'s directions');
  });
});
