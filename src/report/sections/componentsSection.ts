/**
 * Report sections from the components stage: the top heads heat map and their total effect
 * (heads.json), the top neuron tables (neurons.json), and the ablation / enhancement curves with
 * their intervals (validation.json).
 */
import type { Row } from '../figure.js';
import type { Block, Section } from '../html.js';
import { twinStatementNotes } from './twinNotes.js';
import { isObject, loadJson, num, pick, unrecognised, type Json } from '../runFiles.js';
import { heatmapSpec, lineSpec } from '../specs.js';

import { HEADS_JSON, NEURONS_JSON, VALIDATION_JSON } from '../../pipeline/components/componentsRun.js';
/** Neurons listed per layer and emotion in the page (the file may hold more). */
export const NEURONS_SHOWN = 10;

/** `{ emotion: [{ layer, top: [...] }] }` of neurons.json / heads.json, or null. */
function topLists(value: unknown, format: string): Record<string, Array<{ layer: number; top: Json[] }>> | null {
  if (!isObject(value) || typeof value.format !== 'string' || !value.format.startsWith(format) || !isObject(value.emotions)) return null;
  for (const layers of Object.values(value.emotions)) {
    if (!Array.isArray(layers) || !layers.every((l) => isObject(l) && typeof l.layer === 'number' && Array.isArray(l.top) && l.top.every(isObject))) return null;
  }
  return value.emotions as Record<string, Array<{ layer: number; top: Json[] }>>;
}

function noteFor(file: string, loaded: ReturnType<typeof loadJson>, why: string): Block {
  return { kind: 'note', text: loaded.state === 'unreadable' ? `${file} cannot be read: ${loaded.reason}` : unrecognised(file, why) };
}

function headsBlocks(runDir: string): Block[] {
  const loaded = loadJson(runDir, HEADS_JSON);
  if (loaded.state === 'missing') return [];
  const lists = loaded.state === 'ok' ? topLists(loaded.value, 'emotion-circuits/heads@') : null;
  if (!lists) return [noteFor(HEADS_JSON, loaded, 'expected emotion-circuits/heads@ with emotions.{emotion}[{ layer, top }]')];
  const emotions = Object.keys(lists);
  const rows: Row[] = [];
  for (const emotion of emotions) {
    for (const { layer, top } of lists[emotion]) for (const unit of top) rows.push({ emotion, layer, head: num(unit.head), importance: num(unit.mean) });
  }
  const blocks: Block[] = [{ kind: 'figure', figure: {
    id: 'heads-heatmap',
    title: 'Head importance per layer and head',
    caption: 'Importance of head h for emotion e: mean drop of the attention-site projection s on train prompts instructed with e when the head is zeroed (from cached values). Empty cells: heads outside the listed top.',
    rows,
    spec: heatmapSpec({ x: 'head', y: 'layer', value: 'importance', divergingDomain: Math.max(1e-12, ...rows.map((r) => Math.abs(Number(r.importance)))), facet: { field: 'emotion', columns: 3, sort: emotions }, cell: 20, labels: false }),
  } }];
  const totalEffect = pick(loaded.state === 'ok' ? loaded.value : null, 'totalEffect');
  if (isObject(totalEffect)) {
    const effectRows: Row[] = [];
    for (const [emotion, list] of Object.entries(totalEffect)) {
      if (!Array.isArray(list)) continue;
      for (const entry of list) {
        effectRows.push({
          emotion, layer: num(pick(entry, 'layer')), head: num(pick(entry, 'head')), importance: num(pick(entry, 'importance')),
          'Δ final mean': num(pick(entry, 'finalChange', 'mean')), 'Δ final low': num(pick(entry, 'finalChange', 'low')), 'Δ final high': num(pick(entry, 'finalChange', 'high')), n: num(pick(entry, 'finalChange', 'n')),
        });
      }
    }
    if (effectRows.length) {
      blocks.push({
        kind: 'table', id: 'heads-total-effect', title: 'Total effect of the top heads',
        caption: 'Change of the final hidden state\'s projection on v_ref on held-out prompts instructed with the emotion when the head is zeroed at every position and later layers are recomputed (mean and 95 % interval over prompts).',
        columns: ['emotion', 'layer', 'head', 'importance', 'Δ final mean', 'Δ final low', 'Δ final high', 'n'], rows: effectRows,
      });
    }
  }
  return blocks;
}

function neuronBlocks(runDir: string): Block[] {
  const loaded = loadJson(runDir, NEURONS_JSON);
  if (loaded.state === 'missing') return [];
  const lists = loaded.state === 'ok' ? topLists(loaded.value, 'emotion-circuits/neurons@') : null;
  if (!lists) return [noteFor(NEURONS_JSON, loaded, 'expected emotion-circuits/neurons@ with emotions.{emotion}[{ layer, top }]')];
  return Object.entries(lists).map(([emotion, layers]): Block => ({
    kind: 'table',
    id: `neurons-${emotion}`,
    title: `Top neurons — ${emotion}`,
    caption: `Top ${NEURONS_SHOWN} MLP neurons per layer by mean contribution a_n·(W_downᵀ v_e)_n on train prompts instructed with ${emotion}; std over those prompts; mean per event valence.`,
    columns: ['layer', 'rank', 'neuron', 'mean', 'std', 'positive', 'neutral', 'negative'],
    rows: layers.flatMap(({ layer, top }) => top.slice(0, NEURONS_SHOWN).map((unit, rank) => ({
      layer, rank: rank + 1, neuron: num(unit.neuron), mean: num(unit.mean), std: num(unit.std),
      positive: num(pick(unit, 'valence', 'positive')), neutral: num(pick(unit, 'valence', 'neutral')), negative: num(pick(unit, 'valence', 'negative')),
    }))),
  }));
}

