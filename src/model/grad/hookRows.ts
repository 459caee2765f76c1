/**
 * Per-sequence values at hook points, for a batch whose sequences are stacked row-wise
 * ([R, width], R = Σ T_s): additive edits in the forward pass, seeds (d metric/d activation) and
 * recorded gradients in the backward pass. `attn.hook_pattern` is per sequence [H, T, T] and
 * lives in its own buffer (probsOffset).
 */
import { UsageError } from '../../errors.js';
import type { HookName } from '../hookNames.js';
import type { Floats } from './matmul.js';

/** Where sequence s sits in a stacked batch. */
export interface SequenceSpan {
  /** First row in the stacked [R, ·] buffers. */
  readonly rowStart: number;
  /** T */
  readonly tokens: number;
  /** Offset of its [H, T, T] block in a layer's pattern buffer. */
  readonly probsOffset: number;
}

/** A value for one sequence at one hook point, shaped as that hook is ([T, width] or [H, T, T]). */
export interface HookValue {
  readonly sequence: number;
  readonly hook: HookName;
  readonly values: ArrayLike<number>;
}

/** Values grouped by hook name, each applied by adding it into a stacked buffer. */
export class HookValues {
  private readonly byHook = new Map<string, HookValue[]>();

  constructor(values: readonly HookValue[], private readonly spans: readonly SequenceSpan[], private readonly what: string) {
    for (const value of values) {
      if (!Number.isInteger(value.sequence) || value.sequence < 0 || value.sequence >= spans.length) {
        throw new UsageError(`${what} at ${value.hook}: sequence ${value.sequence} is not in the batch of ${spans.length}`);
      }
      const list = this.byHook.get(value.hook) ?? [];
      list.push(value);
      this.byHook.set(value.hook, list);
    }
  }

  get size(): number {
    return this.byHook.size;
  }

  has(hook: HookName): boolean {
    return this.byHook.has(hook);
  }

  /** Names given but never applied (a typo, or a hook the gradient code does not reach). */
  names(): string[] {
    return [...this.byHook.keys()];
  }

  /** Adds each value for `hook` into its sequence's rows of `buffer` [R, width]. */
  addRows(hook: HookName, buffer: Floats, width: number): void {
    for (const value of this.byHook.get(hook) ?? []) {
      const span = this.spans[value.sequence];
      const count = span.tokens * width;
      if (value.values.length !== count) {
        throw new UsageError(`${this.what} at ${hook} for sequence ${value.sequence} has ${value.values.length} values, expected ${span.tokens}×${width}`);
      }
      const base = span.rowStart * width;
      for (let i = 0; i < count; i++) buffer[base + i] += value.values[i];
    }
  }

  /** The value for (sequence, hook) as given, or null. */
  find(hook: HookName, sequence: number): ArrayLike<number> | null {
    return this.byHook.get(hook)?.find((v) => v.sequence === sequence)?.values ?? null;
  }
}
