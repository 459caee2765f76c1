/**
 * The whole method on one model (`emotion-circuits discover`, and `npm start`): activation collection,
 * directions and consistency, emotion neurons and heads with their validation, sublayer influence,
 * circuits, and the evaluation of every control arm — each stage skipped when its inputs are
 * unchanged, and the long ones resumed after an interruption. With the random-weight twin, every
 * discovery figure is compared with the twin's (consistency.json, validation.json → twin) and the
 * twin gets its own circuits and circuit arm (RUN/twin; evaluation.json → twin).
 *
 * @example
 * const result = await runDiscover({ model: 'path/to/hf-folder', out: 'runs/x', judge: createJudge('builtin'), limit: 2 });
 * console.log(result.stages);
 */
import type { WeightsMode } from '../../model/weights.js';
import { runCircuits, type CircuitSettings } from '../circuits/index.js';
import { runSublayers } from '../sublayers/sublayersRun.js';
import type { CollectProgress } from '../collection/collect.js';
import { runComponents, type ComponentsRunOptions } from '../components/componentsRun.js';
import { runDirections, type DirectionsRunResult } from '../directions/directionsRun.js';
import { DEFAULT_ARMS, type EvaluationReport, type EvaluationRunOptions } from '../evaluation/evaluationRun.js';
import { applySweepChoice, readSweep, runSweep, type SweepMethod, type SweepOptions } from '../evaluation/sweep.js';
import { runEvaluationWithTwin } from '../twin/twinEvaluation.js';
import type { EvaluationJudge } from '../evaluation/records.js';

export interface DiscoverOptions {
  /** Local Hugging Face model folder. */
  readonly model: string;
  /** Run folder (created if needed). */
  readonly out: string;
  /** `sev` (default), a folder with train/test.jsonl, or one JSONL file. */
  readonly dataset?: string;
  /** At most this many scenarios per theme in each split. */
  readonly limit?: number;
  readonly seed?: number;
  /**
   * Run every discovery stage on the model's random-weight twin too and compare (the control that
   * says whether a figure needs trained weights). Default: on for models of at most 50M parameters.
   */
  readonly twin?: boolean;
  readonly judge: EvaluationJudge;
  /** Judge filter of the directions stage (off by default): see DirectionsRunOptions.judgeFilter. */
  readonly judgeFilter?: EvaluationJudge;
  readonly judgeFilterMaxNewTokens?: number;
  /** The run's weights mode (default 'stored'): every stage runs the model with it (see runDirections). */
  readonly weights?: WeightsMode;
  /** Settings of the components stage (validation sizes, samples). */
  readonly components?: Omit<ComponentsRunOptions, 'runDir' | 'log'>;
  /** Circuit allocation rules and λ (default: DEFAULT_CIRCUIT_SETTINGS). */
  readonly circuits?: Partial<CircuitSettings>;
  /**
   * Tune the strengths before the evaluation (off by default): sweep circuit λ and direction α on
   * the train split, then evaluate with the sweep's choices, per emotion where it has them
   * (`evaluate --use-sweep`). The test split never tunes its own settings.
   */
  readonly tune?: Pick<SweepOptions, 'limit' | 'lambdas' | 'alphas' | 'bands' | 'target'>;
  /** Settings of the evaluation (arms, decoding, batch size). */
  readonly evaluation?: Pick<EvaluationRunOptions, 'arms' | 'decoding' | 'batchSize' | 'bootstrap'>;
  /** Test scenarios per theme of the twin's circuit arm (default: all the model's); see runEvaluationWithTwin. */
  readonly twinLimit?: number;
  readonly signal?: AbortSignal;
  readonly onCollectProgress?: (progress: CollectProgress) => void;
  readonly onEvaluationProgress?: (done: number, total: number) => void;
  readonly log?: (line: string) => void;
}

export interface DiscoverResult {
  /** 'ran' or 'skipped' per stage, in pipeline order. */
  readonly stages: Record<string, 'ran' | 'skipped'>;
  readonly directions: DirectionsRunResult;
  readonly evaluation: EvaluationReport;
}

export async function runDiscover(options: DiscoverOptions): Promise<DiscoverResult> {
  const log = options.log ?? (() => {});
  const directions = await runDirections({
    model: options.model, dataset: options.dataset ?? 'sev', out: options.out, limit: options.limit, seed: options.seed, twin: options.twin,
    judgeFilter: options.judgeFilter, judgeFilterMaxNewTokens: options.judgeFilterMaxNewTokens, weights: options.weights, onProgress: options.onCollectProgress, log,
  });
  const runDir = options.out;
  const components = await runComponents({ ...options.components, runDir, twin: options.twin === false ? false : undefined, log });
  for (const [key, { wins, significant, total }] of Object.entries(components.summary)) {
    log(`components ${key}: top-k beats random-k in ${wins}/${total} conditions (interval above 0 in ${significant})`);
  }
  const sublayers = await runSublayers({ runDir, log });
  const circuits = await runCircuits({ runDir, settings: options.circuits, log });
  let arms = options.evaluation?.arms ?? DEFAULT_ARMS;
  const sweeps: Record<string, 'ran' | 'skipped'> = {};
  if (options.tune) {
    const methods: SweepMethod[] = [];
    if (arms.some((a) => a.method === 'circuit' || a.method === 'random')) methods.push('circuit');
    if (arms.some((a) => a.method === 'direction')) methods.push('direction');
    for (const method of methods) {
      const { stage, section } = await runSweep({ ...options.tune, runDir, method, judge: options.judge, decoding: options.evaluation?.decoding, batchSize: options.evaluation?.batchSize, signal: options.signal, log });
      sweeps[`sweep.${method}`] = stage;
      log(`sweep ${method} (${section.split ?? 'test'} split): chosen ${section.chosen?.arm ?? 'none'}`);
    }
    const sweep = readSweep(runDir);
    if (sweep) arms = applySweepChoice(arms, sweep);
  }
  // With a twin: its sublayers, circuits and circuit arms first, then the model's evaluation with `twin`.
  const { evaluation, twinStages } = await runEvaluationWithTwin({
    ...options.evaluation, arms, runDir, judge: options.judge, twin: options.twin, twinLimit: options.twinLimit, signal: options.signal, onProgress: options.onEvaluationProgress, log,
  });
  const stages = {
    ...directions.stages,
    ...components.stages,
    sublayers: sublayers.stage,
    circuits: circuits.stage,
    ...sweeps,
    ...twinStages,
    evaluation: evaluation.stage,
  };
  log(`discover: ${Object.entries(stages).map(([stage, state]) => `${stage} ${state}`).join(', ')}`);
  return { stages, directions, evaluation: evaluation.output as EvaluationReport };
}
