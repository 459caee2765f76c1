/**
 * Difference vectors (DESIGN.md §3 step 7): Δμ_e, the group-centred mean of `mlp.hook_post`, and
 * Δz_e, the group-centred mean of `attn.hook_z`, per layer — the same grouping (scenario × valence)
 * and centring as the directions, but not normalised: they are the edits circuit modulation adds.
 */
import { SafetensorsReader } from '../../model/safetensors.js';
import type { ActivationStore } from '../collection/activationStore.js';
import { writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { centredEmotionMeans } from '../directions/directions.js';
import { labelledRows } from '../directions/directionSet.js';
import { EMOTIONS, type Emotion } from '../../emotions.js';

export const DIFF_VECTORS_FILE = 'diff_vectors.safetensors';

/** Δ for every emotion: [E, L, width] (f32), width = dff (mlp) or H·dh (attn). */
export interface DiffVectorSite {
  data: Float32Array;
  layers: number;
  width: number;
}

export interface DiffVectors {
  mlp: DiffVectorSite;
  attn: DiffVectorSite;
}

/** The Δ of one emotion at one layer (a view). */
export function diffVector(site: DiffVectorSite, emotion: Emotion, layer: number): Float32Array {
  const e = EMOTIONS.indexOf(emotion);
  const start = (e * site.layers + layer) * site.width;
  return site.data.subarray(start, start + site.width);
}

/**
 * Computes Δμ and Δz from the train split's instructed prompts; with `accepted` (a judge filter),
 * from those rows only, each group centred over its accepted emotions as the directions are.
 */
export function computeDiffVectors(store: ActivationStore, accepted?: ReadonlySet<number>): DiffVectors {
  const site = (activation: 'mlp_post' | 'attn_z'): DiffVectorSite => {
    const rows = labelledRows(store, 'train', activation, accepted);
    return { data: Float32Array.from(centredEmotionMeans(rows.x, rows.labels, undefined, accepted !== undefined)), layers: rows.x.layers, width: rows.x.width };
  };
  return { mlp: site('mlp_post'), attn: site('attn_z') };
}

/** Tensors `mlp.{emotion}` [L, dff] and `attn.{emotion}` [L, H·dh]; returns the file's sha256. */
export function writeDiffVectors(file: string, vectors: DiffVectors): string {
  const tensors = (['mlp', 'attn'] as const).flatMap((name) => {
    const { data, layers, width } = vectors[name];
    return EMOTIONS.map((emotion, e) => ({ name: `${name}.${emotion}`, shape: [layers, width], data: data.slice(e * layers * width, (e + 1) * layers * width) }));
  });
  return writeSafetensorsAtomic(file, tensors, {
    format: 'emotion-circuits/diff-vectors@1',
    'site.mlp': 'blocks.{l}.mlp.hook_post',
    'site.attn': 'blocks.{l}.attn.hook_z',
  });
}

export function readDiffVectors(file: string): DiffVectors {
  const reader = SafetensorsReader.open(file);
  try {
    const read = (name: 'mlp' | 'attn'): DiffVectorSite => {
      const [layers, width] = reader.info(`${name}.${EMOTIONS[0]}`).shape;
      const data = new Float32Array(EMOTIONS.length * layers * width);
      EMOTIONS.forEach((emotion, e) => data.set(reader.readF32(`${name}.${emotion}`), e * layers * width));
      return { data, layers, width };
    };
    return { mlp: read('mlp'), attn: read('attn') };
  } finally {
    reader.close();
  }
}
