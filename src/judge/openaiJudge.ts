/**
 * The LLM judge (DESIGN.md §4): asks any OpenAI-compatible chat endpoint (`POST {base}/chat/completions`:
 * llama.cpp server, Ollama, vLLM, hosted APIs) whether a text's STYLE matches the target emotion,
 * as the paper did. Requests run with bounded concurrency, a timeout each, and retries with
 * exponential back-off and jitter on 429 (honouring Retry-After), 5xx, network errors, timeouts and
 * unreadable replies. An item that still fails becomes a verdict with match = null and its error;
 * only the caller's AbortSignal makes `judge` reject.
 */
import { EMOTIONS } from '../emotions.js';
import type { CountingJudge, JudgeFailureCause, JudgeItem, JudgeOptions, JudgeStats, JudgeVerdict } from './judge.js';
import { JudgeCounters } from './judgeStats.js';
import { backoffMs, retryAfterMs, runPool, sleep } from './retry.js';
import { parseVerdictReply, type ParsedVerdict } from './verdictJson.js';

export interface OpenAIJudgeOptions {
  /** The API base, e.g. http://127.0.0.1:8080/v1 (the judge appends /chat/completions). */
  readonly baseUrl: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer …` when given. */
  readonly apiKey?: string;
  /** Requests in flight at once (default 4). */
  readonly concurrency?: number;
  /** Retries per item after its first attempt (default 4). */
  readonly maxRetries?: number;
  /** First back-off (default 500 ms); doubles per retry up to `backoffMaxMs` (default 20 s), with jitter. */
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  /** The longest Retry-After honoured (default 120 s); a longer one is cut to this. */
  readonly maxRetryAfterMs?: number;
  /** Per-request timeout, reply body included (default 60 s). */
  readonly timeoutMs?: number;
  /** Sampling temperature (default 0.1, as in the paper). */
  readonly temperature?: number;
  /** Reply length limit in tokens (default 200). */
  readonly maxTokens?: number;
  /** Jitter source (default Math.random). */
  readonly random?: () => number;
  /** How to wait between attempts (default a real abortable sleep); tests pass a recording one. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The prompt's two messages for one item. */
export function judgePrompt(item: JudgeItem): Array<{ role: 'system' | 'user'; content: string }> {
  return [
    { role: 'system', content: 'You are a careful annotator of the emotional style of texts. You answer with one JSON object and nothing else.' },
    {
      role: 'user',
      content:
        `Does the STYLE of the text below express the emotion "${item.target}"? Judge its tone and attitude — how it is ` +
        'written — not whether the events it describes are good or bad. The possible emotions are: ' +
        `${EMOTIONS.join(', ')}.\n\nText:\n<<<\n${item.text}\n>>>\n\n` +
        'Answer with one JSON object only: {"match": true or false, "reason": "<one short sentence>"}',
    },
  ];
}

type Attempt = { readonly verdict: ParsedVerdict } | { readonly cause: JudgeFailureCause; readonly message: string; readonly retryable: boolean; readonly waitMs?: number };

class TimeoutSignal extends Error {}

export class OpenAIJudge implements CountingJudge {
  readonly name: string;
  private readonly counters = new JudgeCounters();
  private readonly url: string;

  constructor(private readonly options: OpenAIJudgeOptions) {
    this.name = `openai:${options.model}`;
    this.url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  }

  stats(): JudgeStats {
    return this.counters.snapshot();
  }

  async judge(items: readonly JudgeItem[], options: JudgeOptions = {}): Promise<JudgeVerdict[]> {
    const { signal, onProgress } = options;
    signal?.throwIfAborted();
    const verdicts = new Array<JudgeVerdict>(items.length);
    let done = 0;
    await runPool(items.length, this.options.concurrency ?? 4, async (index) => {
      verdicts[index] = await this.judgeOne(items[index], signal);
      this.counters.items++;
      onProgress?.(++done, items.length);
    });
    return verdicts;
  }

  private async judgeOne(item: JudgeItem, signal: AbortSignal | undefined): Promise<JudgeVerdict> {
    const maxRetries = this.options.maxRetries ?? 4;
    const wait = this.options.sleep ?? sleep;
    let last: Exclude<Attempt, { verdict: ParsedVerdict }> | undefined;
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (attempt > 0) {
        const backoff = backoffMs(attempt, this.options.backoffBaseMs ?? 500, this.options.backoffMaxMs ?? 20_000, this.options.random ?? Math.random);
        const retryAfter = Math.min(last?.waitMs ?? 0, this.options.maxRetryAfterMs ?? 120_000);
        this.counters.retries++;
        await wait(Math.max(backoff, retryAfter), signal);
      }
      const outcome = await this.attempt(item, signal);
      if ('verdict' in outcome) {
        const { match, reason, label } = outcome.verdict;
        return { target: item.target, match, label, scores: null, ...(reason !== undefined ? { reason } : {}) };
      }
      this.counters.attemptErrors[outcome.cause]++;
      last = outcome;
      if (!outcome.retryable) break;
    }
    this.counters.failures[last!.cause]++;
    return { target: item.target, match: null, label: null, scores: null, error: `${last!.cause}: ${last!.message}` };
  }

  /** One request; network failures and timeouts become outcomes, the caller's abort is rethrown. */
  private async attempt(item: JudgeItem, signal: AbortSignal | undefined): Promise<Attempt> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeoutMs = this.options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => controller.abort(new TimeoutSignal()), timeoutMs);
    this.counters.calls++;
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) },
        body: JSON.stringify({
          model: this.options.model,
          messages: judgePrompt(item),
          temperature: this.options.temperature ?? 0.1,
          max_tokens: this.options.maxTokens ?? 200,
        }),
        signal: controller.signal,
      });
      const body = await response.text();
      if (response.status === 429) {
        return { cause: 'rate-limit', message: `HTTP 429 from ${this.url}`, retryable: true, waitMs: retryAfterMs(response.headers.get('retry-after')) ?? undefined };
      }
      if (!response.ok) {
        const retryable = response.status >= 500 || response.status === 408;
        return { cause: 'http', message: `HTTP ${response.status} from ${this.url}: ${body.slice(0, 200)}`, retryable };
      }
      return this.readReply(body);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (controller.signal.reason instanceof TimeoutSignal) return { cause: 'timeout', message: `no reply within ${timeoutMs} ms`, retryable: true };
      const cause = (error as Error & { cause?: Error }).cause;
      return { cause: 'network', message: `${(error as Error).message}${cause ? ` (${cause.message})` : ''}`, retryable: true };
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private readReply(body: string): Attempt {
    let content: unknown;
    try {
      content = (JSON.parse(body) as { choices?: Array<{ message?: { content?: unknown } }> }).choices?.[0]?.message?.content;
    } catch {
      return { cause: 'parse', message: `response body is not JSON: ${body.slice(0, 200)}`, retryable: true };
    }
    if (typeof content !== 'string') return { cause: 'parse', message: `response has no choices[0].message.content: ${body.slice(0, 200)}`, retryable: true };
    const parsed = parseVerdictReply(content);
    return 'error' in parsed ? { cause: 'parse', message: parsed.error, retryable: true } : { verdict: parsed };
  }
}
