/**
 * A Llama model whose forward pass keeps what its backward pass needs (the "tape"), over a
 * ragged batch: the rows of all sequences are stacked ([R, d], R = Σ T_s) for the matrix
 * products; attention runs per sequence (positions 0…T−1, no KV cache). Parameters live in one
 * flat array (params.ts) and may change between calls (the optimizer updates them in place).
 *
 * The numbers are those of the inference engine (model/forward.ts) on the same weights, up to
 * float rounding; `backward.ts` differentiates them.
 *
 * @example
 * const model = new GradModel(layout, params, backend);   // Float32Array (or Float64Array) params
 * const tape = model.forward([[1, 5, 9, 2]]);
 * const { loss } = model.backward(tape, { lossMasks: [Uint8Array.of(1, 1, 1, 0)], grads });
 */
import { UsageError } from '../../errors.js';
import type { LinearBackend } from '../../kernels/types.js';
import { type HookName, parseLayerHook } from '../hookNames.js';
import { inverseFrequencies } from '../rope.js';
import { type AttentionDims, attentionForward } from './attention.js';
import { type BackwardRequest, type BackwardResult, backward } from './backward.js';
import { HookValues, type HookValue, type SequenceSpan } from './hookRows.js';
import { type Floats, type Matmul, backendMatmul, jsMatmul } from './matmul.js';
import type { Checkpoint } from '../checkpoint.js';
import {
  type LayerParams, type LlamaShape, type ParamLayout, type ParamViews, headDim, paramLayout, paramViews, paramsFromCheckpoint,
  shapeFromModelConfig, shapeToModelConfig,
} from './params.js';
import { rmsNormForward, scaleByGain } from './rmsNorm.js';
import { type RopeTables, ropeRotate, ropeTables } from './rope.js';
import { swigluForward } from './swiglu.js';

/** What one layer's forward pass keeps. Shapes for the stacked batch; views into the workspace. */
export interface LayerTape<F extends Floats> {
  residPre: F; //  [R, d]        hook_resid_pre (input of input_layernorm)
  inv1: F; //      [R]           1/rms of residPre
  xhat1: F; //     [R, d]        normalised, before the gain
  n1: F; //        [R, d]        input of q|k|v
  q: F; //         [R, H·dh]     after RoPE (hook_q)
  k: F; //         [R, Hkv·dh]   after RoPE (hook_k)
  v: F; //         [R, Hkv·dh]   hook_v
  probs: F; //     Σ_s H·T_s²    hook_pattern, [H, T, T] per sequence
  z: F; //         [R, H·dh]     hook_z
  attnOut: F; //   [R, d]        hook_attn_out
  residMid: F; //  [R, d]        hook_resid_mid
  inv2: F; //      [R]
  xhat2: F; //     [R, d]
  n2: F; //        [R, d]        input of gate|up
  gate: F; //      [R, dff]      mlp.hook_pre
  sigmoid: F; //   [R, dff]      σ(gate)
  up: F; //        [R, dff]
  post: F; //      [R, dff]      mlp.hook_post
  mlpOut: F; //    [R, d]        hook_mlp_out
}

/** A forward pass's saved values; valid until the next forward() of the same model. */
export interface Tape<F extends Floats> {
  readonly rows: number; //       R
  readonly spans: readonly SequenceSpan[];
  readonly ids: Int32Array; //    [R]
  readonly layers: LayerTape<F>[];
  readonly residFinal: F; //      [R, d]  hook_resid_post of the last layer
  readonly invFinal: F; //        [R]
  readonly xhatFinal: F; //       [R, d]  ln_final.hook_normalized
  readonly nFinal: F; //          [R, d]  input of lm_head
  /** [R, V], or [Rh, V] for the rows in `headRows` only (forward with lossMasks). */
  readonly logits: F;
  /**
   * With forward({ lossMasks }): the rows whose logits were computed (the counted positions), and
   * the masks, which backward() must be given again; else null (logits for every row).
   */
  readonly headRows: Int32Array | null;
  readonly lossMasks: readonly ArrayLike<number>[] | null;
  /** The lm_head input of the rows that have logits: nFinal, or its `headRows` gathered [Rh, d]. */
  readonly headInput: F;
}

