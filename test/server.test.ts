/**
 * The web server on loopback: nothing outside the runs folder is readable (plain, encoded,
 * double-encoded, absolute and symlinked paths), size limits, the bounded queue's busy answer,
 * cancellation by endpoint and by disconnect, the playground arms against a reference computation,
 * and a load test after which the server still serves and holds no generation or connection.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EMOTIONS } from '../src/emotions.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { writeSafetensors } from '../src/model/safetensors.js';
import { seededRandom } from '../src/random.js';
import { startServer, type RunningServer, type ServerStatus } from '../src/server/server.js';
import { pollUntil, rawRequest, streamGenerate, type StreamResult } from './helpers/httpClient.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

const SECRET = 'top-secret-outside-the-runs-folder';
const PROMPT = 'Lily went to the park with her dog.';

describe('serve', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ec-serve-'));
  const runsDir = path.join(tmp, 'runs');
  const runDir = path.join(runsDir, 'r1');
  let server: RunningServer;
  let model: LanguageModel;
  let directionsMlp: Map<string, Float32Array>;

  const status = async (): Promise<ServerStatus> => JSON.parse((await rawRequest(server.port, 'GET', '/api/status')).body) as ServerStatus;
  const idle = (s: ServerStatus) => s.activeGenerations === 0 && s.queuedGenerations === 0;

  before(async () => {
    const modelDir = sharedPath('models', 'tinystories-656k');
    model = await LanguageModel.load(modelDir);
    const { numLayers: L, hiddenSize: d } = model.config;
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'secret.txt'), SECRET);
    fs.mkdirSync(path.join(tmp, 'outside'));
    fs.writeFileSync(path.join(tmp, 'outside', 'secret.txt'), SECRET);
    fs.writeFileSync(path.join(tmp, 'outside', 'manifest.json'), JSON.stringify({ secret: SECRET }));
    fs.writeFileSync(path.join(runDir, 'manifest.json'), JSON.stringify({ tool: { name: 'emotion-circuits', version: 'test' }, model: { dir: modelDir, files: {} }, dataset: { spec: 'sev', hash: '', train: 0, test: 0 }, settings: {}, seed: 0, stages: { directions: { inputsHash: 'test', outputs: ['directions.safetensors'], completedAt: '' } } }));
    fs.writeFileSync(path.join(runDir, 'notes.txt'), 'inside');
    // Unit directions (random, seeded) in the run's directions file layout: {site}.{emotion} [L, d].
    const random = seededRandom(3);
    directionsMlp = new Map();
    const tensors = EMOTIONS.flatMap((emotion) => ['attn', 'mlp'].map((site) => {
      const data = new Float32Array(L * d);
      for (let l = 0; l < L; l++) {
        const row = Float32Array.from({ length: d }, () => random() - 0.5);
        const n = Math.hypot(...row);
        data.set(row.map((x) => x / n), l * d);
      }
      if (site === 'mlp') directionsMlp.set(emotion, data);
      return { name: `${site}.${emotion}`, shape: [L, d], data };
    }));
    const norms = ['attn', 'mlp'].map((site) => ({ name: `${site}.norms`, shape: [L, EMOTIONS.length], data: new Float32Array(L * EMOTIONS.length).fill(1) }));
    writeSafetensors(path.join(runDir, 'directions.safetensors'), [...tensors, ...norms]);
    fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(runDir, 'escape.txt'));
    fs.symlinkSync(path.join(tmp, 'outside'), path.join(runDir, 'linkdir'));
    fs.symlinkSync(path.join(tmp, 'outside'), path.join(runsDir, 'evil'));
    fs.symlinkSync(path.join(runDir, 'notes.txt'), path.join(runDir, 'inner-link.txt'));
    server = await startServer({ runsDir, port: 0, limits: { maxQueued: 1, maxPromptChars: 300, maxBodyBytes: 4096, maxNewTokens: 200 } });
  });

  after(async () => {
    await server?.close();
    await model?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('nothing outside the runs folder is readable: plain, encoded, double-encoded, absolute, symlinked', async () => {
    const attempts = [
      '/runs/r1/files/../../secret.txt',
      '/runs/r1/files/%2e%2e/%2e%2e/secret.txt',
      '/runs/r1/files/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/runs/r1/files/%252e%252e/%252e%252e/secret.txt',
      '/runs/r1/files/%252e%252e%252f%252e%252e%252fsecret.txt',
      '/runs/r1/files/..%5c..%5csecret.txt',
      `/runs/r1/files/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`,
      `/runs/r1/files/${path.join(tmp, 'secret.txt')}`,
      `/runs/r1/files//${path.join(tmp, 'secret.txt')}`,
      '/runs/%2e%2e/files/secret.txt',
      '/runs/../secret.txt',
      '/runs/r1/files/escape.txt',
      '/runs/r1/files/linkdir/secret.txt',
      '/runs/r1/files/linkdir/',
      '/runs/evil/',
      '/runs/evil/files/secret.txt',
      '/api/runs/evil',
      '/runs/r1/files/%00secret.txt',
      '/runs/r1/files/%E0%A4%A',
    ];
    for (const attempt of attempts) {
      const res = await rawRequest(server.port, 'GET', attempt);
      assert.ok([400, 403, 404].includes(res.status), `${attempt}: status ${res.status}`);
      assert.ok(!res.body.includes(SECRET), `${attempt}: leaked the secret`);
    }
    // The symlink and the encoded forms are refused as such (403), not merely missing.
    for (const attempt of ['/runs/r1/files/escape.txt', '/runs/evil/', '/runs/r1/files/%252e%252e/%252e%252e/secret.txt', '/runs/r1/files/%2e%2e/%2e%2e/secret.txt', `/runs/r1/files/${encodeURIComponent(path.join(tmp, 'secret.txt'))}`]) {
      assert.equal((await rawRequest(server.port, 'GET', attempt)).status, 403, attempt);
    }
    // Inside the folder, files and in-folder symlinks are served.
    const inside = await rawRequest(server.port, 'GET', '/runs/r1/files/notes.txt');
    assert.equal(inside.status, 200);
    assert.equal(inside.body, 'inside');
    assert.equal((await rawRequest(server.port, 'GET', '/runs/r1/files/inner-link.txt')).body, 'inside');
    assert.match((await rawRequest(server.port, 'GET', '/')).body, /href="\/runs\/r1\/"/);
    // A foreign Host header (DNS rebinding) and a cross-origin POST are refused.
    assert.equal((await rawRequest(server.port, 'GET', '/runs/r1/files/notes.txt', { headers: { Host: 'evil.example:80' } })).status, 403);
    const crossOrigin = await rawRequest(server.port, 'POST', '/api/generate', { body: '{}', headers: { Origin: 'http://evil.example', 'Content-Type': 'application/json' } });
    assert.equal(crossOrigin.status, 403);
  });

  test('size limits: body 413 (declared and streamed), prompt 413, max new tokens 400', async () => {
    const big = JSON.stringify({ run: 'r1', prompt: 'x'.repeat(5000), emotion: 'anger', method: 'none' });
    assert.equal((await rawRequest(server.port, 'POST', '/api/generate', { body: big, headers: { 'Content-Type': 'application/json' } })).status, 413);
    // Chunked, without Content-Length: counted as it arrives.
    assert.equal((await rawRequest(server.port, 'POST', '/api/generate', { body: big, headers: { 'Transfer-Encoding': 'chunked' } })).status, 413);
    const longPrompt = await streamGenerate(server.port, { run: 'r1', prompt: 'y'.repeat(301), emotion: 'anger', method: 'none' });
    assert.equal(longPrompt.status, 413);
    assert.match(String(longPrompt.json?.error), /300/);
    const tooMany = await streamGenerate(server.port, { run: 'r1', prompt: PROMPT, emotion: 'anger', method: 'none', maxNewTokens: 201 });
    assert.equal(tooMany.status, 400);
    assert.equal((await streamGenerate(server.port, { run: 'r1', prompt: PROMPT, emotion: 'anger', method: 'circuit' })).status, 400, 'no circuits stage: method refused');
    assert.equal((await streamGenerate(server.port, { run: 'r1', prompt: PROMPT, emotion: 'anger', method: 'random' })).status, 400, 'no circuits stage: method refused');
    assert.equal((await streamGenerate(server.port, { run: '..', prompt: PROMPT, emotion: 'anger', method: 'none' })).status, 403);
    assert.ok(idle(await status()));
  });

  test('the arms: direction = α·RMS(h)·v at the band layer from the last prompt token on; prompt = instructed; none = unsteered', async () => {
    const { hiddenSize: d } = model.config;
    const system = 'Keep the reply to at most two sentences.';
    const ids = model.encodeChat([{ role: 'system', content: system }, { role: 'user', content: PROMPT }]).ids;
    const v = directionsMlp.get('sadness')!.subarray(d, 2 * d); // layer 1: the band of a 2-layer model
    const reference = {
      name: 'blocks.1.hook_resid_post',
      fn: (t: { data: Float32Array }) => {
        const base = t.data.length - d;
        let s = 0;
        for (let i = 0; i < d; i++) s += t.data[base + i] ** 2;
        for (let i = 0; i < d; i++) t.data[base + i] += 6 * Math.sqrt(s / d) * v[i];
      },
    };
    // The shared decoding of the control arms: greedy, repetition penalty 1.1, no repeated 3-grams, 10 to N new tokens.
    const options = { minNewTokens: 10, maxNewTokens: 20, repetitionPenalty: 1.1, noRepeatNgramSize: 3 };
    const [plain] = model.generate([ids], options);
    const [steered] = model.generate([ids], { ...options, hooks: [reference] });
    const instructedIds = model.encodeChat([{ role: 'system', content: `Always reply in sadness.\n${system}` }, { role: 'user', content: PROMPT }]).ids;
    const [instructed] = model.generate([instructedIds], options);
    const done = (r: StreamResult) => {
      const event = r.events.find((e) => e.event === 'done');
      assert.ok(event, `a done event: ${JSON.stringify(r.events.at(-1))}`);
      return event.data as Record<'steered' | 'unsteered', { text: string }>;
    };
    const direction = done(await streamGenerate(server.port, { run: 'r1', prompt: PROMPT, emotion: 'sadness', method: 'direction', strength: 6, maxNewTokens: 20 }));
    assert.equal(direction.unsteered.text, model.decode(plain.ids));
    assert.equal(direction.steered.text, model.decode(steered.ids));
    assert.notEqual(direction.steered.text, direction.unsteered.text);
    const prompt = done(await streamGenerate(server.port, { run: 'r1', prompt: PROMPT, emotion: 'sadness', method: 'prompt', maxNewTokens: 20 }));
    assert.equal(prompt.steered.text, model.decode(instructed.ids));
    const none = done(await streamGenerate(server.port, { run: 'r1', prompt: PROMPT, emotion: 'sadness', method: 'none', maxNewTokens: 20 }));
    assert.equal(none.steered.text, none.unsteered.text);
  });

  test('queue: one running, one waiting, the next is told busy (503 + Retry-After); cancel by endpoint and by disconnect', async () => {
    const long = { run: 'r1', prompt: PROMPT, emotion: 'anger', method: 'direction', maxNewTokens: 200 };
    let firstId = '';
    let secondId = '';
    let resolveFirstToken!: () => void;
    const firstToken = new Promise<void>((r) => (resolveFirstToken = r));
    const first = streamGenerate(server.port, long, { onEvent: (e) => {
      if (e.event === 'queued') firstId = e.data.id as string;
      if (e.event === 'token') resolveFirstToken();
    } });
    await firstToken;
    let resolveQueued!: () => void;
    const queued = new Promise<void>((r) => (resolveQueued = r));
    const second = streamGenerate(server.port, long, { onEvent: (e) => {
      if (e.event === 'queued') {
        secondId = e.data.id as string;
        assert.equal(e.data.position, 1);
        resolveQueued();
      }
    } });
    await queued;
    const busy = await streamGenerate(server.port, long);
    assert.equal(busy.status, 503);
    assert.match(String(busy.json?.error), /busy/);
    assert.ok(Number(busy.headers['retry-after']) >= 1);
    // Cancel the waiting one first (it never starts), then the running one.
    assert.equal((await rawRequest(server.port, 'POST', `/api/generations/${secondId}/cancel`)).status, 200);
    assert.equal((await rawRequest(server.port, 'POST', `/api/generations/${firstId}/cancel`)).status, 200);
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.events.at(-1)!.event, 'cancelled');
    assert.ok(!a.events.some((e) => e.event === 'done'));
    assert.ok(a.events.filter((e) => e.event === 'token').length < 400, 'stopped before the end');
    assert.deepEqual(b.events.map((e) => e.event), ['queued', 'cancelled']);
    assert.equal((await rawRequest(server.port, 'POST', `/api/generations/${firstId}/cancel`)).status, 404, 'already gone');
    // Disconnect mid-stream cancels the running job.
    const before = (await status()).cancelled;
    const dropped = await streamGenerate(server.port, long, { onEvent: (e) => (e.event === 'token' ? 'disconnect' : undefined) });
    assert.ok(dropped.disconnected);
    const after = await pollUntil(status, (s) => idle(s) && s.cancelled > before);
    assert.ok(idle(after));
    assert.equal(after.cancelled, before + 1);
  });

  test('load: many concurrent, slow and disconnecting clients; afterwards it serves and holds nothing', async (t) => {
    // A server with a longer queue, so most clients get in and the slow and disconnecting ones matter.
    await server.close();
    server = await startServer({ runsDir, port: 0, limits: { maxQueued: 12 } });
    const before = await status();
    const body = (i: number) => ({ run: 'r1', prompt: `${PROMPT} Number ${i}.`, emotion: EMOTIONS[i % 6], method: i % 2 ? 'direction' : 'prompt', maxNewTokens: 24 });
    const clients: Promise<StreamResult>[] = [];
    for (let i = 0; i < 36; i++) {
      if (i % 3 === 0) clients.push(streamGenerate(server.port, body(i)));
      else if (i % 3 === 1) clients.push(streamGenerate(server.port, body(i), { readDelayMs: 15 }));
      else clients.push(streamGenerate(server.port, body(i), { onEvent: (e) => (e.event === 'queued' || e.event === 'token' ? 'disconnect' : undefined) }));
    }
    const results = await Promise.all(clients);
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const completed = results.filter((r) => r.events.some((e) => e.event === 'done')).length;
    assert.equal((byStatus.get(200) ?? 0) + (byStatus.get(503) ?? 0), results.length, `only 200 or 503: ${[...byStatus]}`);
    assert.ok((byStatus.get(503) ?? 0) > 0, 'some were told busy');
    assert.ok(completed > 0, 'some completed');
    const settled = await pollUntil(status, (s) => idle(s) && s.openConnections <= 1);
    assert.ok(idle(settled));
    assert.equal(settled.openConnections, 1, 'only the status request itself is open');
    const delta = { completed: settled.completed - before.completed, cancelled: settled.cancelled - before.cancelled, failed: settled.failed - before.failed, busy: settled.rejectedBusy - before.rejectedBusy };
    assert.equal(delta.failed, 0);
    assert.equal(delta.completed + delta.cancelled, byStatus.get(200));
    assert.equal(delta.busy, byStatus.get(503));
    t.diagnostic(`load: ${results.length} clients → ${byStatus.get(200)} streamed (${delta.completed} completed, ${delta.cancelled} cancelled by disconnect), ${byStatus.get(503)} busy; afterwards active ${settled.activeGenerations}, queued ${settled.queuedGenerations}, open connections ${settled.openConnections}`);
    // Still serving, and still generating.
    assert.equal((await rawRequest(server.port, 'GET', '/')).status, 200);
    const again = await streamGenerate(server.port, body(99));
    assert.ok(again.events.some((e) => e.event === 'done'));
  });
});
