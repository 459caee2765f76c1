/**
 * The parameters of a trainable Llama model in one flat array (llm.c style), described by a table
 * of Hugging Face tensor names, shapes and offsets. Gradients and Adam moments use the same layout.
 *
 * Order per layer: input_layernorm, q, k, v, o, post_attention_layernorm, gate, up, down. q|k|v
 * are contiguous, so together they are the fused [(H + 2·Hkv)·dh, d] weight of one GEMM; gate|up
 * likewise form the fused [2·dff, d] weight.
 */
import { ConfigError } from '../../errors.js';
import { seededRandom } from '../../random.js';
import type { Checkpoint } from '../checkpoint.js';
import type { ModelConfig } from '../config.js';
import type { Floats } from './matmul.js';

/** The architecture of a trainable Llama model (no biases, no sliding window, SwiGLU, RoPE). */
export interface LlamaShape {
  /** d: hidden size */
  readonly d: number;
  readonly layers: number;
  /** H: query heads; dh = d / H */
  readonly heads: number;
  /** Hkv: key/value heads (H must be a multiple) */
  readonly kvHeads: number;
  /** dff: MLP width */
  readonly dff: number;
  /** V */
  readonly vocab: number;
  /** lm_head shares the embedding matrix */
  readonly tied: boolean;
  /** Longest sequence (config max_position_embeddings) */
  readonly maxPositions: number;
  readonly ropeTheta: number;
  /** RMSNorm epsilon */
  readonly eps: number;
}

/** One tensor of the flat parameter array. */
export interface ParamTensor {
  /** Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight` */
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
  /** AdamW applies weight decay to matrices only, never to norm gains. */
  readonly decay: boolean;
}

export interface ParamLayout {
  readonly shape: LlamaShape;
  readonly tensors: readonly ParamTensor[];
  /** Total parameters. */
  readonly size: number;
}

/** Views of one layer's parameters (or gradients) inside the flat array. */
export interface LayerParams<F extends Floats> {
  inputNorm: F; // [d]
  qkv: F; //       [(H + 2·Hkv)·dh, d]  q | k | v
  o: F; //         [d, H·dh]
  postNorm: F; //  [d]
  gateUp: F; //    [2·dff, d]  gate | up
  down: F; //      [d, dff]
}

export interface ParamViews<F extends Floats> {
  embed: F; //     [V, d]
  layers: LayerParams<F>[];
  finalNorm: F; // [d]
  /** [V, d]: the same view as `embed` when tied. */
  lmHead: F;
}

export function headDim(shape: LlamaShape): number {
  return shape.d / shape.heads;
}

/** Checks the numbers of a shape; throws ConfigError naming the field. */
export function validateShape(shape: LlamaShape, where = 'model shape'): void {
  for (const key of ['d', 'layers', 'heads', 'kvHeads', 'dff', 'vocab', 'maxPositions'] as const) {
    if (!Number.isSafeInteger(shape[key]) || shape[key] <= 0) throw new ConfigError(where, `${key} must be a positive integer, got ${shape[key]}`);
  }
  if (shape.d % shape.heads !== 0) throw new ConfigError(where, `d ${shape.d} is not divisible by heads ${shape.heads}`);
  if ((shape.d / shape.heads) % 2 !== 0) throw new ConfigError(where, `head dim ${shape.d / shape.heads} must be even for RoPE`);
  if (shape.heads % shape.kvHeads !== 0) throw new ConfigError(where, `heads ${shape.heads} is not a multiple of kvHeads ${shape.kvHeads}`);
  if (!(shape.ropeTheta > 0) || !(shape.eps > 0)) throw new ConfigError(where, 'ropeTheta and eps must be positive');
}

export function paramLayout(shape: LlamaShape): ParamLayout {
  validateShape(shape);
  const { d, dff, vocab } = shape;
  const dh = headDim(shape);
  const tensors: ParamTensor[] = [];
  let offset = 0;
  const add = (name: string, dims: number[], decay: boolean): void => {
    const size = dims.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape: dims, offset, size, decay });
    offset += size;
  };
  add('model.embed_tokens.weight', [vocab, d], true);
  for (let l = 0; l < shape.layers; l++) {
    const p = `model.layers.${l}`;
    add(`${p}.input_layernorm.weight`, [d], false);
    add(`${p}.self_attn.q_proj.weight`, [shape.heads * dh, d], true);
    add(`${p}.self_attn.k_proj.weight`, [shape.kvHeads * dh, d], true);
    add(`${p}.self_attn.v_proj.weight`, [shape.kvHeads * dh, d], true);
    add(`${p}.self_attn.o_proj.weight`, [d, shape.heads * dh], true);
    add(`${p}.post_attention_layernorm.weight`, [d], false);
    add(`${p}.mlp.gate_proj.weight`, [dff, d], true);
    add(`${p}.mlp.up_proj.weight`, [dff, d], true);
    add(`${p}.mlp.down_proj.weight`, [d, dff], true);
  }
  add('model.norm.weight', [d], false);
  if (!shape.tied) add('lm_head.weight', [vocab, d], true);
  return { shape, tensors, size: offset };
}

