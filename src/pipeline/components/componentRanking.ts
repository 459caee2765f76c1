/**
 * Ranks emotion neurons and attention heads from the collected activations (DESIGN.md §3 steps 3–4),
 * without running the model: neurons by their direct contribution a_n·(W_downᵀ v_e)_n along the MLP-site
 * direction, heads by the drop of s = ⟨RMSNorm(resid_mid)·g, v_e⟩ when the head is zeroed, computed
 * from cached values (see headAttribution.ts). Samples: train-split prompts instructed with emotion e.
 */
import type { ActivationStore } from '../collection/activationStore.js';
import type { DirectionSet } from '../directions/directionSet.js';
import { EMOTIONS, VALENCES } from '../../emotions.js';
import { headImportances } from './headAttribution.js';
import { downProjectionReadout, topIndices } from './neuronAttribution.js';

/** The weights the ranking reads, per layer, as f32 in HF layout. */
export interface ComponentWeights {
  readonly layers: number;
  readonly heads: number;
  readonly eps: number;
  downWeight(layer: number): Float32Array; //   [d, dff]
  oWeight(layer: number): Float32Array; //      [d, H·dh]
  postAttnNorm(layer: number): Float32Array; // [d]
}

/** Per emotion, layer and unit: mean and std over samples, and the mean per valence. */
export interface UnitStatistics {
  readonly layers: number;
  /** Units per layer: dff neurons or H heads. */
  readonly units: number;
  readonly mean: Float64Array; //      [E, L, units]
  readonly std: Float64Array; //       [E, L, units]
  readonly byValence: Float64Array; // [E, 3, L, units]
  readonly samples: number[]; //       [E] samples per emotion
}

/** Index of (emotion e, layer l, unit u) in [E, L, units]. */
export function unitIndex(stats: Pick<UnitStatistics, 'layers' | 'units'>, e: number, l: number, u: number): number {
  return (e * stats.layers + l) * stats.units + u;
}

/** Accumulates per-sample values into mean / std / per-valence means. */
class StatisticsBuilder {
  readonly sum: Float64Array;
  readonly sumSquares: Float64Array;
  readonly valenceSum: Float64Array;
  readonly valenceCount: number[];
  readonly count: number[];

  constructor(readonly layers: number, readonly units: number) {
    const E = EMOTIONS.length;
    this.sum = new Float64Array(E * layers * units);
    this.sumSquares = new Float64Array(E * layers * units);
    this.valenceSum = new Float64Array(E * VALENCES.length * layers * units);
    this.valenceCount = new Array(E * VALENCES.length).fill(0);
    this.count = new Array(E).fill(0);
  }

  /** values [L, units] of one sample. */
  add(e: number, valence: number, values: Float64Array): void {
    const size = this.layers * this.units;
    const base = e * size;
    const valenceBase = (e * VALENCES.length + valence) * size;
    for (let i = 0; i < size; i++) {
      this.sum[base + i] += values[i];
      this.sumSquares[base + i] += values[i] * values[i];
      this.valenceSum[valenceBase + i] += values[i];
    }
    this.count[e]++;
    this.valenceCount[e * VALENCES.length + valence]++;
  }

  finish(): UnitStatistics {
    const size = this.layers * this.units;
    const mean = new Float64Array(this.sum.length);
    const std = new Float64Array(this.sum.length);
    for (let e = 0; e < EMOTIONS.length; e++) {
      const n = this.count[e];
      for (let i = e * size; i < (e + 1) * size; i++) {
        mean[i] = n > 0 ? this.sum[i] / n : 0;
        std[i] = n > 1 ? Math.sqrt(Math.max(0, (this.sumSquares[i] - n * mean[i] * mean[i]) / (n - 1))) : 0;
      }
    }
    const byValence = new Float64Array(this.valenceSum.length);
    for (let k = 0; k < this.valenceCount.length; k++) {
      const n = this.valenceCount[k];
      for (let i = k * size; i < (k + 1) * size; i++) byValence[i] = n > 0 ? this.valenceSum[i] / n : 0;
    }
    return { layers: this.layers, units: this.units, mean, std, byValence, samples: [...this.count] };
  }
}

