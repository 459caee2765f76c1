/**
 * The local web UI (`emotion-circuits serve`): node:http, no framework, bound to 127.0.0.1 by
 * default. Routes (paths are matched on the raw, undecoded request path):
 *
 * ```
 * GET  /                                  runs list, each run's random-weight twin under it
 * GET  /runs/{run}/                       a run: files, manifest, links to its report and the playground
 * GET  /runs/{run}/report                 the run's report.html, rendered on the fly when the run has none
 * GET  /runs/{run}/files/{path…}          a file (or folder listing) inside the run
 * GET  /runs/{run}/twin/…                 the same three for the run's twin (RUN/twin)
 * GET  /playground[?run=NAME]             the steering playground (NAME or NAME/twin)
 * GET  /assets/playground.js              its script
 * GET  /api/runs, /api/runs/{run}[/twin]  JSON: runs (twins nested as "twin"), and one run's available methods
 * POST /api/generate                      SSE stream of the unsteered and steered continuations
 * POST /api/generations/{id}/cancel       cancels a waiting or running generation
 * GET  /api/status                        active/queued generations, open connections, counters
 * ```
 * {run} is a run folder's name under the runs folder, or, when the runs folder is itself a run, that
 * folder's name (runIndex.ts). Nothing outside the runs folder is readable (see safePath.ts).
 * Requests whose Host header is not this server's (DNS rebinding) and cross-origin POSTs are refused.
 *
 * @example
 * const server = await startServer({ runsDir: 'runs', port: 0 });
 * console.log(server.url); await server.close();
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { MANIFEST_FILE, RunFolder, TWIN_DIR } from '../pipeline/run/runStore.js';
import { renderReport, REPORT_FILE } from '../report/index.js';
import { DEFAULT_LIMITS, HttpError, parsePlaygroundRequest, readBody, startPlaygroundStream, type ServerLimits } from './generateRoute.js';
import { GenerationQueue, type QueueCounters } from './generationQueue.js';
import { ModelHost } from './modelHost.js';
import type { WeightsMode } from '../model/weights.js';
import { folderPage, playgroundPage, runPage, runsPage } from './pages.js';
import { availableMethods } from './playgroundArms.js';
import { hasServedTwin, playgroundRunFolder, runName, servedRunFolder, servedRuns } from './runIndex.js';
import { resolveUnderRoot } from './safePath.js';

export interface ServerOptions {
  /** The runs folder; nothing outside it is served. */
  runsDir: string;
  /** 0 picks a free port. Default 8642. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** One model folder or hub id for every run, instead of each run manifest's model. */
  model?: string;
  /** One weights mode for every run, instead of each run manifest's (manifest.model.weights). */
  weights?: WeightsMode;
  limits?: Partial<ServerLimits>;
}

export interface ServerStatus extends QueueCounters {
  activeGenerations: number;
  queuedGenerations: number;
  openConnections: number;
  modelLoaded: string | null;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  status(): ServerStatus;
  close(): Promise<void>;
}

/** Files from run folders render in a sandbox with no network: a report cannot call the API or load anything. */
const RUN_FILE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; sandbox allow-scripts allow-downloads";
const APP_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.json': 'application/json; charset=utf-8', '.jsonl': 'text/plain; charset=utf-8', '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8', '.csv': 'text/csv; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
};

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), headers);
}