interface Condition { emotion: string; kind: string; edit: string; layer: number; k: number; top: Json; random: Json }

function isCondition(value: unknown): value is Condition {
  return isObject(value) && typeof value.emotion === 'string' && typeof value.kind === 'string' && typeof value.edit === 'string'
    && typeof value.layer === 'number' && typeof value.k === 'number' && isObject(value.top) && isObject(value.random)
    && num(pick(value.top, 'site', 'mean')) !== null && num(pick(value.random, 'site', 'mean')) !== null;
}

function validationBlocks(runDir: string): Block[] {
  const loaded = loadJson(runDir, VALIDATION_JSON);
  if (loaded.state === 'missing') return [];
  const conditions = pick(loaded.state === 'ok' ? loaded.value : null, 'conditions');
  const format = pick(loaded.state === 'ok' ? loaded.value : null, 'format');
  if (typeof format !== 'string' || !format.startsWith('emotion-circuits/validation@') || !Array.isArray(conditions) || !conditions.every(isCondition)) {
    return [noteFor(VALIDATION_JSON, loaded, 'expected emotion-circuits/validation@ with conditions[{ emotion, kind, edit, layer, k, top, random }]')];
  }
  const emotions = [...new Set(conditions.map((c) => c.emotion))];
  const blocks: Block[] = [];
  const summary = pick(loaded.state === 'ok' ? loaded.value : null, 'summary');
  for (const kind of [...new Set(conditions.map((c) => c.kind))]) {
    for (const edit of [...new Set(conditions.map((c) => c.edit))]) {
      const selected = conditions.filter((c) => c.kind === kind && c.edit === edit);
      if (!selected.length) continue;
      const rows: Row[] = [];
      for (const c of selected) {
        for (const arm of ['top', 'random'] as const) {
          for (const measure of ['site', 'final'] as const) {
            const e = pick(c[arm], measure);
            rows.push({ emotion: c.emotion, layer: c.layer, k: c.k, units: `${arm}-k`, measure, mean: num(pick(e, 'mean')), low: num(pick(e, 'low')), high: num(pick(e, 'high')), n: num(pick(e, 'n')) });
          }
        }
      }
      const wins = pick(summary, `${kind}.${edit}`);
      const significant = isObject(wins) && typeof wins.significant === 'number' ? ` (the 95 % interval of the paired margin lies above 0 in ${wins.significant})` : '';
      const winText = isObject(wins) ? ` Top-k beats random-k in ${wins.wins}/${wins.total} conditions${significant}.` : '';
      blocks.push({ kind: 'figure', figure: {
        id: `validation-${kind}-${edit}`,
        title: `${edit === 'ablate' ? 'Ablation' : edit === 'enhance' ? 'Enhancement' : edit} of the top-k ${kind} vs k random ${kind}`,
        caption: `Change of the layer's projection s (mean over held-out prompts, bars: 95 % interval) as k grows; one panel per layer and emotion.${winText} The table also has the change of the final projection on v_ref.`,
        rows,
        columns: ['emotion', 'layer', 'k', 'units', 'measure', 'mean', 'low', 'high', 'n'],
        spec: {
          transform: [{ filter: "datum.measure === 'site'" }],
          ...lineSpec({ x: 'k', y: 'mean', series: 'units', low: 'low', high: 'high', yTitle: 'Δ s', xScale: { type: 'log', base: 2 }, dashed: ['random-k'], width: 120, height: 110, legend: 'top', facet: { field: 'emotion', sort: emotions, row: 'layer', title: null } }),
        },
      } });
    }
  }
  blocks.push(...twinValidationBlocks(pick(loaded.state === 'ok' ? loaded.value : null, 'twin')));
  return blocks;
}

/** The random-weight twin's verdicts and the paired model-vs-twin margins, when validation.json has them. */
function twinValidationBlocks(twin: unknown): Block[] {
  if (!isObject(twin)) return [];
  const blocks: Block[] = [];
  blocks.push(...twinStatementNotes(twin.statements));
  if (Array.isArray(twin.comparison)) {
    const rows: Row[] = twin.comparison.filter(isObject).map((c) => ({
      emotion: typeof c.emotion === 'string' ? c.emotion : null, kind: typeof c.kind === 'string' ? c.kind : null, edit: typeof c.edit === 'string' ? c.edit : null,
      layer: num(c.layer), k: num(c.k),
      'margin difference (s)': num(pick(c, 'site', 'mean')), low: num(pick(c, 'site', 'low')), high: num(pick(c, 'site', 'high')),
      better: typeof c.better === 'string' ? c.better : null,
      'intervals overlap': typeof c.overlap === 'boolean' ? String(c.overlap) : null,
    }));
    if (rows.length) {
      blocks.push({
        kind: 'table', id: 'validation-twin', title: 'Model vs random-weight twin: top-k margins',
        caption: 'Per condition, the model\'s per-prompt margin (top-k vs random-k, in its own scale of s) minus the twin\'s on the same prompts, with its 95 % interval; "better" says which beats the other where the interval excludes 0; "intervals overlap" compares each model\'s own margin interval.',
        columns: Object.keys(rows[0]), rows,
      });
    }
  }
  return blocks;
}

export function componentsSections(runDir: string): Section[] {
  const sections: Section[] = [];
  const heads = headsBlocks(runDir);
  if (heads.length) sections.push({ id: 'heads', title: 'Emotion heads', blocks: heads });
  const neurons = neuronBlocks(runDir);
  if (neurons.length) sections.push({ id: 'neurons', title: 'Emotion neurons', blocks: neurons });
  const validation = validationBlocks(runDir);
  if (validation.length) sections.push({ id: 'validation', title: 'Causal validation: ablation and enhancement', blocks: validation });
  return sections;
}
