/** Small helpers shared by the CLI commands: flag parsing with typed errors and model resolution (folders or hub ids). */
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { JUDGE_KINDS, type JudgeKind } from '../judge/createJudge.js';
import { isModelId, resolveModel } from '../model/hub.js';
import { defaultModelDir } from '../organism/defaultModel.js';
import { WEIGHTS_MODES, type WeightsMode } from '../model/weights.js';

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

/** Where the model of a command comes from. */
export type ModelSource = 'flag' | 'env' | 'default';

/**
 * The model spec from --model, else EMOTION_CIRCUITS_MODEL, else the embedded default model (the
 * emotion model organism) when this installation carries it; a clear error when there is none.
 */
export function chooseModelSpec(command: string, flag: string | undefined, env: string | undefined, defaultDir: string | null): { spec: string; source: ModelSource } {
  if (flag) return { spec: flag, source: 'flag' };
  if (env) return { spec: env, source: 'env' };
  if (defaultDir) return { spec: defaultDir, source: 'default' };
  throw new UsageError(
    `${command}: no model given. Pass --model DIR (a local Hugging Face folder with config.json, ` +
      'model.safetensors and tokenizer.json, or a hub id like org/name) or set EMOTION_CIRCUITS_MODEL.',
  );
}

/**
 * The model folder from --model, else EMOTION_CIRCUITS_MODEL, else the embedded organism: a local
 * folder as it is, or a hub id (`org/name[@revision]`) downloaded into the Hugging Face cache
 * (progress on stderr). A clear error when the value is neither an existing folder nor an id.
 */
export async function resolveModelSpec(command: string, flag: string | undefined): Promise<string> {
  return (await resolveModelChoice(command, flag)).dir;
}

/** {@link resolveModelSpec}, also saying where the model came from. */
export async function resolveModelChoice(command: string, flag: string | undefined): Promise<{ dir: string; source: ModelSource }> {
  const { spec, source } = chooseModelSpec(command, flag, process.env.EMOTION_CIRCUITS_MODEL, defaultModelDir());
  if (source === 'default') process.stderr.write(`${command}: no --model or EMOTION_CIRCUITS_MODEL given: using the embedded default model, the emotion model organism (models/organism)\n`);
  if (existsSync(spec)) return { dir: spec, source };
  if (!isModelId(spec)) throw new UsageError(`${command}: model folder ${spec} does not exist (and it is not a hub id like org/name)`);
  return { dir: await resolveModel(spec, { log: (line) => void process.stderr.write(`${command}: ${line}\n`) }), source };
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

/** --twin / --no-twin → true / false; neither → undefined (the command's default); both is an error. */
export function twinFlag(command: string, twin: boolean | undefined, noTwin: boolean | undefined): boolean | undefined {
  if (twin && noTwin) throw new UsageError(`${command}: --twin and --no-twin exclude each other`);
  return twin ? true : noTwin ? false : undefined;
}

/** The `--weights` flag every command that loads a model takes (parse with {@link parseWeights}). */
export const WEIGHTS_FLAG = { weights: { type: 'string' } } as const;

export const WEIGHTS_USAGE = '[--weights stored|int8]';

/** `--weights stored|int8` (default 'stored': the checkpoint's dtype; 'int8': quantised at load time). */
export function parseWeights(command: string, value: string | undefined): WeightsMode {
  return parseOptionalWeights(command, value) ?? 'stored';
}

/**
 * `--weights stored|int8` of a command that works on a run: undefined when absent (the stage then
 * runs with the run's recorded mode, see pipeline/run/weightsMode.ts).
 */
export function parseOptionalWeights(command: string, value: string | undefined): WeightsMode | undefined {
  if (value === undefined) return undefined;
  if (!(WEIGHTS_MODES as readonly string[]).includes(value)) {
    throw new UsageError(`${command}: --weights expects ${WEIGHTS_MODES.join(' or ')}, got ${JSON.stringify(value)}`);
  }
  return value as WeightsMode;
}

/** The usage line of a run stage's `--weights`. */
export const RUN_WEIGHTS_USAGE = `  --weights stored|int8: the weights the model runs with in this stage (default: the run's, set by
  \`directions\`/\`discover\` and recorded in manifest.json); a changed mode re-runs the stage.`;

/** A `--judge` / `--judge-filter` value: one of JUDGE_KINDS, else a usage error naming the flag. */
export function parseJudgeKind(command: string, flag: string, value: string): JudgeKind {
  if (!(JUDGE_KINDS as readonly string[]).includes(value)) throw new UsageError(`${command}: --${flag} expects one of ${JUDGE_KINDS.join(', ')}, got ${JSON.stringify(value)}`);
  return value as JudgeKind;
}
