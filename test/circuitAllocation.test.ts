/**
 * Circuit allocation and v_ref on hand-worked examples (DESIGN.md §3 steps 6 and 8): budget, split,
 * minimum downgrades, the per-layer cap, back-fill of layers too small for their plan, ties.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocateCircuit, allocateKind } from '../src/pipeline/circuits/allocation.js';
import { DEFAULT_CIRCUIT_SETTINGS, log10Binomial, resolveCircuitSettings, selectCircuit } from '../src/pipeline/circuits/circuit.js';
import type { DirectionSet, SiteDirections } from '../src/pipeline/directions/directionSet.js';
import { referenceDirection, referenceLayers } from '../src/pipeline/directions/referenceDirection.js';
import { UsageError } from '../src/errors.js';

/** The paper's allocation: no cap on a kind's share of the model's units. */
const PAPER = { ...DEFAULT_CIRCUIT_SETTINGS, maxKindShare: 1 };

describe('circuit allocation', () => {
  test('budget and split: 2 layers → K = 40, 28 neurons and 12 heads; cap cuts layer 0 and the excess moves to layer 1', () => {
    // Neurons: minimum 4 each → R = 20; 0.75/0.25 → 15, 5; cap ⌊0.4·28⌋ = 11 → 11, then 5 + 4 = 9.
    // Heads: minimum 2 each → R = 8; 0.5/0.5 → 4, 4 (cap ⌊4.8⌋ = 4).
    const a = allocateCircuit({ attn: [0.5, 0.5], mlp: [0.75, 0.25] }, { neurons: [384, 384], heads: [8, 8] }, PAPER);
    assert.equal(a.total, 40);
    assert.equal(a.neurons.budget, 28);
    assert.equal(a.heads.budget, 12);
    assert.equal(a.neurons.cap, 11);
    assert.deepEqual(a.neurons.planned, [15, 13]);
    assert.deepEqual(a.neurons.used, [15, 13]);
    assert.deepEqual(a.heads.planned, [6, 6]);
    assert.deepEqual(a.heads.shortfall, [0, 0]);
  });

  test('largest remainder with ties broken by layer index (3 layers)', () => {
    // K = 60 → 42 neurons, 18 heads. Neurons: R = 42 − 12 = 30; 15, 7.5, 7.5 → 15, 7, 7 and the tie
    // of remainders .5/.5 goes to layer 1. Heads: R = 18 − 6 = 12; 2.4, 3.6, 6 → 2, 3, 6 and .6 wins.
    const a = allocateCircuit({ attn: [0.2, 0.3, 0.5], mlp: [0.5, 0.25, 0.25] }, { neurons: [100, 100, 100], heads: [8, 8, 8] }, PAPER);
    assert.deepEqual(a.neurons.planned, [19, 12, 11]);
    assert.deepEqual(a.heads.planned, [4, 6, 8]);
    assert.equal(a.neurons.used.reduce((x, y) => x + y), 42);
  });

  test('minimum lowered to 1, then to 0, when the budget cannot cover it', () => {
    // 5 units, 3 layers, minimum 2 → 6 > 5 → minimum 1; R = 2, cap ⌊2⌋ = 2 → all to layer 2.
    const one = allocateKind(5, [0, 0, 1], [10, 10, 10], 2, 0.4);
    assert.equal(one.minimum, 1);
    assert.deepEqual(one.planned, [1, 1, 3]);
    // 2 units, 3 layers → minimum 0; cap max(⌊0.8⌋, ⌈2/3⌉) = 1 → 1, 1, 0.
    const zero = allocateKind(2, [1, 1, 0], [10, 10, 10], 4, 0.4);
    assert.equal(zero.minimum, 0);
    assert.equal(zero.cap, 1);
    assert.deepEqual(zero.planned, [1, 1, 0]);
  });

  test('cap with water-filling: what the cap cuts goes to the layers under it, zero weights share uniformly', () => {
    // 20 units, minimum 0, cap 8: 18, 2, 0 → 8; 10 more to layer 1 → 12 → 8; 4 left → layer 2.
    const a = allocateKind(20, [0.9, 0.1, 0], [50, 50, 50], 0, 0.4);
    assert.deepEqual(a.planned, [8, 8, 4]);
  });

  test('a layer never gets more units than it has; the shortfall moves to the largest plan with room', () => {
    // 12 heads, minimum 2 → R = 6, cap 4: 4.8, 1.2, 0 → 5, 1, 0 → cap 4, the 1 cut goes to layer 1 → plan 6, 4, 2.
    // Layer 0 holds 2: 4 short, back-filled into layer 1 (the next-largest plan with room).
    const a = allocateKind(12, [0.8, 0.2, 0], [2, 8, 3], 2, 0.4);
    assert.deepEqual(a.planned, [6, 4, 2]);
    assert.deepEqual(a.shortfall, [4, 0, 0]);
    assert.deepEqual(a.used, [2, 8, 2]);
    // Equal plans: the lower layer index fills first.
    const tie = allocateKind(6, [1, 0, 0], [1, 3, 3], 0, 1);
    assert.deepEqual(tie.planned, [6, 0, 0]);
    assert.deepEqual(tie.used, [1, 3, 2]);
    // More units than the model has: the rest is reported as unplaced.
    const over = allocateKind(5, [1, 1], [1, 1], 0, 1);
    assert.deepEqual(over.used, [1, 1]);
    assert.equal(over.unplaced, 3);
  });

  test('maxKindShare caps a kind at a share of the model\'s units, so a random circuit can differ', () => {
    // The organism's shape: 4 layers × 4 heads, 384 neurons. K = 80 → 56 neurons, 24 heads requested;
    // heads capped at ⌊0.5·16⌋ = 8: minimum 2 × 4 layers = 8, nothing left → 2 heads per layer.
    const sizes = { neurons: [384, 384, 384, 384], heads: [4, 4, 4, 4] };
    const weights = { attn: [0.7, 0.1, 0.1, 0.1], mlp: [0.25, 0.25, 0.25, 0.25] };
    const a = allocateCircuit(weights, sizes, DEFAULT_CIRCUIT_SETTINGS);
    assert.equal(a.heads.requested, 24);
    assert.equal(a.heads.budget, 8);
    assert.deepEqual(a.heads.used, [2, 2, 2, 2]);
    assert.equal(a.neurons.requested, 56);
    assert.equal(a.neurons.budget, 56); // ⌊0.5·1536⌋ = 768 does not bind
    // max-kind-share 1 is the paper's allocation: all 16 heads.
    const paper = allocateCircuit(weights, sizes, { ...DEFAULT_CIRCUIT_SETTINGS, maxKindShare: 1 });
    assert.equal(paper.heads.budget, 16);
    assert.deepEqual(paper.heads.used, [4, 4, 4, 4]);
    assert.equal(paper.heads.unplaced, 0); // the 8 heads the model does not have were never budgeted
    // A share between: ⌊0.75·16⌋ = 12 → minimum 2 each, R = 4, cap ⌊0.4·12⌋ = 4; 4 over 0.7/0.1/0.1/0.1:
    // exact 2.8, 0.4, 0.4, 0.4 → floors 2, 0, 0, 0; remainders .8, .4, .4, .4 → layer 0, then layer 1 (tie by index).
    const three = allocateCircuit(weights, sizes, { ...DEFAULT_CIRCUIT_SETTINGS, maxKindShare: 0.75 });
    assert.deepEqual(three.heads.planned, [5, 3, 2, 2]);
    assert.deepEqual(three.heads.used, [4, 4, 2, 2]); // layer 0 holds 4: 1 short, back-filled into layer 1
    assert.throws(() => resolveCircuitSettings({ maxKindShare: 0 }), /maxKindShare/);
  });

  test('log10 of the distinct random circuits', () => {
    assert.equal(log10Binomial(4, 4), 0);
    assert.ok(Math.abs(log10Binomial(4, 2) - Math.log10(6)) < 1e-12);
    assert.ok(Math.abs(log10Binomial(10, 3) - Math.log10(120)) < 1e-12);
    assert.ok(Math.abs(log10Binomial(384, 14) - Math.log10(384 * 383 * 382 * 381 * 380 * 379 * 378 * 377 * 376 * 375 * 374 * 373 * 372 * 371 / 87178291200)) < 1e-9);
  });

  test('units: the top units of each layer by signed score; settings are checked', () => {
    const allocation = allocateCircuit({ attn: [1, 0], mlp: [0.5, 0.5] }, { neurons: [20, 20], heads: [2, 2] }, { ...DEFAULT_CIRCUIT_SETTINGS, budgetPerSublayer: 2 });
    // K = 8 → 6 neurons (3 per layer after minimum 1... 2·4 > 6 → minimum 1, R = 4, 2 each) and 2 heads (minimum 1 each).
    assert.deepEqual(allocation.neurons.used, [3, 3]);
    assert.deepEqual(allocation.heads.used, [1, 1]);
    const neuronScores = Float32Array.from({ length: 40 }, (_, i) => (i % 20 === 7 ? -5 : i % 20 === 3 ? 9 : (i % 20) / 100));
    const headScores = Float32Array.from([-1, -0.5, 0.2, 0.1]);
    const circuit = selectCircuit('fear', allocation, { neurons: { layers: 2, units: 20, values: neuronScores }, heads: { layers: 2, units: 2, values: headScores } }, { attn: [1, 0], mlp: [0.5, 0.5] }, resolveCircuitSettings({ lambda: { default: 1, overrides: { fear: 0.6 } } }));
    assert.equal(circuit.lambda, 0.6);
    assert.deepEqual(circuit.layers[0].neurons.map((u) => u.index), [3, 19, 18]);
    assert.deepEqual(circuit.layers[0].heads.map((u) => u.index), [1]); // −0.5 > −1: signed, not absolute
    assert.deepEqual(circuit.layers[1].heads.map((u) => u.index), [0]);
    assert.throws(() => resolveCircuitSettings({ neuronShare: 1.5 }), UsageError);
    assert.throws(() => resolveCircuitSettings({ lambda: { default: 1, overrides: { joy: 1 } as never } }), /lambda.overrides/);
  });
});

