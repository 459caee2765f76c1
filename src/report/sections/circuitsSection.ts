/**
 * Report sections from the sublayers and circuits stages: sublayer influence bars
 * (`sublayers.json`, format emotion-circuits/sublayers@1) and a circuit diagram per emotion
 * (`circuits/{emotion}.json`, format emotion-circuits/circuit@1): layers × sublayers, each node
 * sized by the units it holds and labelled with them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMOTIONS } from '../../emotions.js';
import type { Row } from '../figure.js';
import type { Block, Section } from '../html.js';
import { isMatrix, isNumberArray, isObject, loadJson, num, pick, unrecognised, type Json } from '../runFiles.js';
import { barSpec } from '../specs.js';

import { CIRCUITS_DIR as CIRCUITS_FOLDER } from '../../pipeline/circuits/circuit.js';
import { SUBLAYERS_FILE as SUBLAYERS_JSON } from '../../pipeline/sublayers/sublayersRun.js';
/** Unit indices written beside a node before "…". */
const UNITS_LISTED = 5;

const SUBLAYER_TITLE: Record<string, string> = { attn: 'attention', mlp: 'MLP' };

function sublayerBlocks(runDir: string): Block[] {
  const loaded = loadJson(runDir, SUBLAYERS_JSON);
  if (loaded.state === 'missing') return [];
  const file = loaded.state === 'ok' ? loaded.value : null;
  const emotions = pick(file, 'emotions');
  const alphas = pick(file, 'alphas');
  if (!isObject(file) || typeof file.format !== 'string' || !file.format.startsWith('emotion-circuits/sublayers@') || !isObject(emotions) || !isNumberArray(alphas)) {
    return [{ kind: 'note', text: loaded.state === 'unreadable' ? `${SUBLAYERS_JSON} cannot be read: ${loaded.reason}` : unrecognised(SUBLAYERS_JSON, 'expected emotion-circuits/sublayers@ with alphas and emotions') }];
  }
  const rows: Row[] = [];
  for (const [emotion, entry] of Object.entries(emotions)) {
    const influence = pick(entry, 'influence');
    if (!isObject(influence)) continue;
    for (const [sublayer, values] of Object.entries(influence)) {
      const mean = pick(values, 'mean');
      const byAlpha = pick(values, 'byAlpha');
      const weights = pick(entry, 'weights', sublayer);
      if (!isNumberArray(mean)) continue;
      mean.forEach((value, layer) => {
        const row: Row = { emotion, layer, sublayer: SUBLAYER_TITLE[sublayer] ?? sublayer, influence: value, weight: isNumberArray(weights) ? weights[layer] ?? null : null };
        if (isMatrix(byAlpha)) alphas.forEach((alpha, a) => { row[`I at alpha ${alpha}`] = byAlpha[a]?.[layer] ?? null; });
        rows.push(row);
      });
    }
  }
  if (!rows.length) return [{ kind: 'note', text: unrecognised(SUBLAYERS_JSON, 'no emotion with influence.{sublayer}.mean') }];
  const blocks: Block[] = [{ kind: 'figure', figure: {
    id: 'sublayer-influence',
    title: 'Sublayer influence on the final emotion read-out',
    caption: `I per emotion, layer and sublayer, averaged over the edit strengths α ∈ {${alphas.join(', ')}}; the table also has each α's value and the normalised allocation weight w = max(I, 0) / Σ within the kind.${Array.isArray(file.referenceLayers) ? ` v_ref from layers ${file.referenceLayers.join(', ')}.` : ''}`,
    rows,
    spec: barSpec({ x: 'layer', y: 'influence', color: 'sublayer', offset: 'sublayer', yTitle: 'I (mean over α)', facet: { field: 'emotion', columns: 3, sort: Object.keys(emotions) }, width: 200 }),
  } }];
  if (isObject(file.sigma)) {
    const sigma = file.sigma;
    const layers = Math.max(0, ...Object.values(sigma).map((v) => (Array.isArray(v) ? v.length : 0)));
    blocks.push({
      kind: 'table', id: 'sublayer-sigma', title: 'σ per layer and sublayer',
      caption: 'The scale of each sublayer\'s output the edits are measured in.',
      columns: ['layer', ...Object.keys(sigma).map((s) => `σ ${SUBLAYER_TITLE[s] ?? s}`)],
      rows: Array.from({ length: layers }, (_, layer) => ({ layer, ...Object.fromEntries(Object.entries(sigma).map(([s, v]) => [`σ ${SUBLAYER_TITLE[s] ?? s}`, num(pick(v, layer))])) })),
    });
  }
  return blocks;
}

