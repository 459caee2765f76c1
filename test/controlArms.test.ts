/**
 * Control arms: each builds the intended interventions (direction steering adds exactly
 * α·v·RMS(h), checked against activations computed here), the steering band, and KV-cached
 * generation under each arm equals a greedy full recompute with the same edits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EMOTIONS } from '../src/emotions.js';
import { compileInterventions } from '../src/interventions/compile.js';
import type { Intervention } from '../src/interventions/intervention.js';
import { LanguageModel } from '../src/model/languageModel.js';
import type { Circuit } from '../src/pipeline/circuits/index.js';
import type { DiffVectors } from '../src/pipeline/components/diffVectors.js';
import { circuitArm } from '../src/pipeline/control/armResources.js';
import { armInterventions, armPromptKind, defaultArm, type ArmResources, type ArmSpec } from '../src/pipeline/control/arms.js';
import { steeringLayers } from '../src/pipeline/control/directionSteering.js';
import type { SiteDirections } from '../src/pipeline/directions/directionSet.js';
import { seededRandom } from '../src/random.js';
import { compare } from './helpers/compare.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

test('the steering band covers about 39–71 % of depth and at least one layer', () => {
  assert.deepEqual(steeringLayers(28), [11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.deepEqual(steeringLayers(24), [9, 10, 11, 12, 13, 14, 15, 16]);
  assert.deepEqual(steeringLayers(2), [1]);
  assert.deepEqual(steeringLayers(1), [0]);
  assert.deepEqual(steeringLayers(10, { from: 0, to: 1 }), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.throws(() => steeringLayers(10, { from: 0.6, to: 0.5 }), /0 ≤ from < to ≤ 1/);
});

/** Random unit directions [E, L, d]. */
function randomDirections(layers: number, width: number, seed: number): SiteDirections {
  const random = seededRandom(seed);
  const directions = new Float32Array(EMOTIONS.length * layers * width);
  for (let r = 0; r < EMOTIONS.length * layers; r++) {
    let norm = 0;
    for (let i = 0; i < width; i++) {
      directions[r * width + i] = random() * 2 - 1;
      norm += directions[r * width + i] ** 2;
    }
    for (let i = 0; i < width; i++) directions[r * width + i] /= Math.sqrt(norm);
  }
  return { directions, norms: new Float64Array(layers * EMOTIONS.length), layers, width };
}

function randomArray(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n }, () => random() * 2 - 1);
}

/** A hand-made circuit: layer 0 has neurons 5, 9 and head 2; layer 1 neurons 1, 7, 30 and heads 0, 6. */
function handCircuit(emotion: (typeof EMOTIONS)[number], lambda: number): Circuit {
  const units = (indices: number[]) => indices.map((index) => ({ index, score: 1 }));
  const counts = { neurons: 0, heads: 0 };
  const layer = (l: number, neurons: number[], heads: number[]) => ({ layer: l, neurons: units(neurons), heads: units(heads), planned: counts, used: counts, shortfall: counts });
  return { emotion, lambda, layers: [layer(0, [5, 9], [2]), layer(1, [1, 7, 30], [0, 6])] } as unknown as Circuit;
}

