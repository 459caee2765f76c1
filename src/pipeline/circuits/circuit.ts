/**
 * A global emotion circuit (DESIGN.md §3 step 8): per layer, the neurons and heads with the largest
 * signed scores, as many as the allocation gives the layer. Stored as `circuits/{emotion}.json`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EmotionCircuitsError, UsageError } from '../../errors.js';
import { EMOTIONS, isEmotion, type Emotion } from '../../emotions.js';
import { topIndices } from '../components/neuronAttribution.js';
import type { AllocationRules, CircuitAllocation } from './allocation.js';

export const CIRCUITS_DIR = 'circuits';
export const CIRCUIT_FORMAT = 'emotion-circuits/circuit@1';

/** Allocation rules plus the modulation strength λ. */
export interface CircuitSettings extends AllocationRules {
  /** λ per emotion: `default`, unless `overrides` names the emotion. */
  readonly lambda: { readonly default: number; readonly overrides: Readonly<Partial<Record<Emotion, number>>> };
}

/** The paper's defaults, plus our `maxKindShare` of 0.5 (1 is the paper's; see allocation.ts). The authors' released run used λ = 0.8 for anger: pass it as an override. */
export const DEFAULT_CIRCUIT_SETTINGS: CircuitSettings = {
  budgetPerSublayer: 10,
  neuronShare: 0.7,
  minimum: { neurons: 4, heads: 2 },
  layerCap: 0.4,
  maxKindShare: 0.5,
  lambda: { default: 1, overrides: {} },
};

/** Settings with every field given or defaulted, checked. */
export function resolveCircuitSettings(partial: Partial<CircuitSettings> = {}): CircuitSettings {
  const settings: CircuitSettings = {
    ...DEFAULT_CIRCUIT_SETTINGS,
    ...partial,
    minimum: { ...DEFAULT_CIRCUIT_SETTINGS.minimum, ...partial.minimum },
    lambda: { ...DEFAULT_CIRCUIT_SETTINGS.lambda, ...partial.lambda, overrides: { ...partial.lambda?.overrides } },
  };
  const check = (name: string, ok: boolean, value: unknown): void => {
    if (!ok) throw new UsageError(`circuits: ${name} is invalid (${JSON.stringify(value)})`);
  };
  check('budgetPerSublayer (a positive integer)', Number.isInteger(settings.budgetPerSublayer) && settings.budgetPerSublayer > 0, settings.budgetPerSublayer);
  check('neuronShare (in [0, 1])', settings.neuronShare >= 0 && settings.neuronShare <= 1, settings.neuronShare);
  check('layerCap (in (0, 1])', settings.layerCap > 0 && settings.layerCap <= 1, settings.layerCap);
  check('maxKindShare (in (0, 1])', settings.maxKindShare > 0 && settings.maxKindShare <= 1, settings.maxKindShare);
  for (const kind of ['neurons', 'heads'] as const) check(`minimum.${kind} (an integer ≥ 0)`, Number.isInteger(settings.minimum[kind]) && settings.minimum[kind] >= 0, settings.minimum[kind]);
  check('lambda.default (a finite number)', Number.isFinite(settings.lambda.default), settings.lambda.default);
  for (const [emotion, value] of Object.entries(settings.lambda.overrides)) {
    check(`lambda.overrides key (one of ${EMOTIONS.join(', ')})`, isEmotion(emotion), emotion);
    check(`lambda.overrides.${emotion} (a finite number)`, Number.isFinite(value), value);
  }
  return settings;
}

export function lambdaFor(settings: CircuitSettings, emotion: Emotion): number {
  return settings.lambda.overrides[emotion] ?? settings.lambda.default;
}

/** One unit of a circuit; `score` is null for random circuits. */
export interface CircuitUnit {
  readonly index: number;
  readonly score: number | null;
}

export interface KindCounts {
  readonly neurons: number;
  readonly heads: number;
}

export interface CircuitLayer {
  readonly layer: number;
  /** mlp.hook_post units, largest score first. */
  readonly neurons: readonly CircuitUnit[];
  /** attn.hook_z heads, largest score first. */
  readonly heads: readonly CircuitUnit[];
  readonly planned: KindCounts;
  readonly used: KindCounts;
  readonly shortfall: KindCounts;
}

export interface Circuit {
  readonly format: typeof CIRCUIT_FORMAT;
  readonly emotion: Emotion;
  /** Default modulation strength for this emotion. */
  readonly lambda: number;
  readonly budget: {
    readonly total: number;
    /** What the split asked for, before the maxKindShare cap. */
    readonly requested: KindCounts;
    readonly neurons: number;
    readonly heads: number;
    readonly minimum: KindCounts;
    readonly cap: KindCounts;
    readonly unplaced: KindCounts;
  };
  /**
   * log10 of how many distinct unit sets a random circuit with the same per-layer counts can be
   * (Σ over layers and kinds of log10 C(size, count)); 0 means the only random circuit is this one.
   */
  readonly randomCircuitsLog10: number;
  /** Sublayer weights the allocation used (attention → heads, MLP → neurons). */
  readonly weights: { readonly attn: readonly number[]; readonly mlp: readonly number[] };
  readonly settings: CircuitSettings;
  /** Set on random control circuits: the seed of the draw. */
  readonly random?: { readonly seed: number };
  readonly layers: readonly CircuitLayer[];
}

