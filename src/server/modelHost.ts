/**
 * Holds at most one model in memory for the server: loaded on first use for the model a run was
 * made with (its manifest's model folder, or a folder given on the command line), replaced when a
 * request needs another one. Callers run inside the generation queue, so loads never overlap.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError } from '../errors.js';
import { LanguageModel } from '../model/languageModel.js';
import { RunFolder } from '../pipeline/run/runStore.js';

export class ModelHost {
  private current: { dir: string; model: LanguageModel } | null = null;
  private loading: Promise<LanguageModel> | null = null;

  /** `override`: one model folder (or hub id) for every run, instead of each manifest's. */
  constructor(private readonly override?: string) {}

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

  /** The model for `dir`, loading it (and disposing of the previous one) when needed. */
  async get(dir: string): Promise<LanguageModel> {
    if (this.current?.dir === dir) return this.current.model;
    if (this.loading) await this.loading.catch(() => undefined);
    if (this.current?.dir === dir) return this.current.model;
    const previous = this.current;
    this.current = null;
    if (previous) await previous.model.dispose();
    this.loading = LanguageModel.load(dir);
    try {
      const model = await this.loading;
      this.current = { dir, model };
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
