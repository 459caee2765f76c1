/**
 * The sweep's per-emotion choice and how `--use-sweep` hands it to the arms: hand-worked tables,
 * and the arm label and interventions that follow from a per-emotion strength.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { armInterventions, armLabel, type ArmResources, type ArmSpec } from '../src/pipeline/control/arms.js';
import type { RateInterval } from '../src/pipeline/evaluation/bootstrap.js';
import { applySweepChoice, choosePerEmotion, testSplitTuningWarnings, type SweepFile, type SweepSection } from '../src/pipeline/evaluation/sweep.js';

const rate = (r: number): RateInterval => ({ rate: r, low: r, high: r, n: 10, successes: 10 * r });

test('per emotion: the lowest-perplexity setting reaching the target, else the most accurate', () => {
  // Settings 0..3 with perplexity 2, 5, 9, 3.
  const rows = [
    { perplexity: 2, byEmotion: { anger: rate(0.95), sadness: rate(0.3), fear: rate(0.5), happiness: rate(0.2) } },
    { perplexity: 5, byEmotion: { anger: rate(1), sadness: rate(0.92), fear: rate(0.7), happiness: rate(0.6) } },
    { perplexity: 9, byEmotion: { anger: rate(1), sadness: rate(1), fear: rate(0.7), happiness: rate(0.6) } },
    { perplexity: 3, byEmotion: { anger: rate(0.9), sadness: rate(0.95), fear: rate(0.6), happiness: rate(0.9) } },
  ];
  const chosen = choosePerEmotion(rows, 0.9);
  assert.deepEqual(chosen.anger, { index: 0, accuracy: 0.95, reachesTarget: true }); // 0 (ppl 2) beats 3 (ppl 3)
  assert.deepEqual(chosen.sadness, { index: 3, accuracy: 0.95, reachesTarget: true }); // 3, 1, 2 reach it; 3 has ppl 3
  assert.deepEqual(chosen.fear, { index: 1, accuracy: 0.7, reachesTarget: false }); // none reaches: 0.7 twice, ppl 5 < 9
  assert.deepEqual(chosen.happiness, { index: 3, accuracy: 0.9, reachesTarget: true }); // exactly at the target counts
  assert.equal(chosen.surprise, undefined); // not measured
  // A null perplexity never wins a tie on perplexity.
  const nulls = choosePerEmotion([{ perplexity: null, byEmotion: { anger: rate(1) } }, { perplexity: 4, byEmotion: { anger: rate(1) } }], 0.9);
  assert.equal(nulls.anger!.index, 1);
});

test('--use-sweep: circuit and random arms take the λ per emotion, direction its α and band', () => {
  const band = { from: 0.39, to: 0.71 };
  const section = (chosen: SweepSection['chosen'], perEmotion: SweepSection['chosenPerEmotion']): SweepSection => ({
    method: 'circuit', judge: 'j', testScenarios: 1, reference: {} as SweepSection['reference'], settings: [], chosen, rule: '', chosenPerEmotion: perEmotion,
  });
  const sweep: SweepFile = {
    format: 'emotion-circuits/sweep@1',
    methods: {
      circuit: section({ arm: 'circuit(lambda=0.5)', setting: { lambda: 0.5 } }, { anger: { setting: { lambda: 0.25 }, accuracy: 1, reachesTarget: true }, fear: { setting: { lambda: 0.7 }, accuracy: 0.9, reachesTarget: true } }),
      direction: { ...section({ arm: 'd', setting: { alpha: 8, band } }, { sadness: { setting: { alpha: 12, band: { from: 0.2, to: 0.5 } }, accuracy: 1, reachesTarget: true } }), method: 'direction' },
    },
  };
  const arms: ArmSpec[] = [{ method: 'none' }, { method: 'circuit', lambda: null }, { method: 'random', lambda: null, seeds: [0] }, { method: 'direction', alpha: 2, band }];
  const [none, circuit, random, direction] = applySweepChoice(arms, sweep);
  assert.deepEqual(none, { method: 'none' });
  assert.deepEqual(circuit, { method: 'circuit', lambda: 0.5, perEmotion: { anger: 0.25, fear: 0.7 } });
  assert.deepEqual(random, { method: 'random', lambda: 0.5, seeds: [0], perEmotion: { anger: 0.25, fear: 0.7 } });
  assert.deepEqual(direction, { method: 'direction', alpha: 8, band, perEmotion: { sadness: { alpha: 12, band: { from: 0.2, to: 0.5 } } } });
  assert.equal(armLabel(circuit), 'circuit(lambda=0.5,tuned=anger:0.25+fear:0.7)');
  assert.equal(armLabel(random), 'random(lambda=0.5,tuned=anger:0.25+fear:0.7,seeds=0)');
  assert.equal(armLabel(direction), 'direction(alpha=8,band=0.39-0.71,tuned=sadness:12@0.2-0.5)');

  // The interventions see the emotion's own λ; emotions without one fall back to the arm's.
  const seen: Array<[string, number | null, number | undefined]> = [];
  const resources = { numLayers: 4, mlpDirections: {} as ArmResources['mlpDirections'], circuitInterventions: (e: string, l: number | null, s?: number) => (seen.push([e, l, s]), []) } as ArmResources;
  armInterventions(circuit, 'anger', resources);
  armInterventions(circuit, 'sadness', resources);
  armInterventions(random, 'fear', resources, 3);
  assert.deepEqual(seen, [['anger', 0.25, undefined], ['sadness', 0.5, undefined], ['fear', 0.7, 3]]);
});

test('testSplitTuningWarnings: a warning for each method tuned on the test split (or with no split recorded), none for train', () => {
  const section = (split: SweepSection['split']): SweepSection => ({
    method: 'circuit', judge: 'j', testScenarios: 1, reference: {} as SweepSection['reference'], settings: [], chosen: null, rule: '', ...(split ? { split } : {}),
  });
  const sweep: SweepFile = { format: 'emotion-circuits/sweep@1', methods: { circuit: section('train'), direction: { ...section('test'), method: 'direction' } } };
  assert.deepEqual(testSplitTuningWarnings(sweep), ['direction: the sweep chose its setting on the test split, so the test results of the direction arm are not held out (sweep --split train avoids this)']);
  assert.deepEqual(testSplitTuningWarnings({ ...sweep, methods: { circuit: section(undefined) } }).length, 1);
  assert.deepEqual(testSplitTuningWarnings({ ...sweep, methods: { circuit: section('train') } }), []);
});
