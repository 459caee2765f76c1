/**
 * Circuit modulation as intervention data (DESIGN.md §3 step 9), its random-unit control, and the
 * equivalent per-layer vector pair.
 *
 * Modulation: λ·Δμ_e added on the circuit's neurons of `mlp.hook_post` at positions 'last' (the
 * last prompt position in prefill, then every generated token), and λ·Δz_e on the circuit's heads
 * of `attn.hook_z` at every position, prompt included.
 *
 * Both edits are linear in what they add, so per layer they equal one vector added to
 * `hook_attn_out` (W_O·λΔz over the circuit's heads, all positions) and one added to `hook_mlp_out`
 * (W_down·λΔμ over the circuit's neurons, 'last').
 */
import type { Intervention } from '../../interventions/intervention.js';
import type { ModelConfig } from '../../model/config.js';
import { layerHook } from '../../model/hookNames.js';
import { SafetensorsReader } from '../../model/safetensors.js';
import { seededRandom, shuffleInPlace } from '../../random.js';
import { diffVector, type DiffVectors } from '../components/diffVectors.js';
import type { Circuit, CircuitUnit } from './circuit.js';

/** The interventions that modulate generation with `circuit` at strength λ (default: the circuit's). */
export function circuitInterventions(circuit: Circuit, diffVectors: DiffVectors, lambda: number = circuit.lambda): Intervention[] {
  return circuit.layers.flatMap((layer): Intervention[] => {
    const l = layer.layer;
    const neurons: Intervention = {
      hook: layerHook(l, 'mlp.hook_post'), op: 'add', neurons: layer.neurons.map((u) => u.index),
      vector: Array.from(diffVector(diffVectors.mlp, circuit.emotion, l)), coeff: lambda, positions: 'last',
    };
    const heads: Intervention = {
      hook: layerHook(l, 'attn.hook_z'), op: 'add', heads: layer.heads.map((u) => u.index),
      vector: Array.from(diffVector(diffVectors.attn, circuit.emotion, l)), coeff: lambda, positions: 'all',
    };
    return [...(layer.neurons.length > 0 ? [neurons] : []), ...(layer.heads.length > 0 ? [heads] : [])];
  });
}

/**
 * A random control circuit: the same number of neurons and heads per layer as `circuit`, drawn
 * uniformly from all of the layer's units (seeded; nothing is excluded), with no scores. Modulating
 * with it uses the emotion's Δ at the drawn units.
 */
export function randomCircuit(circuit: Circuit, config: Pick<ModelConfig, 'intermediateSize' | 'numHeads'>, seed: number): Circuit {
  const random = seededRandom(seed);
  const draw = (size: number, count: number): CircuitUnit[] => {
    const picked = shuffleInPlace(Array.from({ length: size }, (_, u) => u), random).slice(0, Math.min(count, size));
    return picked.sort((a, b) => a - b).map((index) => ({ index, score: null }));
  };
  return {
    ...circuit,
    random: { seed },
    layers: circuit.layers.map((layer) => ({ ...layer, neurons: draw(config.intermediateSize, layer.neurons.length), heads: draw(config.numHeads, layer.heads.length) })),
  };
}

/** Per-layer vectors equivalent to a circuit: attnOut and mlpOut [L, d], row l for layer l. */
export interface EquivalentVectors {
  readonly layers: number;
  readonly width: number;
  /** W_O·λΔz_e restricted to the circuit's heads: added to hook_attn_out at every position. */
  readonly attnOut: Float32Array;
  /** W_down·λΔμ_e restricted to the circuit's neurons: added to hook_mlp_out at 'last'. */
  readonly mlpOut: Float32Array;
}

/** The output projections the equivalent vectors need, per layer, f32 in HF layout. */
export interface OutputProjections {
  readonly hiddenSize: number;
  readonly heads: number;
  oWeight(layer: number): Float32Array; //    [d, H·dh]
  downWeight(layer: number): Float32Array; // [d, dff]
}

/** y = W·x over the columns in `columns` only: W [d, width] row-major. */
function projectColumns(weight: Float32Array, d: number, width: number, x: ArrayLike<number>, columns: readonly number[], scale: number, out: Float32Array): void {
  for (let i = 0; i < d; i++) {
    let sum = 0;
    for (const j of columns) sum += weight[i * width + j] * x[j];
    out[i] = scale * sum;
  }
}

/** The equivalent (attention-out, MLP-out) vector pair of `circuit` at strength λ. */
export function equivalentVectors(circuit: Circuit, diffVectors: DiffVectors, weights: OutputProjections, lambda: number = circuit.lambda): EquivalentVectors {
  const layers = circuit.layers.length;
  const d = weights.hiddenSize;
  const attnOut = new Float32Array(layers * d);
  const mlpOut = new Float32Array(layers * d);
  for (const layer of circuit.layers) {
    const l = layer.layer;
    if (layer.heads.length > 0) {
      const zWidth = diffVectors.attn.width;
      const dh = zWidth / weights.heads;
      const columns = layer.heads.flatMap((u) => Array.from({ length: dh }, (_, i) => u.index * dh + i));
      projectColumns(weights.oWeight(l), d, zWidth, diffVector(diffVectors.attn, circuit.emotion, l), columns, lambda, attnOut.subarray(l * d, (l + 1) * d));
    }
    if (layer.neurons.length > 0) {
      const columns = layer.neurons.map((u) => u.index);
      projectColumns(weights.downWeight(l), d, diffVectors.mlp.width, diffVector(diffVectors.mlp, circuit.emotion, l), columns, lambda, mlpOut.subarray(l * d, (l + 1) * d));
    }
  }
  return { layers, width: d, attnOut, mlpOut };
}

/** The vector pair as interventions: hook_attn_out at every position, hook_mlp_out at 'last'. */
export function equivalentInterventions(vectors: EquivalentVectors): Intervention[] {
  const { layers, width } = vectors;
  const out: Intervention[] = [];
  for (let l = 0; l < layers; l++) {
    const attn = vectors.attnOut.subarray(l * width, (l + 1) * width);
    const mlp = vectors.mlpOut.subarray(l * width, (l + 1) * width);
    if (attn.some((x) => x !== 0)) out.push({ hook: layerHook(l, 'hook_attn_out'), op: 'add', vector: Array.from(attn), positions: 'all' });
    if (mlp.some((x) => x !== 0)) out.push({ hook: layerHook(l, 'hook_mlp_out'), op: 'add', vector: Array.from(mlp), positions: 'last' });
  }
  return out;
}

/** Reads `circuits/{emotion}.safetensors` (the pair runCircuits wrote at the circuit's λ). */
export function readEquivalentVectors(file: string): EquivalentVectors {
  const reader = SafetensorsReader.open(file);
  try {
    const [layers, width] = reader.info('attn_out').shape;
    return { layers, width, attnOut: reader.readF32('attn_out'), mlpOut: reader.readF32('mlp_out') };
  } finally {
    reader.close();
  }
}
