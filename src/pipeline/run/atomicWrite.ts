/**
 * Atomic writes of run-folder artefacts (JSON, JSONL, safetensors) and the hashes that key stages.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { writeFileAtomic } from '../../atomicFile.js';
import { encodeSafetensors, type F32TensorToWrite } from '../../model/safetensors.js';

export { writeFileAtomic };

/** JSON with two-space indentation and a final newline, written atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** One JSON value per line, written atomically as a whole. */
export function writeJsonlAtomic(file: string, rows: readonly unknown[]): void {
  writeFileAtomic(file, rows.map((r) => JSON.stringify(r) + '\n').join(''));
}

/** f32 tensors as safetensors, written atomically. Returns the bytes' sha256 (hex). */
export function writeSafetensorsAtomic(file: string, tensors: F32TensorToWrite[], metadata?: Record<string, string>): string {
  const bytes = encodeSafetensors(tensors, metadata);
  writeFileAtomic(file, bytes);
  return sha256Bytes(bytes);
}

export function sha256Bytes(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 (hex) of a file, streamed in 8 MiB blocks so multi-GB weight files never sit in memory. */
export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const block = Buffer.allocUnsafe(8 << 20);
    for (;;) {
      const got = fs.readSync(fd, block, 0, block.length, null);
      if (got === 0) break;
      hash.update(block.subarray(0, got));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** A stable hash of a JSON-able value: keys sorted at every depth, so key order never matters. */
export function hashJson(value: unknown): string {
  return sha256Bytes(stableStringify(value));
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
