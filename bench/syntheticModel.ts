/**
 * Writes a complete Hugging Face model folder (config.json + model.safetensors) with seeded random
 * weights, for benchmarks and tests that need a real-sized model without downloading one.
 *
 * Values: linear weights and q/k/v biases ~N(0, 0.02), RMSNorm gains ~1 + N(0, 0.1). Every value is exactly representable in bf16, so the f32 and bf16 files written with the same
 * seed hold the same numbers — a model's f32 and bf16 runs are directly comparable.
 *
 * Generation is cheap: a table of 65 536 normal deviates (Box–Muller once per seed) indexed by a
 * xorshift stream, written tensor by tensor in chunks with fs.writeSync, so a multi-GB model never
 * sits in memory. Folders are cached in os.tmpdir() keyed by shape, dtype and seed.
 *
 * @example
 * const dir = writeSyntheticModel(null, PRESETS.qwen2_5_0_5b, { dtype: 'bf16', seed: 1 });
 * const model = await LanguageModel.load(dir);
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface SyntheticShape {
  /** Used in the cache folder's name only. */
  name: string;
  modelType: 'qwen2' | 'llama';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  intermediateSize: number;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  /** q/k/v biases (always for qwen2; llama's `attention_bias`). */
  attentionBias: boolean;
  ropeTheta: number;
  ropeScaling?: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositionEmbeddings: number };
  maxPositionEmbeddings: number;
  rmsNormEps: number;
}

export type SyntheticDType = 'f32' | 'bf16';

export interface SyntheticOptions {
  dtype: SyntheticDType;
  seed: number;
}

export const PRESETS = {
  /** Qwen2.5-0.5B's shape (494M parameters, 136M of them the tied embedding). */
  qwen2_5_0_5b: {
    name: 'qwen2.5-0.5b', modelType: 'qwen2', hiddenSize: 896, numLayers: 24, numHeads: 14, numKvHeads: 2,
    intermediateSize: 4864, vocabSize: 151936, tieWordEmbeddings: true, attentionBias: true,
    ropeTheta: 1e6, maxPositionEmbeddings: 32768, rmsNormEps: 1e-6,
  },
  /** Llama-3.2-3B's shape (3.2B parameters: 12.9 GB in f32, 6.4 GB in bf16). */
  llama_3b: {
    name: 'llama-3.2-3b', modelType: 'llama', hiddenSize: 3072, numLayers: 28, numHeads: 24, numKvHeads: 8,
    intermediateSize: 8192, vocabSize: 128256, tieWordEmbeddings: true, attentionBias: false,
    ropeTheta: 5e5, ropeScaling: { factor: 32, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    maxPositionEmbeddings: 131072, rmsNormEps: 1e-5,
  },
  /** Llama-3.1-8B's shape (8.03B parameters: 16.1 GB in bf16), untied head. */
  llama_3_1_8b: {
    name: 'llama-3.1-8b', modelType: 'llama', hiddenSize: 4096, numLayers: 32, numHeads: 32, numKvHeads: 8,
    intermediateSize: 14336, vocabSize: 128256, tieWordEmbeddings: false, attentionBias: false,
    ropeTheta: 5e5, ropeScaling: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    maxPositionEmbeddings: 131072, rmsNormEps: 1e-5,
  },
  /** A tiny Qwen2 for tests: 2 layers, GQA, biases, untied head. */
  tiny: {
    name: 'tiny', modelType: 'qwen2', hiddenSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2,
    intermediateSize: 128, vocabSize: 256, tieWordEmbeddings: false, attentionBias: true,
    ropeTheta: 1e4, maxPositionEmbeddings: 512, rmsNormEps: 1e-6,
  },
} satisfies Record<string, SyntheticShape>;

interface TensorSpec {
  name: string;
  shape: number[];
  /** 'linear': N(0, 0.02); 'norm': around 1. */
  kind: 'linear' | 'norm';
}

/** Every tensor of the checkpoint, in file order. */
export function syntheticTensors(s: SyntheticShape): TensorSpec[] {
  const dh = s.hiddenSize / s.numHeads;
  const d = s.hiddenSize;
  const specs: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocabSize, d], kind: 'linear' }];
  for (let l = 0; l < s.numLayers; l++) {
    const p = `model.layers.${l}`;
    specs.push(
      { name: `${p}.input_layernorm.weight`, shape: [d], kind: 'norm' },
      { name: `${p}.self_attn.q_proj.weight`, shape: [s.numHeads * dh, d], kind: 'linear' },
      { name: `${p}.self_attn.k_proj.weight`, shape: [s.numKvHeads * dh, d], kind: 'linear' },
      { name: `${p}.self_attn.v_proj.weight`, shape: [s.numKvHeads * dh, d], kind: 'linear' },
    );
    if (s.attentionBias || s.modelType === 'qwen2') {
      specs.push(
        { name: `${p}.self_attn.q_proj.bias`, shape: [s.numHeads * dh], kind: 'linear' },
        { name: `${p}.self_attn.k_proj.bias`, shape: [s.numKvHeads * dh], kind: 'linear' },
        { name: `${p}.self_attn.v_proj.bias`, shape: [s.numKvHeads * dh], kind: 'linear' },
      );
    }
    specs.push(
      { name: `${p}.self_attn.o_proj.weight`, shape: [d, s.numHeads * dh], kind: 'linear' },
      { name: `${p}.post_attention_layernorm.weight`, shape: [d], kind: 'norm' },
      { name: `${p}.mlp.gate_proj.weight`, shape: [s.intermediateSize, d], kind: 'linear' },
      { name: `${p}.mlp.up_proj.weight`, shape: [s.intermediateSize, d], kind: 'linear' },
      { name: `${p}.mlp.down_proj.weight`, shape: [d, s.intermediateSize], kind: 'linear' },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [d], kind: 'norm' });
  if (!s.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [s.vocabSize, d], kind: 'linear' });
  return specs;
}

