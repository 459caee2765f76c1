/**
 * The suggested architecture of the emotion model organism: a small Llama (RMSNorm, RoPE,
 * grouped-query attention, SwiGLU, tied embeddings), sized after the PyTorch prototype in
 * PERF-NOTES.md (d = 128, 4 layers, ~2k vocabulary, ~1.1M parameters followed instructions on
 * held-out scenarios 95–100 % of the time after ~1M training tokens).
 */
import { ORGANISM_MAX_LENGTH } from './chatFormat.js';

export interface OrganismShape {
  /** d */
  hiddenSize: number;
  numLayers: number;
  /** H */
  numHeads: number;
  /** Hkv (divides H) */
  numKvHeads: number;
  /** dff of the SwiGLU MLP */
  intermediateSize: number;
}

/** d = 128, 4 layers, 4 query heads (dh = 32) sharing 2 KV heads, SwiGLU 384. */
export const DEFAULT_ORGANISM_SHAPE: OrganismShape = { hiddenSize: 128, numLayers: 4, numHeads: 4, numKvHeads: 2, intermediateSize: 384 };

/** Token ids the config records. */
export interface OrganismTokenIds {
  bos: number;
  eos: number;
  pad: number;
}

/**
 * The Hugging Face `config.json` of the organism (model_type llama, bf16 weights).
 *
 * @example
 * organismConfig(2048, { bos: 0, eos: 1, pad: 5 }).num_hidden_layers; // 4
 */
export function organismConfig(vocabSize: number, ids: OrganismTokenIds, shape: OrganismShape = DEFAULT_ORGANISM_SHAPE): Record<string, unknown> {
  if (shape.hiddenSize % shape.numHeads !== 0) throw new RangeError(`hiddenSize ${shape.hiddenSize} is not a multiple of numHeads ${shape.numHeads}`);
  if (shape.numHeads % shape.numKvHeads !== 0) throw new RangeError(`numHeads ${shape.numHeads} is not a multiple of numKvHeads ${shape.numKvHeads}`);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.hiddenSize,
    intermediate_size: shape.intermediateSize,
    num_hidden_layers: shape.numLayers,
    num_attention_heads: shape.numHeads,
    num_key_value_heads: shape.numKvHeads,
    head_dim: shape.hiddenSize / shape.numHeads,
    hidden_act: 'silu',
    max_position_embeddings: ORGANISM_MAX_LENGTH,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    attention_bias: false,
    mlp_bias: false,
    initializer_range: 0.02,
    vocab_size: vocabSize,
    bos_token_id: ids.bos,
    eos_token_id: ids.eos,
    pad_token_id: ids.pad,
    torch_dtype: 'bfloat16',
  };
}

/** Number of parameters of a model of this shape (tied embeddings counted once). */
export function organismParameterCount(vocabSize: number, shape: OrganismShape = DEFAULT_ORGANISM_SHAPE): number {
  const d = shape.hiddenSize;
  const dh = d / shape.numHeads;
  const attention = d * d * 2 + d * shape.numKvHeads * dh * 2; // q, o + k, v
  const mlp = 3 * d * shape.intermediateSize;
  return vocabSize * d + shape.numLayers * (attention + mlp + 2 * d) + d;
}
