/**
 * A bounded first-in-first-out queue of generation jobs with one job running at a time (one model
 * in memory, and generation saturates the CPU). Beyond `maxQueued` waiting jobs `submit` refuses,
 * so the server can answer "busy" (503 + Retry-After) instead of piling up work. Every job can be
 * cancelled by id, while waiting (it leaves the queue) or while running (its AbortSignal fires and
 * the job stops at its next token).
 *
 * @example
 * const queue = new GenerationQueue({ maxQueued: 4 });
 * const job = queue.submit(async (signal) => { while (!signal.aborted) ... });
 * if (!job) answerBusy(queue.retryAfterSeconds());
 */
import { randomUUID } from 'node:crypto';

export type JobOutcome = 'completed' | 'cancelled' | 'failed';

export interface Job {
  readonly id: string;
  readonly signal: AbortSignal;
  /** Settles when the job finished, failed, or was cancelled (never rejects). */
  readonly finished: Promise<JobOutcome>;
  /** Jobs ahead of this one (0 once it runs). */
  position(): number;
  cancel(reason?: string): void;
}

interface Entry {
  job: Job;
  controller: AbortController;
  work: (signal: AbortSignal) => Promise<void>;
  settle: (outcome: JobOutcome) => void;
}

export interface QueueCounters {
  completed: number;
  cancelled: number;
  failed: number;
  rejectedBusy: number;
}

export class GenerationQueue {
  private readonly waiting: Entry[] = [];
  private running: Entry | null = null;
  private readonly byId = new Map<string, Entry>();
  private readonly recentSeconds: number[] = [];
  readonly counters: QueueCounters = { completed: 0, cancelled: 0, failed: 0, rejectedBusy: 0 };
  readonly maxQueued: number;

  constructor(options: { maxQueued: number }) {
    this.maxQueued = options.maxQueued;
  }

  /** Jobs running now (0 or 1). */
  get active(): number {
    return this.running ? 1 : 0;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Queues `work`; null when `maxQueued` jobs already wait (the caller answers busy). */
  submit(work: (signal: AbortSignal) => Promise<void>): Job | null {
    if (this.waiting.length >= this.maxQueued && this.running) {
      this.counters.rejectedBusy++;
      return null;
    }
    const controller = new AbortController();
    let settle!: (outcome: JobOutcome) => void;
    const finished = new Promise<JobOutcome>((resolve) => (settle = resolve));
    const id = randomUUID();
    const entry: Entry = {
      controller,
      work,
      settle,
      job: {
        id,
        signal: controller.signal,
        finished,
        position: () => Math.max(0, this.waiting.indexOf(entry) + (this.running ? 1 : 0)),
        cancel: (reason = 'cancelled') => this.cancel(id, reason),
      },
    };
    this.byId.set(id, entry);
    this.waiting.push(entry);
    void this.pump();
    return entry.job;
  }

  /** Cancels a waiting or running job; false when no such job is pending. */
  cancel(id: string, reason = 'cancelled'): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    if (!entry.controller.signal.aborted) entry.controller.abort(new Error(reason));
    const index = this.waiting.indexOf(entry);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.finish(entry, 'cancelled');
    }
    return true;
  }

  /** A hint for Retry-After: the mean of recent job durations times the jobs ahead, at least 1 s. */
  retryAfterSeconds(): number {
    const mean = this.recentSeconds.length ? this.recentSeconds.reduce((a, b) => a + b, 0) / this.recentSeconds.length : 2;
    return Math.max(1, Math.ceil(mean * (this.waiting.length + 1)));
  }

  /** Cancels everything and waits until the running job has stopped. */
  async drain(): Promise<void> {
    for (const id of [...this.byId.keys()]) this.cancel(id, 'server closing');
    if (this.running) await this.running.job.finished;
  }

  private finish(entry: Entry, outcome: JobOutcome): void {
    this.byId.delete(entry.job.id);
    this.counters[outcome]++;
    entry.settle(outcome);
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    const entry = this.waiting.shift();
    if (!entry) return;
    this.running = entry;
    const started = Date.now();
    let outcome: JobOutcome = 'completed';
    try {
      await entry.work(entry.controller.signal);
      if (entry.controller.signal.aborted) outcome = 'cancelled';
    } catch {
      outcome = entry.controller.signal.aborted ? 'cancelled' : 'failed';
    }
    this.recentSeconds.push((Date.now() - started) / 1000);
    if (this.recentSeconds.length > 10) this.recentSeconds.shift();
    this.running = null;
    this.finish(entry, outcome);
    void this.pump();
  }
}