export interface GradForwardOptions {
  /** Values added to activations at hook points (an "add" intervention; used to check hook gradients). */
  readonly edits?: readonly HookValue[];
  /**
   * Loss masks (as for backward): logits are then computed only at counted positions, which saves
   * the lm_head products and softmax elsewhere (training). The tape has no full `logits` then.
   */
  readonly lossMasks?: readonly ArrayLike<number>[];
}

/** Reusable named buffers: a forward or backward pass allocates nothing once warmed up. */
export class Workspace<F extends Floats> {
  private readonly buffers = new Map<string, F>();
  constructor(private readonly make: (length: number) => F) {}

  /** A view of `length` values of buffer `name` (contents unspecified). */
  get(name: string, length: number): F {
    let buffer = this.buffers.get(name);
    if (!buffer || buffer.length < length) {
      buffer = this.make(Math.max(length, Math.ceil((buffer?.length ?? 0) * 1.25)));
      this.buffers.set(name, buffer);
    }
    return buffer.subarray(0, length) as F;
  }
}

export class GradModel<F extends Floats> {
  readonly shape: LlamaShape;
  readonly views: ParamViews<F>;
  readonly rope: RopeTables;
  readonly work: Workspace<F>;
  /** The matrix products: the backend's (WebAssembly) for f32 parameters, else TypeScript. */
  readonly matmul: Matmul;
  /** The backend's training attention, when it has one and the parameters are f32; else null (TypeScript). */
  readonly fastAttention: LinearBackend | null;

  /**
   * `params`: the flat parameter array of `layout` (shared, not copied). `backend`: where the
   * matrix products and attention run (its `matmul` and `attentionTrain*`, see kernels/); without
   * one, or with float64 parameters, everything runs in plain TypeScript.
   */
  constructor(readonly layout: ParamLayout, readonly params: F, backend?: LinearBackend) {
    this.shape = layout.shape;
    this.matmul = backend ? backendMatmul(backend) : jsMatmul;
    this.fastAttention = backend && params instanceof Float32Array && backend.attentionTrainForward && backend.attentionTrainBackward ? backend : null;
    this.views = paramViews(layout, params);
    this.rope = ropeTables(inverseFrequencies(shapeToModelConfig(this.shape)), this.shape.maxPositions);
    this.work = new Workspace<F>((n) => (params instanceof Float64Array ? new Float64Array(n) : new Float32Array(n)) as F);
  }

  /**
   * The gradient model of a loaded checkpoint (e.g. `languageModel.checkpoint`), weights widened
   * to f32 (or float64 with `precision: 'f64'`). Throws ConfigError for architectures the gradient
   * code does not cover (biases, q/k norms, RoPE scaling, sliding windows).
   */
  static fromCheckpoint(checkpoint: Checkpoint, backend?: LinearBackend, precision?: 'f32'): GradModel<Float32Array>;
  static fromCheckpoint(checkpoint: Checkpoint, backend: LinearBackend | undefined, precision: 'f64'): GradModel<Float64Array>;
  static fromCheckpoint(checkpoint: Checkpoint, backend?: LinearBackend, precision: 'f32' | 'f64' = 'f32'): GradModel<Float32Array> | GradModel<Float64Array> {
    const layout = paramLayout(shapeFromModelConfig(checkpoint.config, checkpoint.dir));
    const params = paramsFromCheckpoint(checkpoint, layout);
    return precision === 'f64' ? new GradModel(layout, Float64Array.from(params), backend) : new GradModel(layout, params, backend);
  }

