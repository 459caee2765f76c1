// Runs every compiled test file under dist/test with Node's built-in test runner.
// Node 20's `node --test` takes explicit files, so we list them here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function listTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) found.push(...listTests(full));
    else if (entry.endsWith('.test.js')) found.push(full);
  }
  return found.sort();
}

const filter = process.argv[2];
const files = listTests('dist/test').filter((f) => !filter || f.includes(filter));
if (files.length === 0) {
  console.error(`no test files found under dist/test${filter ? ` matching ${filter}` : ''}`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
