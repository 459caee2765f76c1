/**
 * Report sections from the evaluation stage: the accuracy table with bootstrap intervals and the
 * fluency of every arm (`evaluation.json`, format emotion-circuits/evaluation@1), the strength
 * sweeps (`sweep.json`, sweepSection.ts), and example generations side by side per arm
 * (`generations.jsonl`).
 */
import type { Row } from '../figure.js';
import type { Block, Section } from '../html.js';
import { twinStatementNotes } from './twinNotes.js';
import { isObject, loadJson, num, pick, unrecognised, type Json } from '../runFiles.js';
import { barSpec } from '../specs.js';
import { sweepBlocks } from './sweepSection.js';

import { EVALUATION_FILE as EVALUATION_JSON, GENERATIONS_FILE as GENERATIONS_JSONL } from '../../pipeline/evaluation/evaluationRun.js';
/** Example prompts shown per emotion. */
export const EXAMPLES_PER_EMOTION = 2;

function evaluationBlocks(runDir: string): Block[] {
  const loaded = loadJson(runDir, EVALUATION_JSON);
  if (loaded.state === 'missing') return [];
  const report = loaded.state === 'ok' ? loaded.value : null;
  const arms = pick(report, 'arms');
  if (!isObject(report) || typeof report.format !== 'string' || !report.format.startsWith('emotion-circuits/evaluation@') || !Array.isArray(arms)
    || !arms.every((a) => isObject(a) && typeof a.arm === 'string' && num(pick(a, 'accuracy', 'overall', 'rate')) !== null)) {
    return [{ kind: 'note', text: loaded.state === 'unreadable' ? `${EVALUATION_JSON} cannot be read: ${loaded.reason}` : unrecognised(EVALUATION_JSON, 'expected emotion-circuits/evaluation@ with arms[{ arm, accuracy.overall.rate }]') }];
  }
  const table: Row[] = (arms as Json[]).map((a) => ({
    arm: a.arm as string,
    method: typeof a.method === 'string' ? a.method : null,
    accuracy: num(pick(a, 'accuracy', 'overall', 'rate')),
    low: num(pick(a, 'accuracy', 'overall', 'low')),
    high: num(pick(a, 'accuracy', 'overall', 'high')),
    n: num(pick(a, 'accuracy', 'overall', 'n')),
    'judge failures': num(a.judgeFailures),
    perplexity: num(pick(a, 'fluency', 'perplexity')),
    'distinct-1': num(pick(a, 'fluency', 'distinct1')),
    'distinct-2': num(pick(a, 'fluency', 'distinct2')),
    'repeated 3-grams': num(pick(a, 'fluency', 'repeatedWord3gramShare')),
    'hit token limit': num(pick(a, 'fluency', 'hitTokenLimitShare')),
    'mean new tokens': num(pick(a, 'fluency', 'meanNewTokens')),
  }));
  const byEmotion: Row[] = [];
  for (const a of arms as Json[]) {
    const cells = pick(a, 'accuracy', 'byEmotion');
    if (!isObject(cells)) continue;
    for (const [emotion, cell] of Object.entries(cells)) {
      byEmotion.push({ arm: a.arm as string, emotion, accuracy: num(pick(cell, 'rate')), low: num(pick(cell, 'low')), high: num(pick(cell, 'high')), n: num(pick(cell, 'n')) });
    }
  }
  const blocks: Block[] = [{
    kind: 'table', id: 'evaluation-table', title: 'Accuracy and fluency per arm',
    caption: `Share of generations the judge (${String(report.judge ?? '?')}) finds expressing the target emotion, with a 95 % bootstrap interval (low, high) over ${String(report.testScenarios ?? '?')} test scenarios; judge failures count as misses. Fluency: perplexity under the unsteered model, distinct n-grams, repeated word 3-grams, share of texts cut at the token limit.`,
    columns: Object.keys(table[0] ?? {}), rows: table,
  }];
  if (byEmotion.length) {
    blocks.push({ kind: 'figure', figure: {
      id: 'evaluation-by-emotion',
      title: 'Accuracy per target emotion and arm',
      caption: 'Bars: share judged to express the target; lines: 95 % bootstrap interval.',
      rows: byEmotion,
      spec: barSpec({
        x: 'emotion', y: 'accuracy', color: 'arm', offset: 'arm', low: 'low', high: 'high', yTitle: 'accuracy', width: Math.max(300, 14 * byEmotion.length),
        xSort: [...new Set(byEmotion.map((r) => r.emotion as string))], colorSort: table.map((r) => r.arm as string),
      }),
    } });
  }
  blocks.push(...twinEvaluationBlocks(report.twin));
  return blocks;
}

