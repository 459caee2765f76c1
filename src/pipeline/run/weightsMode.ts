/**
 * The weights mode of a run ('stored' or 'int8', see LanguageModel.load): which weights the model
 * ran with in each stage. The run's mode is set where the run is made (`directions`, `discover`,
 * `start`; `manifest.model.weights`) and every later stage runs with it unless its own `--weights`
 * says otherwise; a stage's mode is part of its inputs hash (a changed mode re-runs the stage) and
 * recorded in its stage record, so stages of one run never mix int8 and stored weights silently.
 */
import { EmotionCircuitsError } from '../../errors.js';
import type { WeightsMode } from '../../model/weights.js';
import type { Manifest, ManifestHeader } from './runStore.js';

/** The run's weights mode; runs made before the mode was recorded ran with the stored weights. */
export function runWeights(manifest: Pick<ManifestHeader, 'model'>): WeightsMode {
  return manifest.model.weights ?? 'stored';
}

/**
 * The mode `stage` runs with: `requested` (its --weights) when given, else the run's. Says so in
 * `log` when the two differ.
 */
export function stageWeights(manifest: Pick<ManifestHeader, 'model'>, requested: WeightsMode | undefined, stage: string, log: (line: string) => void): WeightsMode {
  const run = runWeights(manifest);
  const weights = requested ?? run;
  if (weights !== run) log(`${stage}: ${weights} weights, while this run's activations were collected with ${run} weights (recorded in manifest.json)`);
  return weights;
}

/**
 * The weights mode's part of a stage's inputs hash: nothing for 'stored' (so the hashes of runs
 * made before the mode existed stay valid), `{ weights }` otherwise.
 */
export function weightsHashPart(weights: WeightsMode): { weights?: WeightsMode } {
  return weights === 'stored' ? {} : { weights };
}

/** Backward passes (attribution patching) run on the stored weights only: a typed error otherwise. */
export function requireStoredWeights(weights: WeightsMode, stage: string, where: string): void {
  if (weights !== 'stored') {
    throw new EmotionCircuitsError('RUN', `${stage} needs backward passes, which run on the stored weights only, not ${weights}; pass --weights stored (this run's mode is recorded in manifest.json)`, where);
  }
}

/** The run's weights mode for reports, with the stages that ran with another one: `int8 (sublayers: stored)`. */
export function weightsSummary(manifest: Pick<Manifest, 'model' | 'stages'>): string {
  const run = runWeights(manifest);
  const other = Object.entries(manifest.stages ?? {}).filter(([, record]) => record.weights !== undefined && record.weights !== run);
  return other.length === 0 ? run : `${run} (${other.map(([stage, record]) => `${stage}: ${record.weights}`).join(', ')})`;
}