/** Number of stored values (parameters) of the checkpoint. */
export function parameterCount(s: SyntheticShape): number {
  return syntheticTensors(s).reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
}

export function configJson(s: SyntheticShape, dtype: SyntheticDType): Record<string, unknown> {
  const config: Record<string, unknown> = {
    architectures: [s.modelType === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    model_type: s.modelType,
    hidden_size: s.hiddenSize,
    num_hidden_layers: s.numLayers,
    num_attention_heads: s.numHeads,
    num_key_value_heads: s.numKvHeads,
    intermediate_size: s.intermediateSize,
    vocab_size: s.vocabSize,
    hidden_act: 'silu',
    rms_norm_eps: s.rmsNormEps,
    rope_theta: s.ropeTheta,
    max_position_embeddings: s.maxPositionEmbeddings,
    tie_word_embeddings: s.tieWordEmbeddings,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: dtype === 'bf16' ? 'bfloat16' : 'float32',
  };
  if (s.modelType === 'llama') config.attention_bias = s.attentionBias;
  if (s.modelType === 'qwen2') config.use_sliding_window = false;
  if (s.ropeScaling) {
    config.rope_scaling = {
      rope_type: 'llama3',
      factor: s.ropeScaling.factor,
      low_freq_factor: s.ropeScaling.lowFreqFactor,
      high_freq_factor: s.ropeScaling.highFreqFactor,
      original_max_position_embeddings: s.ropeScaling.originalMaxPositionEmbeddings,
    };
  }
  return config;
}

/** f32 → bf16 bits, round to nearest even (finite inputs). */
function toBf16Bits(value: number, scratchF: Float32Array, scratchU: Uint32Array): number {
  scratchF[0] = value;
  const bits = scratchU[0];
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

const TABLE_SIZE = 1 << 16;

/** bf16 bit patterns of N(0, 0.02) and of 1 + N(0, 0.02)·5 (norm gains), one table each. */
function makeTables(seed: number): { linear: Uint16Array; norm: Uint16Array } {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let state = (seed ^ 0x9e3779b9) >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  const linear = new Uint16Array(TABLE_SIZE);
  const norm = new Uint16Array(TABLE_SIZE);
  for (let i = 0; i < TABLE_SIZE; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const theta = 2 * Math.PI * uniform();
    const z0 = r * Math.cos(theta), z1 = r * Math.sin(theta);
    linear[i] = toBf16Bits(0.02 * z0, f, u);
    linear[i + 1] = toBf16Bits(0.02 * z1, f, u);
    norm[i] = toBf16Bits(1 + 0.1 * z0, f, u);
    norm[i + 1] = toBf16Bits(1 + 0.1 * z1, f, u);
  }
  return { linear, norm };
}

/** A per-tensor seed, so a tensor's values do not depend on the others or on chunk sizes. */
function tensorSeed(seed: number, name: string): number {
  const digest = createHash('sha256').update(`${seed}:${name}`).digest();
  return digest.readUInt32LE(0) || 1;
}

const CHUNK_ELEMENTS = 1 << 22; // 4M values per write (16 MB in f32)

/** Streams one tensor's values into `fd`. */
function writeTensor(fd: number, spec: TensorSpec, table: Uint16Array, dtype: SyntheticDType, seed: number): void {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const bits = new Uint16Array(Math.min(count, CHUNK_ELEMENTS));
  const wide = dtype === 'f32' ? new Uint32Array(bits.length) : null;
  let state = tensorSeed(seed, spec.name);
  for (let done = 0; done < count; done += bits.length) {
    const n = Math.min(bits.length, count - done);
    // xorshift32; each 32-bit output gives two 16-bit table indices.
    for (let i = 0; i < n; i += 2) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bits[i] = table[state & 0xffff];
      if (i + 1 < n) bits[i + 1] = table[(state >>> 16) & 0xffff];
    }
    let out: Uint8Array;
    if (wide) {
      for (let i = 0; i < n; i++) wide[i] = bits[i] << 16;
      out = new Uint8Array(wide.buffer, 0, n * 4);
    } else {
      out = new Uint8Array(bits.buffer, 0, n * 2);
    }
    let written = 0;
    while (written < out.byteLength) written += fs.writeSync(fd, out, written, out.byteLength - written);
  }
}

/** Writes model.safetensors for `shape` into `file`, streaming. Returns the bytes of tensor data. */
export function writeSyntheticSafetensors(file: string, shape: SyntheticShape, options: SyntheticOptions): number {
  const specs = syntheticTensors(shape);
  const elemBytes = options.dtype === 'f32' ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', generator: 'emotion-circuits bench/syntheticModel', seed: String(options.seed) } };
  let offset = 0;
  for (const t of specs) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * elemBytes;
    header[t.name] = { dtype: options.dtype === 'f32' ? 'F32' : 'BF16', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) json = Buffer.concat([json, Buffer.alloc(padded - json.byteLength, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.byteLength));
  const tables = makeTables(options.seed);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, prefix);
    fs.writeSync(fd, json);
    for (const t of specs) writeTensor(fd, t, t.kind === 'norm' ? tables.norm : tables.linear, options.dtype, options.seed);
  } finally {
    fs.closeSync(fd);
  }
  return offset;
}

