/**
 * The backward pass of GradModel: gradients of a scalar metric with respect to every parameter
 * and to any hook activation.
 *
 * The metric is the sum of (a) the masked next-token cross-entropy (mean over counted positions)
 * when `lossMasks` are given and (b) linear terms Σ ⟨seed, activation⟩ at hook points: a seed is
 * d(metric)/d(activation) of a user metric that reads that activation directly (e.g. the logit
 * difference: a seed at `logits`; an emotion projection of the last layer's residual: a seed at
 * `blocks.{L−1}.hook_resid_post`). Gradients flow from the top down; the gradient reported at a
 * hook point is d(metric)/d(activation) with everything downstream, its own seed included.
 * Hook points that share a value in the forward pass (resid_post of layer l and resid_pre of
 * l + 1) are ordered as the forward pass reaches them: a seed at resid_pre of l + 1 shows in the
 * gradient at resid_post of l, not the reverse.
 */
import { UsageError } from '../../errors.js';
import { type HookName, matchHooks } from '../hookNames.js';
import { attentionBackward } from './attention.js';
import { crossEntropy } from './crossEntropy.js';
import { type GradModel, type Tape, countedRows } from './gradModel.js';
import { HookValues, type HookValue } from './hookRows.js';
import type { Floats } from './matmul.js';
import { headDim, paramViews } from './params.js';
import { rmsNormBackward, scaleByGainBackward } from './rmsNorm.js';
import { ropeRotate } from './rope.js';
import { swigluBackward } from './swiglu.js';

export interface BackwardRequest<F extends Floats> {
  /**
   * Masked next-token cross-entropy, one mask per sequence (length T): lossMasks[s][t] ≠ 0 means
   * position t's prediction of token t + 1 counts. The last position has no next token and is
   * ignored. The loss is the mean over counted positions of the whole batch.
   */
  readonly lossMasks?: readonly ArrayLike<number>[];
  /** d(metric)/d(activation) at hook points, shaped as the hook ([T, width] or [H, T, T]). */
  readonly seeds?: readonly HookValue[];
  /** Globs of hook points whose gradients to return, e.g. `blocks.*.attn.hook_z`. */
  readonly hooks?: readonly string[];
  /** Receives d(metric)/d(parameters) (flat, the model's layout; overwritten). Omit to skip weight gradients. */
  readonly grads?: F;
}

export interface BackwardResult<F extends Floats> {
  /** The mean masked cross-entropy when lossMasks were given, else null. */
  readonly loss: number | null;
  /** Positions counted in the loss. */
  readonly lossTokens: number;
  /** Per sequence: hook name → d(metric)/d(activation), shaped as the hook (a copy). */
  readonly hookGrads: Map<HookName, F>[];
}

