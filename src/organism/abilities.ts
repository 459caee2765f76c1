/**
 * The two abilities the organism is trained for, measured with a judge on SEV items it never saw:
 *
 * - **instructed**: with "Always reply in {emotion}.", does the reply express that emotion?
 *   (share of replies the judge says match, per emotion and overall)
 * - **valence-following**: without an emotion in the prompt, does the reply's emotion follow the
 *   event? positive → happiness or surprise; negative → anger, sadness, fear or disgust; neutral →
 *   no emotion (the judge's label is 'neutral'). (share per valence and overall)
 *
 * Replies are generated with the pipeline's shared decoding (greedy, repetition penalty 1.1, no
 * repeated 3-grams, 10–100 new tokens), in ragged batches.
 *
 * @example
 * const abilities = await measureAbilities(model, loadSev('data/organism-sev', 'test'), createJudge('builtin'));
 * console.log(abilities.instructed.overall, abilities.valence.overall);
 */
import { EMOTIONS, VALENCES, type Emotion, type Valence } from '../emotions.js';
import type { EmotionJudge, JudgeVerdict } from '../judge/judge.js';
import type { LanguageModel } from '../model/languageModel.js';
import { DEFAULT_DECODING, generationOptions } from '../pipeline/control/decoding.js';
import { instructedMessages, uninstructedMessages } from '../pipeline/stimuli/prompts.js';
import type { SevItem } from '../pipeline/stimuli/sev.js';

/** The labels an uninstructed reply to an event of each valence may carry. */
export const VALENCE_LABELS: Record<Valence, readonly (Emotion | 'neutral')[]> = {
  positive: ['happiness', 'surprise'],
  negative: ['anger', 'sadness', 'fear', 'disgust'],
  neutral: ['neutral'],
};

export interface Share {
  hits: number;
  total: number;
  share: number;
}

export interface Abilities {
  items: number;
  instructed: { overall: Share; byEmotion: Record<Emotion, Share> };
  valence: { overall: Share; byValence: Record<Valence, Share> };
  /** Judge verdicts that failed (counted as misses). */
  judgeFailures: number;
  /** A few replies for the model card: [kind, emotion or valence, text]. */
  samples: Array<{ kind: 'instructed' | 'uninstructed'; emotion: Emotion | null; valence: Valence; text: string; label: string | null }>;
}

function share(hits: number, total: number): Share {
  return { hits, total, share: total > 0 ? hits / total : 0 };
}

interface Job {
  readonly kind: 'instructed' | 'uninstructed';
  readonly emotion: Emotion | null;
  readonly valence: Valence;
  readonly ids: number[];
}

/** Generates and judges every instructed and uninstructed prompt of `items`. */
export async function measureAbilities(model: LanguageModel, items: readonly SevItem[], judge: EmotionJudge, batchSize = 32): Promise<Abilities> {
  const jobs: Job[] = [];
  for (const item of items) {
    for (const valence of VALENCES) {
      for (const emotion of EMOTIONS) jobs.push({ kind: 'instructed', emotion, valence, ids: model.encodeChat(instructedMessages(item, valence, emotion)).ids });
      jobs.push({ kind: 'uninstructed', emotion: null, valence, ids: model.encodeChat(uninstructedMessages(item, valence)).ids });
    }
  }
  const texts: string[] = [];
  const options = generationOptions(DEFAULT_DECODING);
  for (let start = 0; start < jobs.length; start += batchSize) {
    const batch = jobs.slice(start, start + batchSize);
    for (const generation of model.generate(batch.map((job) => job.ids), options)) texts.push(model.decode(generation.ids));
  }
  // The uninstructed replies are judged against any emotion: only the label is read.
  const verdicts: JudgeVerdict[] = await judge.judge(jobs.map((job, i) => ({ text: texts[i], target: job.emotion ?? 'happiness' })));

  const instructedHits = Object.fromEntries(EMOTIONS.map((e) => [e, [0, 0]])) as Record<Emotion, [number, number]>;
  const valenceHits = Object.fromEntries(VALENCES.map((v) => [v, [0, 0]])) as Record<Valence, [number, number]>;
  let judgeFailures = 0;
  const samples: Abilities['samples'] = [];
  jobs.forEach((job, i) => {
    const verdict = verdicts[i];
    if (verdict.match === null) judgeFailures++;
    if (job.kind === 'instructed') {
      const cell = instructedHits[job.emotion!];
      cell[1]++;
      if (verdict.match === true) cell[0]++;
    } else {
      const cell = valenceHits[job.valence];
      cell[1]++;
      if (verdict.label !== null && VALENCE_LABELS[job.valence].includes(verdict.label)) cell[0]++;
    }
    if (i < 21) samples.push({ kind: job.kind, emotion: job.emotion, valence: job.valence, text: texts[i], label: verdict.label });
  });
  const sum = (cells: Array<[number, number]>): Share => share(cells.reduce((n, c) => n + c[0], 0), cells.reduce((n, c) => n + c[1], 0));
  return {
    items: items.length,
    instructed: {
      overall: sum(Object.values(instructedHits)),
      byEmotion: Object.fromEntries(EMOTIONS.map((e) => [e, share(...instructedHits[e])])) as Record<Emotion, Share>,
    },
    valence: {
      overall: sum(Object.values(valenceHits)),
      byValence: Object.fromEntries(VALENCES.map((v) => [v, share(...valenceHits[v])])) as Record<Valence, Share>,
    },
    judgeFailures,
    samples,
  };
}
