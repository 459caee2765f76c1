/** The README's library example, run as written (against TinyStories-656K) through the package entry. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { compileInterventions, LanguageModel } from '../src/index.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

test('the README library example runs and prints the head-ablated continuation', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, async () => {
  const readme = fs.readFileSync('README.md', 'utf8');
  const block = /## Library\s+```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ts block under "## Library"');
  const modelDir = sharedPath('models', 'tinystories-656k');
  const code = block[1].replace("'path/to/hf-folder'", JSON.stringify(modelDir));
  // Inside the package folder, so `import 'emotion-circuits'` resolves to this package (self-reference).
  const script = path.join('dist', 'test', `readme-example-${process.pid}.mjs`);
  fs.writeFileSync(script, code);
  try {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const model = await LanguageModel.load(modelDir);
    const ids = model.encode('Once upon a time ');
    const hooks = compileInterventions([{ hook: 'blocks.1.attn.hook_z', op: 'zero', heads: [3] }], model.config);
    const [out] = model.generate([ids], { hooks, maxNewTokens: 40, repetitionPenalty: 1.1, noRepeatNgramSize: 3 });
    assert.equal(run.stdout, model.decode(out.ids) + '\n');
    await model.dispose();
  } finally {
    fs.rmSync(script, { force: true });
  }
});