/** Views into `flat` (parameters, gradients or moments) by part. */
export function paramViews<F extends Floats>(layout: ParamLayout, flat: F): ParamViews<F> {
  if (flat.length !== layout.size) throw new RangeError(`parameter array has ${flat.length} values, the layout ${layout.size}`);
  const byName = new Map(layout.tensors.map((t) => [t.name, t]));
  const view = (name: string, count = 1): F => {
    const first = byName.get(name) as ParamTensor;
    let size = 0;
    for (let i = 0, t = layout.tensors.indexOf(first); i < count; i++, t++) size += layout.tensors[t].size;
    return flat.subarray(first.offset, first.offset + size) as F;
  };
  const layers: LayerParams<F>[] = [];
  for (let l = 0; l < layout.shape.layers; l++) {
    const p = `model.layers.${l}`;
    layers.push({
      inputNorm: view(`${p}.input_layernorm.weight`),
      qkv: view(`${p}.self_attn.q_proj.weight`, 3),
      o: view(`${p}.self_attn.o_proj.weight`),
      postNorm: view(`${p}.post_attention_layernorm.weight`),
      gateUp: view(`${p}.mlp.gate_proj.weight`, 2),
      down: view(`${p}.mlp.down_proj.weight`),
    });
  }
  const embed = view('model.embed_tokens.weight');
  return { embed, layers, finalNorm: view('model.norm.weight'), lmHead: layout.shape.tied ? embed : view('lm_head.weight') };
}

/**
 * Random initial parameters, a function of `seed`: matrices N(0, std²) with std = 0.02, the
 * residual-stream writers (o_proj, down_proj) scaled by 1/√(2·layers) (GPT-2); norm gains 1.
 */
export function initParams(layout: ParamLayout, seed: number, std = 0.02): Float32Array {
  const random = seededRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const params = new Float32Array(layout.size);
  const residualScale = 1 / Math.sqrt(2 * layout.shape.layers);
  for (const t of layout.tensors) {
    const part = params.subarray(t.offset, t.offset + t.size);
    if (!t.decay) part.fill(1);
    else {
      const s = /o_proj|down_proj/.test(t.name) ? std * residualScale : std;
      for (let i = 0; i < part.length; i++) part[i] = s * gaussian();
    }
  }
  return params;
}

/** The engine's ModelConfig of this shape (for RoPE frequencies and config.json). */
export function shapeToModelConfig(shape: LlamaShape, special: { bosTokenId?: number | null; eosTokenIds?: number[] } = {}): ModelConfig {
  return {
    modelType: 'llama',
    hiddenSize: shape.d,
    numLayers: shape.layers,
    numHeads: shape.heads,
    numKvHeads: shape.kvHeads,
    headDim: headDim(shape),
    intermediateSize: shape.dff,
    vocabSize: shape.vocab,
    rmsNormEps: shape.eps,
    ropeTheta: shape.ropeTheta,
    ropeScaling: null,
    maxPositionEmbeddings: shape.maxPositions,
    tieWordEmbeddings: shape.tied,
    attentionBias: false,
    qkNorm: false,
    bosTokenId: special.bosTokenId ?? null,
    eosTokenIds: special.eosTokenIds ?? [],
    slidingWindow: null,
  };
}

/**
 * The shape of a loaded checkpoint, when the gradient code supports it (Llama/Mistral layout
 * without biases, q/k norms, RoPE scaling or sliding window); else a ConfigError saying why.
 */
export function shapeFromModelConfig(config: ModelConfig, where = 'config.json'): LlamaShape {
  if (config.attentionBias || config.qkNorm || config.ropeScaling || config.slidingWindow !== null) {
    throw new ConfigError(where, 'gradients support Llama-layout models without q/k/v biases, q/k norms, RoPE scaling or a sliding window');
  }
  if (config.headDim * config.numHeads !== config.hiddenSize) throw new ConfigError(where, `head_dim × heads must equal hidden_size for gradients`);
  return {
    d: config.hiddenSize,
    layers: config.numLayers,
    heads: config.numHeads,
    kvHeads: config.numKvHeads,
    dff: config.intermediateSize,
    vocab: config.vocabSize,
    tied: config.tieWordEmbeddings,
    maxPositions: config.maxPositionEmbeddings,
    ropeTheta: config.ropeTheta,
    eps: config.rmsNormEps,
  };
}

/** Reads a checkpoint's weights (widened to f32) into a flat parameter array of `layout`. */
export function paramsFromCheckpoint(checkpoint: Checkpoint, layout: ParamLayout): Float32Array {
  const params = new Float32Array(layout.size);
  for (const t of layout.tensors) {
    const stored = t.name === 'model.embed_tokens.weight' ? checkpoint.embeddingNames.embed : t.name;
    const data = checkpoint.readF32(stored);
    if (data.length !== t.size) throw new ConfigError(checkpoint.dir, `tensor ${stored} has ${data.length} values, expected ${t.size}`);
    params.set(data, t.offset);
  }
  return params;
}
