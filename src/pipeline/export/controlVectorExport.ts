/**
 * Exports a run's emotion direction or emotion circuit as a control vector (DESIGN.md §3 step 9):
 * one vector per layer N ≥ 1, meant to be added to the residual after decoder block N at every
 * position (llama.cpp `--control-vector`, repeng, or `controlVectorInterventions` here).
 *
 * - direction: α·σ_l·v_{e,l} at the direction-steering layers (round(0.39·L)…round(0.71·L)−1, never layer 0),
 *   with v_{e,l} the unit MLP-site direction (resid_post) and σ_l the RMS of resid_post at the last
 *   prompt token averaged over the run's instructed train prompts. It is the static form of direction
 *   steering (α·RMS(h)·v with h the current state), applied at every position instead of the last ones.
 * - circuit: per layer, attn_out + mlp_out of `circuits/{emotion}.safetensors` (the circuit's exact
 *   equivalent pair: W_O·λΔz and W_down·λΔμ). A control vector can only approximate the circuit:
 *   the attention part is added after the block, so that layer's MLP no longer reads it; both parts
 *   act at every position, not from the last prompt token on; and layer 0 cannot be carried.
 *
 * @example
 * const result = exportControlVector({ runDir: 'runs/x', emotion: 'anger', what: 'direction', format: 'gguf', out: 'anger.gguf' });
 * console.log(result.summary.join('\n'));
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError, EmotionCircuitsError } from '../../errors.js';
import { EMOTIONS, type Emotion } from '../../emotions.js';
import { gguf, writeGguf, type GgufValue } from '../../model/gguf.js';
import { SafetensorsReader } from '../../model/safetensors.js';
import { ActivationStore } from '../collection/activationStore.js';
import { ACTIVATIONS_DIR } from '../collection/collect.js';
import { writeSafetensorsAtomic } from '../run/atomicWrite.js';
import { CIRCUITS_DIR } from '../circuits/circuit.js';
import { DEFAULT_STEERING_ALPHA, steeringLayers } from '../control/directionSteering.js';
import { DIRECTIONS_FILE } from '../directions/directionSet.js';
import { RunFolder } from '../run/runStore.js';

export type ExportWhat = 'direction' | 'circuit';
export type ExportFormat = 'gguf' | 'safetensors';

/** The authors' direction-steering strength. */
export const DEFAULT_DIRECTION_ALPHA = DEFAULT_STEERING_ALPHA;

export interface ExportOptions {
  runDir: string;
  emotion: Emotion;
  what: ExportWhat;
  format: ExportFormat;
  out: string;
  /** Direction export only: α (default 8). */
  alpha?: number;
}

export interface ExportResult {
  /** Layers written (each ≥ 1), ascending. */
  layers: number[];
  /** [layers.length][d] */
  vectors: Float32Array[];
  /** String metadata written into the file (also in the GGUF's `emotion_circuits.*` keys). */
  metadata: Record<string, string>;
  /** Lines for the user: what was written and what it approximates. */
  summary: string[];
}

/**
 * The layers a direction control vector covers: the direction-steering band of the control arms
 * (round(0.39·L) … round(0.71·L) − 1), without layer 0 (llama.cpp never adds a vector after block 0).
 */
export function directionSteeringLayers(numLayers: number): number[] {
  return steeringLayers(numLayers).filter((l) => l >= 1);
}

/** σ_l: mean over the instructed train prompts of RMS(resid_post[l]) at the last prompt token; [L]. */
export function residPostRms(runDir: string): Float64Array {
  const store = ActivationStore.open(path.join(runDir, ACTIVATIONS_DIR));
  const rows = store.select((s) => s.split === 'train' && s.kind === 'instructed');
  if (rows.length === 0) throw new EmotionCircuitsError('RUN', 'no instructed train prompts in the activation store', store.dir);
  const { data, layers, width } = store.read('resid_post', rows);
  const sigma = new Float64Array(layers);
  for (let r = 0; r < rows.length; r++) {
    for (let l = 0; l < layers; l++) {
      let sumSquares = 0;
      const base = (r * layers + l) * width;
      for (let i = 0; i < width; i++) sumSquares += data[base + i] * data[base + i];
      sigma[l] += Math.sqrt(sumSquares / width) / rows.length;
    }
  }
  return sigma;
}

function readRows(file: string, name: string): { rows: Float32Array[]; layers: number; width: number } {
  const reader = SafetensorsReader.open(file);
  try {
    const shape = reader.info(name).shape;
    if (shape.length !== 2) throw new EmotionCircuitsError('RUN', `${name}: expected [layers, d], got [${shape.join(', ')}]`, file);
    const [layers, width] = shape;
    const data = reader.readF32(name);
    return { rows: Array.from({ length: layers }, (_, l) => data.slice(l * width, (l + 1) * width)), layers, width };
  } finally {
    reader.close();
  }
}

function requireFile(file: string, next: string): void {
  if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', `missing; ${next}`, file);
}

