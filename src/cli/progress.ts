/**
 * A progress bar with ETA for long stages, on stderr. On a terminal it redraws one line (at most
 * ten times a second); otherwise (CI logs, pipes) it prints a line at every 10 % step.
 *
 * @example
 * const progress = progressReporter('collect');
 * progress({ rowsDone: 10, rowsTotal: 100, rowsResumed: 0, chunksDone: 1, chunksTotal: 10 });
 */
import type { CollectProgress } from '../pipeline/collection/collect.js';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/** "1h02m", "3m05s", "12s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** "12.3 prompts/s", or "4.2 s/prompt" when slower than one a second. */
export function formatRate(promptsPerSecond: number): string {
  if (promptsPerSecond <= 0) return '– prompts/s';
  return promptsPerSecond >= 1 ? `${promptsPerSecond.toFixed(1)} prompts/s` : `${(1 / promptsPerSecond).toFixed(1)} s/prompt`;
}

/** A callback for `collectActivations` that renders progress on `stream`. */
export function progressReporter(label: string, stream: ProgressStream = process.stderr, now: () => number = Date.now): (p: CollectProgress) => void {
  const started = now();
  let lastDraw = 0;
  let lastStep = -1;
  return (p) => {
    const fraction = p.rowsTotal > 0 ? p.rowsDone / p.rowsTotal : 1;
    const elapsed = (now() - started) / 1000;
    const doneHere = p.rowsDone - p.rowsResumed;
    const rate = elapsed > 0 ? doneHere / elapsed : 0;
    const eta = rate > 0 ? (p.rowsTotal - p.rowsDone) / rate : Infinity;
    const resumed = p.rowsResumed > 0 ? `, ${p.rowsResumed} resumed` : '';
    const text = `${label} ${p.rowsDone}/${p.rowsTotal} prompts (${(fraction * 100).toFixed(0)}%${resumed}) · chunk ${p.chunksDone}/${p.chunksTotal} · ${formatRate(rate)} · elapsed ${formatDuration(elapsed)} · ETA ${p.rowsDone >= p.rowsTotal ? '0s' : formatDuration(eta)}`;
    if (stream.isTTY) {
      const t = now();
      if (t - lastDraw < 100 && p.rowsDone < p.rowsTotal) return;
      lastDraw = t;
      const width = 24;
      const filled = Math.round(fraction * width);
      stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}${p.rowsDone >= p.rowsTotal ? '\n' : ''}`);
    } else {
      const step = Math.floor(fraction * 10);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${text}\n`);
    }
  };
}

/** The fields of a training step that trainProgressReporter shows (src/train/trainer.ts TrainProgress). */
export interface TrainProgressView {
  readonly step: number;
  readonly steps: number;
  readonly resumedAt: number;
  readonly record: { readonly loss: number; readonly lr: number };
  readonly tokensPerSecond: number;
  readonly elapsedSeconds: number;
  readonly etaSeconds: number;
}

/**
 * A callback for `train({ onProgress })`: a bar with step, loss, learning rate, tokens/s and ETA
 * on `stream` (redrawn on a terminal, a line per 10 % otherwise).
 */
export function trainProgressReporter(label: string, stream: ProgressStream = process.stderr, now: () => number = Date.now): (p: TrainProgressView) => void {
  let lastDraw = 0;
  let lastStep = -1;
  return (p) => {
    const fraction = p.steps > 0 ? p.step / p.steps : 1;
    const done = p.step >= p.steps;
    const resumed = p.resumedAt > 0 ? `, resumed at ${p.resumedAt}` : '';
    const text = `${label} step ${p.step}/${p.steps} (${(fraction * 100).toFixed(0)}%${resumed}) · loss ${p.record.loss.toFixed(4)} · lr ${p.record.lr.toExponential(2)} · ${p.tokensPerSecond.toFixed(0)} tokens/s · elapsed ${formatDuration(p.elapsedSeconds)} · ETA ${done ? '0s' : formatDuration(p.etaSeconds)}`;
    if (stream.isTTY) {
      const t = now();
      if (t - lastDraw < 100 && !done) return;
      lastDraw = t;
      const width = 24;
      const filled = Math.round(fraction * width);
      stream.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}${done ? '\n' : ''}`);
    } else {
      const step = Math.floor(fraction * 10);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${text}\n`);
    }
  };
}
