/**
 * Reads a Hugging Face `config.json` into the few numbers the forward pass needs.
 *
 * Sizes that define the architecture (hidden size, layers, heads, vocab, …) are required: a missing
 * one is a ConfigError, never a guess. Defaults are applied only where the Hugging Face config class
 * of that family defines one and it does not encode a particular model's size; each is listed on the
 * field below.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors.js';

export type ModelType = 'llama' | 'mistral' | 'qwen2' | 'qwen3';
const MODEL_TYPES: readonly ModelType[] = ['llama', 'mistral', 'qwen2', 'qwen3'];

/** Llama-3 style RoPE frequency scaling (`rope_type: "llama3"`). */
export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface ModelConfig {
  modelType: ModelType;
  /** d */
  hiddenSize: number;
  numLayers: number;
  /** H, query heads */
  numHeads: number;
  /** Hkv. Absent: llama uses H (as LlamaConfig does); the other families require it. */
  numKvHeads: number;
  /** dh: config `head_dim` when set, else d/H. Qwen3 requires it (its HF default 128 is model-specific). */
  headDim: number;
  /** dff */
  intermediateSize: number;
  /** V */
  vocabSize: number;
  /** Absent: 1e-6, the default of LlamaConfig, MistralConfig, Qwen2Config and Qwen3Config. */
  rmsNormEps: number;
  /** Absent: 10000, the default of all four HF config classes. Also read from `rope_parameters`. */
  ropeTheta: number;
  ropeScaling: Llama3RopeScaling | null;
  maxPositionEmbeddings: number;
  /** Absent: false (HF default for all four families). */
  tieWordEmbeddings: boolean;
  /** q/k/v projections carry biases: qwen2 always; llama/qwen3 per `attention_bias` (default false); mistral never. */
  attentionBias: boolean;
  /** Per-head RMSNorm on q and k before RoPE (qwen3). */
  qkNorm: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  /** Attention window in tokens, or null for full causal attention. */
  slidingWindow: number | null;
}

type Json = Record<string, unknown>;

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function positiveInt(obj: Json, key: string, file: string, prefix = ''): number {
  const v = obj[key];
  if (v === undefined || v === null) throw new ConfigError(file, `missing required field ${prefix}${key}`);
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw new ConfigError(file, `${prefix}${key} must be a positive integer, got ${show(v)}`);
  }
  return v;
}

function positiveNumber(obj: Json, key: string, file: string, fallback?: number, prefix = ''): number {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(file, `missing required field ${prefix}${key}`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new ConfigError(file, `${prefix}${key} must be a positive number, got ${show(v)}`);
  }
  return v;
}

function optionalBool(obj: Json, key: string, file: string, fallback: boolean): boolean {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(file, `${key} must be true or false, got ${show(v)}`);
  return v;
}

function tokenId(v: unknown, key: string, file: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ConfigError(file, `${key} must be a non-negative integer token id, got ${show(v)}`);
  }
  return v;
}

/**
 * Reads the RoPE scaling object (`rope_scaling`, or transformers-5 `rope_parameters`). Returns
 * null for no scaling ("default"); throws for a scaling type the engine does not implement.
 */
function parseRopeScaling(obj: Json, file: string): Llama3RopeScaling | null {
  const key = obj.rope_scaling !== undefined && obj.rope_scaling !== null ? 'rope_scaling' : 'rope_parameters';
  const raw = obj[key];
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(file, `${key} must be an object or null, got ${show(raw)}`);
  const rs = raw as Json;
  const type = rs.rope_type ?? rs.type ?? 'default';
  if (type === 'default') return null;
  if (type !== 'llama3') {
    throw new ConfigError(file, `${key}.rope_type ${show(type)} is not supported (supported: "llama3", or none)`);
  }
  const p = `${key}.`;
  return {
    type: 'llama3',
    factor: positiveNumber(rs, 'factor', file, undefined, p),
    lowFreqFactor: positiveNumber(rs, 'low_freq_factor', file, undefined, p),
    highFreqFactor: positiveNumber(rs, 'high_freq_factor', file, undefined, p),
    originalMaxPositionEmbeddings: positiveInt(rs, 'original_max_position_embeddings', file, p),
  };
}

/**
 * Validates a parsed config.json. `file` names it in errors.
 *
 * @example
 * const cfg = parseModelConfig(JSON.parse(text), 'config.json');
 * cfg.headDim; // 64 for Llama-3.2-1B
 */
