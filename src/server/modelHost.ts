/**
 * Holds at most one model in memory for the server: loaded on first use for the model a run was
 * made with (its manifest's model folder, or a folder given on the command line), replaced when a
 * request needs another one. Callers run inside the generation queue, so loads never overlap.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError } from '../errors.js';
import { LanguageModel } from '../model/languageModel.js';
import type { WeightsMode } from '../model/weights.js';
import { RunFolder } from '../pipeline/run/runStore.js';
import { runWeights } from '../pipeline/run/weightsMode.js';

export class ModelHost {
  private current: { dir: string; weights: WeightsMode; model: LanguageModel } | null = null;
  private loading: Promise<LanguageModel> | null = null;

  /**
   * `override`: one model folder (or hub id) for every run, instead of each manifest's; `weights`:
   * one weights mode for every run, instead of each manifest's (manifest.model.weights).
   */
  constructor(
    private readonly override?: string,
    private readonly weights?: WeightsMode,
  ) {}

  /** The weights mode the run's model is loaded with. */
  weightsFor(runDir: string): WeightsMode {
    return this.weights ?? runWeights(RunFolder.read(runDir));
  }

  /** The folder the run's model is loaded from. */
  modelDirFor(runDir: string): string {
    if (this.override) return this.override;
    const dir = RunFolder.read(runDir).model.dir;
    const candidates = path.isAbsolute(dir) ? [dir] : [path.resolve(dir), path.resolve(runDir, dir)];
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found) {
      throw new EmotionCircuitsError('RUN', `the run's model folder ${dir} is not found from here; start the server with --model DIR`, path.join(runDir, 'manifest.json'));
    }
    return found;
  }

  get loadedDir(): string | null {
    return this.current?.dir ?? null;
  }

  /** The model for `dir` with `weights`, loading it (and disposing of the previous one) when needed. */
  async get(dir: string, weights: WeightsMode): Promise<LanguageModel> {
    const isCurrent = (): boolean => this.current?.dir === dir && this.current.weights === weights;
    if (isCurrent()) return this.current!.model;
    if (this.loading) await this.loading.catch(() => undefined);
    if (isCurrent()) return this.current!.model;
    const previous = this.current;
    this.current = null;
    if (previous) await previous.model.dispose();
    this.loading = LanguageModel.load(dir, { weights });
    try {
      const model = await this.loading;
      this.current = { dir, weights, model };
      return model;
    } finally {
      this.loading = null;
    }
  }

  async dispose(): Promise<void> {
    if (this.loading) await this.loading.catch(() => undefined);
    const previous = this.current;
    this.current = null;
    if (previous) await previous.model.dispose();
  }
}
