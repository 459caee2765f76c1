/** Streaming weights from disk into the backend: stacked row readers and byte ranges. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SafetensorsError } from '../src/errors.js';
import { Checkpoint } from '../src/model/checkpoint.js';
import { adapterFor } from '../src/model/adapters.js';
import { stackedRows } from '../src/model/weights.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

describe('stacked row readers', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  test('any row range of q|k|v equals the same rows of the concatenated tensors', () => {
    const checkpoint = Checkpoint.open(sharedPath('fixtures', 'random-qwen3'));
    try {
      const names = adapterFor(checkpoint.config).layer(1);
      const parts = [names.q, names.k, names.v];
      const cols = checkpoint.config.hiddenSize;
      const whole = Buffer.concat(parts.map((n) => checkpoint.readBytes(n)));
      const rows = whole.byteLength / (cols * 4);
      const { source, dtype } = stackedRows(checkpoint, parts, cols);
      assert.equal(dtype, 'f32');
      assert.equal(typeof source, 'function');
      const read = source as (first: number, count: number, into: Uint8Array) => void;
      // q has 4·32 = 128 rows, k and v 2·32 = 64 each: ranges inside one part and across both boundaries.
      for (const [first, count] of [[0, rows], [0, 1], [127, 2], [100, 100], [191, 1], [190, 66], [5, 250]]) {
        const into = new Uint8Array(count * cols * 4);
        read(first, count, into);
        assert.deepEqual(into, new Uint8Array(whole.subarray(first * cols * 4, (first + count) * cols * 4)), `rows ${first}+${count}`);
      }
      assert.throws(() => checkpoint.readRangeInto(names.q, 4, new Uint8Array(checkpoint.info(names.q).byteLength)), SafetensorsError);
    } finally {
      checkpoint.close();
    }
  });
});