function unitList(units: unknown, prefix: string): string {
  if (!Array.isArray(units)) return '';
  const ids = units.map((u) => `${prefix}${num(pick(u, 'index')) ?? '?'}`);
  return ids.length > UNITS_LISTED ? `${ids.slice(0, UNITS_LISTED).join(' ')} …` : ids.join(' ');
}

/** Circuit files in circuits/, read and checked; unreadable ones are named in `bad`. */
function readCircuits(runDir: string): { circuits: Json[]; bad: string[] } {
  const dir = path.join(runDir, CIRCUITS_FOLDER);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return { circuits: [], bad: [] };
  const circuits: Json[] = [];
  const bad: string[] = [];
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const loaded = loadJson(runDir, path.join(CIRCUITS_FOLDER, name));
    const value = loaded.state === 'ok' ? loaded.value : null;
    if (isObject(value) && typeof value.format === 'string' && value.format.startsWith('emotion-circuits/circuit@') && typeof value.emotion === 'string' && Array.isArray(value.layers)
      && value.layers.every((l) => isObject(l) && typeof l.layer === 'number' && Array.isArray(l.neurons) && Array.isArray(l.heads))) {
      if (!isObject(value.random)) circuits.push(value);
    } else {
      bad.push(name);
    }
  }
  // The project's emotion order; unknown names after, as they come.
  const rank = (c: Json): number => { const i = (EMOTIONS as readonly string[]).indexOf(c.emotion as string); return i < 0 ? EMOTIONS.length : i; };
  return { circuits: circuits.sort((a, b) => rank(a) - rank(b)), bad };
}

