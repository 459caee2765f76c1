/**
 * The judge interface (DESIGN.md §4): given texts and a target emotion each, say whether the text's
 * STYLE expresses that emotion. Two implementations: the built-in offline lexicon judge
 * (builtinJudge.ts) and an LLM judge over any OpenAI-compatible chat endpoint (openaiJudge.ts).
 * Both are made by {@link createJudge} (createJudge.ts).
 */
import type { Emotion } from '../emotions.js';

/** One text to judge against one target emotion. */
export interface JudgeItem {
  readonly text: string;
  readonly target: Emotion;
}

/** The judgement of one {@link JudgeItem}, in the order the items were given. */
export interface JudgeVerdict {
  readonly target: Emotion;
  /** Does the text's style express the target emotion? null = the judgement failed (counts as 0, and is reported). */
  readonly match: boolean | null;
  /** The judge's own label ('neutral' when no emotion): built-in judge always; LLM judge when it gives one, else null. */
  readonly label: Emotion | 'neutral' | null;
  /** Score per emotion (built-in judge), else null. */
  readonly scores: Record<Emotion, number> | null;
  readonly reason?: string;
  /** Why the judgement failed (match = null). */
  readonly error?: string;
}

/** Options of one {@link EmotionJudge.judge} call. */
export interface JudgeOptions {
  /** Cancels every pending judgement; `judge` then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called after each finished item (success or failure) with the count done so far. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface EmotionJudge {
  /** Names the judge and its version or model, e.g. 'builtin@1', 'openai:<model>'. */
  readonly name: string;
  /** One verdict per item, same order; a failed item is a verdict with match = null, never a throw. */
  judge(items: readonly JudgeItem[], options?: JudgeOptions): Promise<JudgeVerdict[]>;
}

/** Why one request (attempt) or one item failed. */
export type JudgeFailureCause = 'http' | 'rate-limit' | 'timeout' | 'network' | 'parse';

/** Counters a judge keeps over its lifetime (all `judge` calls together). */
export interface JudgeStats {
  /** Items judged (successes and failures). */
  readonly items: number;
  /** Requests sent to the endpoint (0 for the built-in judge). */
  readonly calls: number;
  /** Requests that were repeats after a failed attempt. */
  readonly retries: number;
  /** Failed attempts, by cause (each one was retried or ended its item). */
  readonly attemptErrors: Readonly<Record<JudgeFailureCause, number>>;
  /** Items whose verdict is match = null, by the cause of their last attempt. */
  readonly failures: Readonly<Record<JudgeFailureCause, number>>;
}

/** A judge that also reports its {@link JudgeStats}. */
export interface CountingJudge extends EmotionJudge {
  stats(): JudgeStats;
}

export { createJudge, type CreateJudgeOptions, type JudgeKind } from './createJudge.js';
