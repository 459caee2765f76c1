/** `emotion-circuits judge`: judges one text against a target emotion and prints label, scores and match. */
import { EMOTIONS, isEmotion } from '../../emotions.js';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import { createJudge } from '../../judge/createJudge.js';
import { parseFlags, parseJudgeKind } from '../args.js';

export const JUDGE_USAGE = `emotion-circuits judge --text "…" --emotion ${EMOTIONS.join('|')} [--judge builtin|openai] [--json]
  Does the text's style express the emotion? The built-in judge (default) is offline; --judge openai asks an
  OpenAI-compatible endpoint set by EMOTION_CIRCUITS_JUDGE_URL, EMOTION_CIRCUITS_JUDGE_MODEL and
  EMOTION_CIRCUITS_JUDGE_KEY (or OPENAI_API_KEY). Exit status 1 when the judgement failed.
  Examples:
    emotion-circuits judge --text "I can't believe you did this, I'm SO angry!" --emotion anger
    EMOTION_CIRCUITS_JUDGE_URL=http://127.0.0.1:8080/v1 emotion-circuits judge --judge openai --json --text "Oh no." --emotion fear`;

export async function runJudgeCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags('judge', argv, {
    text: { type: 'string' },
    emotion: { type: 'string' },
    judge: { type: 'string', default: 'builtin' },
    json: { type: 'boolean', default: false },
  });
  if (values.text === undefined) throw new UsageError(`judge: --text is required\n${JUDGE_USAGE}`);
  if (values.emotion === undefined || !isEmotion(values.emotion)) {
    throw new UsageError(`judge: --emotion expects one of ${EMOTIONS.join(', ')}, got ${JSON.stringify(values.emotion ?? '')}`);
  }
  const judge = createJudge(parseJudgeKind('judge', 'judge', values.judge));
  const [verdict] = await judge.judge([{ text: values.text, target: values.emotion }]);
  // The six scores and neutral share one sum of 1, so neutral is what the six leave.
  const scores = verdict.scores ? { ...verdict.scores, neutral: 1 - EMOTIONS.reduce((sum, e) => sum + verdict.scores![e], 0) } : null;
  if (values.json) {
    process.stdout.write(JSON.stringify({ judge: judge.name, text: values.text, ...verdict, scores }, null, 2) + '\n');
  } else {
    const lines = [`judge: ${judge.name}`, `label: ${verdict.label ?? '(not given)'}`];
    if (scores) lines.push(`scores: ${Object.entries(scores).map(([e, s]) => `${e} ${s.toFixed(3)}`).join('  ')}`);
    lines.push(`match (${verdict.target}): ${verdict.match === null ? 'failed' : verdict.match ? 'yes' : 'no'}`);
    if (verdict.reason) lines.push(`reason: ${verdict.reason}`);
    if (verdict.error) lines.push(`error: ${verdict.error}`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  if (verdict.match === null) throw new EmotionCircuitsError('JUDGE', `judge: the judgement failed (${verdict.error})`);
}
