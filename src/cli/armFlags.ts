/** Flags that choose control arms and their settings, shared by steer, evaluate, sweep and discover. */
import { UsageError } from '../errors.js';
import { ARM_METHODS, defaultArm, isArmMethod, type ArmMethod, type ArmSpec } from '../pipeline/control/arms.js';
import type { DepthBand } from '../pipeline/control/directionSteering.js';
import { DEFAULT_DECODING, type DecodingSettings } from '../pipeline/control/decoding.js';
import { parseInteger, parseIntegerList, parseNumber } from './args.js';

export const ARM_FLAGS = {
  arms: { type: 'string' },
  lambda: { type: 'string' },
  alpha: { type: 'string' },
  band: { type: 'string' },
  'random-seeds': { type: 'string' },
} as const;

export const ARM_FLAGS_USAGE = `  --arms ${ARM_METHODS.join(',')}   which arms (default all)
  --lambda λ        circuit and random-circuit strength (default: each circuit's own λ)
  --alpha α         direction-steering strength (default 8)
  --band FROM-TO    direction-steering depth band as fractions of the layer count (default 0.39-0.71)
  --random-seeds S  random-circuit draws (default 0,1,2)`;

export function parseArmMethods(command: string, value: string | undefined): ArmMethod[] {
  if (value === undefined) return [...ARM_METHODS];
  return value.split(',').map((name) => {
    const method = name.trim();
    if (!isArmMethod(method)) throw new UsageError(`${command}: unknown arm ${JSON.stringify(method)}; expected some of ${ARM_METHODS.join(', ')}`);
    return method;
  });
}

export function parseBand(command: string, value: string | undefined): DepthBand | undefined {
  if (value === undefined) return undefined;
  const match = /^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$/.exec(value);
  const band = match ? { from: Number(match[1]), to: Number(match[2]) } : null;
  if (!band || !(band.from >= 0 && band.to <= 1 && band.from < band.to)) throw new UsageError(`${command}: --band expects FROM-TO with 0 ≤ FROM < TO ≤ 1, got ${JSON.stringify(value)}`);
  return band;
}

/** The arm of `method` with the settings the flags give (defaults otherwise). */
export function armFromFlags(command: string, method: ArmMethod, values: Partial<Record<keyof typeof ARM_FLAGS, string>>): ArmSpec {
  const arm = defaultArm(method);
  switch (arm.method) {
    case 'direction':
      return { ...arm, alpha: parseNumber(command, 'alpha', values.alpha, arm.alpha), band: parseBand(command, values.band) ?? arm.band };
    case 'circuit':
      return { ...arm, lambda: values.lambda === undefined ? null : parseNumber(command, 'lambda', values.lambda, 1) };
    case 'random': {
      const seeds = parseIntegerList(command, 'random-seeds', values['random-seeds']) ?? arm.seeds;
      if (seeds.length === 0) throw new UsageError(`${command}: --random-seeds needs at least one seed`);
      return { ...arm, lambda: values.lambda === undefined ? null : parseNumber(command, 'lambda', values.lambda, 1), seeds };
    }
    default:
      return arm;
  }
}

/** --max-new-tokens / --min-new-tokens as a decoding override (a shorter limit lowers the default minimum to fit). */
export function decodingFlags(command: string, values: { 'max-new-tokens'?: string; 'min-new-tokens'?: string }): Partial<DecodingSettings> {
  const maxNewTokens = parseInteger(command, 'max-new-tokens', values['max-new-tokens']);
  const minNewTokens = parseInteger(command, 'min-new-tokens', values['min-new-tokens']);
  const decoding: { maxNewTokens?: number; minNewTokens?: number } = {};
  if (maxNewTokens !== undefined) decoding.maxNewTokens = maxNewTokens;
  // A shorter limit keeps the default minimum only as far as it fits.
  if (minNewTokens !== undefined || maxNewTokens !== undefined) decoding.minNewTokens = minNewTokens ?? Math.min(DEFAULT_DECODING.minNewTokens, maxNewTokens!);
  return decoding;
}
