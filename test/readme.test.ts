/** The README's library example, run as written (against TinyStories-656K) through the package entry. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readmeExampleOutput, readmeLibraryExample } from './helpers/readmeExample.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

test('the README library example runs and prints the head-ablated continuation', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, async () => {
  const modelDir = sharedPath('models', 'tinystories-656k');
  const code = readmeLibraryExample(modelDir);
  // Inside the package folder, so `import 'emotion-circuits'` resolves to this package (self-reference).
  const script = path.join('dist', 'test', `readme-example-${process.pid}.mjs`);
  fs.writeFileSync(script, code);
  try {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, await readmeExampleOutput(modelDir));
  } finally {
    fs.rmSync(script, { force: true });
  }
});