function norm(v: Float32Array): number {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

function directionVectors(runDir: string, emotion: Emotion, alpha: number): Pick<ExportResult, 'layers' | 'vectors' | 'metadata' | 'summary'> {
  const file = path.join(runDir, DIRECTIONS_FILE);
  requireFile(file, `run \`emotion-circuits directions --out ${runDir}\` first`);
  const { rows, layers: numLayers } = readRows(file, `mlp.${emotion}`);
  const sigma = residPostRms(runDir);
  const layers = directionSteeringLayers(numLayers);
  if (layers.length === 0) throw new EmotionCircuitsError('RUN', `a ${numLayers}-layer model has no layer after block 0 to carry a control vector`, runDir);
  const vectors = layers.map((l) => rows[l].map((x) => alpha * sigma[l] * x));
  const approximates =
    `direction steering of ${emotion}: alpha * sigma_l * v_l added to the residual after block l (blocks.l.hook_resid_post), ` +
    'with v_l the unit MLP-site direction and sigma_l the mean RMS of that residual at the last token of the instructed train prompts; ' +
    'direction steering scales by the current RMS and acts from the last prompt token on, this vector is fixed and acts at every position';
  return {
    layers,
    vectors,
    metadata: {
      approximates,
      scaling: `alpha=${alpha}; sigma per layer: ${layers.map((l) => `${l}:${sigma[l].toPrecision(6)}`).join(',')}`,
      layer_band: 'round(0.39*L) .. round(0.71*L)-1 (the direction-steering band), layer 0 excluded',
    },
    summary: [
      `direction steering vector for ${emotion}: layers ${layers.join(', ')} of ${numLayers} (band round(0.39·L)…round(0.71·L)−1), each α·σ_l·v_l with α = ${alpha}`,
      `approximates: ${approximates}`,
    ],
  };
}

function circuitVectors(runDir: string, emotion: Emotion): Pick<ExportResult, 'layers' | 'vectors' | 'metadata' | 'summary'> {
  const file = path.join(runDir, CIRCUITS_DIR, `${emotion}.safetensors`);
  requireFile(file, 'run the circuits stage on this run first (it writes circuits/{emotion}.safetensors)');
  const attn = readRows(file, 'attn_out');
  const mlp = readRows(file, 'mlp_out');
  if (attn.layers !== mlp.layers || attn.width !== mlp.width) throw new EmotionCircuitsError('RUN', `attn_out [${attn.layers}, ${attn.width}] and mlp_out [${mlp.layers}, ${mlp.width}] differ in shape`, file);
  const layers: number[] = [];
  const vectors: Float32Array[] = [];
  for (let l = 1; l < attn.layers; l++) {
    const sum = attn.rows[l].map((x, i) => x + mlp.rows[l][i]);
    if (norm(sum) > 0) {
      layers.push(l);
      vectors.push(sum);
    }
  }
  const dropped = norm(attn.rows[0].map((x, i) => x + mlp.rows[0][i]));
  if (layers.length === 0) throw new EmotionCircuitsError('RUN', 'the circuit has no nonzero vector after layer 0, so there is nothing a control vector can carry', file);
  const approximates =
    `circuit modulation of ${emotion}: per layer l the circuit's equivalent pair attn_out + mlp_out added after block l at every position. ` +
    'Approximation: the attention part is added after the block, so the same layer\'s MLP no longer reads it; ' +
    'both parts act at all positions instead of the MLP part acting from the last prompt token on; ' +
    `layer 0 cannot be carried (its pair had norm ${dropped.toPrecision(4)})`;
  return {
    layers,
    vectors,
    metadata: { approximates, scaling: 'as stored in the circuit (lambda included)', layer_band: 'every layer >= 1 with a nonzero pair' },
    summary: [`circuit vector for ${emotion}: layers ${layers.join(', ')} of ${attn.layers}`, `approximates: ${approximates}`],
  };
}

/** Builds the control vector and writes it as GGUF (llama.cpp layout) or safetensors (same tensor names). */
export function exportControlVector(options: ExportOptions): ExportResult {
  const { runDir, emotion, what, format, out } = options;
  if (!EMOTIONS.includes(emotion)) throw new UsageError(`export: unknown emotion ${JSON.stringify(emotion)}; expected one of ${EMOTIONS.join(', ')}`);
  const alpha = options.alpha ?? DEFAULT_DIRECTION_ALPHA;
  if (!Number.isFinite(alpha)) throw new UsageError(`export: alpha must be a finite number, got ${alpha}`);
  const manifest = RunFolder.read(runDir);
  const part = what === 'direction' ? directionVectors(runDir, emotion, alpha) : circuitVectors(runDir, emotion);
  const metadata: Record<string, string> = {
    format: 'emotion-circuits/control-vector@1',
    emotion,
    what,
    hook: 'blocks.{N}.hook_resid_post (added after decoder block N, every position)',
    layers: part.layers.join(','),
    source_model: path.basename(manifest.model.dir),
    tool_version: manifest.tool.version,
    ...part.metadata,
  };
  const width = part.vectors[0].length;
  const tensors = part.layers.map((l, i) => ({ name: `direction.${l}`, shape: [width], data: part.vectors[i] }));
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  if (format === 'gguf') {
    const kv: Record<string, GgufValue> = {
      'general.architecture': gguf.string('controlvector'),
      'general.name': gguf.string(`emotion-circuits ${what} ${emotion}`),
      'controlvector.model_hint': gguf.string(modelHint(manifest.model.dir)),
      'controlvector.layer_count': gguf.i32(part.layers.length),
    };
    for (const [key, value] of Object.entries(metadata)) kv[`emotion_circuits.${key}`] = gguf.string(value);
    writeGguf(out, kv, tensors);
  } else {
    writeSafetensorsAtomic(out, tensors, metadata);
  }
  return { ...part, metadata, summary: [...part.summary, `wrote ${out} (${format}, ${tensors.length} tensors direction.N of length ${width})`] };
}

/** The model family (config.json `model_type`) when the run's model folder is readable, else "unknown". */
function modelHint(modelDir: string): string {
  try {
    const config = JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as { model_type?: unknown };
    return typeof config.model_type === 'string' ? config.model_type : 'unknown';
  } catch {
    return 'unknown';
  }
}
