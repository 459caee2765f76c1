/**
 * Locates the read-only shared folder (models, data, fixtures) through EMOTION_CIRCUITS_SHARED.
 * Tests that need it skip with this message when it is not set.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED_DIR: string | null = (() => {
  const dir = process.env.EMOTION_CIRCUITS_SHARED;
  return dir && existsSync(dir) ? dir : null;
})();

export const SHARED_SKIP_MESSAGE =
  'EMOTION_CIRCUITS_SHARED is not set (or does not exist): set it to the shared folder with models, data and fixtures to run this test';

export function sharedPath(...parts: string[]): string {
  if (!SHARED_DIR) throw new Error(SHARED_SKIP_MESSAGE);
  return join(SHARED_DIR, ...parts);
}
