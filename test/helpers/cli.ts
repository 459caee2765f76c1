/** Runs the built CLI in a child process, without EMOTION_CIRCUITS_MODEL (so the default model rules apply), plus `env`. */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export const CLI = path.join(process.cwd(), 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: Record<string, string> = {}, options: { cwd?: string } = {}): CliResult {
  const { EMOTION_CIRCUITS_MODEL: _, ...rest } = process.env;
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...rest, ...env }, cwd: options.cwd });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