/** Rows of the train split instructed with each emotion (only the `accepted` ones when a judge filter ran). */
function rowsByEmotion(store: ActivationStore, accepted?: ReadonlySet<number>): number[][] {
  return EMOTIONS.map((emotion) => store.select((s) => s.split === 'train' && s.kind === 'instructed' && s.emotion === emotion && (!accepted || accepted.has(s.row))));
}

/**
 * Neuron contributions a_n·β_{e,n}, β_e = W_downᵀ v_e (MLP-site direction of the same layer);
 * over the judge filter's `accepted` rows when given.
 */
export function rankNeurons(store: ActivationStore, directions: DirectionSet, weights: ComponentWeights, accepted?: ReadonlySet<number>): UnitStatistics {
  const { layers } = weights;
  const d = directions.mlp.width;
  const dff = store.index.mlpWidth;
  // β for every emotion and layer: [E, L, dff]; each W_down is read once.
  const beta = new Float64Array(EMOTIONS.length * layers * dff);
  for (let l = 0; l < layers; l++) {
    const down = weights.downWeight(l);
    for (let e = 0; e < EMOTIONS.length; e++) {
      const start = (e * layers + l) * d;
      beta.set(downProjectionReadout(down, directions.mlp.directions.subarray(start, start + d), dff), (e * layers + l) * dff);
    }
  }
  const builder = new StatisticsBuilder(layers, dff);
  const values = new Float64Array(layers * dff);
  rowsByEmotion(store, accepted).forEach((rows, e) => {
    if (rows.length === 0) return;
    const post = store.read('mlp_post', rows); // [n, L, dff]
    rows.forEach((row, i) => {
      const base = i * layers * dff;
      for (let k = 0; k < layers * dff; k++) values[k] = post.data[base + k] * beta[e * layers * dff + k];
      builder.add(e, VALENCES.indexOf(store.samples[row].valence), values);
    });
  });
  return builder.finish();
}

/** Head importances s − s_without_h at the attention site, from cached resid_mid and z (over `accepted` rows when given). */
export function rankHeads(store: ActivationStore, directions: DirectionSet, weights: ComponentWeights, accepted?: ReadonlySet<number>): UnitStatistics {
  const { layers, heads } = weights;
  const d = directions.attn.width;
  const zWidth = store.index.zWidth;
  const oWeights = Array.from({ length: layers }, (_, l) => weights.oWeight(l));
  const gains = Array.from({ length: layers }, (_, l) => weights.postAttnNorm(l));
  const builder = new StatisticsBuilder(layers, heads);
  const values = new Float64Array(layers * heads);
  rowsByEmotion(store, accepted).forEach((rows, e) => {
    if (rows.length === 0) return;
    const mid = store.read('resid_mid', rows); // [n, L, d]
    const z = store.read('attn_z', rows); //      [n, L, H·dh]
    rows.forEach((row, i) => {
      for (let l = 0; l < layers; l++) {
        const directionStart = (e * layers + l) * d;
        const importances = headImportances({
          residMid: mid.data.subarray((i * layers + l) * d, (i * layers + l + 1) * d),
          z: z.data.subarray((i * layers + l) * zWidth, (i * layers + l + 1) * zWidth),
          oWeight: oWeights[l],
          gain: gains[l],
          eps: weights.eps,
          direction: directions.attn.directions.subarray(directionStart, directionStart + d),
          heads,
        });
        values.set(importances, l * heads);
      }
      builder.add(e, VALENCES.indexOf(store.samples[row].valence), values);
    });
  });
  return builder.finish();
}

/** The `k` units of layer `l` with the largest mean for emotion `e`, largest first. */
export function topUnits(stats: UnitStatistics, e: number, l: number, k: number): number[] {
  const start = unitIndex(stats, e, l, 0);
  return topIndices(stats.mean.subarray(start, start + stats.units), k);
}
