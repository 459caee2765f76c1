/**
 * Context-agnostic emotion directions (DESIGN.md §3, step 2). For each group g (one scenario ×
 * one valence) and emotion e, with h_{g,e} the activation at a site of layer l:
 *
 *   δ_{g,e} = h_{g,e} − mean_e' h_{g,e'}        (remove what the scenario and valence contribute)
 *   c_e     = mean_g δ_{g,e}                    (the emotion's centred mean; Σ_e c_e = 0 exactly)
 *   v_e     = c_e / ‖c_e‖                       (unit direction, per layer)
 *
 * Sites: "attn" = blocks.{l}.hook_resid_mid, "mlp" = blocks.{l}.hook_resid_post. All sums are f64.
 *
 * @example
 * const c = centredEmotionMeans(site, labels);          // [E, L, d]
 * const { directions, norms } = unitDirections(c, site.layers, site.width);
 */
import { EmotionCircuitsError } from '../../errors.js';
import { EMOTIONS } from '../../emotions.js';
import { seededRandom, shuffleInPlace } from '../../random.js';

export const EMOTION_COUNT = EMOTIONS.length;

/** Activations of one site for n rows: data [n, L, width]. */
export interface SiteActivations {
  readonly data: Float32Array;
  readonly rows: number;
  readonly layers: number;
  readonly width: number;
}

/** Per row: its group (any integer id) and its emotion index into EMOTIONS. */
export interface RowLabels {
  readonly group: readonly number[];
  readonly emotion: readonly number[];
}

/** Row indices of each group, in first-appearance order of the groups. */
export function rowsByGroup(group: readonly number[]): number[][] {
  const byGroup = new Map<number, number[]>();
  group.forEach((g, row) => {
    const list = byGroup.get(g);
    if (list) list.push(row);
    else byGroup.set(g, [row]);
  });
  return [...byGroup.values()];
}

/**
 * c_e for every emotion and layer: [E, L, width] (f64). Every group must hold every emotion at
 * least once (several rows of one (g, e) are averaged into h_{g,e}). `rowFilter` restricts the
 * groups used (e.g. one valence, or half the themes) without copying the activations.
 *
 * `partialGroups` (the judge filter, where rejected replies leave holes): a group is centred over
 * the emotions it holds, A_g, so δ_{g,e} = h_{g,e} − mean_{e'∈A_g} h_{g,e'}; groups with fewer than
 * two emotions carry no contrast and are skipped; c_e = mean of δ_{g,e} over the groups that hold
 * e. Complete groups give exactly the unfiltered result. An emotion held by no usable group is an
 * error naming it.
 */
export function centredEmotionMeans(x: SiteActivations, labels: RowLabels, rowFilter?: (row: number) => boolean, partialGroups = false): Float64Array {
  const { layers, width } = x;
  const E = EMOTION_COUNT;
  const size = layers * width;
  const c = new Float64Array(E * size);
  const h = new Float64Array(E * size); // h_{g,e}, [E, L·width], reused per group
  const counts = new Array<number>(E);
  const groupsPerEmotion = new Array<number>(E).fill(0);
  let groups = 0;
  for (const rows of rowsByGroup(labels.group)) {
    if (rowFilter && !rowFilter(rows[0])) continue;
    h.fill(0);
    counts.fill(0);
    for (const row of rows) {
      const e = labels.emotion[row];
      counts[e]++;
      const src = row * size;
      const dst = e * size;
      for (let i = 0; i < size; i++) h[dst + i] += x.data[src + i];
    }
    const missing = counts.findIndex((n) => n === 0);
    if (missing >= 0 && !partialGroups) {
      throw new EmotionCircuitsError('RUN', `group ${labels.group[rows[0]]} has no row for emotion ${EMOTIONS[missing]}; every group needs all ${E} emotions`);
    }
    const present = counts.flatMap((n, e) => (n > 0 ? [e] : []));
    if (present.length < 2) continue;
    for (const e of present) if (counts[e] > 1) for (let i = 0; i < size; i++) h[e * size + i] /= counts[e];
    for (let i = 0; i < size; i++) {
      let groupMean = 0;
      for (const e of present) groupMean += h[e * size + i];
      groupMean /= present.length;
      for (const e of present) c[e * size + i] += h[e * size + i] - groupMean;
    }
    for (const e of present) groupsPerEmotion[e]++;
    groups++;
  }
  if (groups === 0) throw new EmotionCircuitsError('RUN', 'no groups to compute directions from');
  const empty = groupsPerEmotion.findIndex((n) => n === 0);
  if (empty >= 0) throw new EmotionCircuitsError('RUN', `no group with at least two emotions holds emotion ${EMOTIONS[empty]}; the judge filter accepted too few of its replies`);
  for (let e = 0; e < E; e++) for (let i = e * size; i < (e + 1) * size; i++) c[i] /= groupsPerEmotion[e];
  return c;
}

