/**
 * The organism's SEV sets as JSONL files the pipeline reads (`--dataset DIR` loads
 * `DIR/train.jsonl` and `DIR/test.jsonl`): `train.jsonl` from the training part of the corpus
 * catalogue, `test.jsonl` from the held-out part (setups, objects and event wordings never used in
 * training), and `test-familiar.jsonl` (held-out setups and objects with training event wordings).
 *
 * The copy in `data/organism-sev/` is regenerated with
 * `node -e "import('./dist/src/organism/sevFiles.js').then((m) => m.writeOrganismSev('data/organism-sev'))"`
 * (a test checks that it matches the generator).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../atomicFile.js';
import { canonicalSevJson } from '../pipeline/stimuli/sev.js';
import { organismSev, type OrganismSevKind, type OrganismSevOptions } from './corpus/generator.js';

/** File name of each SEV set. */
export const ORGANISM_SEV_FILES: Readonly<Record<OrganismSevKind, string>> = {
  train: 'train.jsonl',
  heldout: 'test.jsonl',
  'heldout-familiar': 'test-familiar.jsonl',
};

/** The JSONL text of one set. */
export function organismSevJsonl(kind: OrganismSevKind, options: OrganismSevOptions = {}): string {
  return organismSev(kind, options).map(canonicalSevJson).join('\n') + '\n';
}

/** Writes the three sets into `dir`; returns the paths written. */
export function writeOrganismSev(dir: string, options: OrganismSevOptions = {}): string[] {
  return (Object.keys(ORGANISM_SEV_FILES) as OrganismSevKind[]).map((kind) => {
    const file = path.join(dir, ORGANISM_SEV_FILES[kind]);
    writeFileAtomic(file, organismSevJsonl(kind, options));
    return file;
  });
}
