/** Loads what the control arms read from a run folder (directions; circuits and Δ when present). */
import * as fs from 'node:fs';
import { EmotionCircuitsError } from '../../errors.js';
import { DIRECTIONS_FILE, readDirections } from '../directions/directionSet.js';
import { RunFolder } from '../run/runStore.js';
import type { ArmResources } from './arms.js';

/** The arm resources of the run at `runDir`. */
export function loadArmResources(runDir: string): ArmResources {
  const run = RunFolder.read(runDir);
  const directionsFile = `${runDir}/${DIRECTIONS_FILE}`;
  if (!run.stages.directions || !fs.existsSync(directionsFile)) {
    throw new EmotionCircuitsError('RUN', 'no emotion directions in this run: run `emotion-circuits directions` (or `discover`) first', runDir);
  }
  const directions = readDirections(directionsFile);
  return { numLayers: directions.mlp.layers, mlpDirections: directions.mlp };
}
