/** Fake run folders for the run-listing tests (`runs`, the web UI): a manifest on disk, nothing else. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Manifest, ManifestHeader, StageRecord } from '../../src/pipeline/run/runStore.js';

/** The header every fake run shares, apart from its model folder. */
export const FAKE_RUN_HEADER: ManifestHeader = { tool: { name: 't', version: '0' }, model: { dir: 'models/m1', files: {} }, dataset: { spec: 'sev', hash: 'h', train: 3, test: 2 }, settings: {}, seed: 7 };

/** Writes `dir/manifest.json` with FAKE_RUN_HEADER, `modelDir` and `stages` (creating `dir`); returns the manifest. */
export function writeFakeManifest(dir: string, modelDir: string, stages: Record<string, StageRecord>): Manifest {
  fs.mkdirSync(dir, { recursive: true });
  const manifest: Manifest = { ...FAKE_RUN_HEADER, model: { dir: modelDir, files: {} }, stages };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return manifest;
}
