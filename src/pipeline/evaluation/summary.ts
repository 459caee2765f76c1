/**
 * Aggregates evaluation records into accuracy with bootstrap intervals (per arm overall, per
 * emotion, per valence, per emotion × valence), judge failures and fluency. A failed judgement
 * counts as a miss and is reported. Texts are clustered by prompt (emotion × scenario × valence),
 * so the random arm's draws on one prompt are resampled together.
 */
import { EMOTIONS, VALENCES } from '../../emotions.js';
import { bootstrapRate, type BootstrapSettings, type RateInterval } from './bootstrap.js';
import { fluencySummary, type FluencySummary } from './fluency.js';
import type { GenerationRecord } from './records.js';

export interface ArmAccuracy {
  readonly overall: RateInterval;
  readonly byEmotion: Record<string, RateInterval>;
  readonly byValence: Record<string, RateInterval>;
  /** Keys `emotion.valence`. */
  readonly byEmotionValence: Record<string, RateInterval>;
  /** Random arms: the overall rate of each draw. */
  readonly bySeed?: Record<string, RateInterval>;
}

export interface ArmSummary {
  readonly arm: string;
  readonly method: GenerationRecord['method'];
  readonly settings: GenerationRecord['settings'];
  readonly accuracy: ArmAccuracy;
  /** Judgements that failed (counted as misses in the accuracy). */
  readonly judgeFailures: number;
  /** Over distinct texts (the unsteered arm's text serves all six targets once). */
  readonly fluency: FluencySummary;
}

/**
 * Hits (1 = the judge saw the target emotion) per prompt — emotion, scenario and valence — the unit
 * the bootstrap resamples: a prompt's texts (random-circuit draws, say) stay together.
 */
export function outcomesByPrompt(records: readonly GenerationRecord[]): Map<string, number[]> {
  const byPrompt = new Map<string, number[]>();
  for (const r of records) {
    const prompt = `${r.emotion}|${r.skeletonId}|${r.valence}`;
    const hit = r.verdict.match === true ? 1 : 0;
    const outcomes = byPrompt.get(prompt);
    if (outcomes) outcomes.push(hit);
    else byPrompt.set(prompt, [hit]);
  }
  return byPrompt;
}

function rate(records: readonly GenerationRecord[], settings: BootstrapSettings, cell: string): RateInterval {
  return bootstrapRate([...outcomesByPrompt(records).values()], settings, cell);
}

/** One summary per arm label, in first-seen order. */
export function summarizeArms(records: readonly GenerationRecord[], settings: BootstrapSettings): ArmSummary[] {
  const byArm = new Map<string, GenerationRecord[]>();
  for (const r of records) {
    const list = byArm.get(r.arm);
    if (list) list.push(r);
    else byArm.set(r.arm, [r]);
  }
  return [...byArm].map(([arm, list]) => {
    const cell = (name: string, subset: readonly GenerationRecord[]): RateInterval => rate(subset, settings, `${arm}/${name}`);
    const present = <T extends string>(values: readonly T[], pick: (r: GenerationRecord) => string): T[] => values.filter((v) => list.some((r) => pick(r) === v));
    const emotions = present(EMOTIONS, (r) => r.emotion);
    const valences = present(VALENCES, (r) => r.valence);
    const seeds = [...new Set(list.map((r) => r.seed))];
    const accuracy: ArmAccuracy = {
      overall: cell('overall', list),
      byEmotion: Object.fromEntries(emotions.map((e) => [e, cell(e, list.filter((r) => r.emotion === e))])),
      byValence: Object.fromEntries(valences.map((v) => [v, cell(v, list.filter((r) => r.valence === v))])),
      byEmotionValence: Object.fromEntries(
        emotions.flatMap((e) => valences.map((v) => [`${e}.${v}`, cell(`${e}.${v}`, list.filter((r) => r.emotion === e && r.valence === v))])),
      ),
      ...(list[0].method === 'random' ? { bySeed: Object.fromEntries(seeds.map((s) => [String(s), cell(`seed ${s}`, list.filter((r) => r.seed === s))])) } : {}),
    };
    const distinctTexts = [...new Map(list.map((r) => [r.generationKey, r])).values()];
    return {
      arm,
      method: list[0].method,
      settings: list[0].settings,
      accuracy,
      judgeFailures: list.filter((r) => r.verdict.match === null).length,
      fluency: fluencySummary(distinctTexts),
    };
  });
}

const percent = (x: number): string => (100 * x).toFixed(1);
const interval = (r: RateInterval): string => `${percent(r.rate)} [${percent(r.low)}, ${percent(r.high)}]`;
const fixed = (x: number | null, digits: number): string => (x === null ? '—' : x.toFixed(digits));

/** A markdown table: one row per arm, accuracy (%) with its interval overall and per emotion, then fluency. */
export function accuracyTable(arms: readonly ArmSummary[]): string {
  const header = ['arm', 'n', 'overall', ...EMOTIONS, 'judge failures', 'perplexity', 'distinct-1', 'distinct-2', 'rep. word 3-grams', 'at limit'];
  const rows = arms.map((a) => [
    a.arm,
    String(a.accuracy.overall.n),
    interval(a.accuracy.overall),
    ...EMOTIONS.map((e) => (a.accuracy.byEmotion[e] ? interval(a.accuracy.byEmotion[e]) : '—')),
    String(a.judgeFailures),
    fixed(a.fluency.perplexity, 2),
    fixed(a.fluency.distinct1, 3),
    fixed(a.fluency.distinct2, 3),
    fixed(a.fluency.repeatedWord3gramShare, 3),
    fixed(a.fluency.hitTokenLimitShare, 2),
  ]);
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
