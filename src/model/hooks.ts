/**
 * Hooks: small values passed explicitly into a forward call (no global registry). A hook reads or
 * edits an activation in place; edits flow on through the rest of the pass. Interventions
 * (`src/interventions/`) compile down to these.
 */
import type { HookName } from './hookNames.js';
import { hookGlob } from './hookNames.js';
import type { Tensor } from './tensor.js';

export type Phase = 'prefill' | 'decode';

export interface HookContext {
  readonly name: HookName;
  /** Layer index for `blocks.{l}.*` hooks, null for hook_embed, ln_final and logits. */
  readonly layer: number | null;
  /** Index of the sequence within the batch of this forward call. */
  readonly sequence: number;
  /** Absolute position of the first row of the activation (0 in prefill, the cache length in decode). */
  readonly startPos: number;
  /** Number of prompt tokens of the sequence when known (generation), else undefined. */
  readonly promptLength?: number;
  readonly phase: Phase;
}

/** Reads or edits `activation` in place. Shapes are those of the hook point for this sequence's rows. */
export type HookFn = (activation: Tensor, context: HookContext) => void;

export interface Hook {
  /** An exact hook name or a glob (`blocks.*.hook_resid_post`). */
  readonly name: string;
  readonly fn: HookFn;
}

/** Resolves hook globs against concrete names once per name (names are a small fixed set). */
export class HookTable {
  private readonly resolved = new Map<string, HookFn[]>();
  private readonly compiled: Array<{ regexp: RegExp; fn: HookFn }>;

  constructor(hooks: readonly Hook[]) {
    this.compiled = hooks.map((h) => ({ regexp: hookGlob(h.name), fn: h.fn }));
  }

  get empty(): boolean {
    return this.compiled.length === 0;
  }

  /** The hooks attached to `name`, in registration order. */
  lookup(name: string): HookFn[] {
    let fns = this.resolved.get(name);
    if (!fns) {
      fns = this.compiled.filter((c) => c.regexp.test(name)).map((c) => c.fn);
      this.resolved.set(name, fns);
    }
    return fns;
  }
}
