/**
 * Architecture adapters: declarative tables that map the canonical parts of a Llama-family decoder
 * to the tensor names of a Hugging Face checkpoint. The forward pass reads weights only through an
 * adapter, so a new family is a new table, not a new class.
 */
import { MissingTensorError, ShapeError } from '../errors.js';
import type { ModelConfig, ModelType } from './config.js';

/** Checkpoint tensor names of one decoder layer. Optional parts exist only when the config enables them. */
export interface LayerTensorNames {
  /** [d] */ inputNorm: string;
  /** [H·dh, d] */ q: string;
  /** [Hkv·dh, d] */ k: string;
  /** [Hkv·dh, d] */ v: string;
  /** [d, H·dh] */ o: string;
  /** [H·dh] */ qBias?: string;
  /** [Hkv·dh] */ kBias?: string;
  /** [Hkv·dh] */ vBias?: string;
  /** [dh] */ qNorm?: string;
  /** [dh] */ kNorm?: string;
  /** [d] */ postAttnNorm: string;
  /** [dff, d] */ gate: string;
  /** [dff, d] */ up: string;
  /** [d, dff] */ down: string;
}

export interface ArchitectureAdapter {
  modelType: ModelType;
  /** [V, d] */ embed: string;
  /** [d] */ finalNorm: string;
  /** [V, d]; with tied embeddings the forward pass uses the embedding instead. */
  lmHead: string;
  layer(l: number): LayerTensorNames;
}

/** Which optional parts a family has; the names themselves follow the shared HF layout. */
interface FamilyTable {
  qkvBias: 'always' | 'never' | 'config';
  qkNorm: boolean;
}

const FAMILIES: Record<ModelType, FamilyTable> = {
  llama: { qkvBias: 'config', qkNorm: false },
  mistral: { qkvBias: 'never', qkNorm: false },
  qwen2: { qkvBias: 'always', qkNorm: false },
  qwen3: { qkvBias: 'config', qkNorm: true },
};

/** The adapter for `config.modelType`, with the optional tensors the config enables. */
export function adapterFor(config: ModelConfig): ArchitectureAdapter {
  const family = FAMILIES[config.modelType];
  const bias = family.qkvBias === 'always' || (family.qkvBias === 'config' && config.attentionBias);
  const qkNorm = family.qkNorm || config.qkNorm;
  return {
    modelType: config.modelType,
    embed: 'model.embed_tokens.weight',
    finalNorm: 'model.norm.weight',
    lmHead: 'lm_head.weight',
    layer(l: number): LayerTensorNames {
      const p = `model.layers.${l}`;
      const names: LayerTensorNames = {
        inputNorm: `${p}.input_layernorm.weight`,
        q: `${p}.self_attn.q_proj.weight`,
        k: `${p}.self_attn.k_proj.weight`,
        v: `${p}.self_attn.v_proj.weight`,
        o: `${p}.self_attn.o_proj.weight`,
        postAttnNorm: `${p}.post_attention_layernorm.weight`,
        gate: `${p}.mlp.gate_proj.weight`,
        up: `${p}.mlp.up_proj.weight`,
        down: `${p}.mlp.down_proj.weight`,
      };
      if (bias) {
        names.qBias = `${p}.self_attn.q_proj.bias`;
        names.kBias = `${p}.self_attn.k_proj.bias`;
        names.vBias = `${p}.self_attn.v_proj.bias`;
      }
      if (qkNorm) {
        names.qNorm = `${p}.self_attn.q_norm.weight`;
        names.kNorm = `${p}.self_attn.k_norm.weight`;
      }
      return names;
    },
  };
}

/**
 * The exact HF shape of every tensor the config needs. `lm_head.weight` is listed only for untied
 * models; with tied embeddings it is optional (checked by validateCheckpointTensors when present).
 */
