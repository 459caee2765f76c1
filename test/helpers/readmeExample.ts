/** The README's library example (the ts block under "## Library") and the text it must print, for the README and packaging tests. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { compileInterventions, LanguageModel } from '../../src/index.js';

/** The example's code with the placeholder folder replaced by `modelDir`. */
export function readmeLibraryExample(modelDir: string, readmeFile = 'README.md'): string {
  const readme = fs.readFileSync(readmeFile, 'utf8');
  const block = /## Library\s+```ts\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a ts block under "## Library"');
  return block[1].replace("'path/to/hf-folder'", JSON.stringify(modelDir));
}

/** What the example prints: the head-ablated continuation, computed here through the engine. */
export async function readmeExampleOutput(modelDir: string): Promise<string> {
  const model = await LanguageModel.load(modelDir);
  try {
    const ids = model.encode('Once upon a time ');
    const hooks = compileInterventions([{ hook: 'blocks.1.attn.hook_z', op: 'zero', heads: [3] }], model.config);
    const [out] = model.generate([ids], { hooks, maxNewTokens: 40, repetitionPenalty: 1.1, noRepeatNgramSize: 3 });
    return model.decode(out.ids) + '\n';
  } finally {
    await model.dispose();
  }
}
