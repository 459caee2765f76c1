/**
 * Saves trained parameters as a Hugging Face Llama folder that LanguageModel.load (and
 * transformers) read: config.json (model_type llama) and model.safetensors in bf16 or f16.
 * Tied models store only model.embed_tokens.weight, as transformers does.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicFile.js';
import type { LlamaShape, ParamLayout } from '../model/grad/params.js';
import { headDim } from '../model/grad/params.js';
import { type F32TensorToWrite, encodeSafetensors } from '../model/safetensors.js';

export type ExportDType = 'bf16' | 'f16';

export interface SpecialTokens {
  readonly bosTokenId?: number | null;
  readonly eosTokenId?: number | number[] | null;
  readonly padTokenId?: number | null;
}

/** The config.json object of a shape. */
export function llamaConfigJson(shape: LlamaShape, dtype: ExportDType, special: SpecialTokens = {}): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: shape.d,
    intermediate_size: shape.dff,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    head_dim: headDim(shape),
    vocab_size: shape.vocab,
    max_position_embeddings: shape.maxPositions,
    rms_norm_eps: shape.eps,
    rope_theta: shape.ropeTheta,
    rope_scaling: null,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    tie_word_embeddings: shape.tied,
    bos_token_id: special.bosTokenId ?? null,
    eos_token_id: special.eosTokenId ?? null,
    pad_token_id: special.padTokenId ?? null,
    torch_dtype: dtype === 'bf16' ? 'bfloat16' : 'float16',
  };
}

/** Writes `dir`/config.json and `dir`/model.safetensors (atomically each). */
export function exportHfFolder(dir: string, layout: ParamLayout, params: Float32Array, dtype: ExportDType = 'bf16', special: SpecialTokens = {}, metadata: Record<string, string> = {}): void {
  const stored = dtype === 'bf16' ? 'BF16' : 'F16';
  const tensors: F32TensorToWrite[] = layout.tensors.map((t) => ({ name: t.name, shape: [...t.shape], data: params.subarray(t.offset, t.offset + t.size), dtype: stored }));
  writeFileAtomic(path.join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt', ...metadata }));
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(llamaConfigJson(layout.shape, dtype, special), null, 2) + '\n');
}
