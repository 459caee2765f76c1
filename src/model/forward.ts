/**
 * The forward pass of a Llama-family decoder, top to bottom, over a ragged batch: the rows of all
 * sequences are stacked ([R, d], R = Σ T_s) for the matrix products, and attention runs per
 * sequence against its own KV cache — no padding, so no padding bugs.
 *
 * Every hook point of DESIGN.md §2 is reached in order; a hook sees the rows of one sequence
 * and may edit them in place.
 */
import { ContextLengthError, UsageError } from '../errors.js';
import type { AttentionItem, LinearBackend } from '../kernels/types.js';
import { applyPattern, attention, attentionPattern, type AttentionShape } from './attention.js';
import type { ModelConfig } from './config.js';
import { layerHook, type HookName, type LayerHookSuffix } from './hookNames.js';
import { HookTable, type Hook, type HookFn, type Phase } from './hooks.js';
import { KVCache } from './kvCache.js';
import { RopeTable } from './rope.js';
import { tensor, type Tensor } from './tensor.js';
import type { ModelWeights } from './weights.js';

/** What a forward pass needs from a loaded model. */
export interface ModelRuntime {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
  readonly backend: LinearBackend;
  readonly rope: RopeTable;
}

export interface SequenceInput {
  /** Token ids of this chunk (the whole prompt in prefill, one token per decode step). */
  readonly ids: readonly number[];
  /** Keys/values of earlier positions, extended in place. Omit for a one-shot pass. */
  readonly cache?: KVCache;
  /** Default: 'prefill' when the cache is empty, else 'decode'. */
  readonly phase?: Phase;
  /** Prompt length, passed through to hooks (generation sets it). */
  readonly promptLength?: number;
  /** What hooks see as `context.sequence` (default: this input's index; generation passes the prompt index). */
  readonly sequence?: number;
}

export interface ForwardOptions {
  readonly hooks?: readonly Hook[];
  /** Globs of hook points whose values (after hooks ran) are copied into the result. */
  readonly cache?: readonly string[];
  /** Which rows get logits: every row (default), the last row only, or none. */
  readonly logits?: 'all' | 'last' | 'none';
  /**
   * Where the logits go (at least rows-with-logits × V floats); the returned logits are views of
   * it, valid until the caller reuses it. Generation passes one buffer for all its steps: a fresh
   * 19 MB array per decode step of 32 sequences × 151936 tokens costs ~10 ms of page faults.
   * Default: a new array per call.
   */
  readonly logitsBuffer?: Float32Array;
}

export interface SequenceOutput {
  /** [T, V], or [1, V] with logits: 'last'; null with logits: 'none'. */
  readonly logits: Tensor | null;
  /** Cached activations by hook name, shapes as in DESIGN.md §2 for this chunk's rows. */
  readonly activations: Map<HookName, Tensor>;
}

/** y[r] = x[r] / sqrt(mean(x[r]²) + eps) (· gain when given), over rows of `width`. */
export function rmsNorm(x: Float32Array, width: number, eps: number, gain: Float32Array | null, out: Float32Array): void {
  const rows = x.length / width;
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    let sumSquares = 0;
    for (let i = 0; i < width; i++) sumSquares += x[base + i] * x[base + i];
    const inv = 1 / Math.sqrt(sumSquares / width + eps);
    if (gain) for (let i = 0; i < width; i++) out[base + i] = x[base + i] * inv * gain[i];
    else for (let i = 0; i < width; i++) out[base + i] = x[base + i] * inv;
  }
}

interface SequenceRows {
  readonly index: number;
  readonly rowStart: number;
  readonly tokens: number;
  readonly startPos: number;
  readonly cache: KVCache;
  readonly phase: Phase;
  readonly promptLength?: number;
  readonly activations: Map<HookName, Tensor>;
}

/**
 * Runs the model over one chunk per sequence. With a KV cache the chunk continues the cached
 * positions; the cache grows by the chunk's length.
 */
