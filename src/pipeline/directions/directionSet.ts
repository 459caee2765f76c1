/**
 * Step 2 on a run's activation store: the emotion directions of both sites at every layer, from
 * the instructed prompts of the train split, saved as `directions.safetensors`:
 *
 * - `{site}.{emotion}` [L, d] f32, unit norm per layer (site ∈ attn, mlp; emotion ∈ EMOTIONS)
 * - `{site}.norms`     [L, E] f32, ‖c_e‖ before normalising (Σ_e norms·v_e = 0: the centring check)
 *
 * attn = blocks.{l}.hook_resid_mid, mlp = blocks.{l}.hook_resid_post.
 */
import { EmotionCircuitsError } from '../../errors.js';
import { SafetensorsReader } from '../../model/safetensors.js';
import type { ActivationStore } from '../collection/activationStore.js';
import type { ActivationSite, SampleRecord } from '../collection/collect.js';
import { writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { centredEmotionMeans, EMOTION_COUNT, unitDirections, type RowLabels, type SiteActivations } from './directions.js';
import { EMOTIONS } from '../../emotions.js';

export const DIRECTIONS_FILE = 'directions.safetensors';
export const DIRECTION_SITES = ['attn', 'mlp'] as const;
export type DirectionSite = (typeof DIRECTION_SITES)[number];

/** Which stored activation each direction site reads. */
export const SITE_ACTIVATION: Record<DirectionSite, ActivationSite> = { attn: 'resid_mid', mlp: 'resid_post' };
export const SITE_HOOK: Record<DirectionSite, string> = { attn: 'blocks.{l}.hook_resid_mid', mlp: 'blocks.{l}.hook_resid_post' };

export interface SiteDirections {
  /** [E, L, d], unit norm per (emotion, layer). */
  directions: Float32Array;
  /** ‖c_e‖ per layer, [L, E]. */
  norms: Float64Array;
  layers: number;
  width: number;
}

export type DirectionSet = Record<DirectionSite, SiteDirections>;

/** Labelled instructed rows of one split: activations of a site plus group/emotion labels. */
export interface LabelledRows {
  x: SiteActivations;
  labels: RowLabels;
  samples: SampleRecord[];
}

/** Group id of a sample: its scenario × valence. */
export function groupKey(sample: Pick<SampleRecord, 'skeletonId' | 'valence'>): string {
  return `${sample.skeletonId}\u0000${sample.valence}`;
}

/**
 * The instructed rows of `split` at `site`, labelled by group (scenario × valence) and emotion;
 * with `accepted` (store rows a judge filter accepted), only those rows.
 */
export function labelledRows(store: ActivationStore, split: 'train' | 'test', site: ActivationSite, accepted?: ReadonlySet<number>): LabelledRows {
  const rows = store.select((s) => s.split === split && s.kind === 'instructed' && (!accepted || accepted.has(s.row)));
  if (rows.length === 0) throw new EmotionCircuitsError('RUN', `the ${split} split has no instructed prompts`, store.dir);
  const samples = rows.map((r) => store.samples[r]);
  const groupIds = new Map<string, number>();
  const group = samples.map((s) => {
    const key = groupKey(s);
    if (!groupIds.has(key)) groupIds.set(key, groupIds.size);
    return groupIds.get(key)!;
  });
  const emotion = samples.map((s) => EMOTIONS.indexOf(s.emotion!));
  return { x: store.read(site, rows), labels: { group, emotion }, samples };
}

/**
 * Directions of one site from labelled rows (optionally only the rows `rowFilter` keeps);
 * `partialGroups` for judge-filtered rows (see centredEmotionMeans).
 */
export function siteDirections(data: LabelledRows, rowFilter?: (row: number) => boolean, partialGroups = false): SiteDirections {
  const c = centredEmotionMeans(data.x, data.labels, rowFilter, partialGroups);
  const { directions, norms } = unitDirections(c, data.x.layers, data.x.width);
  return { directions, norms, layers: data.x.layers, width: data.x.width };
}

/** Writes both sites' directions atomically; returns the file's sha256. */
export function writeDirections(file: string, set: DirectionSet, metadata: Record<string, string> = {}): string {
  const tensors = DIRECTION_SITES.flatMap((site) => {
    const { directions, norms, layers, width } = set[site];
    const perEmotion = EMOTIONS.map((emotion, e) => ({
      name: `${site}.${emotion}`,
      shape: [layers, width],
      data: directions.slice(e * layers * width, (e + 1) * layers * width),
    }));
    return [...perEmotion, { name: `${site}.norms`, shape: [layers, EMOTION_COUNT], data: Float32Array.from(norms) }];
  });
  return writeSafetensorsAtomic(file, tensors, {
    format: 'emotion-circuits/directions@1',
    emotions: EMOTIONS.join(','),
    'site.attn': SITE_HOOK.attn,
    'site.mlp': SITE_HOOK.mlp,
    ...metadata,
  });
}

/** Reads `directions.safetensors` back (norms as f64 of the stored f32). */
export function readDirections(file: string): DirectionSet {
  const reader = SafetensorsReader.open(file);
  try {
    const read = (site: DirectionSite): SiteDirections => {
      const [layers, width] = reader.info(`${site}.${EMOTIONS[0]}`).shape;
      const directions = new Float32Array(EMOTION_COUNT * layers * width);
      EMOTIONS.forEach((emotion, e) => directions.set(reader.readF32(`${site}.${emotion}`), e * layers * width));
      return { directions, norms: Float64Array.from(reader.readF32(`${site}.norms`)), layers, width };
    };
    return { attn: read('attn'), mlp: read('mlp') };
  } finally {
    reader.close();
  }
}