function listFolder(dir: string): { name: string; isDir: boolean; size: number }[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .map((e) => {
      const stat = fs.statSync(path.join(dir, e.name), { throwIfNoEntry: false });
      return { name: e.name, isDir: stat?.isDirectory() ?? false, size: stat?.size ?? 0 };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The compiled playground script, next to this module's folder in dist. */
function playgroundScript(): string {
  return fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web', 'playground.js'), 'utf8');
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const host = options.host ?? '127.0.0.1';
  if (!fs.existsSync(options.runsDir) || !fs.statSync(options.runsDir).isDirectory()) {
    throw new UsageError(`serve: the runs folder ${options.runsDir} does not exist; make a run first (emotion-circuits directions --out ${options.runsDir}/my-run) or pass --runs DIR`);
  }
  const root = fs.realpathSync(options.runsDir);
  const queue = new GenerationQueue({ maxQueued: limits.maxQueued });
  const models = new ModelHost(options.model, options.weights);
  const sockets = new Set<Socket>();
  let allowedHosts = new Set<string>();
  /** Reports being rendered, by run folder, so concurrent views share one rendering. */
  const renders = new Map<string, Promise<string>>();

  /** A file or folder listing inside the run folder `runDir` (a realpath); `base` is the run's raw URL path. */
  const serveRunFile = (res: http.ServerResponse, runDir: string, base: string, title: string, rawRest: string[], trailingSlash: boolean): void => {
    const resolved = resolveUnderRoot(runDir, rawRest);
    if (resolved.kind !== 'ok') throw new HttpError(resolved.status, resolved.reason);
    if (resolved.stat.isDirectory()) {
      if (!trailingSlash) return send(res, 301, 'text/plain', 'moved', { Location: `${base}/files/${rawRest.join('/')}/` });
      return send(res, 200, 'text/html; charset=utf-8', folderPage([title, ...rawRest.map(decodeURIComponent)].join('/'), '', listFolder(resolved.path)), { 'Content-Security-Policy': APP_CSP });
    }
    if (!resolved.stat.isFile()) throw new HttpError(403, 'not a regular file');
    const type = TYPES[path.extname(resolved.path).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(resolved.stat.size), 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': RUN_FILE_CSP });
    fs.createReadStream(resolved.path).on('error', () => res.destroy()).pipe(res);
  };

  /** /runs/{run}[/twin]/…: `rawName` the raw run segment, `rest` the raw segments after the run (and twin). */
  const serveRun = async (res: http.ServerResponse, rawName: string, twin: boolean, rest: string[], trailingSlash: boolean): Promise<void> => {
    const runDir = servedRunFolder(root, rawName, twin);
    const base = `/runs/${rawName}${twin ? `/${TWIN_DIR}` : ''}`;
    const name = runName(decodeURIComponent(rawName), twin);
    if (rest.length === 0) {
      if (!trailingSlash) return send(res, 301, 'text/plain', 'moved', { Location: `${base}/` });
      const manifest = fs.readFileSync(path.join(runDir, MANIFEST_FILE), 'utf8');
      const related = twin ? { twinOf: decodeURIComponent(rawName) } : hasServedTwin(root, runDir) ? { twin: runName(name, true) } : {};
      return send(res, 200, 'text/html; charset=utf-8', runPage(name, manifest, listFolder(runDir), fs.existsSync(path.join(runDir, REPORT_FILE)), related), { 'Content-Security-Policy': APP_CSP });
    }
    if (rest.length === 1 && rest[0] === 'report') {
      if (fs.existsSync(path.join(runDir, REPORT_FILE))) return serveRunFile(res, runDir, base, name, [REPORT_FILE], false);
      // No report.html yet: render one for this view (nothing is written into the run folder).
      let rendering = renders.get(runDir);
      if (!rendering) {
        rendering = renderReport(runDir).finally(() => renders.delete(runDir));
        renders.set(runDir, rendering);
      }
      return send(res, 200, 'text/html; charset=utf-8', await rendering, { 'Content-Security-Policy': RUN_FILE_CSP });
    }
    if (rest[0] === 'files') return serveRunFile(res, runDir, base, name, rest.slice(1), trailingSlash);
    throw new HttpError(404, 'not found');
  };

  const route = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const rawUrl = req.url ?? '/';
    if (!rawUrl.startsWith('/')) throw new HttpError(400, 'request targets must be paths');
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    if (!allowedHosts.has(hostHeader) && !['0.0.0.0', '::'].includes(host)) throw new HttpError(403, `unexpected Host header ${JSON.stringify(hostHeader)}`);
    const [rawPath, query = ''] = rawUrl.split('?', 2);
    const trailingSlash = rawPath.endsWith('/') && rawPath.length > 1;
    const parts = rawPath.split('/').slice(1);
    if (trailingSlash) parts.pop();
    const method = req.method ?? 'GET';
    if (method === 'POST') {
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedHosts.has(origin.replace(/^https?:\/\//, '').toLowerCase())) throw new HttpError(403, 'cross-origin requests are refused');
      if (rawPath === '/api/generate') {
        const body = await readBody(req, limits.maxBodyBytes);
        const request = parsePlaygroundRequest(body, limits, (name) => playgroundRunFolder(root, name));
        return startPlaygroundStream(res, request, queue, models, limits);
      }
      if (parts.length === 4 && parts[0] === 'api' && parts[1] === 'generations' && parts[3] === 'cancel') {
        await readBody(req, limits.maxBodyBytes);
        const cancelled = queue.cancel(decodeURIComponent(parts[2]), 'cancelled by request');
        return sendJson(res, cancelled ? 200 : 404, cancelled ? { cancelled: true } : { error: 'no such generation (finished already?)' });
      }
      throw new HttpError(404, 'no such endpoint');
    }
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not supported`);
    if (rawPath === '/') return send(res, 200, 'text/html; charset=utf-8', runsPage(options.runsDir, servedRuns(root)), { 'Content-Security-Policy': APP_CSP });
    if (rawPath === '/playground') return send(res, 200, 'text/html; charset=utf-8', playgroundPage(limits), { 'Content-Security-Policy': APP_CSP });
    if (rawPath === '/assets/playground.js') return send(res, 200, 'text/javascript; charset=utf-8', playgroundScript());
    if (rawPath === '/api/runs') return sendJson(res, 200, servedRuns(root));
    if (rawPath === '/api/status') return sendJson(res, 200, status());
    const apiTwin = parts[3] === TWIN_DIR;
    if (parts[0] === 'api' && parts[1] === 'runs' && (parts.length === 3 || (parts.length === 4 && apiTwin))) {
      const runDir = servedRunFolder(root, parts[2], apiTwin);
      return sendJson(res, 200, { name: runName(decodeURIComponent(parts[2]), apiTwin), methods: availableMethods(runDir), manifest: RunFolder.read(runDir) });
    }
    if (parts[0] === 'runs' && parts.length >= 2) {
      const runTwin = parts[2] === TWIN_DIR;
      return serveRun(res, parts[1], runTwin, parts.slice(runTwin ? 3 : 2), trailingSlash);
    }
    void query;
    throw new HttpError(404, 'not found');
  };

  const server = http.createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const headers = error instanceof HttpError ? error.headers : {};
      // After a refused body the rest of it is not read: close the connection instead of draining it.
      if (status === 413) headers.Connection = 'close';
      sendJson(res, status, { error: message }, headers);
      const socket = req.socket;
      if (status === 413) res.on('finish', () => socket?.destroy());
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const status = (): ServerStatus => ({
    activeGenerations: queue.active,
    queuedGenerations: queue.queued,
    openConnections: sockets.size,
    modelLoaded: models.loadedDir,
    ...queue.counters,
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8642, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`]);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    status,
    close: async () => {
      await queue.drain();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await models.dispose();
    },
  };
}
