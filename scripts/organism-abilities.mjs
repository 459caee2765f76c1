// Measures the organism's two abilities (src/organism/abilities.ts) with the built-in judge on the
// held-out organism SEV sets and on the project's SEV test split (out of distribution).
//   node scripts/organism-abilities.mjs [--model models/organism] [--limit N]
import { parseArgs } from 'node:util';
import { createJudge } from '../dist/src/judge/createJudge.js';
import { LanguageModel } from '../dist/src/model/languageModel.js';
import { measureAbilities } from '../dist/src/organism/abilities.js';
import { loadSev, loadSevFile } from '../dist/src/pipeline/stimuli/sev.js';

const { values } = parseArgs({ options: { model: { type: 'string', default: 'models/organism' }, limit: { type: 'string' } } });
const limit = values.limit === undefined ? Infinity : Number(values.limit);
const model = await LanguageModel.load(values.model);
const judge = createJudge('builtin');
const pct = (s) => `${(100 * s.share).toFixed(1)} % (${s.hits}/${s.total})`;
const sets = [
  ['organism held-out (new setups, objects, event wordings)', 'data/organism-sev', 'test'],
  ['organism held-out, familiar event wordings', 'data/organism-sev/test-familiar.jsonl', null],
  ['project SEV test split (out of distribution)', 'sev', 'test'],
];
try {
  for (const [label, spec, split] of sets) {
    const items = (split ? loadSev(spec, split) : loadSevFile(spec)).slice(0, limit);
    const started = Date.now();
    const a = await measureAbilities(model, items, judge);
    console.log(`${label}: ${a.items} scenarios, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`  instructed: ${pct(a.instructed.overall)}  ${Object.entries(a.instructed.byEmotion).map(([e, s]) => `${e} ${(100 * s.share).toFixed(0)}`).join(', ')}`);
    console.log(`  valence-following: ${pct(a.valence.overall)}  ${Object.entries(a.valence.byValence).map(([v, s]) => `${v} ${(100 * s.share).toFixed(0)}`).join(', ')}`);
    console.log(`  judge failures: ${a.judgeFailures}`);
    for (const s of a.samples.slice(0, 7)) console.log(`    [${s.kind} ${s.emotion ?? '-'} ${s.valence} → ${s.label}] ${s.text}`);
  }
} finally {
  await model.dispose();
}
