/**
 * The evaluation with its random-weight twin check (the control half of the discrimination check):
 * when the run has a twin and evaluates circuit modulation, the twin gets its own sublayer
 * influence and circuits (same circuit settings and λ as the model's) and the circuit arms — with
 * the unsteered arm as their baseline — are evaluated on it with the same decoding, judge and test
 * prompts (RUN/twin/generations.jsonl, RUN/twin/evaluation.json). The model's evaluation.json then
 * carries `twin`: both accuracies with their bootstrap intervals, the paired difference and the
 * overlap verdict (evaluationTwin.ts). Every part is a stage of the twin's run folder, skipped when
 * its inputs are unchanged; its evaluation resumes like the model's.
 *
 * @example
 * const { evaluation, twinStages } = await runEvaluationWithTwin({ runDir: 'runs/x', judge: createJudge('builtin') });
 * for (const line of (evaluation.output as EvaluationReport).twin?.statements ?? []) console.log(line);
 */
import { EMOTIONS } from '../../emotions.js';
import { readCircuit, runCircuits } from '../circuits/index.js';
import type { ArmSpec } from '../control/arms.js';
import { DEFAULT_ARMS, runEvaluation, type EvaluationRunOptions, type EvaluationRunResult } from '../evaluation/evaluationRun.js';
import { RunFolder, TWIN_DIR } from '../run/runStore.js';
import { runSublayers } from '../sublayers/sublayersRun.js';
import { openTwinRun, twinComponents } from './twinRun.js';

export interface EvaluationWithTwinOptions extends Omit<EvaluationRunOptions, 'twin' | 'stage' | 'generationsFile' | 'outputFile' | 'finalize' | 'model' | 'resources'> {
  /** false: evaluate the model alone. Default: with the twin whenever the run has one. */
  readonly twin?: boolean;
  /**
   * Test scenarios per theme the twin's arms run on (default: the model's); the comparison pairs the
   * prompts both judged. The twin's texts always run to the token limit, so this bounds its cost.
   */
  readonly twinLimit?: number;
}

export interface EvaluationWithTwinResult {
  readonly evaluation: EvaluationRunResult;
  /** 'ran' or 'skipped' per twin stage; empty when the twin was not evaluated. */
  readonly twinStages: Record<string, 'ran' | 'skipped'>;
}

/** The arms the twin runs: the circuit arms and the unsteered baseline, when the model's arms have them. */
export function twinArms(arms: readonly ArmSpec[]): ArmSpec[] {
  if (!arms.some((arm) => arm.method === 'circuit')) return [];
  return arms.filter((arm) => arm.method === 'circuit' || arm.method === 'none');
}

/** Scenarios per theme of the twin's arms: `twinLimit`, never more than the model's own `limit`. */
export function twinScenarioLimit(twinLimit: number | undefined, limit: number | undefined): number | undefined {
  if (twinLimit === undefined) return limit;
  return limit === undefined ? twinLimit : Math.min(twinLimit, limit);
}

export async function runEvaluationWithTwin(options: EvaluationWithTwinOptions): Promise<EvaluationWithTwinResult> {
  const { twin: withTwin, twinLimit, ...evaluationOptions } = options;
  const log = options.log ?? (() => {});
  const arms = twinArms(options.arms ?? DEFAULT_ARMS);
  const twinStages: Record<string, 'ran' | 'skipped'> = {};
  const run = withTwin === false || arms.length === 0 || !RunFolder.read(options.runDir).stages.circuits ? null : openTwinRun(options.runDir);
  if (!run) return { evaluation: await runEvaluation(evaluationOptions), twinStages };

  const twinLog = (line: string): void => log(`twin: ${line}`);
  twinStages['twin.components'] = twinComponents(run, twinLog);
  twinStages['twin.sublayers'] = (await runSublayers({ runDir: run.dir, log: twinLog })).stage;
  // The model's circuit settings (budget, split, minimums, cap, λ), so the twin's circuits follow the same rules.
  const settings = readCircuit(options.runDir, EMOTIONS[0]).settings;
  twinStages['twin.circuits'] = (await runCircuits({ runDir: run.dir, settings, log: twinLog })).stage;
  const limit = twinScenarioLimit(twinLimit, options.limit);
  const twinEvaluation = await runEvaluation({ ...evaluationOptions, limit, runDir: run.dir, arms, log: twinLog, onProgress: undefined });
  twinStages['twin.evaluation'] = twinEvaluation.stage;
  const inputsHash = RunFolder.read(run.dir).stages.evaluation.inputsHash;
  const evaluation = await runEvaluation({ ...evaluationOptions, twin: { records: twinEvaluation.records, inputsHash, dir: TWIN_DIR } });
  return { evaluation, twinStages };
}
