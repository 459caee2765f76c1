/**
 * `generations.jsonl`: one JSON record per line, appended batch by batch (one write and an fsync per
 * batch), so an evaluation killed at any point loses at most the batch in flight. On reopening, a
 * torn last line (no final newline) is cut off; every complete line must parse.
 */
import * as fs from 'node:fs';
import { EmotionCircuitsError } from '../../errors.js';

export class JsonlLog<T extends { key: string }> {
  private readonly byKey = new Map<string, T>();

  private constructor(readonly file: string) {}

  /**
   * Opens (or creates) the log, cutting a torn last line. Later records with the same key replace
   * earlier ones.
   */
  static open<T extends { key: string }>(file: string): JsonlLog<T> {
    const log = new JsonlLog<T>(file);
    if (!fs.existsSync(file)) return log;
    const text = fs.readFileSync(file, 'utf8');
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length) fs.truncateSync(file, Buffer.byteLength(text.slice(0, complete)));
    text.slice(0, complete).split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let record: T;
      try {
        record = JSON.parse(line) as T;
      } catch (error) {
        throw new EmotionCircuitsError('RUN', `line ${i + 1} is not valid JSON (${(error as Error).message}); delete the file to start over`, file);
      }
      if (typeof record?.key !== 'string') throw new EmotionCircuitsError('RUN', `line ${i + 1} has no "key"`, file);
      log.byKey.set(record.key, record);
    });
    return log;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): T | undefined {
    return this.byKey.get(key);
  }

  records(): IterableIterator<T> {
    return this.byKey.values();
  }

  /** Appends `records` in one write and makes them durable before returning. */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, records.map((r) => JSON.stringify(r) + '\n').join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    for (const r of records) this.byKey.set(r.key, r);
  }
}
