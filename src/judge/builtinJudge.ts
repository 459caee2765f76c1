/**
 * The built-in offline judge (DESIGN.md §4): reads a text with the project's own lexicon and a few
 * rules, and gives a label with a score per emotion (plus neutral) and the binary "matches the target".
 *
 * Rules, per sentence:
 * - each lexicon cue adds its weight (strong 2, normal 1, weak 0.5) to its emotion;
 * - negation: a cue within {@link NEGATION_SCOPE} words after "not", "never", "n't"… adds nothing
 *   ("not happy" is no happiness), up to the next comma or sentence end;
 * - intensifiers ("very", "so") and diminishers ("a bit") multiply the next cue within two words;
 *   a cue (or intensifier) in CAPITALS counts 1.5×, a stretched cue ("happyyy") 1.3×;
 * - exclamation marks raise every cue of their sentence (1 + 0.3 per "!", up to three);
 * - a question adds surprise (curiosity, disbelief), more for "??" and "?!";
 * - a sentence with no cue but three or more words in CAPITALS is shouting: a little anger.
 * Evidence e_k per emotion then becomes scores e_k / (Σe + prior) and neutral prior / (Σe + prior):
 * the label is the highest score, so a text whose strongest emotion has no more than `prior` evidence
 * is neutral. Deterministic: the same text always gets the same verdict.
 */
import { EMOTIONS, type Emotion } from '../emotions.js';
import type { CountingJudge, JudgeItem, JudgeOptions, JudgeStats, JudgeVerdict } from './judge.js';
import { JudgeCounters } from './judgeStats.js';
import { NEGATION_SCOPE } from './lexicon.js';
import { matchAt } from './lexiconIndex.js';
import { isClauseBreak, splitSentences, tokenize, type Sentence } from './textTokens.js';

/** The rule constants, tuned on the GoEmotions dev split only (see scripts/judge-goemotions.mjs). */
export const BUILTIN_RULES = {
  /** Evidence an emotion must exceed to beat the neutral label (below a weak cue, 0.5: any cue labels). */
  neutralPrior: 0.4,
  /** Per "!" (up to `maxExclamations`), the sentence's cues grow by this share. */
  exclamationBoost: 0.3,
  maxExclamations: 3,
  /** Anger evidence of a sentence with no cue but three or more words in CAPITALS (shouting). */
  shoutingAnger: 0.5,
  /** Surprise evidence of a sentence ending in "?"; 1.5× for "??", plus `interrobangSurprise` for "?!". */
  questionSurprise: 0.7,
  interrobangSurprise: 0.5,
  shoutFactor: 1.5,
  stretchFactor: 1.3,
  /** Intensifiers in a row multiply, up to this factor. */
  maxModifier: 2.5,
} as const;

/** One cue as counted (after negation and modifiers), for the explanation. */
export interface CountedCue {
  readonly text: string;
  readonly emotion: Emotion;
  /** The weight it added; 0 when negated. */
  readonly added: number;
  readonly negated: boolean;
}

/** What the built-in judge reads in one text. */
export interface BuiltinAnalysis {
  readonly label: Emotion | 'neutral';
  /** Scores of the six emotions and neutral, summing to 1. */
  readonly scores: Record<Emotion | 'neutral', number>;
  /** Raw evidence per emotion before normalisation. */
  readonly evidence: Record<Emotion, number>;
  readonly cues: readonly CountedCue[];
}

function zeroEvidence(): Record<Emotion, number> {
  return Object.fromEntries(EMOTIONS.map((e) => [e, 0])) as Record<Emotion, number>;
}

