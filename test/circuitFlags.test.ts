/** `--circuit KEY=VALUE,…`: every key reaches its setting, defaults fill the rest, bad input is a usage error. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCircuitFlag } from '../src/cli/circuitFlags.js';
import { UsageError } from '../src/errors.js';

test('--circuit: keys, defaults and errors', () => {
  assert.equal(parseCircuitFlag('discover', undefined), undefined);
  const s = parseCircuitFlag('discover', 'budget=12, neuron-share=0.6,min-neurons=3,min-heads=1,layer-cap=0.5,max-kind-share=1,lambda=0.5,lambda.anger=0.8');
  assert.deepEqual(s, {
    budgetPerSublayer: 12, neuronShare: 0.6, minimum: { neurons: 3, heads: 1 }, layerCap: 0.5, maxKindShare: 1,
    lambda: { default: 0.5, overrides: { anger: 0.8 } },
  });
  // Only what is given changes.
  const partial = parseCircuitFlag('circuits', 'lambda.fear=0.3');
  assert.deepEqual(partial, { budgetPerSublayer: 10, neuronShare: 0.7, minimum: { neurons: 4, heads: 2 }, layerCap: 0.4, maxKindShare: 0.5, lambda: { default: 1, overrides: { fear: 0.3 } } });
  assert.throws(() => parseCircuitFlag('discover', 'budget=ten'), (e: unknown) => e instanceof UsageError && /KEY=NUMBER/.test(e.message));
  assert.throws(() => parseCircuitFlag('discover', 'lambda.joy=1'), (e: unknown) => e instanceof UsageError && /unknown key "lambda.joy"/.test(e.message));
  assert.throws(() => parseCircuitFlag('discover', 'max-kind-share=2'), (e: unknown) => e instanceof UsageError && /maxKindShare/.test(e.message));
  assert.throws(() => parseCircuitFlag('discover', 'budget=2.5'), (e: unknown) => e instanceof UsageError && /budgetPerSublayer/.test(e.message));
});