export function expectedShapes(config: ModelConfig): Map<string, number[]> {
  const { hiddenSize: d, numHeads: h, numKvHeads: hkv, headDim: dh, intermediateSize: dff, vocabSize: vocab } = config;
  const a = adapterFor(config);
  const shapes = new Map<string, number[]>();
  shapes.set(a.embed, [vocab, d]);
  shapes.set(a.finalNorm, [d]);
  if (!config.tieWordEmbeddings) shapes.set(a.lmHead, [vocab, d]);
  for (let l = 0; l < config.numLayers; l++) {
    const n = a.layer(l);
    shapes.set(n.inputNorm, [d]);
    shapes.set(n.q, [h * dh, d]);
    shapes.set(n.k, [hkv * dh, d]);
    shapes.set(n.v, [hkv * dh, d]);
    shapes.set(n.o, [d, h * dh]);
    if (n.qBias) shapes.set(n.qBias, [h * dh]);
    if (n.kBias) shapes.set(n.kBias, [hkv * dh]);
    if (n.vBias) shapes.set(n.vBias, [hkv * dh]);
    if (n.qNorm) shapes.set(n.qNorm, [dh]);
    if (n.kNorm) shapes.set(n.kNorm, [dh]);
    shapes.set(n.postAttnNorm, [d]);
    shapes.set(n.gate, [dff, d]);
    shapes.set(n.up, [dff, d]);
    shapes.set(n.down, [d, dff]);
  }
  return shapes;
}

/**
 * Which stored tensors serve as the embedding [V, d] and the LM head [V, d].
 *
 * Tied models use the embedding for both. A tied checkpoint that stores only `lm_head.weight`
 * (TinyStories-656K: torch de-duplicated the shared tensor under that name) uses it as the
 * embedding. Throws MissingTensorError when neither is available.
 */
export function resolveEmbeddingNames(
  config: ModelConfig, has: (name: string) => boolean, source = 'checkpoint',
): { embed: string; lmHead: string } {
  const a = adapterFor(config);
  if (config.tieWordEmbeddings) {
    if (has(a.embed)) return { embed: a.embed, lmHead: a.embed };
    if (has(a.lmHead)) return { embed: a.lmHead, lmHead: a.lmHead };
    throw new MissingTensorError(source, `tied embeddings need ${a.embed} (or ${a.lmHead}), found neither`);
  }
  if (!has(a.embed)) throw new MissingTensorError(source, `missing tensor ${a.embed}, expected shape [${config.vocabSize}, ${config.hiddenSize}]`);
  if (!has(a.lmHead)) {
    throw new MissingTensorError(source, `missing tensor ${a.lmHead}, expected shape [${config.vocabSize}, ${config.hiddenSize}] (tie_word_embeddings is false)`);
  }
  return { embed: a.embed, lmHead: a.lmHead };
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Checks that every tensor the config needs exists with its exact shape. Throws MissingTensorError
 * or ShapeError naming the tensor, the expected shape and what `source` holds.
 */
export function validateCheckpointTensors(
  config: ModelConfig,
  has: (name: string) => boolean,
  shapeOf: (name: string) => number[],
  source: string,
): void {
  const a = adapterFor(config);
  const { embed } = resolveEmbeddingNames(config, has, source);
  const shapes = expectedShapes(config);
  // With tied embeddings a stored lm_head.weight may stand in for, or duplicate, the embedding.
  if (config.tieWordEmbeddings && has(a.lmHead)) shapes.set(a.lmHead, [config.vocabSize, config.hiddenSize]);
  for (const [name, expected] of shapes) {
    const stored = name === a.embed ? embed : name;
    if (!has(stored)) {
      throw new MissingTensorError(source, `missing tensor ${name}, expected shape [${expected.join(', ')}]`);
    }
    const got = shapeOf(stored);
    if (!sameShape(got, expected)) {
      throw new ShapeError(source, `tensor ${stored} has shape [${got.join(', ')}], expected [${expected.join(', ')}]`);
    }
  }
}
