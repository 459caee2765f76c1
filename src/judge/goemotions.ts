/**
 * Measures a labelling judge against human labels: the GoEmotions Ekman split (a TSV of
 * `text \t label indices \t id`, with the label names one per line in labels.txt). Only rows with
 * exactly one label among the six emotions count (joy → happiness; neutral and multi-label rows are
 * skipped). Accuracy counts a 'neutral' prediction as wrong.
 */
import { readFileSync } from 'node:fs';
import { EMOTIONS, isEmotion, type Emotion } from '../emotions.js';
import { DatasetError } from '../errors.js';

export interface LabelledText {
  readonly text: string;
  readonly emotion: Emotion;
}

export interface GoEmotionsSplit {
  readonly rows: LabelledText[];
  /** Rows left out: neutral, several labels, or a label outside the six. */
  readonly skipped: number;
}

/** Ekman label names as the six emotions of this project (joy is happiness). */
function toEmotion(name: string): Emotion | null {
  const word = name.trim().toLowerCase();
  if (word === 'joy') return 'happiness';
  return isEmotion(word) ? word : null;
}

/** The single-label six-emotion rows of `tsvFile`, with label indices resolved through `labelsFile`. */
export function loadGoEmotionsSplit(tsvFile: string, labelsFile: string): GoEmotionsSplit {
  const names = readFileSync(labelsFile, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const rows: LabelledText[] = [];
  let skipped = 0;
  readFileSync(tsvFile, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (line.trim() === '') return;
      const [text, labels] = line.split('\t');
      if (text === undefined || labels === undefined || !/^\d+(,\d+)*$/.test(labels.trim())) {
        throw new DatasetError(`${tsvFile}:${index + 1}`, `expected "text<TAB>label indices[<TAB>id]", got ${JSON.stringify(line.slice(0, 80))}`);
      }
      const indices = labels.trim().split(',').map(Number);
      for (const i of indices) if (i >= names.length) throw new DatasetError(`${tsvFile}:${index + 1}`, `label index ${i} is not in ${labelsFile} (${names.length} labels)`);
      const emotion = indices.length === 1 ? toEmotion(names[indices[0]]) : null;
      if (emotion) rows.push({ text, emotion });
      else skipped++;
    });
  return { rows, skipped };
}

export interface EmotionPrecisionRecall {
  readonly support: number;
  readonly predicted: number;
  /** Correct / predicted (null when never predicted). */
  readonly precision: number | null;
  /** Correct / support (null when no row has it). */
  readonly recall: number | null;
}

export interface LabelMetrics {
  readonly n: number;
  readonly accuracy: number;
  /** Share of the most frequent gold emotion: the accuracy of always answering it. */
  readonly majority: { readonly emotion: Emotion; readonly accuracy: number };
  /** 1/6: uniform guessing among the six. */
  readonly chance: number;
  /** Mean recall over the emotions present (chance = 1/6 whatever the class balance). */
  readonly balancedAccuracy: number;
  /** Rows the judge labelled neutral (counted wrong). */
  readonly neutral: number;
  /** Accuracy over the rows labelled with an emotion. */
  readonly accuracyWhenLabelled: number | null;
  readonly perEmotion: Record<Emotion, EmotionPrecisionRecall>;
  /** confusion[gold][predicted], predicted including 'neutral'. */
  readonly confusion: Record<Emotion, Record<Emotion | 'neutral', number>>;
}

/** Accuracy, baselines, per-emotion precision/recall and the confusion of `predicted` against `gold`. */
export function labelMetrics(gold: readonly Emotion[], predicted: readonly (Emotion | 'neutral')[]): LabelMetrics {
  if (gold.length !== predicted.length) throw new RangeError(`labelMetrics: ${gold.length} gold labels but ${predicted.length} predictions`);
  if (gold.length === 0) throw new RangeError('labelMetrics: no rows');
  const columns = [...EMOTIONS, 'neutral'] as const;
  const confusion = Object.fromEntries(EMOTIONS.map((g) => [g, Object.fromEntries(columns.map((p) => [p, 0]))])) as LabelMetrics['confusion'];
  gold.forEach((g, i) => confusion[g][predicted[i]]++);
  const correct = EMOTIONS.reduce((sum, e) => sum + confusion[e][e], 0);
  const neutral = EMOTIONS.reduce((sum, e) => sum + confusion[e].neutral, 0);
  const support = (e: Emotion): number => columns.reduce((sum, p) => sum + confusion[e][p], 0);
  const perEmotion = Object.fromEntries(
    EMOTIONS.map((e) => {
      const predictedCount = EMOTIONS.reduce((sum, g) => sum + confusion[g][e], 0);
      const supportCount = support(e);
      return [e, { support: supportCount, predicted: predictedCount, precision: predictedCount ? confusion[e][e] / predictedCount : null, recall: supportCount ? confusion[e][e] / supportCount : null }];
    }),
  ) as Record<Emotion, EmotionPrecisionRecall>;
  const majorityEmotion = EMOTIONS.reduce((best, e) => (support(e) > support(best) ? e : best), EMOTIONS[0]);
  const recalls = EMOTIONS.map((e) => perEmotion[e].recall).filter((r): r is number => r !== null);
  const labelled = gold.length - neutral;
  return {
    n: gold.length,
    accuracy: correct / gold.length,
    majority: { emotion: majorityEmotion, accuracy: support(majorityEmotion) / gold.length },
    chance: 1 / EMOTIONS.length,
    balancedAccuracy: recalls.reduce((a, b) => a + b, 0) / recalls.length,
    neutral,
    accuracyWhenLabelled: labelled ? correct / labelled : null,
    perEmotion,
    confusion,
  };
}
