/**
 * A raw HTTP client for server tests: sends the path exactly as given (no URL normalisation, so
 * traversal attempts reach the server intact), one connection per request (no keep-alive), and
 * parses server-sent events as they arrive.
 */
import * as http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export function rawRequest(port: number, method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, headers: { Connection: 'close', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface StreamOptions {
  /** Called for each event; return 'disconnect' to destroy the connection right there. */
  onEvent?: (event: SseEvent) => void | 'disconnect';
  /** Pause reading for this many ms after each chunk (a slow client). */
  readDelayMs?: number;
}

export interface StreamResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: SseEvent[];
  /** The JSON body of a non-stream answer (errors, busy). */
  json: Record<string, unknown> | null;
  disconnected: boolean;
}

/** POST /api/generate and collect the events until the stream ends (or the client disconnects). */
export function streamGenerate(port: number, body: unknown, options: StreamOptions = {}): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/api/generate', agent: false, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)), Connection: 'close' } },
      (res) => {
        const result: StreamResult = { status: res.statusCode ?? 0, headers: res.headers, events: [], json: null, disconnected: false };
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          if (options.readDelayMs) {
            res.pause();
            setTimeout(() => res.resume(), options.readDelayMs);
          }
          if (!String(res.headers['content-type']).startsWith('text/event-stream')) return;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
            const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as Record<string, unknown>;
            const parsed = { event, data };
            result.events.push(parsed);
            if (options.onEvent?.(parsed) === 'disconnect') {
              result.disconnected = true;
              req.destroy();
              resolve(result);
              return;
            }
          }
        });
        res.on('end', () => {
          if (!String(res.headers['content-type']).startsWith('text/event-stream') && buffer) result.json = JSON.parse(buffer) as Record<string, unknown>;
          resolve(result);
        });
        res.on('error', (error) => (result.disconnected ? resolve(result) : reject(error)));
      },
    );
    req.on('error', (error) => reject(error));
    req.end(payload);
  });
}

/** Polls `read` until `done(value)` holds (at most `tries` times, 20 ms apart); returns the last value. */
export async function pollUntil<T>(read: () => Promise<T> | T, done: (value: T) => boolean, tries = 500): Promise<T> {
  let value = await read();
  for (let i = 0; i < tries && !done(value); i++) {
    await new Promise((r) => setTimeout(r, 20));
    value = await read();
  }
  return value;
}
