/** Small helpers shared by the CLI commands: flag parsing with typed errors and model resolution. */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: false; strict: true }>>;

/** parseArgs that turns unknown or malformed flags into a UsageError naming the command. */
export function parseFlags<T extends Options>(command: string, argv: string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/** The model folder from --model, else EMOTION_CIRCUITS_MODEL; a clear error when neither is set. */
export function resolveModelDir(command: string, flag: string | undefined): string {
  const dir = flag ?? process.env.EMOTION_CIRCUITS_MODEL;
  if (!dir) {
    throw new UsageError(
      `${command}: no model given. Pass --model DIR (a local Hugging Face folder with config.json, ` +
        'model.safetensors and tokenizer.json) or set EMOTION_CIRCUITS_MODEL.',
    );
  }
  if (!existsSync(dir)) throw new UsageError(`${command}: model folder ${dir} does not exist`);
  return dir;
}

export function parseNumber(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UsageError(`${command}: --${name} expects a number, got ${JSON.stringify(value)}`);
  return n;
}

/** An optional integer flag; undefined when absent. */
export function parseInteger(command: string, name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${command}: --${name} expects an integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

/** An optional "1,2,3" flag of non-negative integers; undefined when absent. */
export function parseIntegerList(command: string, name: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((part) => {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${command}: --${name} expects comma-separated non-negative integers, got ${JSON.stringify(value)}`);
    return n;
  });
}
