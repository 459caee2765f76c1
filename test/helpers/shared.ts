/**
 * Locates the read-only shared folder (models, data, fixtures) through EMOTION_CIRCUITS_SHARED.
 * Tests that need it skip with this message when it is not set — except under CI=true, where a
 * missing shared folder fails every test file that needs it (a CI run must never skip them).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const SHARED_DIR: string | null = (() => {
  const dir = process.env.EMOTION_CIRCUITS_SHARED;
  return dir && existsSync(dir) ? dir : null;
})();

if (!SHARED_DIR && process.env.CI === 'true') {
  throw new Error(`CI=true but the shared folder is missing (EMOTION_CIRCUITS_SHARED=${process.env.EMOTION_CIRCUITS_SHARED ?? '(unset)'}): the tests that need it would be skipped`);
}

export const SHARED_SKIP_MESSAGE =
  'EMOTION_CIRCUITS_SHARED is not set (or does not exist): set it to the shared folder with models, data and fixtures to run this test';

export function sharedPath(...parts: string[]): string {
  if (!SHARED_DIR) throw new Error(SHARED_SKIP_MESSAGE);
  return join(SHARED_DIR, ...parts);
}
