/**
 * Autoregressive generation with a KV cache over a ragged batch of prompts: one prefill pass for all
 * prompts, then one decode pass per step for the sequences still running.
 *
 * `generate` runs to the end synchronously; `generateAsync` yields to the event loop between steps,
 * so a server can stream tokens (`onToken`) and cancel (`signal`) while it runs. Both stop at a step
 * boundary when the signal is aborted: the sequences still running end with stop reason 'cancelled'
 * and keep the tokens they had.
 */
import type { Hook } from './hooks.js';
import { forward, type ModelRuntime, type SequenceInput } from './forward.js';
import { KVCache } from './kvCache.js';
import { applyRepetitionPenalty, banRepeatedNgrams, sampleToken, seededRandom } from './sampling.js';

export interface GenerationOptions {
  /** Upper bound on new tokens (default 100). */
  readonly maxNewTokens?: number;
  /** Stop tokens are suppressed until a sequence has this many new tokens (default 0). */
  readonly minNewTokens?: number;
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
  /**
   * Hooks (e.g. compiled interventions) active in prefill and every decode step. Their context's
   * `sequence` is the index of the prompt in `prompts` (stable while other sequences finish). A
   * `logits` hook sees a view into one buffer reused by every step: copy what it keeps.
   */
  readonly hooks?: readonly Hook[];
  /** Called for every new token kept in the output (not for the stop token), in step order. */
  readonly onToken?: (sequence: number, tokenId: number) => void;
  /** Checked before every forward pass; once aborted, running sequences stop with 'cancelled'. */
  readonly signal?: AbortSignal;
}

export type StopReason = 'stop-token' | 'length' | 'context' | 'cancelled';

export interface Generation {
  readonly promptIds: readonly number[];
  /** New tokens, without the stop token. */
  readonly ids: number[];
  readonly stopReason: StopReason;
}

interface SequenceState {
  readonly promptIds: readonly number[];
  readonly sequence: number[];
  readonly ids: number[];
  readonly cache: KVCache;
  stopReason: StopReason | null;
}

/** The step-by-step state of one generation call (shared by the sync and async drivers). */
class GenerationLoop {
  private readonly states: SequenceState[];
  private readonly randoms: Array<() => number>;
  private readonly stopIds: Set<number>;
  private readonly hooks: readonly Hook[] | undefined;
  private active: number[];
  private prefilled = false;
  /** Logits of every step (one row per running sequence), reused: see ForwardOptions.logitsBuffer. */
  private readonly logitsBuffer: Float32Array;

  constructor(
    private readonly model: ModelRuntime,
    prompts: readonly (readonly number[])[],
    private readonly options: GenerationOptions,
  ) {
    const { config } = model;
    const maxNewTokens = options.maxNewTokens ?? 100;
    this.stopIds = new Set(options.stopTokenIds ?? config.eosTokenIds);
    this.randoms = prompts.map((_, i) => seededRandom((options.seed ?? 0) + i));
    this.states = prompts.map((promptIds) => ({
      promptIds,
      sequence: [...promptIds],
      ids: [],
      cache: new KVCache(config.numLayers, config.numKvHeads * config.headDim, promptIds.length + maxNewTokens),
      stopReason: null,
    }));
    this.active = this.states.map((_, i) => i);
    this.logitsBuffer = new Float32Array(prompts.length * config.vocabSize);
    this.hooks = options.hooks && options.hooks.length > 0 ? options.hooks : undefined;
  }

  get done(): boolean {
    return this.active.length === 0;
  }

  /** Ends every running sequence with 'cancelled' when the signal is aborted; true if it was. */
  cancelIfAborted(): boolean {
    if (!this.options.signal?.aborted) return false;
    for (const i of this.active) this.states[i].stopReason = 'cancelled';
    this.active = [];
    return true;
  }

  /** One forward pass (the prefill, or one decode token per running sequence) and token choice. */
  step(): void {
    const { config } = this.model;
    const { options, states } = this;
    const maxNewTokens = options.maxNewTokens ?? 100;
    const minNewTokens = options.minNewTokens ?? 0;
    const inputs: SequenceInput[] = this.active.map((i) => {
      const state = states[i];
      return this.prefilled
        ? { ids: [state.sequence[state.sequence.length - 1]], cache: state.cache, phase: 'decode' as const, promptLength: state.promptIds.length, sequence: i }
        : { ids: state.promptIds, cache: state.cache, phase: 'prefill' as const, promptLength: state.promptIds.length, sequence: i };
    });
    const outputs = forward(this.model, inputs, { hooks: this.hooks, logits: 'last', logitsBuffer: this.logitsBuffer });
    this.prefilled = true;
    const stillActive: number[] = [];
    outputs.forEach((output, k) => {
      const i = this.active[k];
      const state = states[i];
      const logits = (output.logits as { data: Float32Array }).data;
      applyRepetitionPenalty(logits, state.sequence, options.repetitionPenalty ?? 1);
      banRepeatedNgrams(logits, state.sequence, options.noRepeatNgramSize ?? 0);
      if (state.ids.length < minNewTokens) for (const id of this.stopIds) logits[id] = -Infinity;
      const next = sampleToken(logits, options.temperature ?? 0, options.topP ?? 1, this.randoms[i]);
      if (this.stopIds.has(next)) state.stopReason = 'stop-token';
      else {
        state.ids.push(next);
        state.sequence.push(next);
        options.onToken?.(i, next);
        if (state.ids.length >= maxNewTokens) state.stopReason = 'length';
        else if (state.sequence.length >= config.maxPositionEmbeddings) state.stopReason = 'context';
      }
      if (state.stopReason === null) stillActive.push(i);
    });
    this.active = stillActive;
  }

  results(): Generation[] {
    return this.states.map((s) => ({ promptIds: s.promptIds, ids: s.ids, stopReason: s.stopReason as StopReason }));
  }
}

/** Generates for every prompt; returns when all sequences have stopped (or the signal aborted). */
export function generate(model: ModelRuntime, prompts: readonly (readonly number[])[], options: GenerationOptions = {}): Generation[] {
  const loop = new GenerationLoop(model, prompts, options);
  while (!loop.done && !loop.cancelIfAborted()) loop.step();
  return loop.results();
}

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * As {@link generate}, but yields to the event loop before every forward pass, so `onToken`
 * consumers can flush output and an abort from I/O (a closed connection, Ctrl-C) takes effect.
 */
export async function generateAsync(model: ModelRuntime, prompts: readonly (readonly number[])[], options: GenerationOptions = {}): Promise<Generation[]> {
  const loop = new GenerationLoop(model, prompts, options);
  for (;;) {
    await nextMacrotask();
    if (loop.done || loop.cancelIfAborted()) return loop.results();
    loop.step();
  }
}
