/**
 * Packaging as a new user meets it: `npm pack`, install the tarball into a temporary folder outside
 * the source tree (offline, from the npm cache), then run the README's library example and
 * `npx emotion-circuits --help` there. Catches files missing from the tarball (the wasm kernels, the
 * SEV data, the playground script) and source-tree paths the runtime would read.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { readmeExampleOutput, readmeLibraryExample } from './helpers/readmeExample.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-pack-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

test('the packed tarball installs elsewhere, runs the README example and the CLI', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, async () => {
  const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], process.cwd())) as { filename: string; files: { path: string }[] }[];
  const files = packed[0].files.map((f) => f.path);
  for (const needed of ['build/kernels-simd.wasm', 'build/kernels-relaxed.wasm', 'data/sev/train.jsonl', 'dist/src/index.js', 'dist/src/cli/main.js', 'dist/src/web/playground.js', 'LICENSE', 'README.md']) {
    assert.ok(files.includes(needed), `the tarball has ${needed}`);
  }
  assert.ok(!files.some((f) => f.startsWith('dist/test/') || f.startsWith('dist/bench/') || f.startsWith('src/')), 'no tests, bench or sources in the tarball');

  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, packed[0].filename)], app);

  const modelDir = path.resolve(sharedPath('models', 'tinystories-656k'));
  fs.writeFileSync(path.join(app, 'example.mjs'), readmeLibraryExample(modelDir));
  assert.equal(run(process.execPath, ['example.mjs'], app), await readmeExampleOutput(modelDir));

  const help = run('npx', ['--no-install', 'emotion-circuits', '--help'], app);
  assert.match(help, /^usage: emotion-circuits <command>/);
  assert.match(help, /emotion-circuits serve/);
});