  /** Runs the sequences (token ids) and keeps the tape for backward(). */
  forward(sequences: readonly (readonly number[])[], options: GradForwardOptions = {}): Tape<F> {
    const { d, vocab: V, dff, heads: H, kvHeads: Hkv } = this.shape;
    const dh = headDim(this.shape);
    const qWidth = H * dh;
    const kvWidth = Hkv * dh;
    const qkvWidth = qWidth + 2 * kvWidth;
    const spans: SequenceSpan[] = [];
    let rows = 0;
    let probsSize = 0;
    sequences.forEach((ids, s) => {
      if (ids.length === 0) throw new UsageError(`sequence ${s} has no tokens`);
      if (ids.length > this.shape.maxPositions) throw new UsageError(`sequence ${s} has ${ids.length} tokens, more than maxPositions ${this.shape.maxPositions}`);
      spans.push({ rowStart: rows, tokens: ids.length, probsOffset: probsSize });
      rows += ids.length;
      probsSize += H * ids.length * ids.length;
    });
    const R = rows;
    const ids = new Int32Array(R);
    sequences.forEach((seq, s) => seq.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= V) throw new UsageError(`sequence ${s}: token id ${id} at index ${i} is outside the vocabulary [0, ${V})`);
      ids[spans[s].rowStart + i] = id;
    }));
    const edits = new HookValues(options.edits ?? [], spans, 'edit');
    const w = this.work;
    const mm = this.matmul;

    // Embedding: rows of the [V, d] table.
    let resid = w.get('resid.0', R * d);
    for (let r = 0; r < R; r++) resid.set(this.views.embed.subarray(ids[r] * d, (ids[r] + 1) * d), r * d);
    edits.addRows('hook_embed', resid, d);

    const qkv = w.get('qkv', R * qkvWidth);
    const gateUp = w.get('gateUp', R * 2 * dff);
    const layers: LayerTape<F>[] = [];
    for (let l = 0; l < this.shape.layers; l++) {
      const p: LayerParams<F> = this.views.layers[l];
      const at = (name: string): string => `L${l}.${name}`;
      const hook = <S extends string>(suffix: S): `blocks.${number}.${S}` => `blocks.${l}.${suffix}`;
      edits.addRows(hook('hook_resid_pre'), resid, d);
      const t: LayerTape<F> = {
        residPre: resid,
        inv1: w.get(at('inv1'), R), xhat1: w.get(at('xhat1'), R * d), n1: w.get(at('n1'), R * d),
        q: w.get(at('q'), R * qWidth), k: w.get(at('k'), R * kvWidth), v: w.get(at('v'), R * kvWidth),
        probs: w.get(at('probs'), probsSize), z: w.get(at('z'), R * qWidth), attnOut: w.get(at('attnOut'), R * d),
        residMid: w.get(at('residMid'), R * d),
        inv2: w.get(at('inv2'), R), xhat2: w.get(at('xhat2'), R * d), n2: w.get(at('n2'), R * d),
        gate: w.get(at('gate'), R * dff), sigmoid: w.get(at('sigmoid'), R * dff), up: w.get(at('up'), R * dff), post: w.get(at('post'), R * dff),
        mlpOut: w.get(at('mlpOut'), R * d),
      };

      // Attention block.
      rmsNormForward(resid, R, d, this.shape.eps, t.xhat1, t.inv1);
      scaleByGain(t.xhat1, p.inputNorm, R, d, t.n1);
      mm(t.n1, p.qkv, qkv, R, qkvWidth, d, 'nt'); // [R, qkvWidth] = n1 · W_qkvᵀ
      for (let r = 0; r < R; r++) {
        const base = r * qkvWidth;
        t.q.set(qkv.subarray(base, base + qWidth), r * qWidth);
        t.k.set(qkv.subarray(base + qWidth, base + qWidth + kvWidth), r * kvWidth);
        t.v.set(qkv.subarray(base + qWidth + kvWidth, base + qkvWidth), r * kvWidth);
      }
      for (const span of spans) {
        ropeRotate(t.q.subarray(span.rowStart * qWidth), span.tokens, H, this.rope, 1);
        ropeRotate(t.k.subarray(span.rowStart * kvWidth), span.tokens, Hkv, this.rope, 1);
      }
      edits.addRows(hook('attn.hook_q'), t.q, qWidth);
      edits.addRows(hook('attn.hook_k'), t.k, kvWidth);
      edits.addRows(hook('attn.hook_v'), t.v, kvWidth);
      if (edits.has(hook('attn.hook_pattern'))) throw new UsageError('edits of attn.hook_pattern are not supported by the gradient forward pass');
      if (this.fastAttention) {
        const f32 = (x: F): Float32Array => x as Float32Array;
        this.fastAttention.attentionTrainForward!(f32(t.q), f32(t.k), f32(t.v), spans, { heads: H, kvHeads: Hkv, headDim: dh }, f32(t.probs), f32(t.z));
      } else for (const span of spans) {
        const dims: AttentionDims = { tokens: span.tokens, heads: H, kvHeads: Hkv, headDim: dh };
        const rowsOf = (x: F, width: number): F => x.subarray(span.rowStart * width, (span.rowStart + span.tokens) * width) as F;
        const probs = t.probs.subarray(span.probsOffset, span.probsOffset + H * span.tokens * span.tokens) as F;
        const z = rowsOf(t.z, qWidth);
        attentionForward(rowsOf(t.q, qWidth), rowsOf(t.k, kvWidth), rowsOf(t.v, kvWidth), dims, probs, z);
      }
      edits.addRows(hook('attn.hook_z'), t.z, qWidth);
      mm(t.z, p.o, t.attnOut, R, d, qWidth, 'nt');
      edits.addRows(hook('hook_attn_out'), t.attnOut, d);
      for (let i = 0; i < R * d; i++) t.residMid[i] = resid[i] + t.attnOut[i];
      edits.addRows(hook('hook_resid_mid'), t.residMid, d);

      // MLP block: down(silu(gate) · up).
      rmsNormForward(t.residMid, R, d, this.shape.eps, t.xhat2, t.inv2);
      scaleByGain(t.xhat2, p.postNorm, R, d, t.n2);
      mm(t.n2, p.gateUp, gateUp, R, 2 * dff, d, 'nt');
      for (let r = 0; r < R; r++) {
        t.gate.set(gateUp.subarray(r * 2 * dff, r * 2 * dff + dff), r * dff);
        t.up.set(gateUp.subarray(r * 2 * dff + dff, (r + 1) * 2 * dff), r * dff);
      }
      edits.addRows(hook('mlp.hook_pre'), t.gate, dff);
      swigluForward(t.gate, t.up, t.post, t.sigmoid, R * dff);
      edits.addRows(hook('mlp.hook_post'), t.post, dff);
      mm(t.post, p.down, t.mlpOut, R, d, dff, 'nt');
      edits.addRows(hook('hook_mlp_out'), t.mlpOut, d);
      const next = w.get(`resid.${l + 1}`, R * d);
      for (let i = 0; i < R * d; i++) next[i] = t.residMid[i] + t.mlpOut[i];
      edits.addRows(hook('hook_resid_post'), next, d);
      layers.push(t);
      resid = next;
    }

    const invFinal = w.get('invFinal', R);
    const xhatFinal = w.get('xhatFinal', R * d);
    const nFinal = w.get('nFinal', R * d);
    rmsNormForward(resid, R, d, this.shape.eps, xhatFinal, invFinal);
    edits.addRows('ln_final.hook_normalized', xhatFinal, d);
    scaleByGain(xhatFinal, this.views.finalNorm, R, d, nFinal);
    const lossMasks = options.lossMasks ?? null;
    const headRows = lossMasks ? countedRows(lossMasks, spans) : null;
    let headInput = nFinal;
    if (headRows) {
      if (edits.has('logits')) throw new UsageError('edits at logits need the full logits: do not pass lossMasks to forward()');
      headInput = w.get('headInput', headRows.length * d);
      headRows.forEach((row, i) => headInput.set(nFinal.subarray(row * d, (row + 1) * d), i * d));
    }
    const headCount = headRows ? headRows.length : R;
    const logits = w.get('logits', headCount * V);
    mm(headInput, this.views.lmHead, logits, headCount, V, d, 'nt');
    edits.addRows('logits', logits, V);
    return { rows: R, spans, ids, layers, residFinal: resid, invFinal, xhatFinal, nFinal, logits, headRows, lossMasks, headInput };
  }

  /**
   * The value of hook point `name` for sequence `sequence` of a tape (a copy, shaped as the hook):
   * with gradients, what attribution patching multiplies. resid_post of layer l and resid_pre of
   * l + 1 (and hook_embed, resid_pre of 0) share one buffer: with edits at both, both read the
   * later value.
   */
  activation(tape: Tape<F>, name: HookName, sequence: number): F {
    const span = tape.spans[sequence];
    if (!span) throw new UsageError(`sequence ${sequence} is not in the batch of ${tape.spans.length}`);
    const { d, vocab, dff, heads: H, kvHeads: Hkv } = this.shape;
    const dh = headDim(this.shape);
    const rowsOf = (x: F, width: number): F => x.slice(span.rowStart * width, (span.rowStart + span.tokens) * width) as F;
    if (name === 'hook_embed') return rowsOf(tape.layers[0]?.residPre ?? tape.residFinal, d);
    if (name === 'ln_final.hook_normalized') return rowsOf(tape.xhatFinal, d);
    if (name === 'logits') {
      if (tape.headRows) throw new UsageError('this tape has logits only at the loss positions (forward with lossMasks)');
      return rowsOf(tape.logits, vocab);
    }
    const parsed = parseLayerHook(name);
    if (!parsed || parsed.layer >= tape.layers.length) throw new UsageError(`unknown hook point ${name}`);
    const t = tape.layers[parsed.layer];
    const next = parsed.layer + 1 < tape.layers.length ? tape.layers[parsed.layer + 1].residPre : tape.residFinal;
    switch (parsed.suffix) {
      case 'hook_resid_pre': return rowsOf(t.residPre, d);
      case 'attn.hook_q': return rowsOf(t.q, H * dh);
      case 'attn.hook_k': return rowsOf(t.k, Hkv * dh);
      case 'attn.hook_v': return rowsOf(t.v, Hkv * dh);
      case 'attn.hook_pattern': return t.probs.slice(span.probsOffset, span.probsOffset + H * span.tokens * span.tokens) as F;
      case 'attn.hook_z': return rowsOf(t.z, H * dh);
      case 'hook_attn_out': return rowsOf(t.attnOut, d);
      case 'hook_resid_mid': return rowsOf(t.residMid, d);
      case 'mlp.hook_pre': return rowsOf(t.gate, dff);
      case 'mlp.hook_post': return rowsOf(t.post, dff);
      case 'hook_mlp_out': return rowsOf(t.mlpOut, d);
      case 'hook_resid_post': return rowsOf(next, d);
    }
  }

  /** Gradients of a metric (masked cross-entropy and/or seeds at hook points): see backward.ts. */
  backward(tape: Tape<F>, request: BackwardRequest<F>): BackwardResult<F> {
    return backward(this, tape, request);
  }
}

/**
 * The stacked rows whose next-token prediction counts: position t of sequence s with
 * lossMasks[s][t] ≠ 0 and t + 1 < T, in row order. Throws UsageError on masks of the wrong size.
 */
export function countedRows(lossMasks: readonly ArrayLike<number>[], spans: readonly SequenceSpan[]): Int32Array {
  if (lossMasks.length !== spans.length) throw new UsageError(`${lossMasks.length} loss masks for ${spans.length} sequences`);
  const rows: number[] = [];
  spans.forEach((span, s) => {
    const mask = lossMasks[s];
    if (mask.length !== span.tokens) throw new UsageError(`loss mask ${s} has ${mask.length} entries, the sequence ${span.tokens} tokens`);
    for (let t = 0; t + 1 < span.tokens; t++) if (mask[t] !== 0) rows.push(span.rowStart + t);
  });
  return Int32Array.from(rows);
}