/** The cache folder for (shape, dtype, seed) under os.tmpdir(). */
export function syntheticModelDir(shape: SyntheticShape, options: SyntheticOptions): string {
  const key = createHash('sha256').update(JSON.stringify({ shape, dtype: options.dtype, seed: options.seed, v: 1 })).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), 'emotion-circuits-synthetic', `${shape.name}-${options.dtype}-s${options.seed}-${key}`);
}

/**
 * Writes (or reuses) a complete HF folder for `shape`. With `dir` null the folder is the cache
 * folder of syntheticModelDir(); an existing complete folder is reused. Returns the folder.
 * The folder is written under a temporary name and renamed, so a crash never leaves a half model.
 */
export function writeSyntheticModel(dir: string | null, shape: SyntheticShape, options: SyntheticOptions): string {
  const target = dir ?? syntheticModelDir(shape, options);
  if (fs.existsSync(path.join(target, 'model.safetensors')) && fs.existsSync(path.join(target, 'config.json'))) return target;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const staging = `${target}.${process.pid}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  try {
    fs.writeFileSync(path.join(staging, 'config.json'), JSON.stringify(configJson(shape, options.dtype), null, 2) + '\n');
    writeSyntheticSafetensors(path.join(staging, 'model.safetensors'), shape, options);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(staging, target);
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return target;
}