function circuitBlocks(runDir: string): Block[] {
  const { circuits, bad } = readCircuits(runDir);
  const blocks: Block[] = [];
  if (bad.length) blocks.push({ kind: 'note', text: unrecognised(`${CIRCUITS_FOLDER}/${bad.join(', ')}`, 'expected emotion-circuits/circuit@ with emotion and layers[{ layer, neurons, heads }]') });
  if (!circuits.length) return blocks;
  const rows: Row[] = [];
  for (const circuit of circuits) {
    for (const layer of circuit.layers as Json[]) {
      for (const [kind, sublayer, prefix, step] of [['heads', 'attention heads', 'h', 0], ['neurons', 'MLP neurons', 'n', 1]] as const) {
        const units = layer[kind] as unknown[];
        rows.push({
          emotion: circuit.emotion as string, layer: layer.layer as number, sublayer, order: 2 * (layer.layer as number) + step,
          units: units.length, planned: num(pick(layer, 'planned', kind)), shortfall: num(pick(layer, 'shortfall', kind)),
          weight: num(pick(circuit, 'weights', kind === 'heads' ? 'attn' : 'mlp', layer.layer as number)),
          label: units.length ? `${units.length}: ${unitList(units, prefix)}` : '',
          unit_ids: (units as unknown[]).map((u) => num(pick(u, 'index'))).join(' '),
        });
      }
    }
  }
  const emotions = circuits.map((c) => c.emotion as string);
  const maxLayer = Math.max(...rows.map((r) => r.layer as number));
  blocks.push({ kind: 'figure', figure: {
    id: 'circuit-diagram',
    title: 'Emotion circuits: units per layer and sublayer',
    caption: 'One panel per emotion; the residual stream runs bottom to top through each layer\'s attention then MLP sublayer. A node\'s area is the number of units the circuit modulates there (heads h…, neurons n…); hollow: none. The table has every unit id, the planned count and the shortfall.',
    rows,
    columns: ['emotion', 'layer', 'sublayer', 'units', 'planned', 'shortfall', 'weight', 'unit_ids'],
    spec: {
      facet: { field: 'emotion', type: 'nominal', sort: emotions, title: null },
      columns: Math.min(2, emotions.length),
      spec: {
        width: 260,
        height: Math.max(120, 46 * (maxLayer + 1)),
        layer: [
          { mark: { type: 'line', color: '#bbb', strokeWidth: 1.5 }, encoding: { x: { field: 'sublayer', type: 'nominal', title: null, sort: ['attention heads', 'MLP neurons'], scale: { padding: 0.4 }, axis: { labelAngle: 0, orient: 'top' } }, y: { field: 'layer', type: 'ordinal', sort: 'descending' }, order: { field: 'order', type: 'quantitative' } } },
          { mark: { type: 'point', filled: true, stroke: '#333' }, encoding: {
            x: { field: 'sublayer', type: 'nominal', sort: ['attention heads', 'MLP neurons'] }, y: { field: 'layer', type: 'ordinal', sort: 'descending' },
            size: { field: 'units', type: 'quantitative', scale: { range: [30, 700] }, legend: { orient: 'bottom', title: 'units' } },
            color: { field: 'sublayer', type: 'nominal', legend: null, scale: { range: ['#e07b39', '#3a7dc9'] } },
            opacity: { condition: { test: 'datum.units > 0', value: 0.85 }, value: 0.15 },
          } },
          { mark: { type: 'text', align: 'left', dx: 14, fontSize: 9.5 }, encoding: { x: { field: 'sublayer', type: 'nominal', sort: ['attention heads', 'MLP neurons'] }, y: { field: 'layer', type: 'ordinal', sort: 'descending' }, text: { field: 'label' } } },
        ],
      },
    },
  } });
  blocks.push({
    kind: 'table', id: 'circuit-budgets', title: 'Circuit budgets',
    caption: 'Units per kind the allocation aimed for (heads asked: before the cap at max-kind-share of the model\'s heads), what it could not place, the modulation strength λ, and how many distinct random circuits with the same per-layer counts exist (log10; 0 = the random control is the circuit itself).',
    columns: ['emotion', 'lambda', 'total', 'neurons', 'heads asked', 'heads', 'unplaced neurons', 'unplaced heads', 'neurons used', 'heads used', 'log10 random circuits'],
    rows: circuits.map((c) => ({
      emotion: c.emotion as string, lambda: num(c.lambda), total: num(pick(c, 'budget', 'total')), neurons: num(pick(c, 'budget', 'neurons')),
      'heads asked': num(pick(c, 'budget', 'requested', 'heads')), heads: num(pick(c, 'budget', 'heads')),
      'unplaced neurons': num(pick(c, 'budget', 'unplaced', 'neurons')), 'unplaced heads': num(pick(c, 'budget', 'unplaced', 'heads')),
      'neurons used': (c.layers as Json[]).reduce((s, l) => s + (l.neurons as unknown[]).length, 0),
      'heads used': (c.layers as Json[]).reduce((s, l) => s + (l.heads as unknown[]).length, 0),
      'log10 random circuits': num(c.randomCircuitsLog10),
    })),
  });
  return blocks;
}

export function circuitsSections(runDir: string): Section[] {
  const sections: Section[] = [];
  const sublayers = sublayerBlocks(runDir);
  if (sublayers.length) sections.push({ id: 'sublayers', title: 'Sublayer influence', blocks: sublayers });
  const circuits = circuitBlocks(runDir);
  if (circuits.length) sections.push({ id: 'circuits', title: 'Circuits', blocks: circuits });
  return sections;
}
