/**
 * Moves a checkpoint into a compute backend. Projections that read the same input are fused
 * (q|k|v into one [(H+2Hkv)·dh, d] weight, gate|up into one [2·dff, d]) so each layer runs four
 * GEMMs instead of seven; norms and biases stay as f32 vectors in JS memory. Weights stream from
 * disk into the backend in chunks, so loading never holds a second copy of the model.
 */
import { bytesPerElement, decodeToF32 } from '../kernels/dtype.js';
import type { LinearBackend, PackedWeight, WeightDType, WeightRowReader } from '../kernels/types.js';
import { adapterFor } from './adapters.js';
import type { Checkpoint } from './checkpoint.js';
import type { ModelConfig } from './config.js';

export interface LayerWeights {
  inputNorm: Float32Array; //        [d]
  qkv: PackedWeight; //              [(H + 2·Hkv)·dh, d]
  qkvBias: Float32Array | null; //   [(H + 2·Hkv)·dh]
  qNorm: Float32Array | null; //     [dh]  (Qwen3)
  kNorm: Float32Array | null; //     [dh]  (Qwen3)
  o: PackedWeight; //                [d, H·dh]
  postAttnNorm: Float32Array; //     [d]
  gateUp: PackedWeight; //           [2·dff, d]
  down: PackedWeight; //             [d, dff]
}

/** The token embedding table [V, d] as a lookup: rows of `ids` → out [ids.length, d] in f32. */
export interface EmbeddingLookup {
  /** 'backend': a packed weight (the stored dtype); 'checkpoint': rows read from the file on demand. */
  readonly source: 'backend' | 'checkpoint';
  gather(ids: readonly number[], out: Float32Array): void;
}

export interface ModelWeights {
  embed: EmbeddingLookup; //         [V, d]
  layers: LayerWeights[];
  finalNorm: Float32Array; //        [d]
  lmHead: PackedWeight; //           [V, d] (stored weights: the embedding's own handle when tied)
  /** Bytes held by the backend for all weights. */
  byteLength: number;
}

/**
 * A row reader over several tensors stacked along their first axis (e.g. q|k|v), reading each
 * requested row range straight from disk into the backend's staging memory. Tensors of mixed
 * dtypes are widened to f32 (read whole; rare).
 */
export function stackedRows(checkpoint: Checkpoint, names: string[], cols: number): { source: Uint8Array | WeightRowReader; dtype: WeightDType } {
  const dtype = checkpoint.weightDType(names[0]);
  if (names.some((name) => checkpoint.weightDType(name) !== dtype)) {
    const parts = names.map((name) => checkpoint.readF32(name));
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return { source: new Uint8Array(out.buffer), dtype: 'f32' };
  }
  const rowBytes = cols * bytesPerElement(dtype);
  const parts = names.map((name) => ({ name, rows: checkpoint.info(name).shape[0] }));
  const reader: WeightRowReader = (firstRow, rowCount, into) => {
    let row = firstRow;
    let written = 0;
    let partStart = 0;
    for (const part of parts) {
      const partEnd = partStart + part.rows;
      if (row < partEnd && written < rowCount) {
        const take = Math.min(partEnd - row, rowCount - written);
        checkpoint.readRangeInto(part.name, (row - partStart) * rowBytes, into.subarray(written * rowBytes, (written + take) * rowBytes));
        row += take;
        written += take;
      }
      partStart = partEnd;
    }
  };
  return { source: reader, dtype };
}

