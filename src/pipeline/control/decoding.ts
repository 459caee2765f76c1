/**
 * The one decoding setting every control arm shares by default (DESIGN.md §3 step 10): greedy,
 * repetition penalty 1.1, no repeated 3-grams over prompt + output, 10 to 100 new tokens. The
 * authors' scripts decoded each arm differently; here a per-arm setting is an explicit option only.
 */
import { UsageError } from '../../errors.js';
import type { GenerationOptions } from '../../model/generate.js';

export interface DecodingSettings {
  readonly minNewTokens: number;
  readonly maxNewTokens: number;
  /** 0 = greedy. */
  readonly temperature: number;
  readonly topP: number;
  readonly repetitionPenalty: number;
  readonly noRepeatNgramSize: number;
  /** Sampling seed (sequence i of a batch uses seed + i); unused when greedy. */
  readonly seed: number;
}

export const DEFAULT_DECODING: DecodingSettings = {
  minNewTokens: 10,
  maxNewTokens: 100,
  temperature: 0,
  topP: 1,
  repetitionPenalty: 1.1,
  noRepeatNgramSize: 3,
  seed: 0,
};

/** `base` with `override` applied, checked. */
export function resolveDecoding(override: Partial<DecodingSettings> = {}, base: DecodingSettings = DEFAULT_DECODING): DecodingSettings {
  const settings = { ...base, ...override };
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new UsageError(`decoding: ${what}, got ${JSON.stringify(settings)}`);
  };
  check(Number.isInteger(settings.maxNewTokens) && settings.maxNewTokens > 0, 'maxNewTokens must be a positive integer');
  check(Number.isInteger(settings.minNewTokens) && settings.minNewTokens >= 0 && settings.minNewTokens <= settings.maxNewTokens, 'minNewTokens must be an integer in [0, maxNewTokens]');
  check(settings.temperature >= 0 && Number.isFinite(settings.temperature), 'temperature must be ≥ 0');
  check(settings.topP > 0 && settings.topP <= 1, 'topP must be in (0, 1]');
  check(settings.repetitionPenalty > 0 && Number.isFinite(settings.repetitionPenalty), 'repetitionPenalty must be > 0');
  check(Number.isInteger(settings.noRepeatNgramSize) && settings.noRepeatNgramSize >= 0, 'noRepeatNgramSize must be an integer ≥ 0');
  check(Number.isInteger(settings.seed), 'seed must be an integer');
  return settings;
}

/** The engine's generation options for these settings (hooks, streaming and stop tokens added by the caller). */
export function generationOptions(settings: DecodingSettings): GenerationOptions {
  return {
    minNewTokens: settings.minNewTokens,
    maxNewTokens: settings.maxNewTokens,
    temperature: settings.temperature,
    topP: settings.topP,
    repetitionPenalty: settings.repetitionPenalty,
    noRepeatNgramSize: settings.noRepeatNgramSize,
    seed: settings.seed,
  };
}
