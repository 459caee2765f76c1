/**
 * A fingerprint of the engine build that computes activations: sha256 over the compiled model and
 * kernel modules and the WebAssembly kernels, next to this module. The collection hash keys on it,
 * so a store computed by another build (a changed kernel or forward pass, not only another package
 * version) is never resumed into or reused.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folders (relative to this compiled module) whose files make up the engine. */
const ENGINE_FOLDERS = ['../../model', '../../kernels', '../../../../build'];
const ENGINE_FILE = /\.(js|wasm)$/;

let cached: string | undefined;

/** The engine fingerprint (hex sha256); computed once per process. */
export function engineBuildHash(): string {
  if (cached) return cached;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const hash = createHash('sha256');
  let files = 0;
  for (const folder of ENGINE_FOLDERS) {
    const dir = path.resolve(here, folder);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (!ENGINE_FILE.test(name) || !fs.statSync(full).isFile()) continue;
      hash.update(`${folder}/${name}\u0000`);
      hash.update(fs.readFileSync(full));
      files++;
    }
  }
  hash.update(`files:${files}`);
  cached = hash.digest('hex');
  return cached;
}
