/**
 * Model ids (`org/name`, optionally `org/name@revision`) resolved to a local folder in the standard
 * Hugging Face cache layout, so the rest of the engine only ever sees folders:
 *
 * ```
 * $HF_HUB_CACHE (default $HF_HOME/hub, default ~/.cache/huggingface/hub)
 * └── models--org--name/
 *     ├── blobs/<etag>                      file contents, named by their hub etag (sha256 for LFS)
 *     ├── refs/main                         the commit a branch or tag pointed to when downloaded
 *     ├── snapshots/<commit>/config.json -> ../../blobs/<etag>
 *     └── .no_exist/<commit>/chat_template.jinja   an optional file the repo does not have
 * ```
 *
 * Only the files the engine reads are fetched (config, tokenizer, chat template, safetensors
 * weights), never the whole repository. A cached snapshot that has them all is used without any
 * request. All HTTP goes through `@huggingface/hub` (including its Xet protocol); this file only
 * lays the bytes out in the cache and turns hub failures into typed errors.
 *
 * @example
 * ```ts
 * const dir = await resolveModel('Qwen/Qwen2.5-0.5B-Instruct'); // …/snapshots/<commit>
 * const same = await resolveModel(dir);                          // a local folder is itself
 * ```
 */
import { downloadFile, fileDownloadInfo, modelInfo } from '@huggingface/hub';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { ConfigError, DownloadError, EmotionCircuitsError } from '../errors.js';
import { INDEX_FILE, SINGLE_FILE } from './checkpoint.js';

export const DEFAULT_HUB_URL = 'https://huggingface.co';

/** Files fetched when the repository has them; the engine works without each of them. */
export const OPTIONAL_FILES = [
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'chat_template.jinja',
] as const;

export interface HubOptions {
  /** Hub base URL; default `$HF_ENDPOINT`, else https://huggingface.co (tests: a server on 127.0.0.1). */
  readonly hubUrl?: string;
  /** Cache root (the folder holding `models--org--name`); default {@link hubCacheDir}. */
  readonly cacheDir?: string;
  /** Access token (`hf_…`); default `$HF_TOKEN`, else the token file `huggingface-cli login` writes. */
  readonly token?: string;
  /** Branch, tag or commit for an id without `@revision`; default `main`. */
  readonly revision?: string;
  /** Use only the cache, never the network; default true when `$HF_HUB_OFFLINE` is 1/true/yes/on. */
  readonly offline?: boolean;
  /** A fetch to use instead of the global one (proxies, extra headers). */
  readonly fetch?: typeof fetch;
  /** Progress lines ("downloading org/name model.safetensors (1.2 GB)"); silent by default. */
  readonly log?: (line: string) => void;
}

export interface ModelId {
  /** `org/name`. */
  readonly repo: string;
  /** The part after `@`, when given. */
  readonly revision?: string;
}

// Hub names: letters, digits, '-', '_', '.'; no '--' or '..', not starting or ending with '-' or '.'.
const NAME_PART = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?';
const ID_PATTERN = new RegExp(`^(${NAME_PART}/${NAME_PART})(?:@([^\\s@]+))?$`);
const COMMIT_PATTERN = /^[0-9a-f]{40}$/;
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Parses `org/name` or `org/name@revision`; null when `spec` does not have that shape.
 * Does not look at the disk: {@link isModelId} and {@link resolveModel} let a local path win.
 */
export function parseModelId(spec: string): ModelId | null {
  const match = ID_PATTERN.exec(spec);
  if (!match || /--|\.\./.test(match[1])) return null;
  const revision = match[2];
  if (revision !== undefined && (revision.split('/').includes('..') || revision.startsWith('/'))) return null;
  return revision === undefined ? { repo: match[1] } : { repo: match[1], revision };
}

/** True when `spec` is shaped like a hub id (`org/name[@revision]`) and is not an existing local path. */
export function isModelId(spec: string): boolean {
  return parseModelId(spec) !== null && !existsSync(spec);
}

/** The hub cache root: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
export function hubCacheDir(): string {
  const env = process.env;
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

/** The folder `models--org--name` of a repository inside a cache root. */
export function repoCacheFolder(cacheDir: string, repo: string): string {
  return join(cacheDir, `models--${repo.split('/').join('--')}`);
}