function readSentence(sentence: Sentence, evidence: Record<Emotion, number>, countedCues: CountedCue[]): void {
  const tokens = sentence.tokens;
  const counted: CountedCue[] = [];
  const local = zeroEvidence();
  let negationWordsLeft = 0;
  let modifier = 1;
  let modifierWordsLeft = 0;
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i];
    if (isClauseBreak(token)) {
      negationWordsLeft = 0;
      modifierWordsLeft = 0;
      modifier = 1;
      i++;
      continue;
    }
    const match = matchAt(tokens, i);
    const length = match?.length ?? 1;
    if (match?.kind === 'negator') {
      negationWordsLeft = NEGATION_SCOPE + 1;
    } else if (match?.kind === 'modifier') {
      const shout = token.shouted && match.factor > 1 ? BUILTIN_RULES.shoutFactor : 1;
      modifier = Math.min(BUILTIN_RULES.maxModifier, (modifierWordsLeft > 0 ? modifier : 1) * match.factor * shout);
      modifierWordsLeft = 2 + match.length;
    } else if (match?.kind === 'cue') {
      // A phrase that holds its own negator ("can't wait") is never itself negated.
      const negated = negationWordsLeft > 0 && !match.text.split(' ').includes('not');
      const shout = tokens.slice(i, i + length).some((t) => t.shouted) ? BUILTIN_RULES.shoutFactor : 1;
      const stretch = match.stretched ? BUILTIN_RULES.stretchFactor : 1;
      const factor = (modifierWordsLeft > 0 ? modifier : 1) * shout * stretch;
      for (const cue of match.cues) {
        const added = negated ? 0 : cue.weight * factor;
        local[cue.emotion] += added;
        counted.push({ text: match.text, emotion: cue.emotion, added, negated });
      }
      modifierWordsLeft = 0;
      modifier = 1;
    }
    negationWordsLeft = Math.max(0, negationWordsLeft - length);
    modifierWordsLeft = Math.max(0, modifierWordsLeft - length);
    i += length;
  }
  const exclamations = Math.min(sentence.exclamations, BUILTIN_RULES.maxExclamations);
  const boost = 1 + BUILTIN_RULES.exclamationBoost * exclamations;
  if (EMOTIONS.every((e) => local[e] === 0) && tokens.filter((t) => t.shouted).length >= 3) local.anger += BUILTIN_RULES.shoutingAnger;
  for (const emotion of EMOTIONS) evidence[emotion] += local[emotion] * boost;
  for (const cue of counted) countedCues.push({ ...cue, added: cue.added * boost });
  if (sentence.questions > 0) {
    evidence.surprise += BUILTIN_RULES.questionSurprise * (sentence.questions > 1 ? 1.5 : 1);
    if (sentence.exclamations > 0) evidence.surprise += BUILTIN_RULES.interrobangSurprise;
  }
}

/** Reads `text` and returns its label, scores and the cues that produced them. */
export function analyzeEmotion(text: string): BuiltinAnalysis {
  const evidence = zeroEvidence();
  const cues: CountedCue[] = [];
  for (const sentence of splitSentences(tokenize(text))) readSentence(sentence, evidence, cues);
  const total = EMOTIONS.reduce((sum, e) => sum + evidence[e], 0) + BUILTIN_RULES.neutralPrior;
  const scores = { neutral: BUILTIN_RULES.neutralPrior / total } as Record<Emotion | 'neutral', number>;
  let label: Emotion | 'neutral' = 'neutral';
  let best: number = BUILTIN_RULES.neutralPrior;
  for (const emotion of EMOTIONS) {
    scores[emotion] = evidence[emotion] / total;
    if (evidence[emotion] > best) {
      best = evidence[emotion];
      label = emotion;
    }
  }
  return { label, scores, evidence, cues };
}

/** A short explanation: the counted cues, strongest first. */
function explain(analysis: BuiltinAnalysis): string {
  if (analysis.cues.length === 0) return 'no emotion cue';
  const parts = [...analysis.cues]
    .sort((a, b) => b.added - a.added)
    .slice(0, 6)
    .map((c) => `"${c.text}" ${c.emotion}${c.negated ? ' (negated)' : ` +${c.added.toFixed(2)}`}`);
  return `cues: ${parts.join(', ')}`;
}

/** The verdict for one item: match when the target has the label's evidence (ties included). */
export function judgeBuiltin(item: JudgeItem): JudgeVerdict {
  const analysis = analyzeEmotion(item.text);
  const top = Math.max(...EMOTIONS.map((e) => analysis.evidence[e]));
  const targetEvidence = analysis.evidence[item.target];
  const match = targetEvidence > BUILTIN_RULES.neutralPrior && targetEvidence >= top;
  const scores = Object.fromEntries(EMOTIONS.map((e) => [e, analysis.scores[e]])) as Record<Emotion, number>;
  return { target: item.target, match, label: analysis.label, scores, reason: explain(analysis) };
}

/** The built-in judge as an {@link EmotionJudge}; it never fails and needs no network. */
export class BuiltinJudge implements CountingJudge {
  readonly name = 'builtin@1';
  private readonly counters = new JudgeCounters();

  async judge(items: readonly JudgeItem[], options: JudgeOptions = {}): Promise<JudgeVerdict[]> {
    const verdicts: JudgeVerdict[] = [];
    for (const item of items) {
      options.signal?.throwIfAborted();
      verdicts.push(judgeBuiltin(item));
      this.counters.items++;
      options.onProgress?.(verdicts.length, items.length);
    }
    return verdicts;
  }

  stats(): JudgeStats {
    return this.counters.snapshot();
  }
}
