/**
 * `--circuit KEY=VALUE,…`: the circuit allocation rules and λ of `discover` and `start`
 * (DESIGN.md §3 step 8), e.g. `--circuit budget=10,neuron-share=0.7,max-kind-share=1,lambda.anger=0.8`.
 */
import { UsageError } from '../errors.js';
import { EMOTIONS, isEmotion, type Emotion } from '../emotions.js';
import { DEFAULT_CIRCUIT_SETTINGS, resolveCircuitSettings, type CircuitSettings } from '../pipeline/circuits/circuit.js';

const d = DEFAULT_CIRCUIT_SETTINGS;

export const CIRCUIT_FLAG_USAGE = `  --circuit KEY=VALUE,…   circuit rules (defaults: budget=${d.budgetPerSublayer} units per sublayer,
                    neuron-share=${d.neuronShare}, min-neurons=${d.minimum.neurons}, min-heads=${d.minimum.heads}, layer-cap=${d.layerCap},
                    max-kind-share=${d.maxKindShare} (1 = the paper's allocation), lambda=${d.lambda.default}, lambda.EMOTION=λ)`;

/** The settings `--circuit` gives, checked (undefined when the flag is absent). */
export function parseCircuitFlag(command: string, value: string | undefined): CircuitSettings | undefined {
  if (value === undefined) return undefined;
  const minimum = { ...d.minimum };
  const overrides: Partial<Record<Emotion, number>> = {};
  const partial: { -readonly [K in keyof CircuitSettings]?: CircuitSettings[K] } = {};
  let lambdaDefault = d.lambda.default;
  for (const pair of value.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const match = /^([a-z.-]+)=(.+)$/.exec(pair);
    const number = match ? Number(match[2]) : NaN;
    if (!match || !Number.isFinite(number)) throw new UsageError(`${command}: --circuit expects KEY=NUMBER pairs separated by commas, got ${JSON.stringify(pair)}`);
    const key = match[1];
    if (key === 'budget') partial.budgetPerSublayer = number;
    else if (key === 'neuron-share') partial.neuronShare = number;
    else if (key === 'min-neurons') minimum.neurons = number;
    else if (key === 'min-heads') minimum.heads = number;
    else if (key === 'layer-cap') partial.layerCap = number;
    else if (key === 'max-kind-share') partial.maxKindShare = number;
    else if (key === 'lambda') lambdaDefault = number;
    else if (key.startsWith('lambda.') && isEmotion(key.slice(7))) overrides[key.slice(7) as Emotion] = number;
    else {
      throw new UsageError(`${command}: --circuit has an unknown key ${JSON.stringify(key)}; expected budget, neuron-share, min-neurons, min-heads, layer-cap, max-kind-share, lambda or lambda.EMOTION (${EMOTIONS.join(', ')})`);
    }
  }
  try {
    return resolveCircuitSettings({ ...partial, minimum, lambda: { default: lambdaDefault, overrides } });
  } catch (error) {
    throw new UsageError(`${command}: --circuit: ${(error as Error).message}`);
  }
}
