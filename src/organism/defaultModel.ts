/**
 * The embedded default model: the emotion model organism trained by `train-organism` and committed
 * under `models/organism/` (with its held-out SEV sets under `data/organism-sev/`). Every command
 * that takes `--model` falls back to it when neither the flag nor EMOTION_CIRCUITS_MODEL is set.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_STEERING_BAND } from '../pipeline/control/directionSteering.js';
import { packageRoot } from '../pipeline/stimuli/sev.js';

/** The organism's folder, or null when this installation does not carry it. */
export function defaultModelDir(): string | null {
  const dir = join(packageRoot(), 'models', 'organism');
  return existsSync(join(dir, 'config.json')) ? dir : null;
}

/** The SEV folder the organism's held-out evaluation uses (train.jsonl, test.jsonl). */
export function defaultModelDataset(): string {
  return join(packageRoot(), 'data', 'organism-sev');
}

/**
 * How `npm start` tunes the strengths on the organism before its evaluation (DiscoverOptions.tune):
 * one train scenario per theme, λ up to the paper's 1 and α around the authors' 8, the authors'
 * depth band only.
 */
export const DEFAULT_MODEL_TUNING = {
  limit: 1,
  lambdas: [0.3, 0.5, 0.7, 1],
  alphas: [4, 8, 16],
  bands: [DEFAULT_STEERING_BAND],
} as const;
