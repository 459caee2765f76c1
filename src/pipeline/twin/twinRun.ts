/**
 * The random-weight twin's folder (RUN/twin, made by `directions`) as a run folder of its own, so
 * the later stages (sublayers, circuits, evaluation) run on it unchanged: `twin/manifest.json`
 * carries the run's header with the twin's model folder, and mirrors the run's `twin.directions`
 * (and judge filter) records; `twinComponents` adds what circuits need from the components stage
 * (rankings and difference vectors, no validation: validation.json → twin has that).
 *
 * @example
 * const twin = openTwinRun('runs/x'); // null when the run has no twin
 * if (twin) twinComponents(twin);
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Checkpoint } from '../../model/checkpoint.js';
import { HEADS_TENSORS } from '../circuits/circuitsRun.js';
import { ActivationStore } from '../collection/activationStore.js';
import { ACTIVATIONS_DIR } from '../collection/collect.js';
import { rankHeads, rankNeurons } from '../components/componentRanking.js';
import { checkpointComponentWeights, NEURONS_TENSORS, statisticsTensors } from '../components/componentsRun.js';
import { computeDiffVectors, DIFF_VECTORS_FILE, writeDiffVectors } from '../components/diffVectors.js';
import { DIRECTIONS_FILE, readDirections } from '../directions/directionSet.js';
import { JUDGE_FILTER_FILE, JUDGE_FILTER_STAGE, runJudgeFilterRows } from '../directions/judgeFilter.js';
import { hashJson, writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { hashModelFiles, RunFolder, TWIN_DIR } from '../run/runStore.js';

/** The twin's model folder inside its run folder. */
export const TWIN_MODEL_DIR = 'model';

/**
 * Opens RUN/twin as a run folder (writing its manifest), or returns null when the run's
 * `directions` made no twin. Safe to call again: the twin's own stage records are kept.
 */
export function openTwinRun(runDir: string): RunFolder | null {
  const manifest = RunFolder.read(runDir);
  const directions = manifest.stages[`${TWIN_DIR}.directions`];
  if (!directions) return null;
  const twinDir = path.join(runDir, TWIN_DIR);
  const modelDir = path.join(twinDir, TWIN_MODEL_DIR);
  const { stages: _stages, ...header } = manifest;
  const run = RunFolder.open(twinDir, {
    ...header,
    // The twin runs with the model's weights mode (int8 or stored), so the control stays comparable.
    model: { ...header.model, dir: modelDir, files: hashModelFiles(modelDir) },
    settings: { ...header.settings, twin: false, randomWeightTwinOf: header.model.dir },
  });
  // The run's records of the twin's stages, with outputs relative to the twin's folder.
  const mirror = (stage: string, inputsHash: string, outputs: string[]): void => {
    if (!run.isStageDone(stage, inputsHash)) run.completeStage(stage, inputsHash, outputs);
  };
  mirror('directions', directions.inputsHash, [DIRECTIONS_FILE]);
  const filterRecord = manifest.stages[JUDGE_FILTER_STAGE];
  if (manifest.settings.judgeFilter && filterRecord) {
    // The twin's directions came from the model's accepted rows; its later stages read the same file.
    fs.copyFileSync(path.join(runDir, JUDGE_FILTER_FILE), run.path(JUDGE_FILTER_FILE));
    mirror(JUDGE_FILTER_STAGE, filterRecord.inputsHash, [JUDGE_FILTER_FILE]);
  }
  return run;
}

/**
 * The twin's neuron and head rankings (`neurons.safetensors`, `heads.safetensors`) and difference
 * vectors (`diff_vectors.safetensors`) from its stored activations, as the components stage writes
 * them for the model; skipped when its directions are unchanged. Returns 'ran' or 'skipped'.
 */
export function twinComponents(run: RunFolder, log: (line: string) => void = () => {}): 'ran' | 'skipped' {
  const manifest = RunFolder.read(run.dir);
  const filter = runJudgeFilterRows(manifest, run.dir);
  const inputsHash = hashJson({ stage: 'twin-components@1', directions: manifest.stages.directions.inputsHash, judgeFilter: filter?.inputsHash ?? null });
  const stages = ['neurons', 'heads', 'diffVectors'] as const;
  if (stages.every((stage) => run.isStageDone(stage, inputsHash))) return 'skipped';
  for (const stage of stages) run.invalidateStage(stage);
  const store = ActivationStore.open(run.path(ACTIVATIONS_DIR));
  const directions = readDirections(run.path(DIRECTIONS_FILE));
  const checkpoint = Checkpoint.open(manifest.model.dir);
  try {
    const weights = checkpointComponentWeights(checkpoint);
    writeSafetensorsAtomic(run.path(NEURONS_TENSORS), statisticsTensors('', rankNeurons(store, directions, weights, filter?.accepted)), { format: 'emotion-circuits/neurons@1', model: 'random-weight twin' });
    run.completeStage('neurons', inputsHash, [NEURONS_TENSORS]);
    writeSafetensorsAtomic(run.path(HEADS_TENSORS), statisticsTensors('', rankHeads(store, directions, weights, filter?.accepted)), { format: 'emotion-circuits/heads@1', model: 'random-weight twin' });
    run.completeStage('heads', inputsHash, [HEADS_TENSORS]);
  } finally {
    checkpoint.close();
  }
  writeDiffVectors(run.path(DIFF_VECTORS_FILE), computeDiffVectors(store, filter?.accepted));
  run.completeStage('diffVectors', inputsHash, [DIFF_VECTORS_FILE]);
  log('neuron and head rankings and difference vectors written');
  return 'ran';
}