export function parseModelConfig(json: unknown, file: string): ModelConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ConfigError(file, `expected a JSON object, got ${Array.isArray(json) ? 'an array' : show(json)}`);
  }
  const obj = json as Json;
  const modelType = obj.model_type;
  if (modelType === undefined) throw new ConfigError(file, 'missing required field model_type');
  if (typeof modelType !== 'string' || !(MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new ConfigError(file, `model_type ${show(modelType)} is not supported (supported: ${MODEL_TYPES.join(', ')})`);
  }
  const type = modelType as ModelType;

  const hiddenAct = obj.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') throw new ConfigError(file, `hidden_act ${show(hiddenAct)} is not supported (only "silu")`);
  if (optionalBool(obj, 'mlp_bias', file, false)) throw new ConfigError(file, 'mlp_bias true is not supported');

  const hiddenSize = positiveInt(obj, 'hidden_size', file);
  const numLayers = positiveInt(obj, 'num_hidden_layers', file);
  const numHeads = positiveInt(obj, 'num_attention_heads', file);
  const hasKv = obj.num_key_value_heads !== undefined && obj.num_key_value_heads !== null;
  if (!hasKv && type !== 'llama') throw new ConfigError(file, 'missing required field num_key_value_heads');
  const numKvHeads = hasKv ? positiveInt(obj, 'num_key_value_heads', file) : numHeads;
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(file, `num_attention_heads ${numHeads} is not divisible by num_key_value_heads ${numKvHeads}`);
  }

  let headDim: number;
  if (obj.head_dim !== undefined && obj.head_dim !== null) {
    headDim = positiveInt(obj, 'head_dim', file);
  } else if (type === 'qwen3') {
    throw new ConfigError(file, 'missing required field head_dim (qwen3 does not derive it from hidden_size)');
  } else {
    if (hiddenSize % numHeads !== 0) {
      throw new ConfigError(file, `hidden_size ${hiddenSize} is not divisible by num_attention_heads ${numHeads}, and head_dim is not set`);
    }
    headDim = hiddenSize / numHeads;
  }
  if (headDim % 2 !== 0) throw new ConfigError(file, `head_dim ${headDim} must be even for RoPE`);

  const ropeParams = obj.rope_parameters;
  const ropeThetaSource: Json = obj.rope_theta === undefined && typeof ropeParams === 'object' && ropeParams !== null
    ? ropeParams as Json : obj;

  let slidingWindow: number | null = null;
  if (type === 'mistral') {
    // MistralConfig defaults sliding_window to 4096; an explicit null means full attention.
    slidingWindow = obj.sliding_window === undefined ? 4096
      : obj.sliding_window === null ? null : positiveInt(obj, 'sliding_window', file);
  } else if ((type === 'qwen2' || type === 'qwen3') && optionalBool(obj, 'use_sliding_window', file, false)) {
    throw new ConfigError(file, 'use_sliding_window true is not supported (per-layer windows)');
  }

  const bos = obj.bos_token_id;
  const eos = obj.eos_token_id;
  let eosTokenIds: number[] = [];
  if (Array.isArray(eos)) eosTokenIds = eos.map((v) => tokenId(v, 'eos_token_id', file));
  else if (eos !== undefined && eos !== null) eosTokenIds = [tokenId(eos, 'eos_token_id', file)];

  return {
    modelType: type,
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: positiveInt(obj, 'intermediate_size', file),
    vocabSize: positiveInt(obj, 'vocab_size', file),
    rmsNormEps: positiveNumber(obj, 'rms_norm_eps', file, 1e-6),
    ropeTheta: positiveNumber(ropeThetaSource, 'rope_theta', file, 10000),
    ropeScaling: parseRopeScaling(obj, file),
    maxPositionEmbeddings: positiveInt(obj, 'max_position_embeddings', file),
    tieWordEmbeddings: optionalBool(obj, 'tie_word_embeddings', file, false),
    attentionBias: type === 'qwen2' ? true : type === 'mistral' ? false : optionalBool(obj, 'attention_bias', file, false),
    qkNorm: type === 'qwen3',
    bosTokenId: bos === undefined || bos === null ? null : tokenId(bos, 'bos_token_id', file),
    eosTokenIds,
    slidingWindow,
  };
}

/** Reads and validates `<dir>/config.json`. */
export function loadModelConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, `cannot read: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, `not valid JSON (${(err as Error).message})`);
  }
  return parseModelConfig(json, file);
}
