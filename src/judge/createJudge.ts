/**
 * Makes a judge by kind. The LLM judge takes its endpoint from the options or the environment:
 * EMOTION_CIRCUITS_JUDGE_URL (API base, e.g. http://127.0.0.1:8080/v1), EMOTION_CIRCUITS_JUDGE_MODEL,
 * and EMOTION_CIRCUITS_JUDGE_KEY (else OPENAI_API_KEY; optional for local servers).
 */
import { JudgeConfigError } from '../errors.js';
import { BuiltinJudge } from './builtinJudge.js';
import type { CountingJudge } from './judge.js';
import { OpenAIJudge, type OpenAIJudgeOptions } from './openaiJudge.js';

export const JUDGE_KINDS = ['builtin', 'openai'] as const;

export type JudgeKind = (typeof JUDGE_KINDS)[number];

/** LLM judge settings; `baseUrl` and `model` fall back to the environment. */
export type CreateJudgeOptions = Partial<OpenAIJudgeOptions> & {
  /** Where to read the variables (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
};

/** A judge of `kind`; throws a JudgeConfigError naming the missing variable when the LLM judge lacks one. */
export function createJudge(kind: JudgeKind, options: CreateJudgeOptions = {}): CountingJudge {
  if (kind === 'builtin') return new BuiltinJudge();
  if (kind !== 'openai') throw new JudgeConfigError('judge', `unknown judge kind ${JSON.stringify(kind)}; expected one of ${JUDGE_KINDS.join(', ')}`);
  const env = options.env ?? process.env;
  const baseUrl = options.baseUrl ?? env.EMOTION_CIRCUITS_JUDGE_URL;
  if (!baseUrl) {
    throw new JudgeConfigError('EMOTION_CIRCUITS_JUDGE_URL', 'the openai judge needs the endpoint: set EMOTION_CIRCUITS_JUDGE_URL to an OpenAI-compatible API base such as http://127.0.0.1:8080/v1');
  }
  if (!/^https?:\/\//.test(baseUrl)) throw new JudgeConfigError('EMOTION_CIRCUITS_JUDGE_URL', `expected an http(s) URL, got ${JSON.stringify(baseUrl)}`);
  const model = options.model ?? env.EMOTION_CIRCUITS_JUDGE_MODEL;
  if (!model) throw new JudgeConfigError('EMOTION_CIRCUITS_JUDGE_MODEL', 'the openai judge needs a model name: set EMOTION_CIRCUITS_JUDGE_MODEL (e.g. the model your server serves)');
  const apiKey = options.apiKey ?? env.EMOTION_CIRCUITS_JUDGE_KEY ?? env.OPENAI_API_KEY;
  return new OpenAIJudge({ ...options, baseUrl, model, apiKey });
}
