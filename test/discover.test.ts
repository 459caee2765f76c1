/**
 * `discover` end to end on TinyStories-656K (a story model: the accuracies mean nothing here, the
 * files and the stage bookkeeping do): every artefact is written, a second run skips every stage,
 * and `steer`, `sweep` and `evaluate --use-sweep` work on the run folder. A two-theme slice of the
 * SEV keeps it fast.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EMOTIONS } from '../src/emotions.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';
import { writeSmallSev } from './helpers/smallSev.js';
import { cli } from './helpers/cli.js';



describe('discover on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let dir: string;
  let dataset: string;
  let out: string;
  const model = (): string => sharedPath('models', 'tinystories-656k');
  const args = (): string[] => ['discover', '--model', model(), '--out', out, '--dataset', dataset, '--max-new-tokens', '8', '--samples', '4', '--ks', '1,2', '--random-seeds', '0,1', '--no-twin'];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-discover-'));
    dataset = writeSmallSev(dir);
    out = path.join(dir, 'run');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('writes every stage artefact, then a second run skips every stage', () => {
    const first = cli(args());
    assert.equal(first.status, 0, first.stderr);
    const files = [
      'manifest.json', 'directions.safetensors', 'consistency.json', 'neurons.json', 'neurons.safetensors', 'heads.json', 'heads.safetensors',
      'diff_vectors.safetensors', 'validation.json', 'sublayers.json', 'generations.jsonl', 'evaluation.json', 'report.html',
      ...EMOTIONS.flatMap((e) => [`circuits/${e}.json`, `circuits/${e}.safetensors`]),
    ];
    for (const file of files) assert.ok(fs.existsSync(path.join(out, file)), `${file} written`);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { stages: Record<string, unknown> };
    const stages = ['collect', 'directions', 'consistency', 'neurons', 'heads', 'diffVectors', 'validation', 'sublayers', 'circuits', 'evaluation'];
    assert.deepEqual(Object.keys(manifest.stages).sort(), [...stages].sort());
    assert.match(first.stderr, new RegExp(`discover: ${stages.map((s) => `${s} ran`).join(', ')}`));

    // 2 test scenarios × 3 valences × 6 emotions per arm; random arm × 2 draws.
    const evaluation = JSON.parse(fs.readFileSync(path.join(out, 'evaluation.json'), 'utf8')) as { arms: Array<{ arm: string; method: string; accuracy: { overall: { n: number }; bySeed?: object }; fluency: { texts: number } }> };
    assert.deepEqual(evaluation.arms.map((a) => a.method), ['none', 'prompt', 'direction', 'circuit', 'random']);
    assert.deepEqual(evaluation.arms.map((a) => a.accuracy.overall.n), [36, 36, 36, 36, 72]);
    assert.equal(evaluation.arms[0].fluency.texts, 6); // the unsteered text serves all six targets
    assert.deepEqual(Object.keys(evaluation.arms[4].accuracy.bySeed!), ['0', '1']);
    const records = fs.readFileSync(path.join(out, 'generations.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { method: string; newTokens: number; verdict: { target: string }; emotion: string; prompt: string; promptKind: string });
    assert.equal(records.length, 36 * 4 + 72);
    for (const r of records) {
      assert.ok(r.newTokens <= 8);
      assert.equal(r.verdict.target, r.emotion);
      assert.equal(r.promptKind === 'instructed', r.method === 'prompt');
      assert.equal(r.prompt.includes('Always reply in'), r.method === 'prompt');
    }
    assert.match(first.stdout, /\| none \| 36 \|/);

    const second = cli(args());
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`discover: ${stages.map((s) => `${s} skipped`).join(', ')}`));
    assert.equal(second.stdout, first.stdout);
  });

  test('steer streams a reply under each arm; sweep marks a front and evaluate --use-sweep takes its choice', () => {
    const steered = cli(['steer', '--run', out, '--emotion', 'sadness', '--method', 'direction', '--strength', '12', '--prompt', 'Tom lost his ball.', '--max-new-tokens', '12']);
    assert.equal(steered.status, 0, steered.stderr);
    const plain = cli(['steer', '--run', out, '--emotion', 'sadness', '--method', 'none', '--prompt', 'Tom lost his ball.', '--max-new-tokens', '12']);
    assert.notEqual(steered.stdout, plain.stdout);
    for (const method of ['prompt', 'circuit', 'random']) {
      const result = cli(['steer', '--run', out, '--emotion', 'fear', '--method', method, '--prompt', 'Tom lost his ball.', '--max-new-tokens', '6']);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, /steer: \d+ new tokens, stop: (length|stop-token)/);
    }
    assert.match(cli(['steer', '--run', out, '--emotion', 'joy', '--method', 'none', '--prompt', 'x']).stderr, /--emotion must be one of anger/);

    const sweep = cli(['sweep', '--run', out, '--method', 'direction', '--alphas', '2,16', '--bands', '0.39-0.71', '--limit', '1', '--max-new-tokens', '6', '--quiet']);
    assert.equal(sweep.status, 0, sweep.stderr);
    type Row = { onFront: boolean; setting: { alpha: number }; byEmotion: Record<string, { rate: number }>; fluency: { perplexity: number } };
    const file = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as {
      methods: { direction: { split: string; settings: Row[]; chosen: { setting: { alpha: number } }; chosenPerEmotion: Record<string, { setting: { alpha: number }; accuracy: number }> } };
    };
    const section = file.methods.direction;
    assert.deepEqual(section.settings.map((s) => s.setting.alpha), [2, 16]);
    assert.ok(section.settings.some((s) => s.onFront));
    // The sweep tunes on the train split: its prompts are the train scenarios, never the test ones.
    assert.equal(section.split, 'train');
    const scenariosOf = (split: string): string[] => fs.readFileSync(path.join(dataset, `${split}.jsonl`), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { skeleton_id: string }).skeleton_id);
    const swept = new Set(fs.readFileSync(path.join(out, 'sweep_generations.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { skeletonId: string }).skeletonId));
    assert.deepEqual([...swept].sort(), scenariosOf('train').slice(0, 1).concat(scenariosOf('train').slice(1, 2)).sort());
    for (const id of scenariosOf('test')) assert.ok(!swept.has(id));
    // Per emotion: the lowest-perplexity α reaching 90 % on it, else the most accurate (ties: lower perplexity).
    for (const emotion of EMOTIONS) {
      const [a, b] = section.settings;
      const reach = section.settings.filter((r) => r.byEmotion[emotion].rate >= 0.9);
      const pick = reach.length > 0
        ? reach.reduce((x, y) => (y.fluency.perplexity < x.fluency.perplexity ? y : x))
        : (b.byEmotion[emotion].rate > a.byEmotion[emotion].rate || (b.byEmotion[emotion].rate === a.byEmotion[emotion].rate && b.fluency.perplexity < a.fluency.perplexity) ? b : a);
      assert.equal(section.chosenPerEmotion[emotion].setting.alpha, pick.setting.alpha, emotion);
    }
    const evaluated = cli(['evaluate', '--run', out, '--arms', 'direction', '--use-sweep', '--max-new-tokens', '6', '--quiet']);
    assert.equal(evaluated.status, 0, evaluated.stderr);
    const tuned = EMOTIONS.map((e) => `${e}:${section.chosenPerEmotion[e].setting.alpha}@0.39-0.71`).join('+');
    assert.match(evaluated.stdout, new RegExp(`\\| direction\\(alpha=${section.chosen.setting.alpha},band=0.39-0.71,tuned=${tuned.replace(/[.+]/g, '\\$&')}\\) \\| 36 \\|`));

    // discover --tune sweeps both methods on the train split, then evaluates every arm with the choices.
    const tunedRun = cli([...args(), '--tune']);
    assert.equal(tunedRun.status, 0, tunedRun.stderr);
    assert.match(tunedRun.stderr, /circuits skipped, sweep\.circuit ran, sweep\.direction ran, evaluation ran/);
    const sweeps = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { methods: Record<string, { split: string; settings: unknown[]; chosenPerEmotion: Record<string, { setting: { lambda?: number } }> }> };
    assert.equal(sweeps.methods.circuit.settings.length, 4);
    assert.equal(sweeps.methods.direction.settings.length, 3);
    const lambdas = EMOTIONS.map((e) => `${e}:${sweeps.methods.circuit.chosenPerEmotion[e].setting.lambda}`).join('+');
    const armsRun = (JSON.parse(fs.readFileSync(path.join(out, 'evaluation.json'), 'utf8')) as { arms: Array<{ arm: string }> }).arms.map((a) => a.arm);
    assert.ok(armsRun.some((a) => a.startsWith('circuit(') && a.includes(`tuned=${lambdas})`)), armsRun.join(' '));
    assert.ok(armsRun.some((a) => a.startsWith('random(') && a.includes(`tuned=${lambdas},seeds=0+1`)), armsRun.join(' '));

    // `circuits` rebuilds the circuits under other rules: the paper's allocation takes all 12 heads asked.
    const paper = cli(['circuits', '--run', out, '--circuit', 'max-kind-share=1,lambda.fear=0.6', '--quiet']);
    assert.equal(paper.status, 0, paper.stderr);
    assert.match(paper.stdout, /sublayers skipped, circuits ran/);
    const fear = JSON.parse(fs.readFileSync(path.join(out, 'circuits', 'fear.json'), 'utf8')) as { lambda: number; budget: { heads: number; requested: { heads: number } } };
    assert.deepEqual([fear.lambda, fear.budget.heads, fear.budget.requested.heads], [0.6, 12, 12]);
    assert.match(paper.stdout, /\n {2}fear {6}0\.6 +28 +12 /);
  });
});
