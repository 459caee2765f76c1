/**
 * Autoregressive generation with a KV cache over a ragged batch of prompts: one prefill pass for all
 * prompts, then one decode pass per step for the sequences still running.
 */
import type { Hook } from './hooks.js';
import { forward, type ModelRuntime, type SequenceInput } from './forward.js';
import { KVCache } from './kvCache.js';
import { applyRepetitionPenalty, banRepeatedNgrams, sampleToken, seededRandom } from './sampling.js';

export interface GenerationOptions {
  /** Upper bound on new tokens (default 100). */
  readonly maxNewTokens?: number;
  /** 0 (default) = greedy. */
  readonly temperature?: number;
  readonly topP?: number;
  /** Seed for sampling; sequence i uses seed + i. */
  readonly seed?: number;
  /** HF semantics; 1 = off (default). */
  readonly repetitionPenalty?: number;
  /** Ban repeated n-grams of this size; 0 = off (default). */
  readonly noRepeatNgramSize?: number;
  /** Tokens that end a sequence (default: the config's EOS ids). Not included in the output. */
  readonly stopTokenIds?: readonly number[];
  /** Hooks (e.g. compiled interventions) active in prefill and every decode step. */
  readonly hooks?: readonly Hook[];
}

export type StopReason = 'stop-token' | 'length' | 'context';

export interface Generation {
  readonly promptIds: readonly number[];
  /** New tokens, without the stop token. */
  readonly ids: number[];
  readonly stopReason: StopReason;
}

export function generate(model: ModelRuntime, prompts: readonly (readonly number[])[], options: GenerationOptions = {}): Generation[] {
  const { config } = model;
  const maxNewTokens = options.maxNewTokens ?? 100;
  const stopIds = new Set(options.stopTokenIds ?? config.eosTokenIds);
  const randoms = prompts.map((_, i) => seededRandom((options.seed ?? 0) + i));
  const states = prompts.map((promptIds) => ({
    promptIds,
    sequence: [...promptIds],
    ids: [] as number[],
    cache: new KVCache(config.numLayers, config.numKvHeads * config.headDim, promptIds.length + maxNewTokens),
    stopReason: null as StopReason | null,
  }));

  let active = states.map((_, i) => i);
  let inputs: SequenceInput[] = active.map((i) => ({ ids: states[i].promptIds, cache: states[i].cache, phase: 'prefill' as const, promptLength: states[i].promptIds.length }));
  while (active.length > 0) {
    const outputs = forward(model, inputs, { hooks: options.hooks, logits: 'last' });
    const stillActive: number[] = [];
    outputs.forEach((output, k) => {
      const i = active[k];
      const state = states[i];
      const logits = (output.logits as { data: Float32Array }).data;
      applyRepetitionPenalty(logits, state.sequence, options.repetitionPenalty ?? 1);
      banRepeatedNgrams(logits, state.sequence, options.noRepeatNgramSize ?? 0);
      const next = sampleToken(logits, options.temperature ?? 0, options.topP ?? 1, randoms[i]);
      if (stopIds.has(next)) state.stopReason = 'stop-token';
      else {
        state.ids.push(next);
        state.sequence.push(next);
        if (state.ids.length >= maxNewTokens) state.stopReason = 'length';
        else if (state.sequence.length >= config.maxPositionEmbeddings) state.stopReason = 'context';
      }
      if (state.stopReason === null) stillActive.push(i);
    });
    active = stillActive;
    inputs = active.map((i) => ({
      ids: [states[i].sequence[states[i].sequence.length - 1]],
      cache: states[i].cache,
      phase: 'decode' as const,
      promptLength: states[i].promptIds.length,
    }));
  }
  return states.map((s) => ({ promptIds: s.promptIds, ids: s.ids, stopReason: s.stopReason as StopReason }));
}
