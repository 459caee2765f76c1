/**
 * The `circuits` stage on a run folder with sublayers and components: per emotion, the budget
 * allocation from the sublayer weights, each layer's top units by signed score, and the equivalent
 * per-layer vector pair. Writes `circuits/{emotion}.json` and `circuits/{emotion}.safetensors`
 * (`attn_out` [L, d], `mlp_out` [L, d], f32); skipped when its inputs are unchanged.
 *
 * @example
 * const { circuits } = await runCircuits({ runDir: 'runs/tinystories', settings: { lambda: { default: 1, overrides: { anger: 0.8 } } } });
 * console.log(circuits.anger.layers.map((l) => l.used));
 */
import * as path from 'node:path';
import { EMOTIONS, type Emotion } from '../../emotions.js';
import { Checkpoint } from '../../model/checkpoint.js';
import { SafetensorsReader } from '../../model/safetensors.js';
import { checkpointComponentWeights, NEURONS_TENSORS } from '../components/componentsRun.js';
import { DIFF_VECTORS_FILE, readDiffVectors } from '../components/diffVectors.js';
import { hashJson, writeJsonAtomic, writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { openLaterStage } from '../run/laterStage.js';
import { readSublayers } from '../sublayers/sublayersRun.js';
import { allocateCircuit } from './allocation.js';
import { circuitJsonPath, circuitTensorsPath, CIRCUITS_DIR, resolveCircuitSettings, selectCircuit, readCircuit, type Circuit, type CircuitSettings, type LayerScores } from './circuit.js';
import { equivalentVectors, type OutputProjections } from './modulation.js';

export const HEADS_TENSORS = 'heads.safetensors';

export interface CircuitsRunOptions {
  readonly runDir: string;
  /** Budget, split, minimums, cap and λ; defaults are the paper's. */
  readonly settings?: Partial<CircuitSettings>;
  readonly log?: (line: string) => void;
}

export interface CircuitsRunResult {
  stage: 'ran' | 'skipped';
  circuits: Record<Emotion, Circuit>;
}

function readScores(file: string, emotion: Emotion): LayerScores {
  const reader = SafetensorsReader.open(file);
  try {
    const [layers, units] = reader.info(`mean.${emotion}`).shape;
    return { layers, units, values: reader.readF32(`mean.${emotion}`) };
  } finally {
    reader.close();
  }
}

/** Per-layer output projections read from the checkpoint once each. */
function checkpointProjections(checkpoint: Checkpoint): OutputProjections {
  const weights = checkpointComponentWeights(checkpoint);
  const o = new Map<number, Float32Array>();
  const down = new Map<number, Float32Array>();
  return {
    hiddenSize: checkpoint.config.hiddenSize,
    heads: weights.heads,
    oWeight: (l) => o.get(l) ?? o.set(l, weights.oWeight(l)).get(l)!,
    downWeight: (l) => down.get(l) ?? down.set(l, weights.downWeight(l)).get(l)!,
  };
}

export async function runCircuits(options: CircuitsRunOptions): Promise<CircuitsRunResult> {
  const log = options.log ?? (() => {});
  const settings = resolveCircuitSettings(options.settings);
  const { manifest, run, required } = openLaterStage(options.runDir, 'circuits', {
    sublayers: 'sublayers', neurons: 'components', heads: 'components', diffVectors: 'components',
  });
  const inputsHash = hashJson({ stage: 'circuits@1', inputs: Object.fromEntries(Object.entries(required).map(([k, r]) => [k, r.inputsHash])), settings });
  const outputs = EMOTIONS.flatMap((e) => [path.join(CIRCUITS_DIR, `${e}.json`), path.join(CIRCUITS_DIR, `${e}.safetensors`)]);
  if (run.isStageDone('circuits', inputsHash)) {
    return { stage: 'skipped', circuits: Object.fromEntries(EMOTIONS.map((e) => [e, readCircuit(run.dir, e)])) as Record<Emotion, Circuit> };
  }
  run.invalidateStage('circuits');
  const sublayers = readSublayers(run.dir);
  const diffVectors = readDiffVectors(run.path(DIFF_VECTORS_FILE));
  const checkpoint = Checkpoint.open(manifest.model.dir);
  const circuits = {} as Record<Emotion, Circuit>;
  try {
    const { numLayers, intermediateSize, numHeads } = checkpoint.config;
    const sizes = { neurons: new Array<number>(numLayers).fill(intermediateSize), heads: new Array<number>(numLayers).fill(numHeads) };
    const projections = checkpointProjections(checkpoint);
    for (const emotion of EMOTIONS) {
      const weights = sublayers.emotions[emotion].weights;
      const allocation = allocateCircuit(weights, sizes, settings);
      const scores = { neurons: readScores(run.path(NEURONS_TENSORS), emotion), heads: readScores(run.path(HEADS_TENSORS), emotion) };
      const circuit = selectCircuit(emotion, allocation, scores, weights, settings);
      const vectors = equivalentVectors(circuit, diffVectors, projections);
      writeJsonAtomic(circuitJsonPath(run.dir, emotion), circuit);
      writeSafetensorsAtomic(circuitTensorsPath(run.dir, emotion), [
        { name: 'attn_out', shape: [vectors.layers, vectors.width], data: vectors.attnOut },
        { name: 'mlp_out', shape: [vectors.layers, vectors.width], data: vectors.mlpOut },
      ], {
        format: 'emotion-circuits/circuit-vectors@1',
        emotion,
        lambda: String(circuit.lambda),
        attn_out: 'W_O · lambda·Δz_e over the circuit heads; add to blocks.{l}.hook_attn_out at every position',
        mlp_out: "W_down · lambda·Δμ_e over the circuit neurons; add to blocks.{l}.hook_mlp_out at the last prompt position and every generated one",
      });
      circuits[emotion] = circuit;
      log(`${emotion}: ${circuit.layers.map((l) => `L${l.layer} ${l.used.neurons}n/${l.used.heads}h`).join(', ')}`);
    }
  } finally {
    checkpoint.close();
  }
  run.completeStage('circuits', inputsHash, outputs);
  return { stage: 'ran', circuits };
}
