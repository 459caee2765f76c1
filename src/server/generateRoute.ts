/**
 * POST /api/generate: validates a playground request, queues it, and streams both continuations as
 * server-sent events on the response:
 *
 * ```
 * event: queued     data: {"id","position"}          (the id is what /api/generations/{id}/cancel takes)
 * event: start      data: {"model"}
 * event: token      data: {"arm":"unsteered"|"steered","text"}   (the arm's whole text so far)
 * event: done       data: {"unsteered":{text,tokens,stopReason},"steered":{…}}
 * event: cancelled  data: {"reason"}
 * event: error      data: {"message"}
 * ```
 * A client that disconnects cancels its job, waiting or running; a client that stops reading for
 * `slowClientMs` is cancelled too, so a stuck socket cannot hold the only generation slot.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EMOTIONS, type Emotion } from '../emotions.js';
import { EmotionCircuitsError } from '../errors.js';
import type { GenerationQueue } from './generationQueue.js';
import type { ModelHost } from './modelHost.js';
import { availableMethods, buildArms, METHODS, type Method } from './playgroundArms.js';
import { perSequenceHooks } from '../interventions/perSequence.js';
import { DEFAULT_DECODING, generationOptions, resolveDecoding } from '../pipeline/control/decoding.js';
import { TextStream } from '../pipeline/control/textStream.js';

export interface ServerLimits {
  /** Request bodies beyond this many bytes get 413. */
  maxBodyBytes: number;
  /** Prompts beyond this many characters get 413. */
  maxPromptChars: number;
  /** Upper bound of maxNewTokens (400 beyond it). */
  maxNewTokens: number;
  /** Waiting jobs beyond the running one; more get 503 busy. */
  maxQueued: number;
  /** A client that does not read for this long is cancelled. */
  slowClientMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = { maxBodyBytes: 16 * 1024, maxPromptChars: 2000, maxNewTokens: 200, maxQueued: 4, slowClientMs: 30_000 };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The request body as text, or HttpError 413 as soon as it exceeds `limit` bytes. */
export async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new HttpError(413, `request body of ${declared} bytes exceeds the limit of ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, `request body exceeds the limit of ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface PlaygroundRequest {
  runDir: string;
  prompt: string;
  emotion: Emotion;
  method: Method;
  strength: number | null;
  maxNewTokens: number;
  seed: number;
}

/** Checks a parsed body; `resolveRun` maps a run name to its folder (or throws HttpError). */
export function parsePlaygroundRequest(body: string, limits: ServerLimits, resolveRun: (name: string) => string): PlaygroundRequest {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(body) as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'the body must be JSON: {"run","prompt","emotion","method","strength","maxNewTokens"}');
  }
  if (typeof json !== 'object' || json === null) throw new HttpError(400, 'the body must be a JSON object');
  const { run, prompt, emotion, method } = json;
  if (typeof run !== 'string') throw new HttpError(400, 'run: expected the name of a run folder');
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new HttpError(400, 'prompt: expected a non-empty string');
  if (prompt.length > limits.maxPromptChars) throw new HttpError(413, `prompt: ${prompt.length} characters exceeds the limit of ${limits.maxPromptChars}`);
  if (!EMOTIONS.includes(emotion as Emotion)) throw new HttpError(400, `emotion: expected one of ${EMOTIONS.join(', ')}`);
  if (!METHODS.includes(method as Method)) throw new HttpError(400, `method: expected one of ${METHODS.join(', ')}`);
  const strength = json.strength ?? null;
  if (strength !== null && (typeof strength !== 'number' || !Number.isFinite(strength) || Math.abs(strength) > 100)) throw new HttpError(400, 'strength: expected a number in [-100, 100], or null for the method\'s default');
  const maxNewTokens = json.maxNewTokens ?? 60;
  if (!Number.isInteger(maxNewTokens) || (maxNewTokens as number) < 1 || (maxNewTokens as number) > limits.maxNewTokens) {
    throw new HttpError(400, `maxNewTokens: expected an integer from 1 to ${limits.maxNewTokens}`);
  }
  const seed = json.seed ?? 0;
  if (!Number.isInteger(seed)) throw new HttpError(400, 'seed: expected an integer');
  const runDir = resolveRun(run);
  if (!availableMethods(runDir)[method as Method]) throw new HttpError(400, `method ${method}: this run lacks the stage it needs (directions for direction, circuits for circuit and random): run "emotion-circuits discover" on it`);
  return { runDir, prompt, emotion: emotion as Emotion, method: method as Method, strength, maxNewTokens: maxNewTokens as number, seed: seed as number };
}

