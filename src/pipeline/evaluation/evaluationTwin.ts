/**
 * The control half of the random-weight twin check: circuit modulation on the model against the
 * same arm on its twin (its own directions, difference vectors, sublayer weights and circuits; the
 * same λ rule, decoding, judge and test prompts). Written into evaluation.json as `twin`.
 *
 * Per arm evaluated on both: each one's accuracy with its percentile bootstrap interval over prompts
 * (as in `arms`), and the paired difference model − twin: per prompt (emotion × scenario × valence),
 * the model's hit rate minus the twin's on the same prompt, bootstrapped over prompts. The model
 * *separates* from its twin when its accuracy is higher and the two intervals do not overlap.
 * Steering arms get a statement; the unsteered arm is the baseline (no claim).
 *
 * @example
 * const twin = compareArmsWithTwin(modelRecords, twinRecords, DEFAULT_BOOTSTRAP);
 * for (const line of twin.statements) console.log(line);
 */
import { bootstrapInterval, intervalsOverlap, pairedDifferences, pairedVerdict, separatedAbove, type MeanInterval } from '../stats/intervals.js';
import { bootstrapRate, cellSeed, type BootstrapSettings, type RateInterval } from './bootstrap.js';
import type { GenerationRecord } from './records.js';
import { outcomesByPrompt } from './summary.js';

export interface ArmTwinComparison {
  readonly arm: string;
  /** `steering` arms carry a claim; `baseline` (the unsteered arm) is shown for reference. */
  readonly role: 'steering' | 'baseline';
  /** Prompts judged for the arm on both models (the paired units). */
  readonly prompts: number;
  readonly model: RateInterval;
  readonly twin: RateInterval;
  /** Per prompt, model hit rate − twin hit rate; mean with a percentile bootstrap interval over prompts. */
  readonly difference: MeanInterval;
  /** 'model' when the difference's interval lies above 0, 'twin' when below, else 'neither'. */
  readonly better: 'model' | 'twin' | 'neither';
  /** Whether the model's and the twin's accuracy intervals overlap. */
  readonly overlap: boolean;
  /** Model accuracy higher and the intervals do not overlap. */
  readonly separated: boolean;
}

export interface EvaluationTwinReport {
  readonly definitions: Record<string, string>;
  /** The twin's run folder, relative to the model's. */
  readonly dir: string;
  readonly arms: ArmTwinComparison[];
  /** One line per steering arm: whether the model beats its twin, in words. */
  readonly statements: string[];
}

const percent = (x: number): string => (100 * x).toFixed(1);
const interval = (r: { low: number; high: number }): string => `[${percent(r.low)}, ${percent(r.high)}]`;

/** The statement of one steering arm: paired verdict and overlap verdict, with the numbers. */
export function armTwinStatement(c: ArmTwinComparison): string {
  const numbers = `model ${percent(c.model.rate)} % ${interval(c.model)} vs twin ${percent(c.twin.rate)} % ${interval(c.twin)} on ${c.prompts} prompts; paired difference ${c.difference.mean >= 0 ? '+' : ''}${percent(c.difference.mean)} points ${interval(c.difference)}`;
  if (c.separated) return `${c.arm}: the model beats its random-weight twin and the intervals do not overlap (${numbers})`;
  if (c.better === 'model') return `${c.arm}: the model is above its random-weight twin on the same prompts (paired interval above 0) but the intervals overlap, so it does NOT beat the twin with separate intervals (${numbers})`;
  return `${c.arm}: the model does NOT beat its random-weight twin (${numbers})`;
}

/**
 * Compares every arm present in both record sets on the prompts both judged. `bootstrap` is the
 * evaluation's setting; each interval's seed depends only on the arm and the cell, so the model's
 * figure equals its `arms` entry when the prompts are the same.
 */
export function compareArmsWithTwin(
  modelRecords: readonly GenerationRecord[], twinRecords: readonly GenerationRecord[], bootstrap: BootstrapSettings, dir = 'twin',
): EvaluationTwinReport {
  const arms: ArmTwinComparison[] = [];
  const twinArms = new Set(twinRecords.map((r) => r.arm));
  const modelArms = [...new Set(modelRecords.map((r) => r.arm))].filter((arm) => twinArms.has(arm));
  for (const arm of modelArms) {
    const model = outcomesByPrompt(modelRecords.filter((r) => r.arm === arm));
    const twin = outcomesByPrompt(twinRecords.filter((r) => r.arm === arm));
    const prompts = [...model.keys()].filter((key) => twin.has(key));
    if (prompts.length === 0) continue;
    const rate = (hits: readonly number[]): number => hits.reduce((a, b) => a + b, 0) / hits.length;
    const differences = pairedDifferences(prompts.map((p) => rate(model.get(p)!)), prompts.map((p) => rate(twin.get(p)!)));
    const difference = bootstrapInterval(differences, { level: bootstrap.level, resamples: bootstrap.resamples, seed: cellSeed(bootstrap.seed, `${arm}/twin difference`) });
    const modelRate = bootstrapRate(prompts.map((p) => model.get(p)!), bootstrap, `${arm}/overall`);
    const twinRate = bootstrapRate(prompts.map((p) => twin.get(p)!), bootstrap, `${arm}/overall`);
    const method = modelRecords.find((r) => r.arm === arm)!.method;
    arms.push({
      arm,
      role: method === 'none' ? 'baseline' : 'steering',
      prompts: prompts.length,
      model: modelRate,
      twin: twinRate,
      difference,
      better: pairedVerdict(difference, 'model', 'twin'),
      overlap: intervalsOverlap(modelRate, twinRate),
      separated: separatedAbove(modelRate, modelRate.rate, twinRate, twinRate.rate),
    });
  }
  return {
    definitions: {
      twin: 'the random-weight twin (twin/model) with its own directions, difference vectors, sublayer weights and circuits (twin/circuits), evaluated with the same arm settings, decoding, judge and test prompts; its texts and report are in twin/generations.jsonl and twin/evaluation.json',
      model: 'accuracy of the arm on the prompts both models were judged on, with the percentile bootstrap interval over prompts (as in arms)',
      difference: 'per prompt (emotion x scenario x valence): model hit rate minus twin hit rate; mean and percentile bootstrap interval over prompts (paired: the same prompts are resampled for both)',
      better: '"model" when the difference interval lies above 0, "twin" when below, else "neither"',
      overlap: 'whether the model\'s and the twin\'s accuracy intervals overlap; separated = they do not and the model is higher (what the statements call beating the twin)',
      role: 'steering arms carry the claim; the unsteered arm (baseline) shows what each model does unsteered',
    },
    dir,
    arms,
    statements: arms.filter((a) => a.role === 'steering').map(armTwinStatement),
  };
}

/** What the commands print after the accuracy table: the twin's baseline and each steering arm's statement. */
export function twinEvaluationText(twin: EvaluationTwinReport): string {
  const lines = [`random-weight twin (${twin.dir}/: its own circuits; same arm settings, decoding, judge and test prompts)`];
  for (const a of twin.arms) if (a.role === 'baseline') lines.push(`  ${a.arm} (baseline): model ${percent(a.model.rate)} % ${interval(a.model)} vs twin ${percent(a.twin.rate)} % ${interval(a.twin)}`);
  for (const line of twin.statements) lines.push(`  twin check: ${line}`);
  return lines.join('\n');
}