/** Unit scores of one emotion: [L, units] row-major. */
export interface LayerScores {
  readonly layers: number;
  readonly units: number;
  readonly values: ArrayLike<number>;
}

function topUnitsOfLayer(scores: LayerScores, layer: number, count: number): CircuitUnit[] {
  const row = Array.from({ length: scores.units }, (_, u) => scores.values[layer * scores.units + u]);
  return topIndices(row, count).map((index) => ({ index, score: row[index] }));
}

/** log10 C(n, k), summed term by term (exact enough for counts, never overflows). */
export function log10Binomial(n: number, k: number): number {
  let sum = 0;
  for (let i = 1; i <= k; i++) sum += Math.log10((n - k + i) / i);
  return sum;
}

/** Builds the circuit of `emotion` from its allocation and the signed unit scores. */
export function selectCircuit(
  emotion: Emotion,
  allocation: CircuitAllocation,
  scores: { readonly neurons: LayerScores; readonly heads: LayerScores },
  weights: Circuit['weights'],
  settings: CircuitSettings,
): Circuit {
  const { neurons, heads } = allocation;
  return {
    format: CIRCUIT_FORMAT,
    emotion,
    lambda: lambdaFor(settings, emotion),
    budget: {
      total: allocation.total,
      requested: { neurons: neurons.requested, heads: heads.requested },
      neurons: neurons.budget,
      heads: heads.budget,
      minimum: { neurons: neurons.minimum, heads: heads.minimum },
      cap: { neurons: neurons.cap, heads: heads.cap },
      unplaced: { neurons: neurons.unplaced, heads: heads.unplaced },
    },
    randomCircuitsLog10: neurons.used.reduce((sum, count, l) => sum + log10Binomial(scores.neurons.units, count) + log10Binomial(scores.heads.units, heads.used[l]), 0),
    weights,
    settings,
    layers: neurons.used.map((_, l) => ({
      layer: l,
      neurons: topUnitsOfLayer(scores.neurons, l, neurons.used[l]),
      heads: topUnitsOfLayer(scores.heads, l, heads.used[l]),
      planned: { neurons: neurons.planned[l], heads: heads.planned[l] },
      used: { neurons: neurons.used[l], heads: heads.used[l] },
      shortfall: { neurons: neurons.shortfall[l], heads: heads.shortfall[l] },
    })),
  };
}

export function circuitJsonPath(runDir: string, emotion: Emotion): string {
  return path.join(runDir, CIRCUITS_DIR, `${emotion}.json`);
}

export function circuitTensorsPath(runDir: string, emotion: Emotion): string {
  return path.join(runDir, CIRCUITS_DIR, `${emotion}.safetensors`);
}

function checkUnits(value: unknown, where: string): void {
  if (!Array.isArray(value)) throw new EmotionCircuitsError('RUN', 'expected an array of {index, score}', where);
  value.forEach((u, i) => {
    const unit = u as Partial<CircuitUnit> | null;
    if (!unit || !Number.isInteger(unit.index) || (unit.index as number) < 0 || (unit.score !== null && typeof unit.score !== 'number')) {
      throw new EmotionCircuitsError('RUN', 'expected {index: integer ≥ 0, score: number | null}', `${where}[${i}]`);
    }
  });
}

/** Parses and checks a circuit's JSON (`source` names the file in errors). */
export function parseCircuit(json: unknown, source: string): Circuit {
  const circuit = json as Partial<Circuit> | null;
  if (!circuit || circuit.format !== CIRCUIT_FORMAT) throw new EmotionCircuitsError('RUN', `expected format ${CIRCUIT_FORMAT}`, `${source}.format`);
  if (typeof circuit.emotion !== 'string' || !isEmotion(circuit.emotion)) throw new EmotionCircuitsError('RUN', `expected one of ${EMOTIONS.join(', ')}`, `${source}.emotion`);
  if (typeof circuit.lambda !== 'number' || !Number.isFinite(circuit.lambda)) throw new EmotionCircuitsError('RUN', 'expected a finite number', `${source}.lambda`);
  if (!Array.isArray(circuit.layers)) throw new EmotionCircuitsError('RUN', 'expected an array of layers', `${source}.layers`);
  circuit.layers.forEach((layer, l) => {
    if (layer?.layer !== l) throw new EmotionCircuitsError('RUN', `expected layer ${l}`, `${source}.layers[${l}].layer`);
    checkUnits(layer.neurons, `${source}.layers[${l}].neurons`);
    checkUnits(layer.heads, `${source}.layers[${l}].heads`);
  });
  return circuit as Circuit;
}

/** Reads `circuits/{emotion}.json` of a run. */
export function readCircuit(runDir: string, emotion: Emotion): Circuit {
  const file = circuitJsonPath(runDir, emotion);
  if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', 'no circuit for this emotion: run `emotion-circuits circuits` first', file);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EmotionCircuitsError('RUN', `not valid JSON (${(err as Error).message})`, file);
  }
  const circuit = parseCircuit(json, file);
  if (circuit.emotion !== emotion) throw new EmotionCircuitsError('RUN', `holds the circuit of ${circuit.emotion}, expected ${emotion}`, file);
  return circuit;
}
