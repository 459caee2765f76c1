/**
 * Training data: examples of token ids with a loss mask, checked once, and a seeded order of
 * batches. The order of epoch e is a function of (seed, e) alone, so a run resumed at (epoch,
 * batch) sees exactly the batches a straight run would have seen.
 */
import { DatasetError } from '../errors.js';
import { seededRandom, shuffleInPlace } from '../random.js';

/**
 * One training sequence. `lossMask[t] = 1` means position t's prediction of token t + 1 counts
 * in the loss (so for a chat example, set it on the positions just before each reply token);
 * the last position has no next token and is ignored.
 */
export interface TrainExample {
  readonly ids: readonly number[];
  readonly lossMask: Uint8Array;
}

/** Throws DatasetError naming the first bad example (empty, too long, token outside the vocabulary, mask of another length, nothing to learn). */
export function validateDataset(data: readonly TrainExample[], vocab: number, maxPositions: number, where = 'training data'): void {
  if (data.length === 0) throw new DatasetError(where, 'no examples');
  data.forEach((example, i) => {
    const { ids, lossMask } = example;
    if (!Array.isArray(ids) || ids.length < 2) throw new DatasetError(where, `example ${i}: needs at least 2 token ids, got ${Array.isArray(ids) ? ids.length : typeof ids}`);
    if (ids.length > maxPositions) throw new DatasetError(where, `example ${i}: ${ids.length} tokens, more than maxPositions ${maxPositions}`);
    ids.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new DatasetError(where, `example ${i}: token id ${id} at ${t} is outside the vocabulary [0, ${vocab})`);
    });
    if (!(lossMask instanceof Uint8Array) || lossMask.length !== ids.length) {
      throw new DatasetError(where, `example ${i}: lossMask must be a Uint8Array of ${ids.length} entries (one per token), got ${lossMask?.length}`);
    }
    let counted = 0;
    for (let t = 0; t + 1 < ids.length; t++) if (lossMask[t] !== 0) counted++;
    if (counted === 0) throw new DatasetError(where, `example ${i}: lossMask selects no position before the last`);
  });
}

/** Batches per epoch: every example once, the last batch possibly smaller. */
export function batchesPerEpoch(exampleCount: number, batchSize: number): number {
  return Math.ceil(exampleCount / batchSize);
}

/** The example indices of batch `batch` of epoch `epoch` (a seeded shuffle per epoch). */
export function batchIndices(exampleCount: number, batchSize: number, seed: number, epoch: number, batch: number): number[] {
  const order = shuffleInPlace(Array.from({ length: exampleCount }, (_, i) => i), seededRandom(seed * 1_000_003 + epoch));
  return order.slice(batch * batchSize, (batch + 1) * batchSize);
}

/** A cheap fingerprint of the data (FNV-1a over ids and masks), stored with checkpoints. */
export function dataFingerprint(data: readonly TrainExample[]): string {
  let hash = 0x811c9dc5;
  const mix = (value: number): void => {
    hash = Math.imul(hash ^ (value & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (value >>> 16), 0x01000193);
  };
  for (const example of data) {
    mix(example.ids.length);
    for (const id of example.ids) mix(id);
    for (const m of example.lossMask) mix(m);
  }
  return `${data.length}:${(hash >>> 0).toString(16)}`;
}
