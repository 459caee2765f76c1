/**
 * Where int8's next-token KL on TinyStories-656K comes from (`--only int8err`): the model run with
 * the plain-TypeScript backend, quantising one weight (or the activations) at a time, and the whole
 * model under quantisation schemes the kernels do not have (clipped scales, per-block scales along K,
 * a 9-bit grid), simulated by rounding the weights to the scheme's grid and multiplying in f32.
 * Every row: KL(stored ‖ variant) over every position of every fixture case, max and mean.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { decodeToF32, bytesPerElement } from '../src/kernels/dtype.js';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { INT16_LIMIT, roundHalfEven } from '../src/kernels/int8Reference.js';
import type { PackOptions, PackedWeight, WeightDType, WeightRowReader } from '../src/kernels/types.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { klDivergenceFromLogits } from '../src/model/logitDivergence.js';

/** A weight grid: symmetric integers in [−limit, limit], one scale per `block` values of a row (null: the whole row). */
interface Grid {
  limit: number;
  block: number | null;
  /** Scale candidates as fractions of the block's max |w| (the one with the least squared error wins). */
  clips: readonly number[];
}

const INT8_ROW: Grid = { limit: 127, block: null, clips: [1] };

/** What a variant quantises: weights by load order (0 = head/embedding, then q|k|v, o, gate|up, down per layer). */
interface Variant {
  label: string;
  grid: Grid;
  weights: (index: number) => boolean;
  /** Embedding rows read back from the quantised head/embedding weight (otherwise exact). */
  embedding: boolean;
  /** The head product with the quantised weight. */
  head: boolean;
  /** Activations rounded to int16 per row before every product. */
  activations: boolean;
}

/** One row of a weight rounded to `grid` and back to f32 (the simulated kernel's view of it). */
export function roundToGrid(row: Float32Array, grid: Grid): Float32Array {
  const out = new Float32Array(row.length);
  const block = grid.block ?? row.length;
  for (let start = 0; start < row.length; start += block) {
    const part = row.subarray(start, Math.min(row.length, start + block));
    let maxAbs = 0;
    for (const v of part) maxAbs = Math.max(maxAbs, Math.abs(v));
    let best = { error: Infinity, scale: 0 };
    for (const clip of grid.clips) {
      const scale = Math.fround((maxAbs * clip) / grid.limit);
      if (scale === 0) break;
      let error = 0;
      for (const v of part) error += (Math.max(-grid.limit, Math.min(grid.limit, roundHalfEven(Math.fround(v / scale)))) * scale - v) ** 2;
      if (error < best.error) best = { error, scale };
    }
    for (let i = 0; i < part.length; i++) {
      out[start + i] = best.scale === 0 ? 0 : Math.max(-grid.limit, Math.min(grid.limit, roundHalfEven(Math.fround(part[i] / best.scale)))) * best.scale;
    }
  }
  return out;
}

interface SimulatedWeight extends PackedWeight {
  readonly index: number;
  readonly exact: Float32Array;
  readonly rounded: Float32Array;
}

/** The JS backend with weights (and activations) rounded as `variant` says, products in f32. */
class SimulatingBackend extends JsBackend {
  private packed = 0;
  constructor(private readonly variant: Variant) {
    super();
  }

  override packWeight(source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number, _options: PackOptions = {}): PackedWeight {
    let bytes = source as Uint8Array;
    if (typeof source === 'function') {
      bytes = new Uint8Array(rows * cols * bytesPerElement(dtype));
      source(0, rows, bytes);
    }
    const exact = decodeToF32(bytes, dtype);
    const index = this.packed++;
    let rounded = exact;
    if (this.variant.weights(index)) {
      rounded = new Float32Array(exact.length);
      for (let r = 0; r < rows; r++) rounded.set(roundToGrid(exact.subarray(r * cols, (r + 1) * cols), this.variant.grid), r * cols);
    }
    const weight: SimulatedWeight = { rows, cols, dtype: 'f32', byteLength: exact.byteLength, index, exact, rounded };
    return weight;
  }

  private view(weight: PackedWeight, quantised: boolean): PackedWeight & { data: Float32Array } {
    const w = weight as SimulatedWeight;
    return { ...w, data: quantised ? w.rounded : w.exact };
  }