/**
 * Normalises each c_e per layer: directions [E, L, width] (f32, unit norm) and the norms ‖c_e‖
 * [L, E] (f64), so c_e = norm · v_e can be recovered (Σ_e norm·v_e = 0 is the centring check).
 * A zero c_e (no signal at all) gives a zero direction and norm 0.
 */
export function unitDirections(c: Float64Array, layers: number, width: number): { directions: Float32Array; norms: Float64Array } {
  const E = EMOTION_COUNT;
  const directions = new Float32Array(E * layers * width);
  const norms = new Float64Array(layers * E);
  for (let e = 0; e < E; e++) {
    for (let l = 0; l < layers; l++) {
      const base = (e * layers + l) * width;
      let s = 0;
      for (let i = 0; i < width; i++) s += c[base + i] * c[base + i];
      const norm = Math.sqrt(s);
      norms[l * E + e] = norm;
      if (norm > 0) for (let i = 0; i < width; i++) directions[base + i] = c[base + i] / norm;
    }
  }
  return { directions, norms };
}

/**
 * The permutation control: emotion labels shuffled within each group (seeded). Each group keeps
 * one row per emotion, so the directions are computed exactly as before but carry no emotion.
 */
export function shuffleEmotionsWithinGroups(labels: RowLabels, seed: number): RowLabels {
  const random = seededRandom(seed);
  const emotion = [...labels.emotion];
  for (const rows of rowsByGroup(labels.group)) {
    const shuffled = shuffleInPlace(rows.map((r) => labels.emotion[r]), random);
    rows.forEach((row, i) => (emotion[row] = shuffled[i]));
  }
  return { group: labels.group, emotion };
}

/**
 * Subtracts from every row the mean of its group's rows (all emotions of that scenario × valence):
 * the "centred activation" that held-out classification compares with the directions. f64 [n, L, width].
 */
export function centreWithinGroups(x: SiteActivations, group: readonly number[]): Float64Array {
  const size = x.layers * x.width;
  const out = new Float64Array(x.rows * size);
  const mean = new Float64Array(size);
  for (const rows of rowsByGroup(group)) {
    mean.fill(0);
    for (const row of rows) for (let i = 0; i < size; i++) mean[i] += x.data[row * size + i];
    for (let i = 0; i < size; i++) mean[i] /= rows.length;
    for (const row of rows) for (let i = 0; i < size; i++) out[row * size + i] = x.data[row * size + i] - mean[i];
  }
  return out;
}

/** Mean over rows, [L, width] (f64). */
export function meanRow(x: SiteActivations): Float64Array {
  const size = x.layers * x.width;
  const mean = new Float64Array(size);
  for (let r = 0; r < x.rows; r++) for (let i = 0; i < size; i++) mean[i] += x.data[r * size + i];
  for (let i = 0; i < size; i++) mean[i] /= Math.max(x.rows, 1);
  return mean;
}

/** Subtracts one fixed vector [L, width] from every row. f64 [n, L, width]. */
export function centreBy(x: SiteActivations, mean: Float64Array): Float64Array {
  const size = x.layers * x.width;
  const out = new Float64Array(x.rows * size);
  for (let r = 0; r < x.rows; r++) for (let i = 0; i < size; i++) out[r * size + i] = x.data[r * size + i] - mean[i];
  return out;
}

/** cos(a, b) of two equal-length slices; 0 when either is zero. */
export function cosine(a: ArrayLike<number>, aStart: number, b: ArrayLike<number>, bStart: number, width: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < width; i++) {
    const x = a[aStart + i];
    const y = b[bStart + i];
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/**
 * Nearest-direction classification, per layer: row r is predicted as argmax_e cos(centred[r, l],
 * v_e[l]). Returns per-layer accuracy, per-layer per-emotion recall [L][E] and predictions [L][n].
 */
export function nearestDirectionAccuracy(
  centred: Float64Array, rows: number, layers: number, width: number, directions: Float32Array, emotion: readonly number[],
): { accuracy: number[]; recall: number[][]; predictions: number[][] } {
  const E = EMOTION_COUNT;
  const accuracy: number[] = [];
  const recall: number[][] = [];
  const predictions: number[][] = [];
  for (let l = 0; l < layers; l++) {
    let correct = 0;
    const hits = new Array<number>(E).fill(0);
    const totals = new Array<number>(E).fill(0);
    const predicted: number[] = [];
    for (let r = 0; r < rows; r++) {
      let best = 0;
      let bestCos = -Infinity;
      for (let e = 0; e < E; e++) {
        const cos = cosine(centred, (r * layers + l) * width, directions, (e * layers + l) * width, width);
        if (cos > bestCos) {
          bestCos = cos;
          best = e;
        }
      }
      predicted.push(best);
      totals[emotion[r]]++;
      if (best === emotion[r]) {
        correct++;
        hits[best]++;
      }
    }
    accuracy.push(rows > 0 ? correct / rows : 0);
    recall.push(hits.map((h, e) => (totals[e] > 0 ? h / totals[e] : 0)));
    predictions.push(predicted);
  }
  return { accuracy, recall, predictions };
}
