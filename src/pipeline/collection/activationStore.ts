/**
 * Reads the activation store written by `collectActivations` (see collect.ts for the layout):
 * the sample table and any site for any subset of rows, gathered across chunk files.
 *
 * @example
 * const store = ActivationStore.open('runs/x/activations');
 * const rows = store.select((s) => s.split === 'train' && s.kind === 'instructed');
 * const mid = store.read('resid_mid', rows);   // data [rows.length, L, d]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError } from '../../errors.js';
import { SafetensorsReader } from '../../model/safetensors.js';
import { INDEX_FILE, SAMPLES_FILE, type ActivationIndex, type ActivationSite, type SampleRecord } from './collect.js';
import type { SiteActivations } from '../directions/directions.js';

export class ActivationStore {
  private constructor(
    readonly dir: string,
    readonly index: ActivationIndex,
    readonly samples: readonly SampleRecord[],
  ) {}

  /** Opens a complete store; an incomplete one (interrupted collection) is an error. */
  static open(dir: string): ActivationStore {
    const indexFile = path.join(dir, INDEX_FILE);
    if (!fs.existsSync(indexFile)) throw new EmotionCircuitsError('RUN', 'no activation store here (index.json is missing)', dir);
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as ActivationIndex;
    if (!index.complete) throw new EmotionCircuitsError('RUN', 'the activation store is incomplete: run the collection again to resume it', indexFile);
    const samplesFile = path.join(dir, SAMPLES_FILE);
    const samples = fs.readFileSync(samplesFile, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as SampleRecord);
    if (samples.length !== index.rows) {
      throw new EmotionCircuitsError('RUN', `expected ${index.rows} samples, found ${samples.length}`, samplesFile);
    }
    return new ActivationStore(dir, index, samples);
  }

  /** Row indices of the samples that satisfy `predicate`, in row order. */
  select(predicate: (sample: SampleRecord) => boolean): number[] {
    return this.samples.filter(predicate).map((s) => s.row);
  }

  /**
   * The site's values for `rows` (in the given order): [rows.length, L, width]. The final-state
   * sites have no layer axis and come back with layers = 1.
   */
  read(site: ActivationSite, rows: readonly number[]): SiteActivations {
    const rowShape = this.index.sites[site].rowShape;
    const layers = rowShape.length === 2 ? rowShape[0] : 1;
    const width = rowShape[rowShape.length - 1];
    const size = layers * width;
    const data = new Float32Array(rows.length * size);
    // Which output positions each chunk serves, so every chunk file is opened once.
    const wanted = new Map<number, Array<{ out: number; local: number }>>();
    rows.forEach((row, out) => {
      if (!Number.isInteger(row) || row < 0 || row >= this.index.rows) {
        throw new EmotionCircuitsError('RUN', `row ${row} is outside the store's ${this.index.rows} rows`, this.dir);
      }
      const chunk = Math.floor(row / this.index.chunkSize);
      const list = wanted.get(chunk) ?? [];
      list.push({ out, local: row - chunk * this.index.chunkSize });
      wanted.set(chunk, list);
    });
    for (const [chunk, positions] of wanted) {
      const record = this.index.chunks[chunk];
      const reader = SafetensorsReader.open(path.join(this.dir, record.file));
      try {
        const values = reader.readF32(site);
        for (const { out, local } of positions) data.set(values.subarray(local * size, (local + 1) * size), out * size);
      } finally {
        reader.close();
      }
    }
    return { data, rows: rows.length, layers, width };
  }
}