export function backward<F extends Floats>(model: GradModel<F>, tape: Tape<F>, request: BackwardRequest<F>): BackwardResult<F> {
  const { d, vocab: V, dff, heads: H, kvHeads: Hkv, layers: L } = model.shape;
  const dh = headDim(model.shape);
  const qWidth = H * dh;
  const kvWidth = Hkv * dh;
  const qkvWidth = qWidth + 2 * kvWidth;
  const { rows: R, spans } = tape;
  const w = model.work;
  const mm = model.matmul;
  if (!request.lossMasks && !(request.seeds && request.seeds.length > 0)) throw new UsageError('backward needs lossMasks or seeds: there is no metric');
  const seeds = new HookValues(request.seeds ?? [], spans, 'seed');
  const wanted = matchHooks(request.hooks ?? [], L);
  const hookGrads = spans.map(() => new Map<HookName, F>());
  const grads = request.grads ? paramViews(model.layout, request.grads) : null;
  if (request.grads) request.grads.fill(0);

  /** Adds the seeds of `name` into `buffer` [R, width], then copies it out if it was asked for. */
  const visit = (name: HookName, buffer: F, width: number): void => {
    seeds.addRows(name, buffer, width);
    if (!wanted.has(name)) return;
    spans.forEach((span, s) => hookGrads[s].set(name, buffer.slice(span.rowStart * width, (span.rowStart + span.tokens) * width) as F));
  };

  // Loss: row r predicts ids[r + 1] of the same sequence. Logits exist for every row, or (a tape
  // made with lossMasks) for the counted rows only.
  const headRows = tape.headRows;
  if (headRows && request.lossMasks !== tape.lossMasks && !sameMasks(request.lossMasks, tape.lossMasks)) {
    throw new UsageError('backward needs the lossMasks that forward() was given');
  }
  if (headRows && (seeds.has('logits') || wanted.has('logits'))) throw new UsageError('seeds or gradients at logits need a forward pass without lossMasks');
  const headCount = headRows ? headRows.length : R;
  const dLogits = w.get('dLogits', headCount * V);
  let loss: number | null = null;
  let lossTokens = 0;
  if (request.lossMasks) {
    const rows = headRows ?? countedRows(request.lossMasks, spans);
    const targets = new Int32Array(headCount);
    const counted = new Uint8Array(headCount);
    rows.forEach((row, i) => {
      const at = headRows ? i : row;
      targets[at] = tape.ids[row + 1];
      counted[at] = 1;
    });
    lossTokens = rows.length;
    loss = crossEntropy(tape.logits, headCount, V, targets, counted, dLogits);
  } else dLogits.fill(0);
  visit('logits', dLogits, V);

  // lm_head: logits = headInput · W_headᵀ. Nothing has written grads.lmHead yet (with tied
  // embeddings it is the embedding's gradient, whose rows are added at the end), so write it directly.
  if (grads) mm(dLogits, tape.headInput, grads.lmHead, V, d, headCount, 'tn'); // [V, d] = dLogitsᵀ · headInput
  const dNorm = w.get('dNorm', R * d); // gradient at a norm's output, then at its xhat
  if (headRows) {
    const dHeadInput = w.get('dHeadInput', headCount * d);
    mm(dLogits, model.views.lmHead, dHeadInput, headCount, d, V, 'nn'); // [Rh, d]
    dNorm.fill(0);
    headRows.forEach((row, i) => dNorm.set(dHeadInput.subarray(i * d, (i + 1) * d), row * d));
  } else mm(dLogits, model.views.lmHead, dNorm, R, d, V, 'nn'); // [R, d] = dLogits · W_head

  // Final norm: nFinal = xhatFinal · g.
  scaleByGainBackward(dNorm, tape.xhatFinal, model.views.finalNorm, R, d, dNorm, grads ? grads.finalNorm : null);
  visit('ln_final.hook_normalized', dNorm, d);
  const dResid = w.get('dResid', R * d); // d metric / d residual stream, flowing down
  dResid.fill(0);
  rmsNormBackward(dNorm, tape.residFinal, tape.invFinal, R, d, dResid);

  const dBranch = w.get('dBranch', R * d);
  const dPost = w.get('dPost', R * dff);
  const dGate = w.get('dGate', R * dff);
  const dUp = w.get('dUp', R * dff);
  const dGateUp = w.get('dGateUp', R * 2 * dff);
  const dZ = w.get('dZ', R * qWidth);
  const dQ = w.get('dQ', R * qWidth);
  const dK = w.get('dK', R * kvWidth);
  const dV = w.get('dV', R * kvWidth);
  const dQkv = w.get('dQkv', R * qkvWidth);
  const scratch = w.get('attnScratch', Math.max(...spans.map((s) => s.tokens)));
  for (let l = L - 1; l >= 0; l--) {
    const t = tape.layers[l];
    const p = model.views.layers[l];
    const g = grads ? grads.layers[l] : null;
    const hook = <S extends string>(suffix: S): `blocks.${number}.${S}` => `blocks.${l}.${suffix}`;
    visit(hook('hook_resid_post'), dResid, d);

    // MLP: resid_post = resid_mid + down(silu(gate)·up).
    dBranch.set(dResid);
    visit(hook('hook_mlp_out'), dBranch, d);
    mm(dBranch, p.down, dPost, R, dff, d, 'nn'); //        [R, dff] = dOut · W_down
    if (g) mm(dBranch, t.post, g.down, d, dff, R, 'tn'); // [d, dff] = dOutᵀ · post
    visit(hook('mlp.hook_post'), dPost, dff);
    swigluBackward(dPost, t.gate, t.up, t.sigmoid, dGate, dUp, R * dff);
    visit(hook('mlp.hook_pre'), dGate, dff);
    for (let r = 0; r < R; r++) {
      dGateUp.set(dGate.subarray(r * dff, (r + 1) * dff), r * 2 * dff);
      dGateUp.set(dUp.subarray(r * dff, (r + 1) * dff), r * 2 * dff + dff);
    }
    mm(dGateUp, p.gateUp, dNorm, R, d, 2 * dff, 'nn'); //      [R, d] = dGateUp · W_gateUp
    if (g) mm(dGateUp, t.n2, g.gateUp, 2 * dff, d, R, 'tn'); // [2·dff, d]
    scaleByGainBackward(dNorm, t.xhat2, p.postNorm, R, d, dNorm, g ? g.postNorm : null);
    rmsNormBackward(dNorm, t.residMid, t.inv2, R, d, dResid);
    visit(hook('hook_resid_mid'), dResid, d);

    // Attention: resid_mid = resid_pre + o(attention(rope(q), rope(k), v)).
    dBranch.set(dResid);
    visit(hook('hook_attn_out'), dBranch, d);
    mm(dBranch, p.o, dZ, R, qWidth, d, 'nn'); //         [R, H·dh] = dOut · W_o
    if (g) mm(dBranch, t.z, g.o, d, qWidth, R, 'tn'); // [d, H·dh]
    visit(hook('attn.hook_z'), dZ, qWidth);
    const patternName = hook('attn.hook_pattern');
    const wantPattern = wanted.has(patternName);
    if (model.fastAttention && !wantPattern && !seeds.has(patternName)) {
      const f32 = (x: F): Float32Array => x as Float32Array;
      model.fastAttention.attentionTrainBackward!(f32(dZ), f32(t.q), f32(t.k), f32(t.v), f32(t.probs), spans, { heads: H, kvHeads: Hkv, headDim: dh }, f32(dQ), f32(dK), f32(dV));
    } else {
      spans.forEach((span, s) => {
        const dims = { tokens: span.tokens, heads: H, kvHeads: Hkv, headDim: dh };
        const rowsOf = (x: F, width: number): F => x.subarray(span.rowStart * width, (span.rowStart + span.tokens) * width) as F;
        const probsSize = H * span.tokens * span.tokens;
        const probs = t.probs.subarray(span.probsOffset, span.probsOffset + probsSize) as F;
        const dProbs = wantPattern ? (probs.slice() as F) : null;
        const seed = seeds.find(patternName, s);
        if (seed && seed.length !== probsSize) throw new UsageError(`seed at ${patternName} for sequence ${s} has ${seed.length} values, expected ${H}×${span.tokens}×${span.tokens}`);
        attentionBackward(
          rowsOf(dZ, qWidth), rowsOf(t.q, qWidth), rowsOf(t.k, kvWidth), rowsOf(t.v, kvWidth), probs, dims,
          rowsOf(dQ, qWidth), rowsOf(dK, kvWidth), rowsOf(dV, kvWidth), scratch, seed, dProbs,
        );
        if (dProbs) hookGrads[s].set(patternName, dProbs);
      });
    }
    visit(hook('attn.hook_q'), dQ, qWidth);
    visit(hook('attn.hook_k'), dK, kvWidth);
    visit(hook('attn.hook_v'), dV, kvWidth);
    for (const span of spans) {
      ropeRotate(dQ.subarray(span.rowStart * qWidth), span.tokens, H, model.rope, -1);
      ropeRotate(dK.subarray(span.rowStart * kvWidth), span.tokens, Hkv, model.rope, -1);
    }
    for (let r = 0; r < R; r++) {
      const base = r * qkvWidth;
      dQkv.set(dQ.subarray(r * qWidth, (r + 1) * qWidth), base);
      dQkv.set(dK.subarray(r * kvWidth, (r + 1) * kvWidth), base + qWidth);
      dQkv.set(dV.subarray(r * kvWidth, (r + 1) * kvWidth), base + qWidth + kvWidth);
    }
    mm(dQkv, p.qkv, dNorm, R, d, qkvWidth, 'nn'); //      [R, d] = dQkv · W_qkv
    if (g) mm(dQkv, t.n1, g.qkv, qkvWidth, d, R, 'tn'); // [(H + 2Hkv)·dh, d]
    scaleByGainBackward(dNorm, t.xhat1, p.inputNorm, R, d, dNorm, g ? g.inputNorm : null);
    rmsNormBackward(dNorm, t.residPre, t.inv1, R, d, dResid);
    visit(hook('hook_resid_pre'), dResid, d);
  }
  visit('hook_embed', dResid, d);
  if (grads) {
    for (let r = 0; r < R; r++) {
      const row = tape.ids[r] * d;
      for (let i = 0; i < d; i++) grads.embed[row + i] += dResid[r * d + i];
    }
  }
  return { loss, lossTokens, hookGrads };
}

export type { HookValue };

function sameMasks(a: readonly ArrayLike<number>[] | undefined, b: readonly ArrayLike<number>[] | null): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((mask, s) => mask.length === b[s].length && Array.prototype.every.call(mask, (x: number, t: number) => (x !== 0) === (b[s][t] !== 0)));
}
