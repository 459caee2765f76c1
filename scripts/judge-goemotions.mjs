// Measures the built-in judge against the human labels of GoEmotions (Ekman six, single-label rows).
// Usage: npm run judge:goemotions [-- --shared DIR] [--split dev|test|both] [--json] [--errors N]
// The shared folder comes from --shared or EMOTION_CIRCUITS_SHARED. --errors N lists N dev-split
// mistakes (tuning looks at dev only; the test split is for reporting).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeEmotion } from '../dist/src/judge/builtinJudge.js';
import { labelMetrics, loadGoEmotionsSplit } from '../dist/src/judge/goemotions.js';
import { EMOTIONS } from '../dist/src/emotions.js';

const { values } = parseArgs({
  options: { shared: { type: 'string' }, split: { type: 'string', default: 'both' }, json: { type: 'boolean', default: false }, errors: { type: 'string' } },
});
const shared = values.shared ?? process.env.EMOTION_CIRCUITS_SHARED;
if (!shared) {
  console.error('judge-goemotions: pass --shared DIR or set EMOTION_CIRCUITS_SHARED to the shared folder');
  process.exit(2);
}
const dataDir = join(shared, 'data', 'goemotions-ekman');
const splits = values.split === 'both' ? ['dev', 'test'] : [values.split];
const pct = (x) => (x === null ? '   –  ' : `${(100 * x).toFixed(1).padStart(5)}%`);

const results = {};
for (const split of splits) {
  const { rows, skipped } = loadGoEmotionsSplit(join(dataDir, `${split}.tsv`), join(dataDir, 'labels.txt'));
  const predicted = rows.map((row) => analyzeEmotion(row.text).label);
  const metrics = labelMetrics(rows.map((r) => r.emotion), predicted);
  results[split] = { skipped, ...metrics };
  if (values.json) continue;
  console.log(`\n== ${split}.tsv: ${metrics.n} single-label rows (${skipped} neutral or multi-label rows skipped)`);
  console.log(`accuracy ${pct(metrics.accuracy)}   majority (${metrics.majority.emotion}) ${pct(metrics.majority.accuracy)}   chance ${pct(metrics.chance)}`);
  console.log(`balanced accuracy (mean recall) ${pct(metrics.balancedAccuracy)} vs chance ${pct(metrics.chance)}`);
  console.log(`labelled neutral ${metrics.neutral} (${pct(metrics.neutral / metrics.n)}); accuracy on the rest ${pct(metrics.accuracyWhenLabelled)}`);
  console.log(`\n${'emotion'.padEnd(10)} support precision recall`);
  for (const e of EMOTIONS) {
    const m = metrics.perEmotion[e];
    console.log(`${e.padEnd(10)} ${String(m.support).padStart(7)} ${pct(m.precision).padStart(9)} ${pct(m.recall).padStart(6)}`);
  }
  const columns = [...EMOTIONS, 'neutral'];
  console.log(`\nconfusion (rows: human label, columns: judge label)\n${'gold'.padEnd(10)}${columns.map((c) => c.slice(0, 8).padStart(9)).join('')}`);
  for (const g of EMOTIONS) console.log(`${g.padEnd(10)}${columns.map((c) => String(metrics.confusion[g][c]).padStart(9)).join('')}`);
  if (values.errors && split === 'dev') {
    const limit = Number(values.errors);
    let shown = 0;
    console.log(`\nfirst ${limit} dev mistakes:`);
    rows.forEach((row, i) => {
      if (predicted[i] !== row.emotion && shown++ < limit) console.log(`  [${row.emotion} → ${predicted[i]}] ${row.text}`);
    });
  }
}
if (values.json) console.log(JSON.stringify(results, null, 2));