function concatF32(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Embedding rows gathered from a weight packed in the backend. */
function backendEmbedding(backend: LinearBackend, weight: PackedWeight): EmbeddingLookup {
  return { source: 'backend', gather: (ids, out) => backend.gatherRows(weight, ids, out) };
}

/**
 * Embedding rows read from the checkpoint file on demand (one d-wide read per token, decoded to
 * f32): exactly the stored values, and no memory held for the table.
 */
export function checkpointEmbedding(checkpoint: Checkpoint, name: string): EmbeddingLookup {
  const [vocab, d] = checkpoint.info(name).shape;
  const dtype = checkpoint.weightDType(name);
  const rowBytes = d * bytesPerElement(dtype);
  const row = new Uint8Array(rowBytes);
  return {
    source: 'checkpoint',
    gather(ids, out) {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i];
        if (!Number.isInteger(id) || id < 0 || id >= vocab) throw new RangeError(`token id ${id} is outside the vocabulary [0, ${vocab})`);
        checkpoint.readRangeInto(name, id * rowBytes, row);
        decodeToF32(row, dtype, out.subarray(i * d, (i + 1) * d));
      }
    },
  };
}

/**
 * How linear weights are held: 'stored' keeps the checkpoint's dtype (bf16/f16/f32: activations stay
 * faithful), 'int8' quantises every linear weight at load time (one f32 scale per output row)
 * and runs integer-dot kernels. Norms and biases stay f32 either way.
 */
export type WeightsMode = 'stored' | 'int8';

export const WEIGHTS_MODES: readonly WeightsMode[] = ['stored', 'int8'];

/**
 * Loads every weight the forward pass needs; the checkpoint stays open for analysis reads.
 * With `weights: 'int8'` every linear weight, the output head included, is quantised, and the
 * embedding lookup (a lookup, not a product) reads its rows from the checkpoint file in the
 * stored dtype: exact, and no memory for the table (a tied head is held only as int8). Reading
 * rows back from the int8 head instead was the largest single source of int8's logit error
 * (about a fifth of the mean next-token KL on TinyStories-656K).
 */
export function loadWeights(checkpoint: Checkpoint, backend: LinearBackend, weights: WeightsMode = 'stored'): ModelWeights {
  const config: ModelConfig = checkpoint.config;
  const adapter = adapterFor(config);
  const d = config.hiddenSize;
  const dh = config.headDim;
  const qkvRows = (config.numHeads + 2 * config.numKvHeads) * dh;
  let byteLength = 0;
  const quantize = weights === 'int8' ? { quantize: 'int8' as const } : {};
  const pack = (names: string[], rows: number, cols: number): PackedWeight => {
    const { source, dtype } = stackedRows(checkpoint, names, cols);
    const packed = backend.packWeight(source, dtype, rows, cols, quantize);
    byteLength += packed.byteLength;
    return packed;
  };

  const { embed: embedName, lmHead: lmHeadName } = checkpoint.embeddingNames;
  const tied = lmHeadName === embedName; // then one tensor serves both
  let embed: EmbeddingLookup, lmHead: PackedWeight;
  if (weights === 'int8') {
    embed = checkpointEmbedding(checkpoint, embedName);
    lmHead = pack([lmHeadName], config.vocabSize, d);
  } else {
    const embedWeight = pack([embedName], config.vocabSize, d);
    embed = backendEmbedding(backend, embedWeight);
    lmHead = tied ? embedWeight : pack([lmHeadName], config.vocabSize, d);
  }

  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const names = adapter.layer(l);
    const biasNames = [names.qBias, names.kBias, names.vBias];
    const qkvBias = config.attentionBias
      ? concatF32(biasNames.map((n) => checkpoint.readF32(n as string)))
      : null;
    layers.push({
      inputNorm: checkpoint.readF32(names.inputNorm),
      qkv: pack([names.q, names.k, names.v], qkvRows, d),
      qkvBias,
      qNorm: config.qkNorm ? checkpoint.readF32(names.qNorm as string) : null,
      kNorm: config.qkNorm ? checkpoint.readF32(names.kNorm as string) : null,
      o: pack([names.o], d, config.numHeads * dh),
      postAttnNorm: checkpoint.readF32(names.postAttnNorm),
      gateUp: pack([names.gate, names.up], 2 * config.intermediateSize, d),
      down: pack([names.down], d, config.intermediateSize),
    });
  }
  return { embed, layers, finalNorm: checkpoint.readF32(adapter.finalNorm), lmHead, byteLength };
}
