/**
 * Where int8's next-token KL on TinyStories-656K comes from (`--only int8err`): the model run with
 * the plain-TypeScript backend, quantising one weight (or the activations) at a time, and the whole
 * model under quantisation schemes the kernels do not have (clipped scales, per-block scales along K,
 * a 9-bit grid, a Hadamard rotation, GPTQ on the model's own sampled text), simulated by rounding
 * the weights (bench/weightRounding.ts) and multiplying in f32. Every row: KL(stored ‖ variant) over
 * every position of every fixture case (max and mean) and at each case's last position (max).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { JsBackend } from '../src/kernels/jsBackend.js';
import { INT16_LIMIT, quantizeRow } from '../src/kernels/int8Reference.js';
import type { PackOptions, PackedWeight, WeightDType, WeightRowReader } from '../src/kernels/types.js';
import { LanguageModel } from '../src/model/languageModel.js';
import { klDivergenceFromLogits } from '../src/model/logitDivergence.js';
import { seededRandom } from '../src/random.js';
import { INT8_ROW, gptqRound, roundToGrid, rotatedRound, type Grid } from './weightRounding.js';

/** How a variant rounds weight number `index` ([rows, cols], f32), returning the simulated kernel's view. */
type WeightRounder = (exact: Float32Array, rows: number, cols: number, index: number) => Float32Array;

/** What a variant quantises: weights by load order (0 = head/embedding, then q|k|v, o, gate|up, down per layer). */
interface Variant {
  label: string;
  round: WeightRounder;
  weights: (index: number) => boolean;
  /** Embedding rows read back from the quantised head/embedding weight (otherwise exact). */
  embedding: boolean;
  /** The head product with the quantised weight. */
  head: boolean;
  /** Activations rounded to int16 per row before every product. */
  activations: boolean;
}

/** Rounds every row of a weight on `grid`. */
function byRow(grid: Grid): WeightRounder {
  return (exact, rows, cols) => {
    const out = new Float32Array(exact.length);
    for (let r = 0; r < rows; r++) out.set(roundToGrid(exact.subarray(r * cols, (r + 1) * cols), grid), r * cols);
    return out;
  };
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
    const exact = this.unpack(super.packWeight(source, dtype, rows, cols)); // [rows, cols] f32, never quantised here
    const index = this.packed++;
    let rounded = exact;
    if (this.variant.weights(index)) {
      rounded = this.variant.round(exact, rows, cols, index);
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
      // Each row to int16 and back, as the kernels quantise activations.
      input = new Float32Array(x.length);
      const q = new Int16Array(w.cols);
      for (let i = 0; i < m; i++) {
        const scale = quantizeRow(x.subarray(i * w.cols, (i + 1) * w.cols), INT16_LIMIT, q);
        for (let c = 0; c < w.cols; c++) input[i * w.cols + c] = q[c] * scale;
      }
    }
    super.linear(input, m, this.view(w, w.index !== 0 || this.variant.head), out, bias);
  }

  override gatherRows(weight: PackedWeight, ids: ArrayLike<number>, out: Float32Array): void {
    super.gatherRows(this.view(weight, this.variant.embedding), ids, out);
  }
}

/**
 * The JS backend, recording each weight's input second moment H = Σ x·xᵀ ([K, K], f64) over every
 * row it multiplies; weights are numbered in load order, as in {@link Variant}.
 */
class InputMomentsBackend extends JsBackend {
  readonly moments: Float64Array[] = [];
  /** Off while the calibration text is generated; on for the passes whose inputs count. */
  recording = false;
  private readonly indexOf = new WeakMap<PackedWeight, number>();

  override packWeight(source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number, options: PackOptions = {}): PackedWeight {
    const weight = super.packWeight(source, dtype, rows, cols, options);
    this.indexOf.set(weight, this.moments.length);
    this.moments.push(new Float64Array(cols * cols));
    return weight;
  }

  override linear(x: Float32Array, m: number, weight: PackedWeight, out: Float32Array, bias?: Float32Array): void {
    const k = weight.cols;
    const h = this.moments[this.indexOf.get(weight)!];
    for (let i = 0; this.recording && i < m; i++) {
      const row = x.subarray(i * k, (i + 1) * k); // [K]
      for (let a = 0; a < k; a++) {
        const xa = row[a];
        for (let b = 0; b < k; b++) h[a * k + b] += xa * row[b];
      }
    }
    super.linear(x, m, weight, out, bias);
  }
}

/** Calibration for GPTQ: text the model writes itself from BOS (sampled, seed 7), so no fixture prompt is seen. */
const CALIBRATION = { sequences: 16, tokens: 128, temperature: 1, seed: 7 };

/** Each weight's H over the model's own sampled text (see {@link CALIBRATION}), and how many tokens that was. */
async function selfGeneratedMoments(dir: string): Promise<{ moments: Float64Array[]; tokens: number }> {
  const backend = new InputMomentsBackend();
  const model = await LanguageModel.load(dir, { backend });
  const bos = model.config.bosTokenId ?? 0;
  const generations = model.generate(Array.from({ length: CALIBRATION.sequences }, () => [bos]), {
    maxNewTokens: CALIBRATION.tokens, temperature: CALIBRATION.temperature, seed: CALIBRATION.seed, stopTokenIds: [],
  });
  // Each text whole, as one prompt: its rows are what H counts.
  backend.recording = true;
  let tokens = 0;
  for (const g of generations) {
    model.run([bos, ...g.ids]);
    tokens += 1 + g.ids.length;
  }
  await model.dispose();
  return { moments: backend.moments, tokens };
}

