/**
 * A mock OpenAI-compatible chat endpoint on 127.0.0.1 (port 0) for the LLM judge tests. Each judged
 * text names how the server behaves for it, as `mode:arg` (the judge prompt puts the text between
 * <<< and >>>, the target in `emotion "…"`):
 *   ok:E            {"match": target == E}             fenced:E   the same JSON inside ``` fences
 *   messy:E         prose + {'match': True,} style JSON yes / no   a bare "Yes." / "No." reply
 *   labelled:E      JSON with "label": E and match false
 *   flaky500:N:E    HTTP 500 for the first N attempts, then ok:E
 *   ratelimit:E     HTTP 429 + Retry-After: 1 once, then ok:E
 *   slow-once:E     the first reply after `slowMs`, then ok:E      slow-always  always after `slowMs`
 *   drop-once:E     the connection dropped once, then ok:E
 *   broken          a reply with no JSON and no yes/no             badbody  HTTP 200 with an HTML body
 *   always500       HTTP 500 every time                            badrequest  HTTP 400 (not retryable)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly text: string;
  readonly target: string;
  readonly authorization: string | undefined;
  readonly body: { model?: string; temperature?: number; messages?: Array<{ role: string; content: string }> };
}

export interface MockChatServer {
  /** The API base, e.g. http://127.0.0.1:PORT/v1 */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  /** Attempts seen per text. */
  readonly attempts: Map<string, number>;
  /** The most requests in flight at once. */
  maxInFlight: number;
  inFlight: number;
  close(): Promise<void>;
}

function reply(res: ServerResponse, content: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'mock', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
}

function okJson(target: string, expected: string): string {
  return JSON.stringify({ match: target === expected, reason: `the style is ${expected}` });
}

/** Starts the server; `replyDelayMs` holds every good reply a little so concurrency builds up. */
export async function startMockChatServer(options: { slowMs: number; replyDelayMs: number }): Promise<MockChatServer> {
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };
  const state = { requests: [] as RecordedRequest[], attempts: new Map<string, number>(), maxInFlight: 0, inFlight: 0 };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const body = JSON.parse(raw) as RecordedRequest['body'];
    const user = body.messages?.find((m) => m.role === 'user')?.content ?? '';
    const text = /<<<\n([\s\S]*)\n>>>/.exec(user)?.[1] ?? '';
    const target = /emotion "(\w+)"/.exec(user)?.[1] ?? '';
    state.requests.push({ text, target, authorization: req.headers.authorization, body });
    const attempt = (state.attempts.get(text) ?? 0) + 1;
    state.attempts.set(text, attempt);
    state.inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
    res.on('close', () => state.inFlight--);
    const [mode, a, b] = text.split(':');
    const send = (content: string): void => later(options.replyDelayMs, () => !res.destroyed && reply(res, content));
    const status = (code: number, headers: Record<string, string> = {}): void => {
      res.writeHead(code, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify({ error: { message: `mock ${code}` } }));
    };
    switch (mode) {
      case 'ok':
        return send(okJson(target, a));
      case 'fenced':
        return send('```json\n' + okJson(target, a) + '\n```');
      case 'messy':
        return send(`Sure! Here is my judgement: {'match': ${target === a ? 'True' : 'False'}, 'reason': 'it sounds ${a}',} Hope this helps.`);
      case 'labelled':
        return send(JSON.stringify({ match: false, reason: 'another emotion', label: a }));
      case 'yes':
        return send('Yes. The tone fits.');
      case 'no':
        return send('No.');
      case 'flaky500':
        return attempt <= Number(a) ? status(500) : send(okJson(target, b));
      case 'ratelimit':
        return attempt === 1 ? status(429, { 'retry-after': '1' }) : send(okJson(target, a));
      case 'slow-once':
        return later(attempt === 1 ? options.slowMs : options.replyDelayMs, () => !res.destroyed && reply(res, okJson(target, a)));
      case 'slow-always':
        return later(options.slowMs, () => !res.destroyed && reply(res, okJson(target, target)));
      case 'drop-once':
        if (attempt === 1) return void req.socket.destroy();
        return send(okJson(target, a));
      case 'broken':
        return send('I think it might be, hard to say');
      case 'badbody':
        res.writeHead(200, { 'content-type': 'text/html' });
        return void res.end('<html>gateway</html>');
      case 'always500':
        return status(500);
      case 'badrequest':
        return status(400);
      default:
        return status(500);
    }
  };

  const server: Server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404);
        return void res.end();
      }
      handle(req, res, raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