export function forward(model: ModelRuntime, inputs: readonly SequenceInput[], options: ForwardOptions = {}): SequenceOutput[] {
  const { config, weights, backend, rope } = model;
  const d = config.hiddenSize;
  const H = config.numHeads;
  const Hkv = config.numKvHeads;
  const dh = config.headDim;
  const dff = config.intermediateSize;
  const V = config.vocabSize;
  const qWidth = H * dh;
  const kvWidth = Hkv * dh;
  const qkvWidth = qWidth + 2 * kvWidth;

  const hooks = new HookTable(options.hooks ?? []);
  const cacheTable = new HookTable((options.cache ?? []).map((name) => ({ name, fn: () => {} })));

  // Lay out the ragged batch.
  let rows = 0;
  const sequences: SequenceRows[] = inputs.map((input, index) => {
    if (input.ids.length === 0) throw new UsageError(`sequence ${index} has no tokens`);
    input.ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= V) {
        throw new UsageError(`sequence ${index}: token id ${id} at index ${i} is outside the vocabulary [0, ${V})`);
      }
    });
    const cache = input.cache ?? new KVCache(config.numLayers, kvWidth, input.ids.length);
    const startPos = cache.length;
    if (startPos + input.ids.length > config.maxPositionEmbeddings) {
      throw new ContextLengthError(startPos + input.ids.length, config.maxPositionEmbeddings);
    }
    cache.reserve(startPos + input.ids.length);
    const seq: SequenceRows = {
      index: input.sequence ?? index,
      rowStart: rows,
      tokens: input.ids.length,
      startPos,
      cache,
      phase: input.phase ?? (startPos === 0 ? 'prefill' : 'decode'),
      promptLength: input.promptLength,
      activations: new Map(),
    };
    rows += input.ids.length;
    return seq;
  });

  /**
   * Runs the hooks of `name` on each sequence's rows of `data` (row width `width`), then copies the
   * value into the result if it is cached. `shapeOf(T)` gives the per-sequence shape.
   */
  const visit = (name: HookName, layer: number | null, data: Float32Array, width: number, shapeOf: (tokens: number) => number[]): void => {
    const fns: HookFn[] = hooks.empty ? [] : hooks.lookup(name);
    const cached = cacheTable.lookup(name).length > 0;
    if (fns.length === 0 && !cached) return;
    for (const seq of sequences) {
      const view = tensor(data.subarray(seq.rowStart * width, (seq.rowStart + seq.tokens) * width), shapeOf(seq.tokens));
      const context = { name, layer, sequence: seq.index, startPos: seq.startPos, promptLength: seq.promptLength, phase: seq.phase };
      for (const fn of fns) fn(view, context);
      if (cached) seq.activations.set(name, tensor(view.data.slice(), view.shape));
    }
  };
  const wantsHook = (name: HookName): boolean => (!hooks.empty && hooks.lookup(name).length > 0) || cacheTable.lookup(name).length > 0;

  // Buffers for the whole batch, reused across layers.
  const residual = new Float32Array(rows * d); //     [R, d]
  const normed = new Float32Array(rows * d); //       [R, d]
  const qkv = new Float32Array(rows * qkvWidth); //   [R, (H + 2Hkv)·dh]
  const q = new Float32Array(rows * qWidth); //       [R, H, dh]
  const k = new Float32Array(rows * kvWidth); //      [R, Hkv, dh]
  const v = new Float32Array(rows * kvWidth); //      [R, Hkv, dh]
  const z = new Float32Array(rows * qWidth); //       [R, H, dh]
  const attnOut = new Float32Array(rows * d); //      [R, d]
  const gateUp = new Float32Array(rows * 2 * dff); // [R, 2·dff]
  const gate = new Float32Array(rows * dff); //       [R, dff]
  const up = new Float32Array(rows * dff); //         [R, dff]
  const post = new Float32Array(rows * dff); //       [R, dff]
  const mlpOut = new Float32Array(rows * d); //       [R, d]

  const ids = inputs.flatMap((input) => input.ids);
  weights.embed.gather(ids, residual);
  visit('hook_embed', null, residual, d, (T) => [T, d]);

  for (let l = 0; l < config.numLayers; l++) {
    const layer = weights.layers[l];
    const at = (suffix: LayerHookSuffix): HookName => layerHook(l, suffix);
    visit(at('hook_resid_pre'), l, residual, d, (T) => [T, d]);

    // Attention block.
    rmsNorm(residual, d, config.rmsNormEps, layer.inputNorm, normed);
    backend.linear(normed, rows, layer.qkv, qkv, layer.qkvBias ?? undefined);
    for (let r = 0; r < rows; r++) {
      const base = r * qkvWidth;
      q.set(qkv.subarray(base, base + qWidth), r * qWidth);
      k.set(qkv.subarray(base + qWidth, base + qWidth + kvWidth), r * kvWidth);
      v.set(qkv.subarray(base + qWidth + kvWidth, base + qkvWidth), r * kvWidth);
    }
    if (layer.qNorm && layer.kNorm) {
      rmsNorm(q, dh, config.rmsNormEps, layer.qNorm, q);
      rmsNorm(k, dh, config.rmsNormEps, layer.kNorm, k);
    }
    for (const seq of sequences) {
      rope.apply(q.subarray(seq.rowStart * qWidth), seq.tokens, H, seq.startPos);
      rope.apply(k.subarray(seq.rowStart * kvWidth), seq.tokens, Hkv, seq.startPos);
    }
    visit(at('attn.hook_q'), l, q, qWidth, (T) => [T, H, dh]);
    visit(at('attn.hook_k'), l, k, kvWidth, (T) => [T, Hkv, dh]);
    visit(at('attn.hook_v'), l, v, kvWidth, (T) => [T, Hkv, dh]);

    const patternName = at('attn.hook_pattern');
    const materialisePattern = wantsHook(patternName);
    // Several sequences go to the backend in one batched call when it has one (batched decode).
    const batch: AttentionItem[] | null = !materialisePattern && backend.attentionBatch && sequences.length > 1 ? [] : null;
    for (const seq of sequences) {
      const keys = seq.cache.keys[l];
      const values = seq.cache.values[l];
      keys.set(k.subarray(seq.rowStart * kvWidth, (seq.rowStart + seq.tokens) * kvWidth), seq.startPos * kvWidth);
      values.set(v.subarray(seq.rowStart * kvWidth, (seq.rowStart + seq.tokens) * kvWidth), seq.startPos * kvWidth);
      const shape: AttentionShape = {
        tokens: seq.tokens,
        startPos: seq.startPos,
        heads: H,
        kvHeads: Hkv,
        headDim: dh,
        slidingWindow: config.slidingWindow,
      };
      const qSeq = q.subarray(seq.rowStart * qWidth, (seq.rowStart + seq.tokens) * qWidth);
      const zSeq = z.subarray(seq.rowStart * qWidth, (seq.rowStart + seq.tokens) * qWidth);
      if (materialisePattern) {
        const keyCount = seq.startPos + seq.tokens;
        const pattern = new Float32Array(H * seq.tokens * keyCount); // [H, T, Tk]
        attentionPattern(qSeq, keys, shape, pattern);
        const view = tensor(pattern, [H, seq.tokens, keyCount]);
        const context = { name: patternName, layer: l, sequence: seq.index, startPos: seq.startPos, promptLength: seq.promptLength, phase: seq.phase };
        for (const fn of hooks.empty ? [] : hooks.lookup(patternName)) fn(view, context);
        if (cacheTable.lookup(patternName).length > 0) seq.activations.set(patternName, tensor(pattern.slice(), view.shape));
        applyPattern(pattern, values, shape, zSeq);
      } else if (batch) {
        batch.push({ q: qSeq, keys, values, shape, z: zSeq });
      } else if (backend.attention) {
        backend.attention(qSeq, keys, values, shape, zSeq);
      } else {
        attention(qSeq, keys, values, shape, zSeq);
      }
    }
    if (batch) backend.attentionBatch?.(batch);
    visit(at('attn.hook_z'), l, z, qWidth, (T) => [T, H, dh]);
    backend.linear(z, rows, layer.o, attnOut);
    visit(at('hook_attn_out'), l, attnOut, d, (T) => [T, d]);
    for (let i = 0; i < residual.length; i++) residual[i] += attnOut[i];
    visit(at('hook_resid_mid'), l, residual, d, (T) => [T, d]);

    // MLP block: down(silu(gate) · up).
    rmsNorm(residual, d, config.rmsNormEps, layer.postAttnNorm, normed);
    backend.linear(normed, rows, layer.gateUp, gateUp);
    for (let r = 0; r < rows; r++) {
      gate.set(gateUp.subarray(r * 2 * dff, r * 2 * dff + dff), r * dff);
      up.set(gateUp.subarray(r * 2 * dff + dff, (r + 1) * 2 * dff), r * dff);
    }
    visit(at('mlp.hook_pre'), l, gate, dff, (T) => [T, dff]);
    if (backend.siluMul) backend.siluMul(gate, up, post);
    else for (let i = 0; i < post.length; i++) post[i] = (gate[i] / (1 + Math.exp(-gate[i]))) * up[i];
    visit(at('mlp.hook_post'), l, post, dff, (T) => [T, dff]);
    backend.linear(post, rows, layer.down, mlpOut);
    visit(at('hook_mlp_out'), l, mlpOut, d, (T) => [T, d]);
    for (let i = 0; i < residual.length; i++) residual[i] += mlpOut[i];
    visit(at('hook_resid_post'), l, residual, d, (T) => [T, d]);
  }
  for (const seq of sequences) seq.cache.length = seq.startPos + seq.tokens;

  // Final norm: the hook sees the normalised value before the gain (TransformerLens semantics).
  rmsNorm(residual, d, config.rmsNormEps, null, normed);
  visit('ln_final.hook_normalized', null, normed, d, (T) => [T, d]);
  for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) normed[r * d + i] *= weights.finalNorm[i];

  const mode = options.logits ?? 'all';
  if (mode === 'none') return sequences.map((seq) => ({ logits: null, activations: seq.activations }));
  // One lm_head product for every sequence's selected rows: [Σ count, d] → [Σ count, V].
  // Plain loops, not map/reduce with closures: those deoptimised this (large, slow to recompile)
  // function at the end of every decode step.
  const selected: Array<{ firstRow: number; count: number }> = [];
  let totalRows = 0;
  for (const seq of sequences) {
    const count = mode === 'last' ? 1 : seq.tokens;
    selected.push({ firstRow: seq.rowStart + seq.tokens - count, count });
    totalRows += count;
  }
  const headInput = mode === 'all' ? normed : new Float32Array(totalRows * d);
  if (mode === 'last') selected.forEach((s, i) => headInput.set(normed.subarray(s.firstRow * d, (s.firstRow + 1) * d), i * d));
  const buffer = options.logitsBuffer;
  if (buffer && buffer.length < totalRows * V) throw new UsageError(`logitsBuffer holds ${buffer.length} floats; the logits need ${totalRows}×${V}`);
  const allLogits = buffer ? buffer.subarray(0, totalRows * V) : new Float32Array(totalRows * V);
  backend.linear(headInput, totalRows, weights.lmHead, allLogits);
  let outRow = 0;
  return sequences.map((seq, i) => {
    const { firstRow, count } = selected[i];
    const view = tensor(allLogits.subarray(outRow * V, (outRow + count) * V), [count, V]);
    outRow += count;
    const startPos = seq.startPos + (firstRow - seq.rowStart);
    const context = { name: 'logits' as const, layer: null, sequence: seq.index, startPos, promptLength: seq.promptLength, phase: seq.phase };
    for (const fn of hooks.empty ? [] : hooks.lookup('logits')) fn(view, context);
    if (cacheTable.lookup('logits').length > 0) seq.activations.set('logits', tensor(view.data.slice(), view.shape));
    return { logits: view, activations: seq.activations };
  });
}
