/** The mutable counters behind {@link JudgeStats}, shared by every judge implementation. */
import type { JudgeFailureCause, JudgeStats } from './judge.js';

export const JUDGE_FAILURE_CAUSES: readonly JudgeFailureCause[] = ['http', 'rate-limit', 'timeout', 'network', 'parse'];

function zeroCounts(): Record<JudgeFailureCause, number> {
  return Object.fromEntries(JUDGE_FAILURE_CAUSES.map((cause) => [cause, 0])) as Record<JudgeFailureCause, number>;
}

export class JudgeCounters {
  items = 0;
  calls = 0;
  retries = 0;
  readonly attemptErrors = zeroCounts();
  readonly failures = zeroCounts();

  /** A copy that later counting does not change. */
  snapshot(): JudgeStats {
    return { items: this.items, calls: this.calls, retries: this.retries, attemptErrors: { ...this.attemptErrors }, failures: { ...this.failures } };
  }
}
