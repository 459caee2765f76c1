/**
 * Moves a checkpoint into a compute backend. Projections that read the same input are fused
 * (q|k|v into one [(H+2Hkv)·dh, d] weight, gate|up into one [2·dff, d]) so each layer runs four
 * GEMMs instead of seven; norms and biases stay as f32 vectors in JS memory. Weights stream from
 * disk into the backend in chunks, so loading never holds a second copy of the model.
 */
import { bytesPerElement } from '../kernels/dtype.js';
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

export interface ModelWeights {
  embed: PackedWeight; //            [V, d]
  layers: LayerWeights[];
  finalNorm: Float32Array; //        [d]
  lmHead: PackedWeight; //           [V, d] (the same handle as `embed` when tied)
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

/**
 * How linear weights are held: 'stored' keeps the checkpoint's dtype (bf16/f16/f32: activations stay
 * faithful), 'int8' quantises every linear weight at load time (one f32 scale per output row)
 * and runs integer-dot kernels. Norms and biases stay f32 either way.
 */
export type WeightsMode = 'stored' | 'int8';

export const WEIGHTS_MODES: readonly WeightsMode[] = ['stored', 'int8'];

/**
 * Loads every weight the forward pass needs; the checkpoint stays open for analysis reads.
 * With `weights: 'int8'` every linear weight, the output head included, is quantised; a tied
 * head is quantised once and the embedding lookup dequantises its rows; an untied embedding
 * table (a lookup, not a product) keeps its stored dtype.
 */
export function loadWeights(checkpoint: Checkpoint, backend: LinearBackend, weights: WeightsMode = 'stored'): ModelWeights {
  const config: ModelConfig = checkpoint.config;
  const adapter = adapterFor(config);
  const d = config.hiddenSize;
  const dh = config.headDim;
  const qkvRows = (config.numHeads + 2 * config.numKvHeads) * dh;
  let byteLength = 0;
  const quantize = weights === 'int8' ? { quantize: 'int8' as const } : {};
  const pack = (names: string[], rows: number, cols: number, linear = true): PackedWeight => {
    const { source, dtype } = stackedRows(checkpoint, names, cols);
    const packed = backend.packWeight(source, dtype, rows, cols, linear ? quantize : {});
    byteLength += packed.byteLength;
    return packed;
  };

  const { embed: embedName, lmHead: lmHeadName } = checkpoint.embeddingNames;
  const tied = lmHeadName === embedName;
  const embed = pack([embedName], config.vocabSize, d, tied);
  const lmHead = tied ? embed : pack([lmHeadName], config.vocabSize, d);

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
