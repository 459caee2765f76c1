/**
 * Generation one token at a time, so the server can interleave two continuations (steered and
 * unsteered), stream each token, and stop between tokens when a request is cancelled. The decoding
 * is the engine's `generate` (DESIGN §3 step 10 defaults: greedy, repetition penalty 1.1, no repeated
 * 3-grams over prompt + output): each step is one forward pass over the KV cache.
 *
 * @example
 * const stepper = new TokenStepper(model, ids, { maxNewTokens: 40, hooks });
 * while (!stepper.done) { stepper.step(); await yieldToEventLoop(); }
 */
import type { ModelRuntime } from '../model/forward.js';
import { forward } from '../model/forward.js';
import type { StopReason } from '../model/generate.js';
import type { Hook } from '../model/hooks.js';
import { KVCache } from '../model/kvCache.js';
import { applyRepetitionPenalty, banRepeatedNgrams, argmax } from '../model/sampling.js';

export interface StepperOptions {
  readonly maxNewTokens: number;
  readonly hooks?: readonly Hook[];
  /** Default 1.1. */
  readonly repetitionPenalty?: number;
  /** Default 3. */
  readonly noRepeatNgramSize?: number;
}

export class TokenStepper {
  /** New tokens so far (no stop token). */
  readonly ids: number[] = [];
  stopReason: StopReason | null = null;
  private readonly sequence: number[];
  private readonly cache: KVCache;
  private readonly stopIds: Set<number>;

  constructor(
    private readonly model: ModelRuntime,
    private readonly promptIds: readonly number[],
    private readonly options: StepperOptions,
  ) {
    const { config } = model;
    this.sequence = [...promptIds];
    this.cache = new KVCache(config.numLayers, config.numKvHeads * config.headDim, promptIds.length + options.maxNewTokens);
    this.stopIds = new Set(config.eosTokenIds);
  }

  get done(): boolean {
    return this.stopReason !== null;
  }

  /** One forward pass (the prompt on the first call, then the last token); returns the new token or null at a stop. */
  step(): number | null {
    if (this.done) return null;
    const first = this.cache.length === 0;
    const input = {
      ids: first ? this.promptIds : [this.sequence[this.sequence.length - 1]],
      cache: this.cache,
      phase: first ? ('prefill' as const) : ('decode' as const),
      promptLength: this.promptIds.length,
    };
    const [output] = forward(this.model, [input], { hooks: this.options.hooks, logits: 'last' });
    const logits = (output.logits as { data: Float32Array }).data;
    applyRepetitionPenalty(logits, this.sequence, this.options.repetitionPenalty ?? 1.1);
    banRepeatedNgrams(logits, this.sequence, this.options.noRepeatNgramSize ?? 3);
    const next = argmax(logits);
    if (this.stopIds.has(next)) {
      this.stopReason = 'stop-token';
      return null;
    }
    this.ids.push(next);
    this.sequence.push(next);
    if (this.ids.length >= this.options.maxNewTokens) this.stopReason = 'length';
    else if (this.sequence.length >= this.model.config.maxPositionEmbeddings) this.stopReason = 'context';
    return next;
  }
}

/** Lets pending I/O (new requests, disconnects, cancel calls) run between two forward passes. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
