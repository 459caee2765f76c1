/**
 * A run folder (DESIGN.md §5): `manifest.json` says what produced the run — model files and their
 * sha256, dataset hash, settings, seed, tool version — and records, per stage, the hash of the
 * stage's inputs and the files it wrote. A re-run skips a stage whose inputs hash is unchanged and
 * whose outputs are all present; anything else runs again (and resumes, if the stage can).
 *
 * Lives in pipeline/ (not report/) so the stages can use it while imports stay one-way.
 *
 * @example
 * const run = RunFolder.open('runs/x', header);
 * if (!run.isStageDone('directions', hash)) {
 *   run.startStage('directions'); // forgets the old record, starts the clock and memory meter
 *   writeDirections(...);
 *   run.completeStage('directions', hash, ['directions.safetensors']); // records wallMs, peakRssBytes
 * }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmotionCircuitsError } from '../../errors.js';
import { sha256File, writeJsonAtomic } from './atomicWrite.js';
import type { WeightsMode } from '../../model/weights.js';
import { startStageMeter, type StageMeasurement, type StageMeter } from './stageMeter.js';

export const MANIFEST_FILE = 'manifest.json';
/** The random-weight twin's folder inside its run folder (RUN/twin): a run folder of its own. */
export const TWIN_DIR = 'twin';

/** What the run is made of; written at the start of every invocation. */
export interface ManifestHeader {
  tool: { name: string; version: string };
  model: {
    /** The model folder as the user gave it. */
    dir: string;
    /** file name → sha256 of config, tokenizer and weight files. */
    files: Record<string, string>;
    /** The run's weights mode (see weightsMode.ts); absent: 'stored'. */
    weights?: WeightsMode;
  };
  dataset: { spec: string; hash: string; train: number; test: number };
  settings: Record<string, unknown>;
  seed: number;
}

export interface StageRecord {
  /** Hash of everything the stage's result depends on. */
  inputsHash: string;
  /** Files the stage wrote, relative to the run folder. */
  outputs: string[];
  completedAt: string;
  /** The weights the model ran with in this stage, for stages that run it (see weightsMode.ts). */
  weights?: WeightsMode;
  /**
   * Wall time and peak memory of the invocation that completed the stage, measured from
   * `startStage` (or `invalidateStage`) to `completeStage`; absent when the stage was not started
   * through this RunFolder (older manifests).
   */
  wallMs?: number;
  peakRssBytes?: number;
  peakRssSource?: StageMeasurement['peakRssSource'];
}

export interface Manifest extends ManifestHeader {
  stages: Record<string, StageRecord>;
}

function runError(where: string, message: string): EmotionCircuitsError {
  return new EmotionCircuitsError('RUN', message, where);
}

export class RunFolder {
  /** Meters of the stages started and not yet completed, by stage name. */
  private readonly meters = new Map<string, StageMeter>();

  private constructor(
    readonly dir: string,
    private manifest: Manifest,
  ) {}

  /**
   * Creates `dir` if needed and writes the manifest with `header`, keeping the stage records of an
   * earlier invocation (they are checked against their inputs hash before any stage is skipped).
   */
  static open(dir: string, header: ManifestHeader): RunFolder {
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw runError(dir, 'the run folder path exists and is not a folder');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, MANIFEST_FILE);
    let stages: Record<string, StageRecord> = {};
    if (fs.existsSync(file)) {
      let old: unknown;
      try {
        old = JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (err) {
        throw runError(file, `cannot read the existing manifest (${(err as Error).message}); delete it or choose another --out`);
      }
      const oldStages = (old as { stages?: unknown }).stages;
      if (oldStages && typeof oldStages === 'object' && !Array.isArray(oldStages)) stages = oldStages as Record<string, StageRecord>;
    }
    const run = new RunFolder(dir, { ...header, stages });
    run.save();
    return run;
  }

  /** Reads an existing run's manifest (for later stages and reports). */
  static read(dir: string): Manifest {
    const file = path.join(dir, MANIFEST_FILE);
    if (!fs.existsSync(file)) throw runError(dir, `not a run folder: ${MANIFEST_FILE} is missing`);
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  }

  get header(): Readonly<Manifest> {
    return this.manifest;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  /** True when the stage last completed with the same inputs and all its outputs still exist. */
  isStageDone(stage: string, inputsHash: string): boolean {
    const record = this.manifest.stages[stage];
    return record !== undefined && record.inputsHash === inputsHash && record.outputs.every((o) => fs.existsSync(this.path(o)));
  }

  /**
   * Records a finished stage. Call only after every output has been written (atomically). When the
   * stage was started with `startStage` / `invalidateStage`, its wall time and peak memory are
   * recorded too.
   */
  completeStage(stage: string, inputsHash: string, outputs: string[], details: { weights?: WeightsMode } = {}): void {
    const meter = this.meters.get(stage);
    this.meters.delete(stage);
    const measurement = meter?.finish();
    this.manifest.stages[stage] = { inputsHash, outputs, completedAt: new Date().toISOString(), ...details, ...measurement };
    this.save();
  }

  /**
   * Forgets a stage's record and starts its clock and memory meter (see stageMeter.ts); the
   * following `completeStage` records both.
   */
  startStage(stage: string): void {
    this.meters.get(stage)?.finish();
    this.meters.set(stage, startStageMeter());
    if (!(stage in this.manifest.stages)) return;
    delete this.manifest.stages[stage];
    this.save();
  }

  /** Forgets a stage (its inputs changed and it is about to run again); the same as `startStage`. */
  invalidateStage(stage: string): void {
    this.startStage(stage);
  }

  private save(): void {
    writeJsonAtomic(this.path(MANIFEST_FILE), this.manifest);
  }
}

/** Files of a model folder whose bytes decide what the model computes and how prompts tokenize. */
const MODEL_FILE_PATTERN = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|chat_template\.jinja|special_tokens_map\.json|.*\.safetensors|model\.safetensors\.index\.json)$/;

/** sha256 of each config, tokenizer and weight file in `dir`, by file name (sorted). */
export function hashModelFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (MODEL_FILE_PATTERN.test(name) && fs.statSync(full).isFile()) files[name] = sha256File(full);
  }
  return files;
}

let toolCache: { name: string; version: string } | undefined;

/** Name and version from this package's package.json (found above this module, in src/ or dist/). */
export function toolVersion(): { name: string; version: string } {
  if (toolCache) return toolCache;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'emotion-circuits') {
        toolCache = { name: pkg.name, version: pkg.version ?? '0.0.0' };
        return toolCache;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { name: 'emotion-circuits', version: 'unknown' };
    dir = parent;
  }
}
