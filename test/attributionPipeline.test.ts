/**
 * The attribute stage end to end on TinyStories-656K: directions (limit 2) and a small components
 * run, then attribution patching — attribution.json / attribution.safetensors, estimates added to
 * heads.json and neurons.json, and a second run that skips (restoring the estimates when components
 * rewrote heads.json), also through the CLI. The rank correlations are printed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EMOTIONS } from '../src/emotions.js';
import { EmotionCircuitsError } from '../src/errors.js';
import { SafetensorsReader } from '../src/model/safetensors.js';
import { ATTRIBUTION_FORMAT, ATTRIBUTION_JSON, ATTRIBUTION_TENSORS, readAttribution, runAttribution, type AttributionRunResult } from '../src/pipeline/attribution/attributionRun.js';
import { spearman } from '../src/pipeline/attribution/rankCorrelation.js';
import { runComponents } from '../src/pipeline/components/componentsRun.js';
import { runDirections } from '../src/pipeline/directions/directionsRun.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

describe('attribution patching on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-attribute-'));
  const options = { runDir, samples: 4, exactNeurons: 3 };
  let result: AttributionRunResult;
  before(async () => {
    await runDirections({ model: sharedPath('models', 'tinystories-656k'), dataset: 'sev', out: runDir, limit: 2, permutations: 2 });
    await runComponents({ runDir, samples: 4, layers: [], totalEffectHeads: 1 }); // rankings only: no validation
    result = await runAttribution(options);
  });
  after(() => fs.rmSync(runDir, { recursive: true, force: true }));

  test('attribution.json: every head and top/bottom/random neurons measured, ρ per emotion (printed)', () => {
    assert.equal(result.stage, 'ran');
    const { file } = result;
    assert.deepEqual(file, JSON.parse(fs.readFileSync(path.join(runDir, ATTRIBUTION_JSON), 'utf8')));
    assert.equal(file.timing.measuredUnits, 16 + 2 * 9);
    assert.equal(file.timing.exhaustiveUnits, 2 * (8 + 384));
    const tensors = SafetensorsReader.open(path.join(runDir, ATTRIBUTION_TENSORS));
    try {
      for (const emotion of EMOTIONS) {
        const entry = file.emotions[emotion];
        const { heads, neurons } = entry;
        console.log(`${emotion.padEnd(9)} ρ heads ${heads.correlation.spearman?.toFixed(3)} (n=${heads.correlation.n})  neurons ${neurons.correlation.spearman?.toFixed(3)} (n=${neurons.correlation.n})  random neurons ${neurons.randomCorrelation.spearman?.toFixed(3)} (n=${neurons.randomCorrelation.n})  heads by layer ${heads.byLayer.map((c) => c.spearman?.toFixed(3)).join(' ')}`);
        assert.equal(entry.prompts, 4);
        assert.deepEqual(heads.units.map((u) => `${u.layer}.${u.unit}`), Array.from({ length: 16 }, (_, i) => `${i >> 3}.${i & 7}`));
        for (const layer of [0, 1]) for (const group of ['top', 'bottom', 'random']) assert.equal(neurons.units.filter((u) => u.layer === layer && u.group === group).length, 3);
        // Within-layer ρ: over that layer's units only.
        for (const [kind, perLayer] of [[heads, 8], [neurons, 9]] as const) {
          assert.deepEqual(kind.byLayer.map((c) => c.n), [perLayer, perLayer]);
          kind.byLayer.forEach((c, l) => {
            const units = kind.units.filter((u) => u.layer === l);
            assert.equal(c.spearman, spearman(units.map((u) => u.estimate), units.map((u) => u.exact)));
          });
        }
        // The estimates in the JSON are the stored tensors' values.
        assert.deepEqual(tensors.info(`heads.${emotion}`).shape, [2, 8]);
        assert.deepEqual(tensors.info(`neurons.${emotion}`).shape, [2, 384]);
        const headTensor = tensors.readF32(`heads.${emotion}`);
        const neuronTensor = tensors.readF32(`neurons.${emotion}`);
        for (const u of heads.units) assert.equal(Math.fround(u.estimate), headTensor[u.layer * 8 + u.unit]);
        for (const u of neurons.units) assert.equal(Math.fround(u.estimate), neuronTensor[u.layer * 384 + u.unit]);
        // The gradient model computes the engine's m.
        assert.ok(entry.forwardCheck.maxAbsDifference <= 1e-4 * Math.max(1, entry.forwardCheck.maxAbsProjection), JSON.stringify(entry.forwardCheck));
        // Zeroing real units moves m, and the first-order estimate ranks heads in the same order as the truth more often than not.
        assert.ok(heads.units.some((u) => Math.abs(u.exact) > 1e-3));
        assert.ok(heads.correlation.spearman !== null && heads.correlation.spearman > 0, `heads ρ ${heads.correlation.spearman}`);
        assert.ok(neurons.correlation.spearman !== null && neurons.correlation.spearman > 0, `neurons ρ ${neurons.correlation.spearman}`);
      }
    } finally {
      tensors.close();
    }
    console.log(`mean ρ: heads ${file.summary.heads.meanSpearman?.toFixed(3)}, neurons ${file.summary.neurons.meanSpearman?.toFixed(3)}, random neurons ${file.summary.randomNeurons.meanSpearman?.toFixed(3)}; within a layer: heads ${file.summary.headsWithinLayer.meanSpearman?.toFixed(3)}, neurons ${file.summary.neuronsWithinLayer.meanSpearman?.toFixed(3)}`);
  });

  test('heads.json and neurons.json carry each listed unit’s estimate', () => {
    const tensors = SafetensorsReader.open(path.join(runDir, ATTRIBUTION_TENSORS));
    try {
      for (const [fileName, kind, key, width] of [['heads.json', 'heads', 'head', 8], ['neurons.json', 'neurons', 'neuron', 384]] as const) {
        const json = JSON.parse(fs.readFileSync(path.join(runDir, fileName), 'utf8'));
        assert.equal(json.attributionPatching.file, ATTRIBUTION_JSON);
        for (const emotion of EMOTIONS) {
          const estimates = tensors.readF32(`${kind}.${emotion}`);
          for (const { layer, top } of json.emotions[emotion]) {
            assert.ok(top.length > 0);
            for (const unit of top) assert.equal(unit.attributionPatching, estimates[layer * width + unit[key]]);
          }
        }
      }
    } finally {
      tensors.close();
    }
  });

  test('a second run skips, and restores the estimates in a rewritten heads.json', async () => {
    const headsFile = path.join(runDir, 'heads.json');
    const annotated = fs.readFileSync(headsFile, 'utf8');
    const stripped = JSON.parse(annotated);
    delete stripped.attributionPatching;
    for (const emotion of EMOTIONS) for (const layer of stripped.emotions[emotion]) for (const unit of layer.top) delete unit.attributionPatching;
    fs.writeFileSync(headsFile, JSON.stringify(stripped));
    const again = await runAttribution(options);
    assert.equal(again.stage, 'skipped');
    assert.deepEqual(again.file, result.file);
    assert.deepEqual(JSON.parse(fs.readFileSync(headsFile, 'utf8')), JSON.parse(annotated));
  });

  test('the CLI prints the correlations of the finished stage; --run is required', () => {
    const cli = (args: string[]) => spawnSync(process.execPath, [path.join(process.cwd(), 'dist', 'src', 'cli', 'main.js'), 'attribute', ...args], { encoding: 'utf8' });
    const ok = cli(['--run', runDir, '--samples', '4', '--exact-neurons', '3', '--quiet']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /attribution skipped/);
    const rho = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));
    const { heads, neurons, randomNeurons } = result.file.summary;
    assert.match(ok.stdout, new RegExp(`mean +${rho(heads.meanSpearman)} +${rho(neurons.meanSpearman)} +${rho(randomNeurons.meanSpearman)}`));
    const missing = cli([]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--run RUN_DIR is required/);
  });
});

test('readAttribution names the file and field of a bad attribution.json', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-attribute-bad-'));
  try {
    const file = path.join(dir, ATTRIBUTION_JSON);
    assert.throws(() => readAttribution(dir), (e: Error) => e instanceof EmotionCircuitsError && /run `emotion-circuits attribute` first/.test(e.message));
    fs.writeFileSync(file, JSON.stringify({ format: 'other' }));
    assert.throws(() => readAttribution(dir), (e: Error) => e instanceof EmotionCircuitsError && /expected format emotion-circuits\/attribution@1/.test(e.message));
    fs.writeFileSync(file, JSON.stringify({ format: ATTRIBUTION_FORMAT, summary: {} }));
    assert.throws(() => readAttribution(dir), (e: Error) => e instanceof EmotionCircuitsError && e.message.includes(`${file}: summary.heads`));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