function sendEvent(res: ServerResponse, event: string, data: unknown): void {
  if (!res.writableEnded && !res.destroyed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Waits until the socket drained its buffer. A client that has not read for `ms` is disconnected
 * (its 'close' then cancels the job), so a stuck reader cannot hold the generation slot.
 */
async function waitForDrain(res: ServerResponse, ms: number, signal: AbortSignal): Promise<void> {
  if (!res.writableNeedDrain || res.destroyed || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      cleanup();
      res.destroy();
      resolve();
    }, ms);
    const done = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      res.off('drain', done);
      res.off('close', done);
      signal.removeEventListener('abort', done);
    };
    res.once('drain', done);
    res.once('close', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Runs one admitted playground request as a queue job streaming to `res`: both continuations in one batch. */
async function streamJob(res: ServerResponse, request: PlaygroundRequest, host: ModelHost, limits: ServerLimits, signal: AbortSignal): Promise<void> {
  const modelDir = host.modelDirFor(request.runDir);
  const model = await host.get(modelDir, host.weightsFor(request.runDir));
  if (signal.aborted) return;
  sendEvent(res, 'start', { model: modelDir.split(/[\\/]/).pop() });
  const arms = buildArms(request.runDir, model.config, request);
  const prompts = [model.encodeChat(arms.unsteered).ids, model.encodeChat(arms.steered).ids];
  const longest = Math.max(...prompts.map((p) => p.length)) + request.maxNewTokens;
  if (longest > model.config.maxPositionEmbeddings) {
    throw new EmotionCircuitsError('CONTEXT_LENGTH', `prompt plus ${request.maxNewTokens} new tokens is ${longest} tokens, beyond the model's context of ${model.config.maxPositionEmbeddings}; shorten the prompt or ask for fewer tokens`);
  }
  const decoding = resolveDecoding({ maxNewTokens: request.maxNewTokens, minNewTokens: Math.min(DEFAULT_DECODING.minNewTokens, request.maxNewTokens) });
  const names = ['unsteered', 'steered'] as const;
  const texts = ['', ''];
  const streams = names.map((arm, i) => new TextStream((ids) => model.decode(ids), (delta) => {
    texts[i] += delta;
    sendEvent(res, 'token', { arm, text: texts[i] });
  }));
  let pendingDrain: Promise<void> | null = null;
  const generations = await model.generateAsync(prompts, {
    ...generationOptions(decoding),
    hooks: perSequenceHooks([[], arms.hooks]),
    signal,
    onToken: (sequence, id) => {
      streams[sequence].push(id);
      // A client that stops reading is cut off after slowClientMs (its 'close' cancels the job).
      if (res.writableNeedDrain && !pendingDrain) pendingDrain = waitForDrain(res, limits.slowClientMs, signal).finally(() => (pendingDrain = null));
    },
  });
  if (signal.aborted) return;
  streams.forEach((s) => s.flush());
  const summary = (i: number) => ({ text: model.decode(generations[i].ids), tokens: generations[i].ids.length, stopReason: generations[i].stopReason });
  sendEvent(res, 'done', { arm: arms.arm, unsteered: summary(0), steered: summary(1) });
}

/** Handles POST /api/generate after the body was read and parsed. */
export function startPlaygroundStream(res: ServerResponse, request: PlaygroundRequest, queue: GenerationQueue, host: ModelHost, limits: ServerLimits): void {
  let failure: string | null = null;
  const job = queue.submit(async (signal) => {
    try {
      await streamJob(res, request, host, limits, signal);
    } catch (error) {
      if (!signal.aborted) failure = (error as Error).message;
      if (!signal.aborted) throw error;
    }
  });
  if (!job) {
    const retry = queue.retryAfterSeconds();
    throw new HttpError(503, `busy: ${queue.active} generation running and ${queue.queued} waiting (the limit); retry in about ${retry} s`, { 'Retry-After': String(retry) });
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
  sendEvent(res, 'queued', { id: job.id, position: job.position() });
  res.on('close', () => {
    if (!res.writableFinished) job.cancel('client disconnected');
  });
  void job.finished.then((outcome) => {
    if (outcome === 'cancelled') sendEvent(res, 'cancelled', { reason: job.signal.reason instanceof Error ? job.signal.reason.message : 'cancelled' });
    if (outcome === 'failed') sendEvent(res, 'error', { message: failure ?? 'generation failed' });
    if (!res.writableEnded) res.end();
  });
}
