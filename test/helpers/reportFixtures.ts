/**
 * Hand-made artefacts of the later stages (sublayers, circuits, evaluation) in the formats those
 * stages write (emotion-circuits/sublayers@1, circuit@1, evaluation@1, generations.jsonl), with
 * distinctive numbers, for report tests on a run that stops after `components`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMOTIONS } from '../../src/emotions.js';

export const FIXTURE_ALPHAS = [0.1, 0.3];
export const FIXTURE_ARMS = ['unsteered', 'prompt', 'direction', 'circuit'];

/** I of (emotion e, sublayer s, α a, layer l): distinct for every cell. */
export function fixtureInfluence(e: number, s: number, a: number, l: number): number {
  return Math.round((0.01 * (e + 1) + 0.1 * s - 0.05 * a + 0.003 * l) * 1e6) / 1e6;
}

export function writeReportFixtures(runDir: string, layers: number): void {
  const emotions: Record<string, unknown> = {};
  EMOTIONS.forEach((emotion, e) => {
    const influence: Record<string, unknown> = {};
    const weights: Record<string, number[]> = {};
    ['attn', 'mlp'].forEach((site, s) => {
      const byAlpha = FIXTURE_ALPHAS.map((_, a) => Array.from({ length: layers }, (_l, l) => fixtureInfluence(e, s, a, l)));
      const mean = Array.from({ length: layers }, (_, l) => (byAlpha[0][l] + byAlpha[1][l]) / 2);
      influence[site] = { byAlpha, mean };
      const total = mean.reduce((x, y) => x + Math.max(y, 0), 0);
      weights[site] = mean.map((m) => Math.max(m, 0) / total);
    });
    emotions[emotion] = { reference: [0.5, 0.5], influence, weights, uniformWeights: { attn: false, mlp: false } };
  });
  fs.writeFileSync(path.join(runDir, 'sublayers.json'), JSON.stringify({
    format: 'emotion-circuits/sublayers@1', definitions: {}, alphas: FIXTURE_ALPHAS, prompts: 12, referenceLayers: [layers - 1],
    sigma: { attn: Array.from({ length: layers }, (_, l) => 1.5 + l), mlp: Array.from({ length: layers }, (_, l) => 2.5 + l) }, emotions,
  }));

  fs.mkdirSync(path.join(runDir, 'circuits'), { recursive: true });
  EMOTIONS.forEach((emotion, e) => {
    const circuitLayers = Array.from({ length: layers }, (_, l) => {
      const neurons = Array.from({ length: 2 + l + (e % 2) }, (_n, i) => ({ index: 10 * e + 3 * i + l, score: 1 / (i + 1) }));
      const heads = Array.from({ length: (e + l) % 3 }, (_h, i) => ({ index: (e + 2 * i) % 8, score: 0.5 / (i + 1) }));
      return { layer: l, neurons, heads, planned: { neurons: neurons.length, heads: heads.length + 1 }, used: { neurons: neurons.length, heads: heads.length }, shortfall: { neurons: 0, heads: 1 } };
    });
    const circuit = {
      format: 'emotion-circuits/circuit@1', emotion, lambda: 1 + e / 10,
      budget: { total: 20, requested: { neurons: 14, heads: 6 }, neurons: 14, heads: 6, minimum: { neurons: 4, heads: 2 }, cap: { neurons: 6, heads: 3 }, unplaced: { neurons: 0, heads: e % 2 } },
      weights: { attn: Array.from({ length: layers }, () => 1 / layers), mlp: Array.from({ length: layers }, () => 1 / layers) },
      randomCircuitsLog10: 12.5 + e, settings: {}, layers: circuitLayers,
    };
    fs.writeFileSync(path.join(runDir, 'circuits', `${emotion}.json`), JSON.stringify(circuit));
  });
  // A random control circuit sits beside them and is not drawn.
  fs.writeFileSync(path.join(runDir, 'circuits', 'random-anger-1.json'), JSON.stringify({ format: 'emotion-circuits/circuit@1', emotion: 'anger', lambda: 1, random: { seed: 1 }, layers: [] }));

  const rate = (a: number, e: number): { n: number; successes: number; rate: number; low: number; high: number } => {
    const successes = (a * 3 + e) % 7;
    return { n: 12, successes, rate: successes / 12, low: Math.max(0, successes / 12 - 0.1), high: Math.min(1, successes / 12 + 0.15) };
  };
  fs.writeFileSync(path.join(runDir, 'evaluation.json'), JSON.stringify({
    format: 'emotion-circuits/evaluation@1', judge: 'builtin', decoding: {}, bootstrap: {}, testScenarios: 2, definitions: {},
    arms: FIXTURE_ARMS.map((arm, a) => ({
      arm, method: arm === 'unsteered' ? 'none' : arm, settings: {},
      accuracy: { overall: rate(a, 6), byEmotion: Object.fromEntries(EMOTIONS.map((emotion, e) => [emotion, rate(a, e)])), byValence: {}, byEmotionValence: {} },
      judgeFailures: a, fluency: { texts: 12, perplexity: 10 + a, distinct1: 0.5, distinct2: 0.75, repeatedWord3gramShare: 0.01 * a, hitTokenLimitShare: 0.25, meanNewTokens: 20 + a },
    })),
  }));
  const lines: string[] = [];
  EMOTIONS.forEach((emotion) => {
    for (const skeletonId of ['s1', 's2', 's3']) {
      FIXTURE_ARMS.forEach((arm, a) => {
        lines.push(JSON.stringify({
          key: `${arm}|${emotion}|${skeletonId}`, arm, method: arm, emotion, valence: 'neutral', skeletonId, theme: 't', prompt: `Tell a story about ${skeletonId} <b>`,
          text: `${arm} text for ${emotion} ${skeletonId} & more`, verdict: { target: emotion, match: a % 2 === 0, label: a % 2 === 0 ? emotion : 'neutral', scores: null },
        }));
      });
    }
  });
  fs.writeFileSync(path.join(runDir, 'generations.jsonl'), lines.join('\n') + '\n');
}

