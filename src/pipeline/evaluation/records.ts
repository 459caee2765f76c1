/**
 * What the evaluation plans and writes: one plan item per arm × random draw × emotion × test
 * scenario × valence, and one `generations.jsonl` record per item.
 */
import type { Emotion, Valence } from '../../emotions.js';
import type { StopReason } from '../../model/generate.js';
import type { PromptKind } from '../collection/collect.js';
import type { ArmMethod, ArmSpec } from '../control/arms.js';
import type { DecodingSettings } from '../control/decoding.js';

/** The judge contract (src/judge): a verdict per text; a failed one has match = null and counts as 0. */
export type { EmotionJudge as EvaluationJudge, JudgeVerdict as EvaluationVerdict } from '../../judge/judge.js';
import type { JudgeVerdict as EvaluationVerdict } from '../../judge/judge.js';

export interface PlanItem {
  /** Unique per item; the record key in generations.jsonl. */
  readonly key: string;
  /** Items with the same generation key share one generated text (the unsteered arm across emotions). */
  readonly generationKey: string;
  readonly arm: ArmSpec;
  readonly armLabel: string;
  readonly seed: number | null;
  readonly decoding: DecodingSettings;
  readonly emotion: Emotion;
  readonly valence: Valence;
  readonly skeletonId: string;
  readonly theme: string;
  readonly promptKind: PromptKind;
  readonly promptIds: readonly number[];
}

export interface GenerationRecord {
  readonly key: string;
  readonly generationKey: string;
  readonly arm: string;
  readonly method: ArmMethod;
  readonly seed: number | null;
  readonly emotion: Emotion;
  readonly valence: Valence;
  readonly skeletonId: string;
  readonly theme: string;
  readonly promptKind: PromptKind;
  readonly prompt: string;
  readonly settings: { readonly arm: ArmSpec; readonly decoding: DecodingSettings };
  readonly text: string;
  readonly newTokens: number;
  readonly stopReason: StopReason;
  /** Σ −log p of the new tokens under the unsteered model given the same prompt (nats), and their count. */
  readonly nll: number;
  readonly nllTokens: number;
  readonly judge: string;
  readonly verdict: EvaluationVerdict;
}