  override linear(x: Float32Array, m: number, weight: PackedWeight, out: Float32Array, bias?: Float32Array): void {
    const w = weight as SimulatedWeight;
    let input = x;
    if (this.variant.activations) {
      input = new Float32Array(x.length);
      for (let i = 0; i < m; i++) input.set(roundToGrid(x.subarray(i * w.cols, (i + 1) * w.cols), { limit: INT16_LIMIT, block: null, clips: [1] }), i * w.cols);
    }
    super.linear(input, m, this.view(w, w.index !== 0 || this.variant.head), out, bias);
  }

  override gatherRows(weight: PackedWeight, ids: ArrayLike<number>, out: Float32Array): void {
    super.gatherRows(this.view(weight, this.variant.embedding), ids, out);
  }
}

export interface SensitivityRow {
  label: string;
  maxKl: number;
  meanKl: number;
  /** case@position of the largest KL. */
  worst: string;
}

/** The table of `--only int8err` for TinyStories-656K in `sharedDir`. */
export async function int8Sensitivity(sharedDir: string): Promise<SensitivityRow[]> {
  const dir = path.join(sharedDir, 'models', 'tinystories-656k');
  const cases = JSON.parse(readFileSync(path.join(sharedDir, 'fixtures', 'tinystories-656k', 'cases.json'), 'utf8')) as Array<{ name: string; ids: number[] }>;
  const reference = await LanguageModel.load(dir, { backend: new JsBackend() });
  const V = reference.config.vocabSize;
  const layers = reference.config.numLayers;
  const referenceLogits = cases.map((c) => reference.run(c.ids).logits!.data);
  await reference.dispose();

  const all = (): boolean => true;
  const only = (label: string, weights: (index: number) => boolean, head = false, embedding = false): Variant => ({ label, grid: INT8_ROW, weights, head, embedding, activations: false });
  const whole = (label: string, grid: Grid, embedding = false): Variant => ({ label, grid, weights: all, head: true, embedding, activations: true });
  const variants: Variant[] = [
    whole('int8 per row, exact embedding lookup (shipped)', INT8_ROW),
    whole('int8 per row, embedding rows from the int8 head (before)', INT8_ROW, true),
    { label: 'activations to int16 only', grid: INT8_ROW, weights: () => false, head: false, embedding: false, activations: true },
    only('embedding lookup only', (i) => i === 0, false, true),
    only('head only', (i) => i === 0, true),
    ...Array.from({ length: layers }, (_, l) => ['q|k|v', 'o', 'gate|up', 'down'].map((name, j) => only(`layer ${l} ${name} only`, (i) => i === 1 + 4 * l + j))).flat(),
    whole('int8, scale clipped to least squared error', { limit: 127, block: null, clips: Array.from({ length: 40 }, (_, i) => 1 - i * 0.01) }),
    whole('int8, one scale per 64 along K', { limit: 127, block: 64, clips: [1] }),
    whole('int8, one scale per 32 along K', { limit: 127, block: 32, clips: [1] }),
    whole('int8, one scale per 16 along K', { limit: 127, block: 16, clips: [1] }),
    whole('9-bit grid (±255) per row', { limit: 255, block: null, clips: [1] }),
  ];
  const rows: SensitivityRow[] = [];
  for (const variant of variants) {
    const model = await LanguageModel.load(dir, { backend: new SimulatingBackend(variant) });
    const row: SensitivityRow = { label: variant.label, maxKl: 0, meanKl: 0, worst: '' };
    let positions = 0;
    cases.forEach((c, ci) => {
      const logits = model.run(c.ids).logits!.data;
      for (let t = 0; t < c.ids.length; t++) {
        const kl = klDivergenceFromLogits(referenceLogits[ci].subarray(t * V, (t + 1) * V), logits.subarray(t * V, (t + 1) * V));
        if (kl > row.maxKl) Object.assign(row, { maxKl: kl, worst: `${c.name}@${t}` });
        row.meanKl += kl;
        positions++;
      }
    });
    row.meanKl /= positions;
    rows.push(row);
    await model.dispose();
  }
  return rows;
}
