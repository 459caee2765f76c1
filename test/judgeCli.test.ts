/** `emotion-circuits judge`, run as a child process: the built-in judge, and the LLM judge against the mock server. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startMockChatServer, type MockChatServer } from './helpers/mockChatServer.js';

const CLI = join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

/** Runs the CLI without blocking the event loop (the mock server lives in this process). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const { EMOTION_CIRCUITS_JUDGE_URL: _u, EMOTION_CIRCUITS_JUDGE_MODEL: _m, EMOTION_CIRCUITS_JUDGE_KEY: _k, OPENAI_API_KEY: _o, ...rest } = process.env;
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...rest, ...env } }, (error, stdout, stderr) => {
      resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

let server: MockChatServer;
before(async () => {
  server = await startMockChatServer({ slowMs: 6000, replyDelayMs: 1 });
});
after(() => server.close());

test('judge prints the built-in label, seven scores and the match; --json gives the same verdict', async () => {
  const plain = await cli(['judge', '--text', 'I am furious with you!', '--emotion', 'anger']);
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^judge: builtin@1\nlabel: anger\nscores: anger 0\.\d{3} .* neutral 0\.\d{3}\nmatch \(anger\): yes\nreason: cues: "furious" anger/);
  const json = await cli(['judge', '--text', 'I am furious with you!', '--emotion', 'sadness', '--json']);
  const parsed = JSON.parse(json.stdout) as { judge: string; label: string; match: boolean; scores: Record<string, number> };
  assert.equal(parsed.label, 'anger');
  assert.equal(parsed.match, false);
  // furious (strong, 2) with one "!" (×1.3) against the neutral prior 0.4.
  assert.ok(Math.abs(parsed.scores.anger - 2.6 / 3.0) < 1e-9);
  assert.ok(Math.abs(parsed.scores.neutral - 0.4 / 3.0) < 1e-9);
});

test('judge --judge openai asks the endpoint from the environment; usage errors exit 2', async () => {
  const env = { EMOTION_CIRCUITS_JUDGE_URL: server.baseUrl, EMOTION_CIRCUITS_JUDGE_MODEL: 'mock' };
  const ok = await cli(['judge', '--text', 'ok:fear', '--emotion', 'fear', '--judge', 'openai'], env);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /judge: openai:mock\nlabel: \(not given\)\nmatch \(fear\): yes\nreason: the style is fear/);
  const failed = await cli(['judge', '--text', 'badrequest', '--emotion', 'fear', '--judge', 'openai', '--json'], env);
  assert.equal(failed.status, 1);
  assert.match((JSON.parse(failed.stdout) as { error: string }).error, /^http: HTTP 400/);
  const missing = await cli(['judge', '--text', 'x', '--emotion', 'fear', '--judge', 'openai']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /EMOTION_CIRCUITS_JUDGE_URL/);
  assert.equal((await cli(['judge', '--text', 'x', '--emotion', 'joy'])).status, 2);
  assert.equal((await cli(['judge', '--emotion', 'anger'])).status, 2);
  const badJudge = await cli(['judge', '--text', 'x', '--emotion', 'fear', '--judge', 'gpt']);
  assert.equal(badJudge.status, 2);
  assert.match(badJudge.stderr, /judge: --judge expects one of builtin, openai, got "gpt"/);
});