describe('control arms on TinyStories-656K', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  let model: LanguageModel;
  let resources: ArmResources;
  let diffVectors: DiffVectors;
  before(async () => {
    model = await LanguageModel.load(sharedPath('models', 'tinystories-656k'));
    const { numLayers: L, intermediateSize, numHeads, headDim } = model.config;
    diffVectors = {
      mlp: { data: randomArray(EMOTIONS.length * L * intermediateSize, 4), layers: L, width: intermediateSize },
      attn: { data: randomArray(EMOTIONS.length * L * numHeads * headDim, 5), layers: L, width: numHeads * headDim },
    };
    const circuits = Object.fromEntries(EMOTIONS.map((e) => [e, handCircuit(e, e === 'anger' ? 0.8 : 1)])) as Record<(typeof EMOTIONS)[number], Circuit>;
    resources = {
      numLayers: L,
      mlpDirections: randomDirections(L, model.config.hiddenSize, 3),
      circuitInterventions: circuitArm(circuits, diffVectors, { intermediateSize, numHeads }),
    };
  });
  after(async () => model.dispose());

  test('unsteered and prompting add nothing; only prompting reads the instructed prompt', () => {
    for (const method of ['none', 'prompt'] as const) assert.deepEqual(armInterventions(defaultArm(method), 'fear', resources), []);
    assert.equal(armPromptKind(defaultArm('prompt')), 'instructed');
    for (const method of ['none', 'direction', 'circuit', 'random'] as const) assert.equal(armPromptKind(defaultArm(method)), 'uninstructed');
    const withoutCircuits = { numLayers: resources.numLayers, mlpDirections: resources.mlpDirections };
    assert.throws(() => armInterventions(defaultArm('circuit'), 'fear', withoutCircuits), /needs the circuits stage/);
  });

  test("circuit modulation adds λ·Δμ_e on the circuit's neurons from the last prompt position and λ·Δz_e on its heads everywhere", () => {
    const { intermediateSize: dff, numHeads: H, headDim: dh } = model.config;
    const e = EMOTIONS.indexOf('anger');
    const delta = (site: 'mlp' | 'attn', l: number): number[] => Array.from(diffVectors[site].data.subarray((e * 2 + l) * diffVectors[site].width, (e * 2 + l + 1) * diffVectors[site].width));
    const expected = (lambda: number): Intervention[] => [
      { hook: 'blocks.0.mlp.hook_post', op: 'add', neurons: [5, 9], vector: delta('mlp', 0), coeff: lambda, positions: 'last' },
      { hook: 'blocks.0.attn.hook_z', op: 'add', heads: [2], vector: delta('attn', 0), coeff: lambda, positions: 'all' },
      { hook: 'blocks.1.mlp.hook_post', op: 'add', neurons: [1, 7, 30], vector: delta('mlp', 1), coeff: lambda, positions: 'last' },
      { hook: 'blocks.1.attn.hook_z', op: 'add', heads: [0, 6], vector: delta('attn', 1), coeff: lambda, positions: 'all' },
    ];
    const strip = (list: Intervention[]) => list.map((iv) => ({ ...iv, vector: iv.vector!.map((x) => Math.fround(x)) }));
    assert.deepEqual(strip(armInterventions(defaultArm('circuit'), 'anger', resources)), strip(expected(0.8))); // the circuit's own λ
    assert.deepEqual(strip(armInterventions(defaultArm('circuit', 2), 'anger', resources)), strip(expected(2)));
    assert.equal(dff, diffVectors.mlp.width);
    assert.equal(H * dh, diffVectors.attn.width);
    // Random circuits: same per-layer counts and Δ, other units, one draw per seed.
    const draws = [0, 1].map((seed) => armInterventions(defaultArm('random'), 'anger', resources, seed));
    for (const draw of draws) {
      assert.deepEqual(draw.map((iv) => [iv.hook, (iv.neurons ?? iv.heads)!.length, iv.coeff, iv.positions]), expected(0.8).map((iv) => [iv.hook, (iv.neurons ?? iv.heads)!.length, iv.coeff, iv.positions]));
      assert.deepEqual(strip(draw).map((iv) => iv.vector), strip(expected(0.8)).map((iv) => iv.vector));
    }
    assert.notDeepEqual(draws[0].map((iv) => iv.neurons ?? iv.heads), draws[1].map((iv) => iv.neurons ?? iv.heads));
    assert.throws(() => armInterventions(defaultArm('random'), 'anger', resources), /needs a seed/);
  });

  test('direction steering adds exactly α·v_e·RMS(h) to resid_post of the band, from the last prompt position on', () => {
    const ids = model.encode('Once upon a time, there was a little girl named Lily. She ');
    const alpha = 8;
    const emotion = 'sadness';
    const e = EMOTIONS.indexOf(emotion);
    const d = model.config.hiddenSize;
    const interventions = armInterventions({ method: 'direction', alpha, band: { from: 0.39, to: 0.71 } }, emotion, resources);
    assert.deepEqual(interventions.map((iv) => iv.hook), ['blocks.1.hook_resid_post']);
    // Reference: the unsteered state entering the edit is resid_mid + mlp_out of layer 1 (layer 0 is untouched).
    const plain = model.run(ids, { cache: ['blocks.1.hook_resid_post'] }).activations.get('blocks.1.hook_resid_post')!.data;
    const steered = model.run(ids, { cache: ['blocks.1.hook_resid_post'], hooks: compileInterventions(interventions, model.config) }).activations.get('blocks.1.hook_resid_post')!.data;
    const v = resources.mlpDirections.directions.subarray((e * 2 + 1) * d, (e * 2 + 2) * d);
    const T = ids.length;
    for (let t = 0; t < T; t++) {
      let squares = 0;
      for (let i = 0; i < d; i++) squares += plain[t * d + i] ** 2;
      const rms = Math.sqrt(squares / d);
      for (let i = 0; i < d; i++) {
        const expected = plain[t * d + i] + (t === T - 1 ? alpha * rms * v[i] : 0);
        assert.ok(Math.abs(steered[t * d + i] - expected) <= 1e-5 * (1 + Math.abs(expected)), `t=${t} i=${i}: ${steered[t * d + i]} vs ${expected}`);
      }
    }
  });

  /** Greedy decoding by full recompute: every step reruns the whole sequence with explicit positions. */
  function recomputeGreedy(prompt: readonly number[], interventions: readonly Intervention[], steps: number): { ids: number[]; logits: Float32Array[] } {
    const sequence = [...prompt];
    const allLogits: Float32Array[] = [];
    for (let step = 0; step < steps; step++) {
      const fromLast = Array.from({ length: sequence.length - prompt.length + 1 }, (_, i) => prompt.length - 1 + i);
      const explicit = interventions.map((iv) => ({ ...iv, positions: iv.positions === 'all' ? 'all' as const : fromLast }));
      const logits = model.run(sequence, { hooks: compileInterventions(explicit, model.config), logits: 'last' }).logits!.data;
      allLogits.push(Float32Array.from(logits));
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
      sequence.push(best);
    }
    return { ids: sequence.slice(prompt.length), logits: allLogits };
  }

  const arms: Array<[ArmSpec, number | null]> = [
    [defaultArm('none'), null],
    [defaultArm('direction'), null],
    [{ method: 'direction', alpha: 4, band: { from: 0, to: 1 } }, null],
    [defaultArm('circuit', 3), null],
    [defaultArm('random', 3), 1],
  ];
  for (const [arm, seed] of arms) {
    test(`KV-cached generation under ${JSON.stringify(arm)} equals a full recompute`, () => {
      const prompt = model.encode('Tom was sad because ');
      const interventions = armInterventions(arm, 'anger', resources, seed);
      const steps = 10;
      const cachedLogits: Float32Array[] = [];
      const hooks = [...compileInterventions(interventions, model.config), { name: 'logits', fn: (a: { data: Float32Array }) => void cachedLogits.push(Float32Array.from(a.data)) }];
      const [cached] = model.generate([prompt], { hooks, maxNewTokens: steps, stopTokenIds: [] });
      const reference = recomputeGreedy(prompt, interventions, steps);
      assert.deepEqual(cached.ids, reference.ids);
      reference.logits.forEach((logits, step) => assert.ok(compare(cachedLogits[step], logits).relL2 < 1e-5, `step ${step}`));
      if (arm.method !== 'none') assert.notDeepEqual(cached.ids, model.generate([prompt], { maxNewTokens: steps, stopTokenIds: [] })[0].ids, 'steering changes the text');
    });
  }
});