export interface SensitivityRow {
  label: string;
  maxKl: number;
  meanKl: number;
  /** Largest KL at a case's last position (the next token after the whole prompt). */
  maxLastKl: number;
  /** case@position of the largest KL. */
  worst: string;
}

/** Per weight (load order): the mean over its rows of max |w| / rms(w), and the same for rows of standard normal values. */
export interface WeightTails {
  index: number;
  rows: number;
  cols: number;
  maxOverRms: number;
  gaussianMaxOverRms: number;
}

/** max |v| / rms(v) of each row of a [rows, cols] matrix, averaged over the rows. */
export function meanMaxOverRms(values: Float32Array | Float64Array, rows: number, cols: number): number {
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    let maxAbs = 0, squares = 0;
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c];
      maxAbs = Math.max(maxAbs, Math.abs(v));
      squares += v * v;
    }
    sum += squares > 0 ? maxAbs / Math.sqrt(squares / cols) : 0;
  }
  return sum / rows;
}

/** How heavy-tailed each weight's rows of TinyStories-656K are, beside Gaussian rows of the same length. */
export async function int8WeightTails(sharedDir: string): Promise<WeightTails[]> {
  const exact: Array<{ data: Float32Array; rows: number; cols: number }> = [];
  const recorder = new (class extends JsBackend {
    override packWeight(source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number, options: PackOptions = {}): PackedWeight {
      const weight = super.packWeight(source, dtype, rows, cols, options);
      exact.push({ data: this.unpack(weight), rows, cols });
      return weight;
    }
  })();
  const model = await LanguageModel.load(path.join(sharedDir, 'models', 'tinystories-656k'), { backend: recorder });
  await model.dispose();
  const random = seededRandom(5);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()); // Box–Muller
  return exact.map(({ data, rows, cols }, index) => {
    const gaussian = Float64Array.from({ length: 256 * cols }, normal);
    return { index, rows, cols, maxOverRms: meanMaxOverRms(data, rows, cols), gaussianMaxOverRms: meanMaxOverRms(gaussian, 256, cols) };
  });
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

  const { moments, tokens } = await selfGeneratedMoments(dir);
  const gptq = (block: number | null): WeightRounder => (exact, rows, cols, index) => gptqRound(exact, rows, cols, moments[index], { limit: 127, block });
  const random = seededRandom(11);
  const rotated: WeightRounder = (exact, rows, cols) => {
    const signs = Float64Array.from({ length: cols }, () => (random() < 0.5 ? -1 : 1));
    const out = new Float32Array(exact.length);
    for (let r = 0; r < rows; r++) out.set(rotatedRound(exact.subarray(r * cols, (r + 1) * cols), signs, INT8_ROW), r * cols);
    return out;
  };

  const all = (): boolean => true;
  const only = (label: string, weights: (index: number) => boolean, head = false, embedding = false): Variant => ({ label, round: byRow(INT8_ROW), weights, head, embedding, activations: false });
  const whole = (label: string, grid: Grid | WeightRounder, embedding = false): Variant => ({
    label, round: typeof grid === 'function' ? grid : byRow(grid), weights: all, head: true, embedding, activations: true,
  });
  const variants: Variant[] = [
    whole('int8 per row, exact embedding lookup (shipped)', INT8_ROW),
    whole('int8 per row, embedding rows from the int8 head (before)', INT8_ROW, true),
    { label: 'activations to int16 only', round: byRow(INT8_ROW), weights: () => false, head: false, embedding: false, activations: true },
    only('embedding lookup only', (i) => i === 0, false, true),
    only('head only', (i) => i === 0, true),
    ...Array.from({ length: layers }, (_, l) => ['q|k|v', 'o', 'gate|up', 'down'].map((name, j) => only(`layer ${l} ${name} only`, (i) => i === 1 + 4 * l + j))).flat(),
    whole('int8, scale clipped to least squared error', { limit: 127, block: null, clips: Array.from({ length: 40 }, (_, i) => 1 - i * 0.01) }),
    whole('int8, one scale per 64 along K', { limit: 127, block: 64, clips: [1] }),
    whole('int8, one scale per 32 along K', { limit: 127, block: 32, clips: [1] }),
    whole('int8, one scale per 16 along K', { limit: 127, block: 16, clips: [1] }),
    whole('9-bit grid (±255) per row', { limit: 255, block: null, clips: [1] }),
    whole('int8 per row after a random-sign Hadamard rotation of K', rotated),
    whole(`GPTQ per row (H from ${tokens} self-generated tokens)`, gptq(null)),
    whole('GPTQ, one scale per 32 along K', gptq(32)),
    whole('GPTQ, one scale per 16 along K', gptq(16)),
  ];
  const rows: SensitivityRow[] = [];
  for (const variant of variants) {
    const model = await LanguageModel.load(dir, { backend: new SimulatingBackend(variant) });
    const row: SensitivityRow = { label: variant.label, maxKl: 0, meanKl: 0, maxLastKl: 0, worst: '' };
    let positions = 0;
    cases.forEach((c, ci) => {
      const logits = model.run(c.ids).logits!.data;
      for (let t = 0; t < c.ids.length; t++) {
        const kl = klDivergenceFromLogits(referenceLogits[ci].subarray(t * V, (t + 1) * V), logits.subarray(t * V, (t + 1) * V));
        if (kl > row.maxKl) Object.assign(row, { maxKl: kl, worst: `${c.name}@${t}` });
        row.meanKl += kl;
        if (t === c.ids.length - 1) row.maxLastKl = Math.max(row.maxLastKl, kl);
        positions++;
      }
    });
    row.meanKl /= positions;
    rows.push(row);
    await model.dispose();
  }
  return rows;
}