/**
 * A short name for a model folder, for default run folders: the repository name for a snapshot
 * in the hub cache (`…/models--org--name/snapshots/<commit>` → `name`), else the folder's own name.
 */
export function modelFolderName(dir: string): string {
  const snapshots = dirname(dir);
  const repoFolder = basename(dirname(snapshots));
  if (basename(snapshots) === 'snapshots' && repoFolder.startsWith('models--')) return repoFolder.split('--').at(-1) ?? basename(dir);
  return basename(dir);
}

/**
 * A local folder for `spec`: an existing path is returned as it is; an id is fetched into the hub
 * cache (or found there) and its snapshot folder returned.
 */
export async function resolveModel(spec: string, options: HubOptions = {}): Promise<string> {
  if (existsSync(spec)) return spec;
  const id = parseModelId(spec);
  if (!id) {
    throw new ConfigError(spec, 'no such folder, and not a model id like org/name or org/name@revision');
  }
  const revision = id.revision ?? options.revision ?? 'main';
  const repoFolder = repoCacheFolder(options.cacheDir ?? hubCacheDir(), id.repo);
  const cached = cachedSnapshot(repoFolder, revision);
  if (cached.missing.length === 0 && cached.unknown.length === 0) return cached.dir;
  if (options.offline ?? isOfflineEnv()) {
    // Offline, optional files the cache says nothing about (a cache filled by another client) are taken as absent.
    if (cached.missing.length === 0) return cached.dir;
    throw new DownloadError(
      id.repo,
      `offline (HF_HUB_OFFLINE) and the cache at ${repoFolder} has no complete snapshot of revision ${revision} ` +
        `(missing ${cached.missing.join(', ')}). Download it once with network access, or unset HF_HUB_OFFLINE.`,
    );
  }
  return download(id.repo, revision, repoFolder, options);
}

function isOfflineEnv(): boolean {
  return /^(1|true|yes|on)$/i.test(process.env.HF_HUB_OFFLINE ?? '');
}

/**
 * The snapshot folder a revision points to in the cache; `missing`: the files the engine cannot do
 * without (config, weights) that it lacks; `unknown`: optional files neither cached nor marked absent.
 */
function cachedSnapshot(repoFolder: string, revision: string): { dir: string; missing: string[]; unknown: string[] } {
  const refFile = join(repoFolder, 'refs', revision);
  const commit = COMMIT_PATTERN.test(revision) ? revision : existsSync(refFile) ? readFileSync(refFile, 'utf8').trim() : null;
  if (commit === null || !COMMIT_PATTERN.test(commit)) return { dir: '', missing: [`refs/${revision}`], unknown: [] };
  const dir = join(repoFolder, 'snapshots', commit);
  const missing: string[] = [];
  if (!existsSync(join(dir, 'config.json'))) missing.push('config.json');
  const unknown = OPTIONAL_FILES.filter((file) => !existsSync(join(dir, file)) && !existsSync(join(repoFolder, '.no_exist', commit, file)));
  if (!existsSync(join(dir, SINGLE_FILE))) {
    if (!existsSync(join(dir, INDEX_FILE))) missing.push(SINGLE_FILE);
    else {
      try {
        for (const shard of shardsOfIndex(readFileSync(join(dir, INDEX_FILE), 'utf8'), join(dir, INDEX_FILE))) {
          if (!existsSync(join(dir, shard))) missing.push(shard);
        }
      } catch {
        missing.push(INDEX_FILE);
      }
    }
  }
  return { dir, missing, unknown };
}

/** The shard files named in a safetensors index's weight_map, each once, in order of first use. */
export function shardsOfIndex(text: string, where: string): string[] {
  let index: unknown;
  try {
    index = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(where, `not valid JSON: ${(error as Error).message}`);
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new ConfigError(where, 'has no weight_map object');
  }
  const shards = new Set<string>();
  for (const [tensor, shard] of Object.entries(weightMap)) {
    // A shard name is joined onto the cache folder: refuse anything that could leave it.
    if (typeof shard !== 'string' || !/^[^/\\]+\.safetensors$/.test(shard) || shard.startsWith('.')) {
      throw new ConfigError(where, `weight_map maps ${tensor} to ${JSON.stringify(shard)}, not a .safetensors file name in the same folder`);
    }
    shards.add(shard);
  }
  if (shards.size === 0) throw new ConfigError(where, 'weight_map is empty');
  return [...shards];
}

