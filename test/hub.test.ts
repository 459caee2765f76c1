/**
 * Model ids through a fake Hugging Face hub on 127.0.0.1: the cache layout, loading by id, sharded
 * weights, no requests once cached, offline mode, and the errors for missing, gated and .bin-only
 * repositories and for an unreachable hub. The fake serves only what `@huggingface/hub` asks for;
 * any other request is logged and fails the test.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { DownloadError, EmotionCircuitsError } from '../src/errors.js';
import { isModelId, modelFolderName, parseModelId, resolveModel } from '../src/model/hub.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { encodeSafetensors, SafetensorsReader } from '../src/model/safetensors.js';
import { SHARED_DIR, SHARED_SKIP_MESSAGE, sharedPath } from './helpers/shared.js';

test('model ids are org/name with an optional @revision; anything else is a path', () => {
  assert.deepEqual(parseModelId('Qwen/Qwen2.5-0.5B-Instruct'), { repo: 'Qwen/Qwen2.5-0.5B-Instruct' });
  assert.deepEqual(parseModelId('org/name@v1.0'), { repo: 'org/name', revision: 'v1.0' });
  assert.deepEqual(parseModelId('org/name@refs/pr/1'), { repo: 'org/name', revision: 'refs/pr/1' });
  for (const path of ['name', './org/name', '../org/name', '/abs/name', 'a/b/c', 'org/na--me', 'org/name@', 'org/name@../x', '~/x', 'org/']) {
    assert.equal(parseModelId(path), null, path);
    assert.equal(isModelId(path), false, path);
  }
  assert.equal(isModelId('org/name'), true);
  assert.equal(modelFolderName(join('cache', 'models--org--tiny', 'snapshots', 'a'.repeat(40))), 'tiny');
  assert.equal(modelFolderName(join('models', 'tiny')), 'tiny');
});

test('a path that exists locally is returned as it is, without a hub', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ec-hub-local-'));
  try {
    assert.equal(await resolveModel(dir, { hubUrl: 'http://127.0.0.1:9', offline: true }), dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface FakeRepo {
  readonly sha: string;
  readonly files: Map<string, Buffer>;
  /** When set, every request must carry `Authorization: Bearer <token>` (else 401). */
  readonly token?: string;
  /** Serve an etag that is not the sha256 of the bytes (a corrupted transfer or store). */
  readonly wrongEtag?: boolean;
}

/** A minimal hub: model info with siblings, and `resolve` with range probes. Counts every request. */
class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly requests: string[] = [];
  readonly unknown: string[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    this.requests.push(`${request.method} ${path}`);
    const info = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repoName = info?.[1] ?? resolve?.[1];
    if (request.method !== 'GET' || !repoName) {
      this.unknown.push(`${request.method} ${request.url}`);
      console.error(`fake hub: unknown request ${request.method} ${request.url}`);
      return json(response, 404, { error: 'unknown endpoint' });
    }
    const repo = this.repos.get(repoName);
    if (repo?.token !== undefined && request.headers.authorization !== `Bearer ${repo.token}`) {
      return json(response, 401, { error: 'Invalid credentials in Authorization header' });
    }
    if (!repo) return json(response, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    const revision = (info ?? resolve)![2];
    if (revision !== 'main' && revision !== repo.sha) return json(response, 404, { error: `Invalid rev id: ${revision}` }, { 'X-Error-Code': 'RevisionNotFound' });
    if (info) {
      return json(response, 200, {
        _id: repoName,
        id: repoName,
        sha: repo.sha,
        private: false,
        gated: false,
        downloads: 0,
        likes: 0,
        lastModified: '2024-01-01T00:00:00.000Z',
        siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
      });
    }
    const body = repo.files.get(resolve![3]);
    if (!body) return json(response, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    const etag = createHash('sha256').update(repo.wrongEtag ? Buffer.concat([body, Buffer.from('x')]) : body).digest('hex');
    const headers = { ETag: `"${etag}"`, 'X-Repo-Commit': repo.sha, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = Math.min(Number(range[2]), body.length - 1);
      const slice = body.subarray(start, end + 1);
      response.writeHead(206, { ...headers, 'Content-Range': `bytes ${start}-${end}/${body.length}`, 'Content-Length': slice.length });
      return void response.end(slice);
    }
    response.writeHead(200, { ...headers, 'Content-Length': body.length });
    response.end(body);
  }
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function commitOf(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** The fixture's tensors split into two shards plus an index, as `save_pretrained` writes them. */
function shardedWeights(modelFile: string): Map<string, Buffer> {
  const reader = SafetensorsReader.open(modelFile);
  try {
    const names = [...reader.tensors.keys()].sort();
    const half = Math.ceil(names.length / 2);
    const parts = [names.slice(0, half), names.slice(half)];
    const files = new Map<string, Buffer>();
    const weightMap: Record<string, string> = {};
    parts.forEach((part, i) => {
      const shard = `model-0000${i + 1}-of-00002.safetensors`;
      for (const name of part) weightMap[name] = shard;
      files.set(shard, Buffer.from(encodeSafetensors(part.map((name) => ({ name, shape: reader.info(name).shape, data: reader.readF32(name) })))));
    });
    files.set('model.safetensors.index.json', Buffer.from(JSON.stringify({ metadata: {}, weight_map: weightMap })));
    return files;
  } finally {
    reader.close();
  }
}

function expectDownloadError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof DownloadError, `expected a DownloadError, got ${String(error)}`);
    assert.equal((error as EmotionCircuitsError).code, 'DOWNLOAD');
    assert.match((error as Error).message, pattern);
    return true;
  };
}

