import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CEILING_LOOPS, simdCeiling } from '../bench/simdCeiling.js';
import { enableRelaxedSimd } from '../src/kernels/wasmAbi.js';

test('simdCeiling: every loop compiles and runs on 1 and 2 threads at once (rates are not asserted)', { skip: enableRelaxedSimd() ? false : 'no relaxed SIMD on this runtime' }, async () => {
  const rows = await simdCeiling(2, 200);
  assert.ok(rows);
  assert.deepEqual(rows.map((r) => `${r.loop}/${r.threads}`), [1, 2].flatMap((t) => CEILING_LOOPS.map((l) => `${l.name}/${t}`)));
  for (const row of rows) assert.ok(Number.isFinite(row.gmacPerS) && row.gmacPerS > 0, `${row.loop}: ${row.gmacPerS}`);
});
