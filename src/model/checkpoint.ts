/**
 * A local Hugging Face checkpoint folder: `config.json` plus `model.safetensors` or a sharded
 * `model.safetensors.index.json`. Opening validates the config, every shard header, the index, and
 * every tensor the architecture needs (name and exact shape). Tensor data is read on demand.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, MissingTensorError, SafetensorsError } from '../errors.js';
import type { WeightDType } from '../kernels/types.js';
import { adapterFor, expectedShapes, resolveEmbeddingNames, validateCheckpointTensors } from './adapters.js';
import { loadModelConfig, type ModelConfig } from './config.js';
import { SafetensorsReader, toWeightDType, type TensorInfo } from './safetensors.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** Tensors that some checkpoints carry but no forward pass reads (recomputed RoPE tables). */
const IGNORABLE = /\.rotary_emb\.inv_freq$/;

function readIndex(indexPath: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(indexPath, 'utf8'));
  } catch (err) {
    throw new SafetensorsError(indexPath, `cannot read the shard index: ${(err as Error).message}`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new SafetensorsError(indexPath, 'expected an object with a "weight_map" object of tensor name → shard file');
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    // A shard must be a plain file name in the same folder: no paths, so an index cannot point outside.
    if (typeof shard !== 'string' || shard === '' || shard !== path.basename(shard) || shard === '.' || shard === '..') {
      throw new SafetensorsError(indexPath, `weight_map[${JSON.stringify(name)}] must be a shard file name in this folder, got ${JSON.stringify(shard)}`);
    }
    map.set(name, shard);
  }
  return map;
}

/**
 * An opened, validated checkpoint.
 *
 * @example
 * const ckpt = Checkpoint.open('models/tinystories-656k');
 * const w = ckpt.readF32(adapterFor(ckpt.config).layer(0).q); // [H·dh, d]
 * ckpt.close();
 */
export class Checkpoint {
  readonly dir: string;
  readonly config: ModelConfig;
  /** Stored tensors that serve as embedding and LM head (see resolveEmbeddingNames). */
  readonly embeddingNames: { embed: string; lmHead: string };
  /** tensor name → the reader of the shard that holds it */
  private readonly owners: Map<string, SafetensorsReader>;
  private readonly readers: SafetensorsReader[];

  private constructor(dir: string, config: ModelConfig, owners: Map<string, SafetensorsReader>, readers: SafetensorsReader[]) {
    this.dir = dir;
    this.config = config;
    this.owners = owners;
    this.readers = readers;
    this.embeddingNames = resolveEmbeddingNames(config, (n) => owners.has(n), dir);
  }

  /** Opens and validates the checkpoint in `dir`. Throws a typed error naming the file or tensor at fault. */
  static open(dir: string): Checkpoint {
    const config = loadModelConfig(dir);
    const single = path.join(dir, SINGLE_FILE);
    const indexPath = path.join(dir, INDEX_FILE);
    const owners = new Map<string, SafetensorsReader>();
    const readers: SafetensorsReader[] = [];
    try {
      if (fs.existsSync(single)) {
        const reader = SafetensorsReader.open(single);
        readers.push(reader);
        for (const name of reader.tensors.keys()) owners.set(name, reader);
      } else if (fs.existsSync(indexPath)) {
        const weightMap = readIndex(indexPath);
        const byShard = new Map<string, SafetensorsReader>();
        for (const [name, shard] of weightMap) {
          let reader = byShard.get(shard);
          if (!reader) {
            const shardPath = path.join(dir, shard);
            if (!fs.existsSync(shardPath)) {
              throw new MissingTensorError(indexPath, `shard ${shard} (holding ${name}) does not exist`);
            }
            reader = SafetensorsReader.open(shardPath);
            readers.push(reader);
            byShard.set(shard, reader);
          }
          if (!reader.tensors.has(name)) {
            throw new MissingTensorError(reader.file, `the index maps ${name} to this shard, but the shard has no such tensor`);
          }
          owners.set(name, reader);
        }
      } else {
        throw new MissingTensorError(dir, `no weights: expected ${SINGLE_FILE} or ${INDEX_FILE}`);
      }
      const source = readers.length === 1 ? readers[0].file : indexPath;
      validateCheckpointTensors(config, (n) => owners.has(n), (n) => owners.get(n)!.info(n).shape, source);
      rejectUnusedLayerTensors(config, owners.keys(), source);
      return new Checkpoint(dir, config, owners, readers);
    } catch (err) {
      for (const r of readers) r.close();
      throw err;
    }
  }

  /** Names of every stored tensor (for a sharded checkpoint: every name in the index). */
  names(): string[] {
    return [...this.owners.keys()];
  }

  has(name: string): boolean {
    return this.owners.has(name);
  }

  info(name: string): TensorInfo {
    return this.owner(name).info(name);
  }

  /** Raw little-endian bytes of the tensor, freshly read. */
  readBytes(name: string): Uint8Array {
    return this.owner(name).readBytes(name);
  }

  /** Fills `out` with the tensor's bytes from `byteOffset` on (no intermediate copy). */
  readRangeInto(name: string, byteOffset: number, out: Uint8Array): void {
    this.owner(name).readRangeInto(name, byteOffset, out);
  }

  /** The tensor as row-major f32 with its stored shape. */
  readF32(name: string): Float32Array {
    return this.owner(name).readF32(name);
  }

  /** The compute dtype of a weight (F32/BF16/F16); other stored dtypes are an error. */
  weightDType(name: string): WeightDType {
    const info = this.info(name);
    return toWeightDType(info.dtype, `${this.owner(name).file}: tensor ${name}`);
  }

  /** Closes every shard. */
  close(): void {
    for (const r of this.readers) r.close();
  }

  private owner(name: string): SafetensorsReader {
    const reader = this.owners.get(name);
    if (!reader) throw new MissingTensorError(this.dir, `checkpoint has no tensor named ${name}`);
    return reader;
  }
}

/**
 * A layer tensor that the config does not use (for example q_proj.bias when attention_bias is
 * false, or a layer beyond num_hidden_layers) means config and weights disagree; running anyway
 * would silently compute a different model.
 */
function rejectUnusedLayerTensors(config: ModelConfig, names: Iterable<string>, source: string): void {
  const expected = expectedShapes(config);
  const a = adapterFor(config);
  for (const name of names) {
    if (expected.has(name) || name === a.lmHead || IGNORABLE.test(name)) continue;
    if (name.startsWith('model.layers.')) {
      throw new ConfigError(source, `tensor ${name} is not used by a ${config.modelType} model with this config.json (check attention_bias, num_hidden_layers, model_type)`);
    }
  }
}
