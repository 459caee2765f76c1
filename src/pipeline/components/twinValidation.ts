/**
 * Causal validation on the random-weight twin of a run (written by `directions` under twin/):
 * the twin's own rankings, difference vectors and top-k vs random-k validation, on the same
 * held-out prompts, and the per-prompt comparison of the margins (validationStatistics.ts).
 * If the twin's top-k beats its random-k as well as the model's does, the margin says more about
 * the method (ranking by direct contribution lowers s almost by construction) than about the model.
 */
import * as path from 'node:path';
import { Checkpoint } from '../../model/checkpoint.js';
import { LanguageModel } from '../../model/languageModel.js';
import type { WeightsMode } from '../../model/weights.js';
import { ActivationStore } from '../collection/activationStore.js';
import { ACTIVATIONS_DIR } from '../collection/collect.js';
import { DIRECTIONS_FILE, readDirections } from '../directions/directionSet.js';
import { rankHeads, rankNeurons, type ComponentWeights } from './componentRanking.js';
import { computeDiffVectors } from './diffVectors.js';
import { runValidation, type ConditionResult, type ValidationOptions, type ValidationPrompts } from './validation.js';
import { compareWithTwin, twinSummary, validationSummary, type TwinComparison } from './validationStatistics.js';

export interface TwinValidationReport {
  definitions: Record<string, string>;
  /** The twin's summary, as `summary` for the model. */
  summary: ReturnType<typeof validationSummary>;
  /** Per kind and edit: in how many conditions the model's margin beats the twin's (interval above 0). */
  comparisonSummary: ReturnType<typeof twinSummary>;
  statements: string[];
  comparison: TwinComparison[];
  conditions: ConditionResult[];
}

/**
 * Runs the twin's rankings and validation (with `weightsMode` and the judge filter's `accepted` rows,
 * as the model's) and compares them with the model's `results`.
 */
export async function validateTwin(
  twinDir: string, weightsOf: (checkpoint: Checkpoint) => ComponentWeights, prompts: ValidationPrompts, results: readonly ConditionResult[], options: ValidationOptions,
  weightsMode: WeightsMode = 'stored', accepted?: ReadonlySet<number>,
): Promise<TwinValidationReport> {
  const store = ActivationStore.open(path.join(twinDir, ACTIVATIONS_DIR));
  const directions = readDirections(path.join(twinDir, DIRECTIONS_FILE));
  const modelDir = path.join(twinDir, 'model');
  const checkpoint = Checkpoint.open(modelDir);
  let rankings;
  try {
    const weights = weightsOf(checkpoint);
    rankings = { neurons: rankNeurons(store, directions, weights, accepted), heads: rankHeads(store, directions, weights, accepted) };
  } finally {
    checkpoint.close();
  }
  const model = await LanguageModel.load(modelDir, { weights: weightsMode });
  let conditions: ConditionResult[];
  try {
    conditions = runValidation(model, prompts, directions, computeDiffVectors(store, accepted), rankings, { ...options, log: (line) => options.log?.(`twin: ${line}`) });
  } finally {
    await model.dispose();
  }
  const comparison = compareWithTwin(results, conditions);
  const comparisonSummary = twinSummary(comparison);
  const statements = Object.entries(comparisonSummary).map(([key, c]) => {
    const overlap = c.separated > 0
      ? `the two margins' intervals do not overlap in ${c.separated}/${c.total}`
      : 'the two margins\' intervals overlap (or the twin is higher) in every condition';
    return c.real > 0
      ? `${key}: the model's top-k vs random-k margin beats its random-weight twin's in ${c.real}/${c.total} conditions (paired interval above 0; twin better in ${c.twin}); ${overlap}`
      : `${key}: the model does NOT beat its random-weight twin in any condition (twin better in ${c.twin}/${c.total}); ${overlap}`;
  });
  return {
    definitions: {
      twin: 'random-weight twin of the model (twin/model): same config and tokenizer, weights N(0, 0.02^2), norm gains 1; its own directions, rankings and difference vectors; the same held-out prompts',
      comparison: 'per condition: per-prompt margin of the model minus per-prompt margin of the twin (same prompts), each divided by its own model\'s scale (std over the prompts of the unedited s), mean and 95% t interval; better = real when the interval lies above 0, twin when below',
      overlap: 'realSite / twinSite: each model\'s own scaled per-prompt margin with its 95% t interval; overlap says whether the two intervals overlap; separated = they do not and the model\'s margin is higher (comparisonSummary counts it)',
    },
    summary: validationSummary(conditions),
    comparisonSummary,
    statements,
    comparison,
    conditions,
  };
}