const TOKEN_IDS = [1, 17, 42, 99, 3, 250, 7];

describe('model ids through a fake hub', { skip: SHARED_DIR ? false : SHARED_SKIP_MESSAGE }, () => {
  const hub = new FakeHub();
  const home = mkdtempSync(join(tmpdir(), 'ec-hub-home-'));
  const savedEnv = { ...process.env };
  let fixtureDir = '';
  let fixtureLogits: Float32Array | null = null;

  before(async () => {
    for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE', 'HF_HUB_CACHE', 'HF_ENDPOINT', 'XDG_CACHE_HOME']) delete process.env[name];
    process.env.HF_HOME = home;
    fixtureDir = sharedPath('fixtures', 'random-qwen2');
    const tokenizerDir = sharedPath('models', 'tinystories-656k');
    const common = new Map<string, Buffer>([
      ['config.json', readFileSync(join(fixtureDir, 'config.json'))],
      ['README.md', Buffer.from('# a model card the engine does not need\n')],
    ]);
    for (const name of ['generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) common.set(name, readFileSync(join(tokenizerDir, name)));
    const weights = readFileSync(join(fixtureDir, 'model.safetensors'));
    hub.repos.set('test-org/tiny-qwen2', {
      sha: commitOf('single'),
      // pytorch_model.bin beside the safetensors must never be fetched.
      files: new Map([...common, ['model.safetensors', weights], ['pytorch_model.bin', Buffer.from('not fetched')]]),
    });
    hub.repos.set('test-org/tiny-qwen2-sharded', { sha: commitOf('sharded'), files: new Map([...common, ...shardedWeights(join(fixtureDir, 'model.safetensors'))]) });
    hub.repos.set('test-org/gated', { sha: commitOf('gated'), token: 'hf_fake_token', files: new Map([...common, ['model.safetensors', weights]]) });
    hub.repos.set('test-org/corrupt', { sha: commitOf('corrupt'), wrongEtag: true, files: new Map([...common, ['model.safetensors', weights]]) });
    hub.repos.set('test-org/bin-only', { sha: commitOf('bin'), files: new Map([...common, ['pytorch_model.bin', Buffer.from('pickle')]]) });
    await hub.start();

    const model = await LanguageModel.load(fixtureDir);
    try {
      fixtureLogits = Float32Array.from(model.run(TOKEN_IDS).logits!.data);
    } finally {
      await model.dispose();
    }
  });

  after(async () => {
    await hub.close();
    process.env = savedEnv;
    rmSync(home, { recursive: true, force: true });
    assert.deepEqual(hub.unknown, [], 'the fake hub got requests it does not implement');
  });

  async function logitsOf(spec: string): Promise<Float32Array> {
    const model = await LanguageModel.load(spec, { hub: { hubUrl: hub.url } });
    try {
      return Float32Array.from(model.run(TOKEN_IDS).logits!.data);
    } finally {
      await model.dispose();
    }
  }

  test('an id downloads only the engine files into the standard cache layout under HF_HOME', async () => {
    const repo = hub.repos.get('test-org/tiny-qwen2')!;
    const dir = await resolveModel('test-org/tiny-qwen2', { hubUrl: hub.url });
    const repoFolder = join(home, 'hub', 'models--test-org--tiny-qwen2');
    assert.equal(dir, join(repoFolder, 'snapshots', repo.sha));
    assert.equal(readFileSync(join(repoFolder, 'refs', 'main'), 'utf8'), repo.sha);
    for (const name of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'model.safetensors']) {
      const file = join(dir, name);
      assert.ok(lstatSync(file).isSymbolicLink(), `${name} is a link into blobs/`);
      assert.match(readlinkSync(file), /^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
      assert.deepEqual(readFileSync(file), repo.files.get(name), name);
    }
    // The optional file the repo lacks is remembered as absent, as huggingface_hub does.
    assert.ok(existsSync(join(repoFolder, '.no_exist', repo.sha, 'chat_template.jinja')));
    assert.ok(!existsSync(join(dir, 'README.md')) && !existsSync(join(dir, 'pytorch_model.bin')));
    assert.ok(!hub.requests.some((r) => /README|pytorch_model/.test(r)), hub.requests.join('\n'));
  });

  test('LanguageModel.load by id gives the same logits as the folder, and a second load makes no request', async () => {
    const logits = await logitsOf('test-org/tiny-qwen2');
    assert.deepEqual(logits, fixtureLogits);
    const before = hub.requests.length;
    assert.deepEqual(await logitsOf('test-org/tiny-qwen2'), fixtureLogits);
    const sha = hub.repos.get('test-org/tiny-qwen2')!.sha;
    assert.equal((await resolveModel(`test-org/tiny-qwen2@${sha}`, { hubUrl: hub.url })).endsWith(sha), true);
    assert.deepEqual(hub.requests.slice(before), [], 'cached files must not touch the network');
  });

  test('HF_HUB_OFFLINE uses the cache, and says clearly when it has nothing', async () => {
    process.env.HF_HUB_OFFLINE = '1';
    try {
      const before = hub.requests.length;
      assert.ok((await resolveModel('test-org/tiny-qwen2', { hubUrl: hub.url })).includes('models--test-org--tiny-qwen2'));
      // A cache filled by another client may not record optional files as absent: offline, that is fine.
      rmSync(join(home, 'hub', 'models--test-org--tiny-qwen2', '.no_exist'), { recursive: true });
      assert.ok((await resolveModel('test-org/tiny-qwen2', { hubUrl: hub.url })).includes('models--test-org--tiny-qwen2'));
      await assert.rejects(resolveModel('test-org/not-downloaded', { hubUrl: hub.url }), expectDownloadError(/^test-org\/not-downloaded: offline \(HF_HUB_OFFLINE\).*missing refs\/main/));
      assert.equal(hub.requests.length, before);
    } finally {
      delete process.env.HF_HUB_OFFLINE;
    }
  });

  test('sharded weights: the index and every shard it names are downloaded, and load gives the same logits', async () => {
    const before = hub.requests.length;
    const dir = await resolveModel('test-org/tiny-qwen2-sharded', { hubUrl: hub.url });
    for (const name of ['model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
      assert.ok(existsSync(join(dir, name)), name);
      assert.ok(hub.requests.slice(before).some((r) => r.endsWith(`/${name}`)), `${name} was requested`);
    }
    assert.deepEqual(await logitsOf('test-org/tiny-qwen2-sharded'), fixtureLogits);
  });

  test('errors name the repository and say what to do', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'ec-hub-cache-'));
    try {
      await assert.rejects(resolveModel('test-org/missing', { hubUrl: hub.url, cacheDir }), expectDownloadError(/^test-org\/missing: no repository test-org\/missing/));
      await assert.rejects(resolveModel('test-org/tiny-qwen2@v9', { hubUrl: hub.url, cacheDir }), expectDownloadError(/test-org\/tiny-qwen2 with revision v9/));
      await assert.rejects(resolveModel('test-org/gated', { hubUrl: hub.url, cacheDir }), expectDownloadError(/^test-org\/gated: .*HTTP 401.*Set HF_TOKEN/));
      await assert.rejects(resolveModel('test-org/gated', { hubUrl: hub.url, cacheDir, token: 'hf_wrong' }), expectDownloadError(/HTTP 401.*token given .* cannot read it/));
      await assert.rejects(resolveModel('test-org/gated', { hubUrl: hub.url, cacheDir, token: 'not-a-token' }), expectDownloadError(/starting with hf_/));
      process.env.HF_TOKEN = 'hf_fake_token';
      assert.ok(existsSync(join(await resolveModel('test-org/gated', { hubUrl: hub.url, cacheDir }), 'model.safetensors')));
      delete process.env.HF_TOKEN;
      await assert.rejects(
        resolveModel('test-org/bin-only', { hubUrl: hub.url, cacheDir }),
        expectDownloadError(/^test-org\/bin-only: no safetensors weights.*found pytorch_model\.bin.*\.bin .*not supported/),
      );
      await assert.rejects(resolveModel('test-org/corrupt', { hubUrl: hub.url, cacheDir }), expectDownloadError(/^test-org\/corrupt\/config\.json: content does not match its sha256/));
      assert.deepEqual(readdirSync(join(cacheDir, 'models--test-org--corrupt', 'blobs')), [], 'a corrupt blob never enters the cache');
      await assert.rejects(resolveModel('no/such/folder', { hubUrl: hub.url, cacheDir }), (error: unknown) => (error as EmotionCircuitsError).code === 'CONFIG');
    } finally {
      delete process.env.HF_TOKEN;
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('an unreachable hub is a network error naming the repository and file', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const cacheDir = mkdtempSync(join(tmpdir(), 'ec-hub-cache-'));
    try {
      await assert.rejects(resolveModel('test-org/tiny-qwen2', { hubUrl: deadUrl, cacheDir }), expectDownloadError(/^test-org\/tiny-qwen2: could not download from http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\).*HF_HUB_OFFLINE/));
      // A failure in the middle of a file names that file.
      const cutting = (async (input: string | URL | Request, init?: RequestInit) => {
        const url = String(input instanceof Request ? input.url : input);
        if (url.endsWith('/model.safetensors')) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
        return fetch(input, init);
      }) as typeof fetch;
      await assert.rejects(resolveModel('test-org/tiny-qwen2', { hubUrl: hub.url, cacheDir, fetch: cutting }), expectDownloadError(/^test-org\/tiny-qwen2\/model\.safetensors: could not download .*ECONNRESET/));
      assert.ok(!existsSync(join(cacheDir, 'models--test-org--tiny-qwen2', 'refs', 'main')), 'no ref for an unfinished download');
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('the CLI takes an id for --model, with HF_ENDPOINT and HF_HOME from the environment', async () => {
    const cliHome = mkdtempSync(join(tmpdir(), 'ec-hub-cli-'));
    const out = join(cliHome, 'trace.safetensors');
    // Asynchronous child: the fake hub answers from this process's event loop.
    const run = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, [join(process.cwd(), 'dist', 'src', 'cli', 'main.js'), 'trace', '--model', 'test-org/tiny-qwen2', '--ids', '5,6,7', '--hooks', 'logits', '--out', out], {
        env: { ...process.env, HF_HOME: cliHome, ...env },
      });
    try {
      const first = await run({ HF_ENDPOINT: hub.url });
      assert.match(first.stderr, /trace: downloading test-org\/tiny-qwen2\/model\.safetensors/);
      const saved = SafetensorsReader.open(out);
      assert.deepEqual(saved.tensors.get('logits')!.shape, [3, 256]);
      saved.close();
      assert.ok(existsSync(join(cliHome, 'hub', 'models--test-org--tiny-qwen2', 'refs', 'main')));
      const second = await run({ HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
      assert.doesNotMatch(second.stderr, /downloading/);
    } finally {
      rmSync(cliHome, { recursive: true, force: true });
    }
  });
});
