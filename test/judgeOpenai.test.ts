/**
 * The LLM judge against a mock OpenAI-compatible server on 127.0.0.1 (test/helpers/mockChatServer.ts)
 * that answers correctly, with 500s, 429 + Retry-After, slow replies past the timeout, broken and
 * fenced JSON, and dropped connections. Back-off is a few milliseconds so the file runs in seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Emotion } from '../src/emotions.js';
import { JudgeConfigError } from '../src/errors.js';
import { createJudge, type JudgeItem } from '../src/judge/judge.js';
import { OpenAIJudge, type OpenAIJudgeOptions } from '../src/judge/openaiJudge.js';
import { backoffMs, retryAfterMs } from '../src/judge/retry.js';
import { firstJsonObject, parseVerdictReply, repairJson } from '../src/judge/verdictJson.js';
import { startMockChatServer, type MockChatServer } from './helpers/mockChatServer.js';

describe('reply parsing and repair', () => {
  test('fences, prose, trailing commas, single quotes, unquoted keys, Python booleans', () => {
    assert.deepEqual(parseVerdictReply('{"match": true, "reason": "angry"}'), { match: true, reason: 'angry', label: null });
    assert.deepEqual(parseVerdictReply('```json\n{"match": false, "reason": "calm"}\n```'), { match: false, reason: 'calm', label: null });
    assert.deepEqual(parseVerdictReply("Answer: {'match': True, 'reason': 'it\\'s bitter',} done"), { match: true, reason: "it's bitter", label: null });
    assert.deepEqual(parseVerdictReply('{match: "yes", reason: "x", label: "joy"}'), { match: true, reason: 'x', label: 'happiness' });
    assert.equal(repairJson("{'a': 1, 'b': [1, 2,],}"), '{"a": 1, "b": [1, 2]}');
    assert.equal(firstJsonObject('pre {"a": "}{", "b": {"c": 1}} post {"d": 2}'), '{"a": "}{", "b": {"c": 1}}');
  });

  test('a bare yes / no is a verdict; anything else is an error', () => {
    assert.deepEqual(parseVerdictReply('Yes. The tone is furious.'), { match: true, reason: 'The tone is furious.', label: null });
    assert.deepEqual(parseVerdictReply('no'), { match: false, reason: undefined, label: null });
    assert.ok('error' in parseVerdictReply('Maybe, hard to say'));
    assert.ok('error' in parseVerdictReply('{"reason": "no match field"}'));
    assert.ok('error' in parseVerdictReply('{"match": "perhaps"}'));
  });

  test('back-off doubles from the base up to the cap, with jitter in [0.5, 1]; Retry-After in seconds or as a date', () => {
    assert.equal(backoffMs(1, 100, 1000, () => 0), 50);
    assert.equal(backoffMs(1, 100, 1000, () => 1), 100);
    assert.equal(backoffMs(3, 100, 1000, () => 1), 400);
    assert.equal(backoffMs(8, 100, 1000, () => 1), 1000);
    assert.equal(retryAfterMs('2'), 2000);
    assert.equal(retryAfterMs(new Date(10_000 + 3000).toUTCString(), 10_000), 3000);
    assert.equal(retryAfterMs(null), null);
    assert.equal(retryAfterMs('soon'), null);
  });
});

describe('createJudge', () => {
  test('the openai judge names the missing variable', () => {
    assert.throws(() => createJudge('openai', { env: {} }), (e: unknown) => e instanceof JudgeConfigError && /EMOTION_CIRCUITS_JUDGE_URL/.test(e.message));
    assert.throws(() => createJudge('openai', { env: { EMOTION_CIRCUITS_JUDGE_URL: 'http://127.0.0.1:1/v1' } }), /EMOTION_CIRCUITS_JUDGE_MODEL/);
    assert.throws(() => createJudge('openai', { env: { EMOTION_CIRCUITS_JUDGE_URL: 'localhost:8080', EMOTION_CIRCUITS_JUDGE_MODEL: 'm' } }), /expected an http\(s\) URL/);
    assert.equal(createJudge('openai', { env: { EMOTION_CIRCUITS_JUDGE_URL: 'http://127.0.0.1:1/v1', EMOTION_CIRCUITS_JUDGE_MODEL: 'qwen' } }).name, 'openai:qwen');
    assert.equal(createJudge('builtin').name, 'builtin@1');
  });
});

describe('LLM judge against the mock server', { timeout: 30_000 }, () => {
  let server: MockChatServer;
  before(async () => {
    server = await startMockChatServer({ slowMs: 6000, replyDelayMs: 25 });
  });
  after(() => server.close());

  const fast = (extra: Partial<OpenAIJudgeOptions> = {}) => {
    const delays: number[] = [];
    const options: OpenAIJudgeOptions = {
      baseUrl: server.baseUrl,
      model: 'mock-model',
      apiKey: 'secret',
      concurrency: 3,
      maxRetries: 3,
      backoffBaseMs: 5,
      backoffMaxMs: 20,
      timeoutMs: 1500,
      // Records the waits asked for, but sleeps at most 10 ms of them.
      sleep: (ms) => {
        delays.push(ms);
        return new Promise((resolve) => setTimeout(resolve, Math.min(ms, 10)));
      },
      ...extra,
    };
    return { judge: new OpenAIJudge(options), delays };
  };

  test('every behaviour gives the right verdict, retry and failure counts; concurrency stays bounded', async () => {
    const cases: Array<[text: string, target: Emotion, match: boolean | null, label?: Emotion]> = [
      ['ok:anger', 'anger', true],
      ['ok:anger', 'fear', false],
      ['fenced:sadness', 'sadness', true],
      ['messy:fear', 'fear', true],
      ['yes', 'happiness', true],
      ['labelled:joy', 'surprise', false, 'happiness'],
      ['flaky500:2:surprise', 'surprise', true],
      ['ratelimit:disgust', 'disgust', true],
      ['slow-once:anger', 'anger', true],
      ['drop-once:happiness', 'happiness', true],
      ['broken', 'anger', null],
      ['always500', 'anger', null],
      ['badrequest', 'anger', null],
      ['slow-always', 'anger', null],
      ['badbody', 'anger', null],
    ];
    const items: JudgeItem[] = cases.map(([text, target]) => ({ text, target }));
    const { judge, delays } = fast();
    const progress: number[] = [];
    const verdicts = await judge.judge(items, { onProgress: (done, total) => progress.push(done / total) });

    assert.deepEqual(verdicts.map((v) => v.match), cases.map((c) => c[2]));
    assert.deepEqual(verdicts.map((v) => v.target), cases.map((c) => c[1]));
    assert.deepEqual(verdicts.map((v) => v.label), cases.map((c) => c[3] ?? null));
    assert.ok(verdicts.every((v) => v.scores === null));
    const causes = verdicts.filter((v) => v.match === null).map((v) => v.error!.split(':')[0]);
    assert.deepEqual(causes, ['parse', 'http', 'http', 'timeout', 'parse']);
    assert.match(verdicts[12].error!, /HTTP 400/);
    assert.equal(progress.length, items.length);
    assert.equal(progress.at(-1), 1);

    // Attempts per text, worked out from the modes with maxRetries = 3 (four attempts at most);
    // "ok:anger" is asked twice (two targets).
    const expectedAttempts: Record<string, number> = {
      'ok:anger': 2, 'fenced:sadness': 1, 'messy:fear': 1, yes: 1, 'labelled:joy': 1, 'flaky500:2:surprise': 3, 'ratelimit:disgust': 2,
      'slow-once:anger': 2, 'drop-once:happiness': 2, broken: 4, always500: 4, badrequest: 1, 'slow-always': 4, badbody: 4,
    };
    assert.deepEqual(Object.fromEntries(server.attempts), expectedAttempts);
    const stats = judge.stats();
    assert.equal(stats.items, 15);
    assert.equal(stats.calls, 32);
    assert.equal(stats.retries, 32 - 15);
    assert.deepEqual(stats.attemptErrors, { http: 2 + 4 + 1, 'rate-limit': 1, timeout: 1 + 4, network: 1, parse: 4 + 4 });
    assert.deepEqual(stats.failures, { http: 2, 'rate-limit': 0, timeout: 1, network: 0, parse: 2 });

    // Retry-After: 1 was honoured (one wait of a full second); every other wait is a back-off ≤ 20 ms.
    assert.equal(delays.filter((d) => d >= 1000).length, 1);
    assert.equal(delays.filter((d) => d < 1000).every((d) => d >= 2.5 && d <= 20), true);
    assert.equal(delays.length, stats.retries);

    assert.ok(server.maxInFlight <= 3, `max in flight ${server.maxInFlight}`);
    assert.ok(server.maxInFlight >= 2, 'requests ran concurrently');
    const request = server.requests[0];
    assert.equal(request.authorization, 'Bearer secret');
    assert.equal(request.body.model, 'mock-model');
    assert.equal(request.body.temperature, 0.1);
    assert.match(request.body.messages!.at(-1)!.content, /STYLE .* not whether the events it describes are good or bad/s);
  });

  test('the key falls back to OPENAI_API_KEY through createJudge', async () => {
    const before = server.requests.length;
    const judge = createJudge('openai', {
      env: { EMOTION_CIRCUITS_JUDGE_URL: server.baseUrl + '/', EMOTION_CIRCUITS_JUDGE_MODEL: 'env-model', OPENAI_API_KEY: 'from-openai' },
    });
    const [verdict] = await judge.judge([{ text: 'ok:fear', target: 'fear' }]);
    assert.equal(verdict.match, true);
    assert.equal(server.requests[before].authorization, 'Bearer from-openai');
    assert.equal(server.requests[before].body.model, 'env-model');
  });

  test('an external abort cancels requests in flight and waiting ones, and judge rejects', async () => {
    const { judge } = fast({ timeoutMs: 10_000, concurrency: 2 });
    const controller = new AbortController();
    const started = server.requests.length;
    const items: JudgeItem[] = Array.from({ length: 6 }, (_, i) => ({ text: `slow-always:${i}`, target: 'anger' }));
    const pending = judge.judge(items, { signal: controller.signal });
    while (server.requests.length < started + 2) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    // Only the two requests in flight were ever sent, and the server saw them closed.
    assert.equal(server.requests.length, started + 2);
    while (server.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(judge.stats().failures.timeout, 0);
  });
});