interface Connection {
  readonly repo: string;
  readonly hubUrl: string;
  readonly accessToken?: string;
  readonly fetch?: typeof fetch;
  readonly log: (line: string) => void;
}

async function download(repo: string, revision: string, repoFolder: string, options: HubOptions): Promise<string> {
  const hubUrl = (options.hubUrl ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const accessToken = options.token ?? defaultToken();
  if (accessToken !== undefined && !accessToken.startsWith('hf_')) {
    throw new DownloadError(repo, 'the access token (HF_TOKEN or the token option) must be a Hugging Face token starting with hf_');
  }
  const connection: Connection = { repo, hubUrl, accessToken, fetch: options.fetch, log: options.log ?? (() => {}) };

  let commit: string;
  let repoFiles: Set<string>;
  try {
    const info = await modelInfo({ name: repo, revision, additionalFields: ['sha', 'filePaths'], hubUrl, accessToken, fetch: options.fetch });
    commit = info.sha;
    repoFiles = new Set(info.filePaths);
  } catch (error) {
    throw hubFailure(error, connection, undefined, revision);
  }
  if (typeof commit !== 'string' || !COMMIT_PATTERN.test(commit)) {
    throw new DownloadError(repo, `the hub at ${hubUrl} gave no commit hash for revision ${revision} (got ${JSON.stringify(commit)})`);
  }
  if (!repoFiles.has('config.json')) {
    throw new DownloadError(`${repo}/config.json`, `the repository has no config.json at revision ${revision}; it is not a transformers model folder`);
  }

  const snapshot = join(repoFolder, 'snapshots', commit);
  await fetchToCache(connection, repoFolder, commit, 'config.json');
  for (const file of OPTIONAL_FILES) {
    if (repoFiles.has(file)) await fetchToCache(connection, repoFolder, commit, file);
    else writeMarker(join(repoFolder, '.no_exist', commit, file));
  }
  if (repoFiles.has(SINGLE_FILE)) {
    await fetchToCache(connection, repoFolder, commit, SINGLE_FILE);
  } else if (repoFiles.has(INDEX_FILE)) {
    await fetchToCache(connection, repoFolder, commit, INDEX_FILE);
    for (const shard of shardsOfIndex(readFileSync(join(snapshot, INDEX_FILE), 'utf8'), `${repo}/${INDEX_FILE}`)) {
      if (!repoFiles.has(shard)) throw new DownloadError(`${repo}/${shard}`, `${INDEX_FILE} names this shard but the repository (revision ${revision}) has no such file`);
      await fetchToCache(connection, repoFolder, commit, shard);
    }
  } else {
    const other = [...repoFiles].filter((file) => /\.(bin|pt|pth|ckpt|h5|msgpack|gguf|safetensors)$/.test(file));
    throw new DownloadError(
      repo,
      `no safetensors weights at revision ${revision}: expected ${SINGLE_FILE} or ${INDEX_FILE}` +
        (other.length > 0 ? `, found ${other.join(', ')}` : ', found no weight files') +
        '. PyTorch .bin (and other non-safetensors) weights are not supported: pick a repository or revision that ships safetensors, or convert with transformers (save_pretrained with safe_serialization=True).',
    );
  }
  // The ref last: a cache with a ref but missing files is only ever a finished download.
  if (revision !== commit) writeMarker(join(repoFolder, 'refs', revision), commit);
  return snapshot;
}

/** `$HF_TOKEN`, else the token file of `huggingface-cli login` (`$HF_TOKEN_PATH`, `$HF_HOME/token`). */
function defaultToken(): string | undefined {
  const env = process.env;
  const fromEnv = env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN;
  if (fromEnv) return fromEnv.trim();
  const file = env.HF_TOKEN_PATH ?? join(env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface'), 'token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function writeMarker(file: string, text = ''): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Places `snapshots/<commit>/<file>` in the cache (a relative symlink to its blob), downloading the blob if absent. */
async function fetchToCache(connection: Connection, repoFolder: string, commit: string, file: string): Promise<void> {
  const pointer = join(repoFolder, 'snapshots', commit, file);
  if (existsSync(pointer)) return;
  const { repo, hubUrl, accessToken } = connection;
  const where = `${repo}/${file}`;
  const params = { repo, path: file, revision: commit, hubUrl, accessToken, fetch: connection.fetch };
  let info: Awaited<ReturnType<typeof fileDownloadInfo>>;
  try {
    info = await fileDownloadInfo(params);
  } catch (error) {
    throw hubFailure(error, connection, file, commit);
  }
  if (!info) throw new DownloadError(where, `not found at revision ${commit}`);
  const etag = info.etag.replace(/^W\//, '').replace(/"/g, '');
  if (!/^[A-Za-z0-9._-]+$/.test(etag) || etag.startsWith('.')) throw new DownloadError(where, `the hub sent an unusable etag ${JSON.stringify(info.etag)}`);
  const blobPath = join(repoFolder, 'blobs', etag);

  if (!existsSync(blobPath)) {
    connection.log(`downloading ${where} (${formatBytes(info.size)})`);
    mkdirSync(dirname(blobPath), { recursive: true });
    const partial = `${blobPath}.${process.pid}.${randomBytes(4).toString('hex')}.incomplete`;
    const sha256 = createHash('sha256');
    let bytes = 0;
    try {
      const blob = await downloadFile({ ...params, downloadInfo: info });
      if (!blob) throw new DownloadError(where, `not found at revision ${commit}`);
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done): void {
          sha256.update(chunk);
          bytes += chunk.byteLength;
          done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(blob.stream() as NodeReadableStream<Uint8Array>), counter, createWriteStream(partial));
    } catch (error) {
      rmSync(partial, { force: true });
      throw hubFailure(error, connection, file, commit);
    }
    if (bytes !== info.size) {
      rmSync(partial, { force: true });
      throw new DownloadError(where, `received ${bytes} bytes, expected ${info.size}; the download was cut short, try again`);
    }
    // LFS files are named by their sha256: check it, so a corrupt blob never enters the cache.
    if (SHA256_PATTERN.test(etag) && sha256.digest('hex') !== etag) {
      rmSync(partial, { force: true });
      throw new DownloadError(where, `content does not match its sha256 ${etag}; try again`);
    }
    renameSync(partial, blobPath);
  }

  mkdirSync(dirname(pointer), { recursive: true });
  rmSync(pointer, { force: true }); // a dangling link left by a removed blob
  try {
    symlinkSync(relative(dirname(pointer), blobPath), pointer);
  } catch {
    copyFileSync(blobPath, pointer); // file systems without symlinks, as the Python client does
  }
}

/** A hub or network failure as a DownloadError naming the repository and file and what to do. */
function hubFailure(error: unknown, connection: Connection, file: string | undefined, revision: string): EmotionCircuitsError {
  if (error instanceof EmotionCircuitsError) return error;
  const { repo, hubUrl, accessToken } = connection;
  const where = file === undefined ? repo : `${repo}/${file}`;
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (status === 401 || status === 403) {
    return new DownloadError(
      where,
      `the hub refused access (HTTP ${status}): the repository is private or gated, or does not exist. ` +
        (accessToken === undefined
          ? 'Set HF_TOKEN to a Hugging Face access token (hf_…) that can read it'
          : 'The token given (HF_TOKEN or the token option) cannot read it') +
        '; for a gated model, accept its terms on the model page first.',
    );
  }
  if (status === 404) {
    return file === undefined
      ? new DownloadError(where, `no repository ${repo} with revision ${revision} on ${hubUrl}, and no local folder of that name either (hub: ${message})`)
      : new DownloadError(where, `not found at revision ${revision} on ${hubUrl}`);
  }
  if (typeof status === 'number') return new DownloadError(where, `the hub at ${hubUrl} answered HTTP ${status}: ${message}`);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : message;
  return new DownloadError(
    where,
    `could not download from ${hubUrl} (${reason}). Check the network connection or HF_ENDPOINT; with the files already cached, HF_HUB_OFFLINE=1 uses the cache only.`,
  );
}

function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}
