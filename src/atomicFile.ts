/**
 * Atomic file writes: the bytes go to a temporary file in the same folder, which is fsynced and
 * renamed over the target, then the folder is fsynced — so a reader (or a run resumed after a crash
 * or Ctrl-C) sees either the old file or the complete new one, never half of one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let tmpCounter = 0;

/** Writes `data` to `file` atomically, creating its folder if needed. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${tmpCounter++}.tmp`);
  const fd = fs.openSync(tmp, 'w');
  try {
    let done = 0;
    while (done < bytes.byteLength) done += fs.writeSync(fd, bytes, done, bytes.byteLength - done);
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  fsyncDir(dir);
}

/** Makes the rename durable. Some filesystems refuse fsync on a folder; that is not an error. */
function fsyncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