/** Circuit modulation on the model vs its random-weight twin (evaluation.json → twin), when present. */
function twinEvaluationBlocks(twin: unknown): Block[] {
  if (!isObject(twin)) return [];
  const blocks: Block[] = [];
  blocks.push(...twinStatementNotes(twin.statements));
  const rows: Row[] = (Array.isArray(twin.arms) ? twin.arms : []).filter(isObject).map((a) => ({
    arm: typeof a.arm === 'string' ? a.arm : null,
    role: typeof a.role === 'string' ? a.role : null,
    prompts: num(a.prompts),
    model: num(pick(a, 'model', 'rate')), 'model low': num(pick(a, 'model', 'low')), 'model high': num(pick(a, 'model', 'high')),
    twin: num(pick(a, 'twin', 'rate')), 'twin low': num(pick(a, 'twin', 'low')), 'twin high': num(pick(a, 'twin', 'high')),
    difference: num(pick(a, 'difference', 'mean')), 'difference low': num(pick(a, 'difference', 'low')), 'difference high': num(pick(a, 'difference', 'high')),
    'intervals overlap': typeof a.overlap === 'boolean' ? String(a.overlap) : null,
    better: typeof a.better === 'string' ? a.better : null,
  }));
  if (rows.length) {
    blocks.push({
      kind: 'table', id: 'evaluation-twin', title: 'Model vs random-weight twin: circuit modulation',
      caption: 'Accuracy of each arm on the model and on its random-weight twin (the twin\'s own circuits; same arm settings, decoding, judge and test prompts), each with its 95 % bootstrap interval over prompts; the paired difference (model − twin, per prompt) with its bootstrap interval; whether the two accuracy intervals overlap. The unsteered arm is the baseline.',
      columns: Object.keys(rows[0]), rows,
    });
  }
  return blocks;
}

interface Generation { arm: string; emotion: string; valence: string; skeletonId: string; prompt: string; text: string; match: boolean | null; label: string | null }

function asGeneration(value: unknown): Generation | null {
  if (!isObject(value) || typeof value.arm !== 'string' || typeof value.text !== 'string' || typeof value.emotion !== 'string') return null;
  const verdict = isObject(value.verdict) ? value.verdict : {};
  return {
    arm: value.arm, emotion: value.emotion, text: value.text,
    valence: typeof value.valence === 'string' ? value.valence : '',
    skeletonId: typeof value.skeletonId === 'string' ? value.skeletonId : '',
    prompt: typeof value.prompt === 'string' ? value.prompt : '',
    match: typeof verdict.match === 'boolean' ? verdict.match : null,
    label: typeof verdict.label === 'string' ? verdict.label : null,
  };
}

/** Arm columns are prefixed so that an arm named like a fixed column ("prompt") cannot replace it. */
function armColumn(arm: string): string {
  return `arm: ${arm}`;
}

function verdictText(g: Generation): string {
  const mark = g.match === true ? '✓ matches' : g.match === false ? '✗ does not match' : '? judge failed';
  return `${g.text}\n— ${mark}${g.label ? ` (judged ${g.label})` : ''}`;
}

function generationBlocks(runDir: string): Block[] {
  const loaded = loadJson(runDir, GENERATIONS_JSONL, true);
  if (loaded.state === 'missing') return [];
  const records = loaded.state === 'ok' && Array.isArray(loaded.value) ? loaded.value.map(asGeneration) : [];
  if (!records.length || records.some((r) => r === null)) {
    return [{ kind: 'note', text: loaded.state === 'unreadable' ? `${GENERATIONS_JSONL} cannot be read: ${loaded.reason}` : unrecognised(GENERATIONS_JSONL, 'expected one JSON object a line with arm, emotion, text') }];
  }
  const generations = records as Generation[];
  const arms = [...new Set(generations.map((g) => g.arm))];
  // One row per (target emotion, scenario, valence): the first examples of each emotion, with every arm's text.
  const prompts = new Map<string, Map<string, Generation>>();
  const perEmotion = new Map<string, number>();
  for (const g of generations) {
    const key = `${g.emotion}|${g.skeletonId}|${g.valence}`;
    if (!prompts.has(key)) {
      if ((perEmotion.get(g.emotion) ?? 0) >= EXAMPLES_PER_EMOTION) continue;
      perEmotion.set(g.emotion, (perEmotion.get(g.emotion) ?? 0) + 1);
      prompts.set(key, new Map());
    }
    const byArm = prompts.get(key)!;
    if (!byArm.has(g.arm)) byArm.set(g.arm, g);
  }
  const rows: Row[] = [...prompts.values()].map((byArm) => {
    const first = [...byArm.values()][0];
    return { target: first.emotion, valence: first.valence, prompt: first.prompt, ...Object.fromEntries(arms.map((arm) => [armColumn(arm), byArm.has(arm) ? verdictText(byArm.get(arm)!) : null])) };
  });
  return [{
    kind: 'table', id: 'generation-examples', title: 'Example generations, side by side per arm',
    caption: `The first ${EXAMPLES_PER_EMOTION} test prompts of each target emotion (of ${generations.length} judged texts in ${GENERATIONS_JSONL}); each arm's text with the judge's verdict. The prompt is the first arm's (the prompting arm adds its instruction to it).`,
    columns: ['target', 'valence', 'prompt', ...arms.map(armColumn)], rows, textColumns: ['prompt', ...arms.map(armColumn)],
  }];
}

export function evaluationSections(runDir: string): Section[] {
  const sections: Section[] = [];
  const evaluation = evaluationBlocks(runDir);
  evaluation.push(...sweepBlocks(runDir));
  if (evaluation.length) sections.push({ id: 'evaluation', title: 'Evaluation: accuracy and fluency per arm', blocks: evaluation });
  const generations = generationBlocks(runDir);
  if (generations.length) sections.push({ id: 'generations', title: 'Example generations', blocks: generations });
  return sections;
}
