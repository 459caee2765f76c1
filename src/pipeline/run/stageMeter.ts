/**
 * Wall time and peak memory of one pipeline stage, for the run manifest.
 *
 * Peak memory is the resident-set high-water mark while the stage ran. On Linux the kernel keeps
 * that mark (`VmHWM` in /proc/self/status) and lets a process reset it (writing `5` to
 * /proc/self/clear_refs), so a stage resets it when it starts and reads it when it ends; this
 * catches peaks inside synchronous work that no timer could sample. A reset also lowers the
 * process-wide `maxRSS` of `process.resourceUsage()`, so stages that are open when another one
 * starts fold the mark into their own peak first. Elsewhere (or when /proc is not writable) the
 * peak is the largest of `process.memoryUsage.rss()` sampled at the start, every 50 ms while the
 * event loop runs, and at the end — a lower bound, marked `sampled`.
 *
 * @example
 * const meter = startStageMeter();
 * await heavyWork();
 * const { wallMs, peakRssBytes } = meter.finish();
 */
import * as fs from 'node:fs';

export interface StageMeasurement {
  /** Wall time of this invocation of the stage, ms (a resumed stage counts only its last part). */
  wallMs: number;
  /** Resident-set high-water mark while the stage ran, bytes. */
  peakRssBytes: number;
  /** `vmhwm`: the kernel's high-water mark, reset at the stage start; `sampled`: a lower bound from samples. */
  peakRssSource: 'vmhwm' | 'sampled';
}

export interface StageMeter {
  /** Stops the clock and the sampling; call once. */
  finish(): StageMeasurement;
}

const STATUS_FILE = '/proc/self/status';
const CLEAR_REFS_FILE = '/proc/self/clear_refs';
const SAMPLE_MS = 50;

/** VmHWM of this process in bytes, or null where /proc/self/status does not say. */
function readHighWaterMark(): number | null {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(fs.readFileSync(STATUS_FILE, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Resets VmHWM to the current RSS; false where the kernel does not allow it. */
function resetHighWaterMark(): boolean {
  try {
    fs.writeFileSync(CLEAR_REFS_FILE, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peaks (bytes) of the stages currently open, folded in before any reset of the kernel's mark. */
const openPeaks = new Set<{ peak: number }>();

/** Starts timing a stage and tracking its peak memory. */
export function startStageMeter(): StageMeter {
  const started = performance.now();
  const own = { peak: process.memoryUsage.rss() };
  const before = readHighWaterMark();
  if (before !== null) for (const open of openPeaks) open.peak = Math.max(open.peak, before);
  const kernel = before !== null && resetHighWaterMark();
  openPeaks.add(own);
  const timer = setInterval(() => {
    own.peak = Math.max(own.peak, process.memoryUsage.rss());
  }, SAMPLE_MS);
  timer.unref();
  let finished = false;
  return {
    finish(): StageMeasurement {
      if (finished) throw new Error('stage meter finished twice');
      finished = true;
      clearInterval(timer);
      openPeaks.delete(own);
      own.peak = Math.max(own.peak, process.memoryUsage.rss());
      const mark = kernel ? readHighWaterMark() : null;
      return {
        wallMs: Math.round(performance.now() - started),
        peakRssBytes: mark !== null ? Math.max(mark, own.peak) : own.peak,
        peakRssSource: mark !== null ? 'vmhwm' : 'sampled',
      };
    },
  };
}