/** sweep.json in emotion-circuits/sweep@1 with one circuit sweep over λ (the second setting chosen). */
export function writeSweepFixture(runDir: string): void {
  const rate = (r: number) => ({ n: 24, successes: Math.round(r * 24), rate: r, low: r - 0.1, high: r + 0.1 });
  const fluency = (p: number) => ({ texts: 24, perplexity: p, distinct1: 0.5, distinct2: 0.7, repeatedWord3gramShare: 0, hitTokenLimitShare: 1, meanNewTokens: 20 });
  const settings = [0.5, 1, 2].map((lambda, i) => ({
    arm: `circuit(lambda=${lambda})`, setting: { lambda }, accuracy: rate(0.2 + 0.1 * i), byEmotion: {}, judgeFailures: 0, fluency: fluency(5 + 3 * i), onFront: i !== 2,
  }));
  fs.writeFileSync(path.join(runDir, 'sweep.json'), JSON.stringify({
    format: 'emotion-circuits/sweep@1',
    methods: { circuit: { method: 'circuit', judge: 'builtin@1', testScenarios: 4, reference: { arm: 'none', accuracy: rate(0.125), fluency: fluency(4.5) }, settings, chosen: { arm: settings[1].arm, setting: { lambda: 1 } }, rule: 'the rule',
      split: 'train', chosenPerEmotion: { anger: { setting: { lambda: 0.5 }, accuracy: 0.95, reachesTarget: true }, fear: { setting: { lambda: 2 }, accuracy: 0.5, reachesTarget: false } }, perEmotionRule: 'per emotion: the lowest-perplexity setting whose accuracy on that emotion is ≥ 0.9, else the most accurate on it' } },
  }));
}
