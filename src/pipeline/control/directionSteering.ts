/**
 * Direction steering, the residual-stream baseline of the paper (DESIGN.md §3 step 10): at every
 * layer of a band at about 39–71 % of depth, add α·v_e·RMS(h) to `hook_resid_post`, with v_e that
 * layer's own MLP-site direction and h the current residual row, at the last prompt position and
 * every generated one. The authors used α = 8.
 */
import { UsageError } from '../../errors.js';
import type { Emotion } from '../../emotions.js';
import { EMOTIONS } from '../../emotions.js';
import type { Intervention } from '../../interventions/intervention.js';
import { layerHook } from '../../model/hookNames.js';
import type { SiteDirections } from '../directions/directionSet.js';

/** A band of relative depth (fractions of the layer count); {@link steeringLayers} turns it into layers. */
export interface DepthBand {
  readonly from: number;
  readonly to: number;
}

export const DEFAULT_STEERING_BAND: DepthBand = { from: 0.39, to: 0.71 };
export const DEFAULT_STEERING_ALPHA = 8;

/**
 * Layers round(from·L) … round(to·L) − 1 (at least one layer, never past the last): for L = 28 that
 * is 11…19, for L = 24 9…16, and for a 2-layer model layer 1.
 */
export function steeringLayers(numLayers: number, band: DepthBand = DEFAULT_STEERING_BAND): number[] {
  if (!(band.from >= 0 && band.to <= 1 && band.from < band.to)) throw new UsageError(`steering band must satisfy 0 ≤ from < to ≤ 1, got ${band.from}–${band.to}`);
  const first = Math.min(numLayers - 1, Math.round(band.from * numLayers));
  const last = Math.min(numLayers - 1, Math.max(first, Math.round(band.to * numLayers) - 1));
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

/** The add-rms interventions of direction steering for `emotion` (one per layer). */
export function directionSteeringInterventions(mlpDirections: SiteDirections, emotion: Emotion, layers: readonly number[], alpha: number): Intervention[] {
  const e = EMOTIONS.indexOf(emotion);
  const { width, layers: count } = mlpDirections;
  return layers.map((l) => {
    if (!Number.isInteger(l) || l < 0 || l >= count) throw new UsageError(`steering layer ${l} is outside [0, ${count})`);
    const start = (e * count + l) * width;
    return {
      hook: layerHook(l, 'hook_resid_post'),
      op: 'add-rms',
      vector: Array.from(mlpDirections.directions.subarray(start, start + width)),
      coeff: alpha,
      positions: 'from-last-prompt',
    };
  });
}
