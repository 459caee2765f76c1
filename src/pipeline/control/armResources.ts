/** Loads what the control arms read from a run folder: directions, and circuits with Δ when present. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMOTIONS, type Emotion } from '../../emotions.js';
import { EmotionCircuitsError } from '../../errors.js';
import { Checkpoint } from '../../model/checkpoint.js';
import { circuitInterventions, randomCircuit, readCircuit, type Circuit } from '../circuits/index.js';
import { DIFF_VECTORS_FILE, readDiffVectors, type DiffVectors } from '../components/diffVectors.js';
import { DIRECTIONS_FILE, readDirections } from '../directions/directionSet.js';
import { RunFolder } from '../run/runStore.js';
import type { ArmResources } from './arms.js';

/**
 * The arm resources of the run at `runDir`. Circuit arms are available once the circuits stage has
 * completed; random circuits keep each layer's neuron and head counts and use the emotion's Δ.
 */
export function loadArmResources(runDir: string): ArmResources {
  const manifest = RunFolder.read(runDir);
  const directionsFile = path.join(runDir, DIRECTIONS_FILE);
  if (!manifest.stages.directions || !fs.existsSync(directionsFile)) {
    throw new EmotionCircuitsError('RUN', 'no emotion directions in this run: run `emotion-circuits directions` (or `discover`) first', runDir);
  }
  const directions = readDirections(directionsFile);
  const resources: ArmResources = { numLayers: directions.mlp.layers, mlpDirections: directions.mlp };
  if (!manifest.stages.circuits) return resources;
  const circuits = Object.fromEntries(EMOTIONS.map((e) => [e, readCircuit(runDir, e)])) as Record<Emotion, Circuit>;
  const checkpoint = Checkpoint.open(manifest.model.dir);
  const { intermediateSize, numHeads } = checkpoint.config;
  checkpoint.close();
  return { ...resources, circuitInterventions: circuitArm(circuits, readDiffVectors(path.join(runDir, DIFF_VECTORS_FILE)), { intermediateSize, numHeads }) };
}

/**
 * The circuit arms' intervention builder: modulation with the emotion's circuit at λ (null: the
 * circuit's own), or with a random circuit of the same per-layer counts drawn with `randomSeed`.
 */
export function circuitArm(
  circuits: Readonly<Record<Emotion, Circuit>>, diffVectors: DiffVectors, sizes: { intermediateSize: number; numHeads: number },
): NonNullable<ArmResources['circuitInterventions']> {
  return (emotion, lambda, randomSeed) => {
    const circuit = circuits[emotion];
    const modulated = randomSeed === undefined ? circuit : randomCircuit(circuit, sizes, randomSeed);
    return circuitInterventions(modulated, diffVectors, lambda ?? circuit.lambda);
  };
}