describe('v_ref', () => {
  test('reference layers: 75–90 % depth, at least one, never the last on tiny models', () => {
    assert.deepEqual(referenceLayers(1), [0]);
    assert.deepEqual(referenceLayers(2), [0]);
    assert.deepEqual(referenceLayers(3), [1]);
    assert.deepEqual(referenceLayers(4), [2]);
    assert.deepEqual(referenceLayers(10), [7, 8]);
    assert.deepEqual(referenceLayers(24), [17, 18, 19, 20]);
  });

  function siteOf(layers: number, width: number, rows: Record<string, number[]>): SiteDirections {
    const directions = new Float32Array(6 * layers * width).fill(0.5);
    for (const [key, v] of Object.entries(rows)) {
      const [e, l] = key.split(',').map(Number);
      directions.set(v, (e * layers + l) * width);
    }
    return { directions, norms: new Float64Array(layers * 6), layers, width };
  }

  test('both sites summed, each sign-aligned to the first (attention site of the first layer)', () => {
    // 2 layers → layer 0 only. Emotion 1: attn (1, 0, 0); mlp (−0.6, 0.8, 0) points away → flipped.
    // Sum (1.6, −0.8, 0) / √3.2. Layer 1 (0.5s) and other emotions must not enter.
    const set: DirectionSet = {
      attn: siteOf(2, 3, { '1,0': [1, 0, 0], '1,1': [0, 0, 1] }),
      mlp: siteOf(2, 3, { '1,0': [-0.6, 0.8, 0], '1,1': [0, 0, 1] }),
    };
    const v = referenceDirection(set, 1);
    const n = Math.sqrt(3.2);
    assert.ok(Math.abs(v[0] - 1.6 / n) < 1e-6 && Math.abs(v[1] + 0.8 / n) < 1e-6 && Math.abs(v[2]) < 1e-6, `${Array.from(v)}`);
    // 4 layers → layer 2 only; four vectors with layer 2's mlp flipped.
    const deep: DirectionSet = {
      attn: siteOf(4, 2, { '0,2': [0, 1] }),
      mlp: siteOf(4, 2, { '0,2': [1, -1] }),
    };
    const w = referenceDirection(deep, 0); // (0, 1) + (−1, 1) = (−1, 2) / √5
    assert.ok(Math.abs(w[0] + 1 / Math.sqrt(5)) < 1e-6 && Math.abs(w[1] - 2 / Math.sqrt(5)) < 1e-6, `${Array.from(w)}`);
  });
});
