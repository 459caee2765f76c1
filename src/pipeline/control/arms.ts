/**
 * The control arms of the evaluation (DESIGN.md §3 steps 9–10) as data: which prompt form each arm
 * reads and which interventions it adds for a target emotion. Everything runs through the engine's
 * interventions and KV cache.
 *
 * | method      | prompt        | interventions                                                        |
 * | ----------- | ------------- | -------------------------------------------------------------------- |
 * | `none`      | uninstructed  | —                                                                    |
 * | `prompt`    | instructed    | —                                                                    |
 * | `direction` | uninstructed  | α·v_e·RMS(h) on resid_post of the band's layers, last prompt pos. on  |
 * | `circuit`   | uninstructed  | λ·Δμ_e on the circuit's neurons, λ·Δz_e on its heads                  |
 * | `random`    | uninstructed  | the same at random units, same per-layer counts (one seed per draw)  |
 */
import { UsageError } from '../../errors.js';
import { EMOTIONS, type Emotion } from '../../emotions.js';
import type { Intervention } from '../../interventions/intervention.js';
import type { PromptKind } from '../collection/collect.js';
import type { SiteDirections } from '../directions/directionSet.js';
import type { DecodingSettings } from './decoding.js';
import { DEFAULT_STEERING_ALPHA, DEFAULT_STEERING_BAND, directionSteeringInterventions, steeringLayers, type DepthBand } from './directionSteering.js';

export const ARM_METHODS = ['none', 'prompt', 'direction', 'circuit', 'random'] as const;
export type ArmMethod = (typeof ARM_METHODS)[number];

/** A setting per target emotion (a sweep's per-emotion choice); emotions it does not name use the arm's own. */
export type PerEmotion<T> = Readonly<Partial<Record<Emotion, T>>>;

/**
 * One arm with its settings. `decoding` overrides the shared decoding for this arm only (explicit);
 * `perEmotion` (from `evaluate --use-sweep`) replaces the strength for the emotions it names.
 */
export type ArmSpec =
  | { readonly method: 'none'; readonly decoding?: Partial<DecodingSettings> }
  | { readonly method: 'prompt'; readonly decoding?: Partial<DecodingSettings> }
  | {
    readonly method: 'direction'; readonly alpha: number; readonly band: DepthBand;
    readonly perEmotion?: PerEmotion<{ readonly alpha: number; readonly band: DepthBand }>; readonly decoding?: Partial<DecodingSettings>;
  }
  /** lambda null = each emotion's circuit λ (from the circuits stage). */
  | { readonly method: 'circuit'; readonly lambda: number | null; readonly perEmotion?: PerEmotion<number>; readonly decoding?: Partial<DecodingSettings> }
  | { readonly method: 'random'; readonly lambda: number | null; readonly seeds: readonly number[]; readonly perEmotion?: PerEmotion<number>; readonly decoding?: Partial<DecodingSettings> };

/** What the arms read from a run folder. Circuit arms need `circuitInterventions`. */
export interface ArmResources {
  readonly numLayers: number;
  /** MLP-site directions (blocks.{l}.hook_resid_post), [E, L, d]. */
  readonly mlpDirections: SiteDirections;
  /**
   * The modulation interventions of the emotion's circuit at strength λ (null: the circuit's own),
   * or of a random circuit with the same per-layer counts drawn with `randomSeed`.
   */
  readonly circuitInterventions?: (emotion: Emotion, lambda: number | null, randomSeed?: number) => Intervention[];
}

/** The default settings of a method (authors' α = 8 and band; circuits at their own λ; 3 random seeds). */
export function defaultArm(method: ArmMethod, strength?: number): ArmSpec {
  switch (method) {
    case 'none':
    case 'prompt':
      return { method };
    case 'direction':
      return { method, alpha: strength ?? DEFAULT_STEERING_ALPHA, band: DEFAULT_STEERING_BAND };
    case 'circuit':
      return { method, lambda: strength ?? null };
    case 'random':
      return { method, lambda: strength ?? null, seeds: [0, 1, 2] };
  }
}

export function isArmMethod(value: string): value is ArmMethod {
  return (ARM_METHODS as readonly string[]).includes(value);
}

/** The prompt form an arm reads: the prompting arm is the only one told the emotion. */
export function armPromptKind(arm: ArmSpec): PromptKind {
  return arm.method === 'prompt' ? 'instructed' : 'uninstructed';
}

/** Random draws of an arm: one per seed for `random`, a single one (seed null) otherwise. */
export function armSeeds(arm: ArmSpec): Array<number | null> {
  return arm.method === 'random' ? [...arm.seeds] : [null];
}

/** The interventions of `arm` for target `emotion` (random arms: for the draw `seed`). */
export function armInterventions(arm: ArmSpec, emotion: Emotion, resources: ArmResources, seed: number | null = null): Intervention[] {
  switch (arm.method) {
    case 'none':
    case 'prompt':
      return [];
    case 'direction': {
      const { alpha, band } = arm.perEmotion?.[emotion] ?? arm;
      return directionSteeringInterventions(resources.mlpDirections, emotion, steeringLayers(resources.numLayers, band), alpha);
    }
    case 'circuit':
    case 'random': {
      if (!resources.circuitInterventions) throw new UsageError(`the ${arm.method} arm needs the circuits stage: run \`emotion-circuits circuits\` (or \`discover\`) first`);
      const lambda = arm.perEmotion?.[emotion] ?? arm.lambda;
      if (arm.method === 'circuit') return resources.circuitInterventions(emotion, lambda);
      if (seed === null) throw new UsageError('the random arm needs a seed per draw');
      return resources.circuitInterventions(emotion, lambda, seed);
    }
  }
}

/** `,tuned=anger:0.4+fear:0.6` (emotion order), or '' without per-emotion settings. */
function perEmotionLabel<T>(perEmotion: PerEmotion<T> | undefined, show: (setting: T) => string): string {
  if (!perEmotion) return '';
  const parts = EMOTIONS.filter((e) => perEmotion[e] !== undefined).map((e) => `${e}:${show(perEmotion[e] as T)}`);
  return parts.length > 0 ? `,tuned=${parts.join('+')}` : '';
}

/** A short readable id of an arm and its settings, e.g. `direction(alpha=8,band=0.39-0.71)`. */
export function armLabel(arm: ArmSpec): string {
  const decoding = arm.decoding && Object.keys(arm.decoding).length > 0 ? `,decoding=${JSON.stringify(arm.decoding)}` : '';
  switch (arm.method) {
    case 'none':
    case 'prompt':
      return decoding ? `${arm.method}(${decoding.slice(1)})` : arm.method;
    case 'direction': {
      const tuned = perEmotionLabel(arm.perEmotion, (s) => `${s.alpha}@${s.band.from}-${s.band.to}`);
      return `direction(alpha=${arm.alpha},band=${arm.band.from}-${arm.band.to}${tuned}${decoding})`;
    }
    case 'circuit':
      return `circuit(lambda=${arm.lambda ?? 'circuit'}${perEmotionLabel(arm.perEmotion, String)}${decoding})`;
    case 'random':
      return `random(lambda=${arm.lambda ?? 'circuit'}${perEmotionLabel(arm.perEmotion, String)},seeds=${arm.seeds.join('+')}${decoding})`;
  }
}
