/**
 * The random-weight twin through the control half, end to end on TinyStories-656K (a story model:
 * which side wins means nothing here, the files, intervals and statements do): `discover --twin`
 * gives the twin its own rankings, sublayer influence and circuits in RUN/twin, evaluates its
 * circuit and unsteered arms with the same settings, and writes evaluation.json → twin; the
 * directions and component comparisons carry overlap verdicts; a second run skips every stage.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EMOTIONS } from '../src/emotions.js';
import type { EvaluationReport } from '../src/pipeline/evaluation/evaluationRun.js';
import type { GenerationRecord } from '../src/pipeline/evaluation/records.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';
import { writeSmallSev } from './helpers/smallSev.js';
import { cli } from './helpers/cli.js';
import { RunFolder } from '../src/pipeline/run/runStore.js';
import { openTwinRun } from '../src/pipeline/twin/twinRun.js';

const CIRCUIT = 'circuit(lambda=circuit)';


const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const readRecords = (file: string): GenerationRecord[] => fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as GenerationRecord);

function assertInterval(value: { low: number; high: number }, centre: number, what: string): void {
  assert.ok(Number.isFinite(value.low) && Number.isFinite(value.high) && value.low <= centre + 1e-12 && centre <= value.high + 1e-12, `${what}: ${JSON.stringify(value)} around ${centre}`);
}

describe('discover --twin on TinyStories-656K: the twin through circuit modulation', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let dir: string;
  let out: string;
  let args: string[];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-twin-control-'));
    out = path.join(dir, 'run');
    args = ['discover', '--model', sharedPath('models', 'tinystories-656k'), '--out', out, '--dataset', writeSmallSev(dir), '--arms', 'none,circuit',
      '--max-new-tokens', '6', '--samples', '4', '--ks', '1', '--twin'];
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes the twin comparison with intervals, the paired difference and statements; a second run skips every stage', () => {
    const first = cli(args);
    assert.equal(first.status, 0, first.stderr);
    const twinFiles = ['manifest.json', 'neurons.safetensors', 'heads.safetensors', 'diff_vectors.safetensors', 'sublayers.json', 'generations.jsonl', 'evaluation.json',
      ...EMOTIONS.flatMap((e) => [`circuits/${e}.json`, `circuits/${e}.safetensors`])];
    for (const file of twinFiles) assert.ok(fs.existsSync(path.join(out, 'twin', file)), `twin/${file} written`);

    // evaluation.json → twin: the circuit arm and its unsteered baseline, on the same 36 prompts.
    const evaluation = readJson<EvaluationReport>(path.join(out, 'evaluation.json'));
    const twin = evaluation.twin!;
    assert.ok(twin, 'evaluation.json has twin');
    assert.deepEqual(twin.arms.map((a) => [a.arm, a.role, a.prompts]), [['none', 'baseline', 36], [CIRCUIT, 'steering', 36]]);
    const circuit = twin.arms[1];
    // The model's figure is its own row of `arms` (same prompts, same bootstrap cell).
    assert.deepEqual(circuit.model, evaluation.arms.find((a) => a.arm === CIRCUIT)!.accuracy.overall);
    // The twin's figure is the twin's own evaluation of the arm.
    const twinEvaluation = readJson<EvaluationReport>(path.join(out, 'twin', 'evaluation.json'));
    assert.deepEqual(twinEvaluation.arms.map((a) => a.arm), ['none', CIRCUIT]);
    assert.deepEqual(circuit.twin, twinEvaluation.arms[1].accuracy.overall);
    for (const [what, r] of [['model', circuit.model], ['twin', circuit.twin]] as const) assertInterval(r, r.rate, what);
    // The paired difference, recomputed from both generation logs: per prompt, model hit − twin hit.
    const hits = (file: string): Map<string, number> => new Map(readRecords(file).filter((r) => r.arm === CIRCUIT).map((r) => [`${r.emotion}|${r.skeletonId}|${r.valence}`, r.verdict.match === true ? 1 : 0]));
    const [modelHits, twinHits] = [hits(path.join(out, 'generations.jsonl')), hits(path.join(out, 'twin', 'generations.jsonl'))];
    assert.equal(modelHits.size, 36);
    const differences = [...modelHits].map(([key, hit]) => hit - twinHits.get(key)!);
    assert.ok(Math.abs(circuit.difference.mean - differences.reduce((a, b) => a + b, 0) / 36) < 1e-12);
    assertInterval(circuit.difference, circuit.difference.mean, 'difference');
    assert.equal(circuit.overlap, circuit.model.low <= circuit.twin.high && circuit.twin.low <= circuit.model.high);
    assert.equal(twin.statements.length, 1);
    assert.match(twin.statements[0], /^circuit\(lambda=circuit\): the model (beats its random-weight twin and the intervals do not overlap|is above|does NOT beat)/);
    assert.ok(first.stdout.includes(`twin check: ${twin.statements[0]}`), first.stdout);

    // The twin's circuits follow the model's rules and λ, on its own sublayer weights.
    const modelCircuit = readJson<{ settings: unknown; lambda: number }>(path.join(out, 'circuits', 'anger.json'));
    const twinCircuit = readJson<{ settings: unknown; lambda: number; weights: unknown }>(path.join(out, 'twin', 'circuits', 'anger.json'));
    assert.deepEqual(twinCircuit.settings, modelCircuit.settings);
    assert.deepEqual(twinCircuit.weights, (readJson<{ emotions: { anger: { weights: unknown } } }>(path.join(out, 'twin', 'sublayers.json'))).emotions.anger.weights);

    // Directions and components: each figure's own interval and the overlap verdict.
    const consistency = readJson<{ twin: { comparison: { mlp: Array<{ valenceGap: { modelInterval: { low: number }; twinInterval: { high: number }; overlap: boolean } }> }; statements: string[] } }>(path.join(out, 'consistency.json'));
    for (const layer of consistency.twin.comparison.mlp) {
      const g = layer.valenceGap;
      assert.equal(typeof g.overlap, 'boolean');
      if (g.modelInterval.low > g.twinInterval.high) assert.equal(g.overlap, false);
    }
    assert.ok(consistency.twin.statements.every((s) => /intervals (do not )?overlap/.test(s)), consistency.twin.statements.join('\n'));
    const validation = readJson<{ twin: { comparison: Array<{ overlap: boolean; separated: boolean; realSite: { mean: number } }>; comparisonSummary: Record<string, { separated: number; total: number }>; statements: string[] } }>(path.join(out, 'validation.json'));
    const separated = validation.twin.comparison.filter((c) => c.separated).length;
    assert.equal(Object.values(validation.twin.comparisonSummary).reduce((n, c) => n + c.separated, 0), separated);
    assert.ok(validation.twin.statements.every((s) => /intervals (do not )?overlap/.test(s)));

    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.ok(html.includes('Model vs random-weight twin: circuit modulation'));
    assert.ok(html.includes(`Random-weight twin: ${twin.statements[0].replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').slice(0, 60)}`));

    const second = cli(args);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /twin\.components skipped, twin\.sublayers skipped, twin\.circuits skipped, twin\.evaluation skipped, evaluation skipped/);
    assert.doesNotMatch(second.stderr, / ran[,\n]/);
    assert.equal(second.stdout, first.stdout);

    // `evaluate` on the run: the same twin check, nothing regenerated.
    const evaluated = cli(['evaluate', '--run', out, '--arms', 'none,circuit', '--max-new-tokens', '6', '--quiet']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    assert.match(evaluated.stdout, /^evaluation \(skipped;/);
    assert.ok(evaluated.stdout.includes(`twin check: ${twin.statements[0]}`));
  });
});

test('openTwinRun: the twin\'s run keeps the model\'s weights mode (an int8 run gets an int8 twin)', () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-twin-weights-'));
  try {
    const run = RunFolder.open(runDir, {
      tool: { name: 'emotion-circuits', version: '0' },
      model: { dir: 'some/model', files: {}, weights: 'int8' },
      dataset: { spec: 'sev', hash: 'h', train: 3, test: 2 },
      settings: { twin: true },
      seed: 7,
    });
    fs.mkdirSync(path.join(runDir, 'twin', 'model'), { recursive: true });
    fs.writeFileSync(path.join(runDir, 'twin', 'model', 'config.json'), '{}');
    run.completeStage('twin.directions', 'hash', ['twin/directions.safetensors']);
    const twin = openTwinRun(runDir);
    assert.ok(twin);
    const manifest = readJson<{ model: { dir: string; weights?: string }; settings: { twin: boolean; randomWeightTwinOf: string } }>(path.join(runDir, 'twin', 'manifest.json'));
    assert.equal(manifest.model.weights, 'int8');
    assert.equal(manifest.model.dir, path.join(runDir, 'twin', 'model'));
    assert.deepEqual([manifest.settings.twin, manifest.settings.randomWeightTwinOf], [false, 'some/model']);
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
});
