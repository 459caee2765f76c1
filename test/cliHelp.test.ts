/** CLI conventions every command follows: --help with examples, exit codes 0 / 1 / 2, and errors that say what to do next. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli, CLI } from './helpers/cli.js';



test('every command has --help with examples (exit 0), and the overview documents the exit codes', () => {
  const overview = cli(['--help']);
  assert.equal(overview.status, 0);
  assert.match(overview.stdout, /Exit codes: 0 .*; 1 .*\n2 usage error/);
  const commands = [...overview.stdout.matchAll(/^emotion-circuits ([a-z-]+)/gm)].map((m) => m[1]);
  assert.ok(commands.length >= 7 && commands.includes('serve') && commands.includes('export'), `commands: ${commands}`);
  for (const command of commands) {
    const help = cli([command, '--help']);
    assert.equal(help.status, 0, command);
    assert.match(help.stdout, new RegExp(`^emotion-circuits ${command}`), command);
    assert.match(help.stdout, /\n {2}Examples?:( |\n {4})emotion-circuits /, `${command} --help shows examples`);
    assert.equal(cli(['help', command]).stdout, help.stdout);
  }
});

test('usage errors exit 2 and point at --help; run errors exit 1 with a next step', () => {
  const typo = cli(['serv']);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown command "serv" \(did you mean serve\?\)/);
  const badFlag = cli(['export', '--bogus']);
  assert.equal(badFlag.status, 2);
  assert.match(badFlag.stderr, /next: run "emotion-circuits export --help"/);
  const bad = cli(['export', '--run', 'x', '--emotion', 'joy', '--what', 'direction', '--format', 'gguf', '--out', 'x.gguf']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--emotion must be one of anger, sadness/);
  const dir = mkdtempSync(join(tmpdir(), 'ec-clihelp-'));
  try {
    const missingRun = cli(['export', '--run', dir, '--emotion', 'anger', '--what', 'direction', '--format', 'gguf', '--out', join(dir, 'a.gguf')]);
    assert.equal(missingRun.status, 1);
    assert.match(missingRun.stderr, /not a run folder: manifest.json is missing\n {2}next: /);
    const noRuns = cli(['serve', '--runs', join(dir, 'nothing-here'), '--port', '0']);
    assert.equal(noRuns.status, 2);
    assert.match(noRuns.stderr, /the runs folder .* does not exist; make a run first/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('serve listens on 127.0.0.1, answers, and exits 0 on SIGINT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ec-serve-cli-'));
  mkdirSync(join(dir, 'runs'));
  const child = spawn(process.execPath, [CLI, 'serve', '--runs', join(dir, 'runs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (match) resolve(match[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /No run folders/);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
