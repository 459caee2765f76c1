/**
 * A training checkpoint: parameters, Adam moments and where the run stands (step, epoch, batch
 * within the epoch), in one safetensors file written atomically. The data order is a function of
 * (seed, epoch) (dataset.ts), so (epoch, batch) is the whole state of the data cursor and a resumed
 * run continues bit for bit. `settings` records what the run was started with; resuming with other
 * settings is an error rather than a silently different run.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../atomicFile.js';
import { EmotionCircuitsError } from '../errors.js';
import { SafetensorsReader, encodeSafetensors } from '../model/safetensors.js';

export const CHECKPOINT_FORMAT = 'emotion-circuits-train/1';

export interface TrainCursor {
  /** Optimizer steps done. */
  readonly step: number;
  /** Epoch and batch of the next step. */
  readonly epoch: number;
  readonly batch: number;
}

export interface TrainState {
  readonly cursor: TrainCursor;
  readonly params: Float32Array;
  readonly m: Float32Array;
  readonly v: Float32Array;
  /** JSON of the settings the run was started with (shape, hyperparameters, data fingerprint). */
  readonly settings: string;
}

/** A checkpoint that does not belong to this run, or cannot be read. */
export class TrainCheckpointError extends EmotionCircuitsError {
  constructor(file: string, message: string) {
    super('RUN', message, file);
    this.name = 'TrainCheckpointError';
  }
}

export function writeTrainState(file: string, state: TrainState): void {
  const n = state.params.length;
  const bytes = encodeSafetensors(
    [
      { name: 'params', shape: [n], data: state.params },
      { name: 'adam.m', shape: [n], data: state.m },
      { name: 'adam.v', shape: [n], data: state.v },
    ],
    { format: CHECKPOINT_FORMAT, cursor: JSON.stringify(state.cursor), settings: state.settings },
  );
  writeFileAtomic(file, bytes);
}

/** The checkpoint in `file`, or null when there is none. Throws TrainCheckpointError when it exists but was written with other settings. */
export function readTrainState(file: string, expectedSettings: string): TrainState | null {
  if (!fs.existsSync(file)) return null;
  const reader = SafetensorsReader.open(file);
  try {
    const meta = reader.metadata;
    if (meta.format !== CHECKPOINT_FORMAT) throw new TrainCheckpointError(file, `not a training checkpoint (format ${JSON.stringify(meta.format)}, expected ${CHECKPOINT_FORMAT})`);
    if (meta.settings !== expectedSettings) {
      throw new TrainCheckpointError(file, `was written by a run with other settings; delete it (or the run folder) to start afresh.\n  checkpoint: ${meta.settings}\n  this run:   ${expectedSettings}`);
    }
    const cursor = JSON.parse(meta.cursor ?? 'null') as TrainCursor | null;
    if (!cursor || ![cursor.step, cursor.epoch, cursor.batch].every((x) => Number.isSafeInteger(x) && x >= 0)) {
      throw new TrainCheckpointError(file, `bad cursor ${JSON.stringify(meta.cursor)}`);
    }
    return { cursor, params: reader.readF32('params'), m: reader.readF32('adam.m'), v: reader.readF32('adam.v'), settings: meta.settings };
  } finally {
    reader.close();
  }
}
