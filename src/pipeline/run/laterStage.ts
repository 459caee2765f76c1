/**
 * Opening a run folder for a stage that builds on earlier ones: the manifest must record the stages
 * it needs, and the model files must be the ones the activations were collected with.
 */
import { EmotionCircuitsError } from '../../errors.js';
import { hashModelFiles, RunFolder, type Manifest, type StageRecord } from './runStore.js';

export interface LaterStageRun {
  readonly manifest: Manifest;
  readonly run: RunFolder;
  /** The records of the required stages, by name. */
  readonly required: Record<string, StageRecord>;
}

/**
 * Opens `runDir` for `stage`, which needs `required` stages (each given with the command that makes
 * it, for the error message).
 */
export function openLaterStage(runDir: string, stage: string, required: Record<string, string>): LaterStageRun {
  const manifest = RunFolder.read(runDir);
  const records: Record<string, StageRecord> = {};
  for (const [name, command] of Object.entries(required)) {
    const record = manifest.stages[name];
    if (!record) throw new EmotionCircuitsError('RUN', `${stage} needs the ${name} stage: run \`emotion-circuits ${command}\` first`, runDir);
    records[name] = record;
  }
  if (JSON.stringify(hashModelFiles(manifest.model.dir)) !== JSON.stringify(manifest.model.files)) {
    throw new EmotionCircuitsError('RUN', `the model files in ${manifest.model.dir} changed since the activations were collected; re-run \`directions\``, runDir);
  }
  const { stages: _stages, ...header } = manifest;
  return { manifest, run: RunFolder.open(runDir, header), required: records };
}
