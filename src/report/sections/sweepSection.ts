/**
 * The strength sweeps (`sweep.json`, format emotion-circuits/sweep@1): accuracy against
 * perplexity for every swept setting of each method, beside the unsteered reference, with the
 * accuracy–fluency front and the chosen setting marked, and the setting chosen per emotion.
 */
import type { Row } from '../figure.js';
import type { Block } from '../html.js';
import { isObject, loadJson, num, pick, unrecognised, type Json } from '../runFiles.js';

import { SWEEP_FILE as SWEEP_JSON } from '../../pipeline/evaluation/sweep.js';

function settingText(setting: unknown): string {
  if (!isObject(setting)) return '';
  if (typeof setting.lambda === 'number') return `λ=${setting.lambda}`;
  const band = isObject(setting.band) ? ` band ${setting.band.from}–${setting.band.to}` : '';
  return typeof setting.alpha === 'number' ? `α=${setting.alpha}${band}` : JSON.stringify(setting);
}

function sameSetting(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function sweepBlocks(runDir: string): Block[] {
  const loaded = loadJson(runDir, SWEEP_JSON);
  if (loaded.state === 'missing') return [];
  const file = loaded.state === 'ok' ? loaded.value : null;
  const methods = pick(file, 'methods');
  if (!isObject(file) || typeof file.format !== 'string' || !file.format.startsWith('emotion-circuits/sweep@') || !isObject(methods)) {
    return [{ kind: 'note', text: loaded.state === 'unreadable' ? `${SWEEP_JSON} cannot be read: ${loaded.reason}` : unrecognised(SWEEP_JSON, 'expected emotion-circuits/sweep@ with methods') }];
  }
  const rows: Row[] = [];
  const rules: string[] = [];
  const perEmotion: Array<Record<string, string | number | null>> = [];
  for (const [method, section] of Object.entries(methods)) {
    if (!isObject(section) || !Array.isArray(section.settings)) continue;
    const reference = section.reference;
    rows.push({
      method, arm: String(pick(reference, 'arm') ?? 'unsteered'), setting: 'unsteered', status: 'unsteered reference', chosen: '',
      accuracy: num(pick(reference, 'accuracy', 'rate')), low: num(pick(reference, 'accuracy', 'low')), high: num(pick(reference, 'accuracy', 'high')), perplexity: num(pick(reference, 'fluency', 'perplexity')),
    });
    for (const s of section.settings as Json[]) {
      rows.push({
        method, arm: String(s.arm ?? ''), setting: settingText(s.setting), status: s.onFront === true ? 'on the front' : 'off the front',
        chosen: isObject(section.chosen) && sameSetting(section.chosen.setting, s.setting) ? 'chosen' : '',
        accuracy: num(pick(s, 'accuracy', 'rate')), low: num(pick(s, 'accuracy', 'low')), high: num(pick(s, 'accuracy', 'high')), perplexity: num(pick(s, 'fluency', 'perplexity')),
      });
    }
    if (typeof section.rule === 'string') rules.push(`${method} (${typeof section.split === 'string' ? section.split : 'test'} split): ${section.rule}`);
    for (const [emotion, choice] of Object.entries(isObject(section.chosenPerEmotion) ? section.chosenPerEmotion : {})) {
      if (!isObject(choice)) continue;
      perEmotion.push({ method, emotion, setting: settingText(choice.setting), accuracy: num(choice.accuracy), 'reaches target': choice.reachesTarget === true ? 'yes' : 'no' });
    }
    if (typeof section.perEmotionRule === 'string') rules.push(`${method}, ${section.perEmotionRule}.`); // the rule names itself: "per emotion: …"
  }
  if (!rows.length) return [{ kind: 'note', text: unrecognised(SWEEP_JSON, 'no method with settings') }];
  const encoding = {
    x: { field: 'perplexity', type: 'quantitative', scale: { zero: false, padding: 12 }, title: 'perplexity (unsteered model)' },
    y: { field: 'accuracy', type: 'quantitative', title: 'accuracy' },
  };
  const blocks: Block[] = [{ kind: 'figure', figure: {
    id: 'sweep-front',
    title: 'Strength sweeps: accuracy against fluency',
    caption: `Each swept setting's accuracy (95 % bootstrap interval) against the perplexity of its texts; ringed: the chosen setting. ${rules.join(' ')}`,
    rows,
    spec: {
      facet: { field: 'method', type: 'nominal', title: null },
      spec: {
        width: 300, height: 220,
        layer: [
          { mark: { type: 'rule', opacity: 0.5 }, encoding: { x: encoding.x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color: { field: 'status', type: 'nominal' } } },
          { mark: { type: 'point', filled: true, size: 60 }, encoding: { ...encoding, color: { field: 'status', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 0 } } } },
          { transform: [{ filter: "datum.chosen === 'chosen'" }], mark: { type: 'point', size: 260, strokeWidth: 2, color: '#000' }, encoding },
          { mark: { type: 'text', dx: 7, align: 'left', fontSize: 9 }, encoding: { ...encoding, text: { field: 'setting' } } },
        ],
      },
      resolve: { scale: { x: 'independent' } },
    },
  } }];
  if (perEmotion.length > 0) {
    blocks.push({
      kind: 'table', id: 'sweep-per-emotion', title: 'Settings chosen per emotion',
      caption: 'What `evaluate --use-sweep` and `discover --tune` use for each target emotion, with its accuracy on that emotion in the sweep.',
      columns: ['method', 'emotion', 'setting', 'accuracy', 'reaches target'],
      rows: perEmotion,
    });
  }
  return blocks;
}
