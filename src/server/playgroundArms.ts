/**
 * The steering methods of the playground, each turned into the prompt and hooks of the steered
 * continuation (the unsteered one always gets the uninstructed prompt and no hooks):
 *
 * - none: the same as the unsteered continuation (a baseline check).
 * - prompt: the instructed prompt (`Always reply in {emotion}.`), no hooks.
 * - direction: α·RMS(h)·v_l added to blocks.l.hook_resid_post for l in the direction-steering band,
 *   at the last prompt position and every generated one, with h the current row and v_l the unit
 *   MLP-site direction of the run (DESIGN §3 step 10); strength = α.
 * - random: the same with a random unit vector per layer (seeded): the control for direction.
 * - circuit: the circuit's equivalent pair from circuits/{emotion}.safetensors: strength·attn_out[l]
 *   on blocks.l.hook_attn_out at all positions, strength·mlp_out[l] on blocks.l.hook_mlp_out from the
 *   last prompt position on (DESIGN §3 step 9); strength = multiplier of the stored λ.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EMOTIONS, type Emotion } from '../emotions.js';
import { EmotionCircuitsError } from '../errors.js';
import { compileInterventions } from '../interventions/compile.js';
import type { Intervention } from '../interventions/intervention.js';
import type { ModelConfig } from '../model/config.js';
import type { Hook } from '../model/hooks.js';
import { SafetensorsReader } from '../model/safetensors.js';
import { DIRECTIONS_FILE } from '../pipeline/directions/directionSet.js';
import { CIRCUITS_DIR, directionSteeringLayers } from '../pipeline/export/controlVectorExport.js';
import { systemInstruction, type ChatMessage } from '../pipeline/stimuli/prompts.js';
import { seededRandom } from '../random.js';

export const METHODS = ['none', 'prompt', 'direction', 'circuit', 'random'] as const;
export type Method = (typeof METHODS)[number];

export interface ArmRequest {
  prompt: string;
  emotion: Emotion;
  method: Method;
  strength: number;
  seed: number;
}

export interface Arms {
  unsteered: ChatMessage[];
  steered: ChatMessage[];
  /** Hooks of the steered continuation. */
  hooks: Hook[];
}

/** Which methods a run folder can serve (direction and random need directions; circuit needs circuit files). */
export function availableMethods(runDir: string): Record<Method, boolean> {
  const hasDirections = fs.existsSync(path.join(runDir, DIRECTIONS_FILE));
  const circuitsDir = path.join(runDir, CIRCUITS_DIR);
  const hasCircuit = EMOTIONS.some((e) => fs.existsSync(path.join(circuitsDir, `${e}.safetensors`)));
  return { none: true, prompt: true, direction: hasDirections, random: hasDirections, circuit: hasCircuit };
}

function uninstructed(prompt: string): ChatMessage[] {
  return [
    { role: 'system', content: systemInstruction(null) },
    { role: 'user', content: prompt },
  ];
}

function readLayerRows(file: string, name: string, config: ModelConfig): Float32Array {
  const reader = SafetensorsReader.open(file);
  try {
    const [layers, width] = reader.info(name).shape;
    if (layers !== config.numLayers || width !== config.hiddenSize) {
      throw new EmotionCircuitsError('RUN', `${name} is [${layers}, ${width}] but the model has ${config.numLayers} layers of width ${config.hiddenSize}: the run was made with another model`, file);
    }
    return reader.readF32(name);
  } finally {
    reader.close();
  }
}

/** Adds α·RMS(row)·v to the last row of every chunk (last prompt token, then each new token). */
function residualSteeringHooks(vectors: Map<number, Float32Array>, alpha: number): Hook[] {
  return [...vectors].map(([layer, v]) => ({
    name: `blocks.${layer}.hook_resid_post`,
    fn: (activation) => {
      const d = v.length;
      const base = activation.data.length - d;
      let sumSquares = 0;
      for (let i = 0; i < d; i++) sumSquares += activation.data[base + i] ** 2;
      const scale = alpha * Math.sqrt(sumSquares / d);
      for (let i = 0; i < d; i++) activation.data[base + i] += scale * v[i];
    },
  }));
}

function randomUnit(d: number, random: () => number): Float32Array {
  const v = Float32Array.from({ length: d }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** The prompts and hooks of both continuations for one playground request. */
export function buildArms(runDir: string, config: ModelConfig, request: ArmRequest): Arms {
  const { prompt, emotion, method, strength } = request;
  const unsteered = uninstructed(prompt);
  if (method === 'none') return { unsteered, steered: unsteered, hooks: [] };
  if (method === 'prompt') {
    return { unsteered, steered: [{ role: 'system', content: systemInstruction(emotion) }, { role: 'user', content: prompt }], hooks: [] };
  }
  const layers = directionSteeringLayers(config.numLayers);
  const d = config.hiddenSize;
  if (method === 'direction' || method === 'random') {
    const file = path.join(runDir, DIRECTIONS_FILE);
    if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', 'this run has no directions yet: run `emotion-circuits directions` on it first', runDir);
    const all = readLayerRows(file, `mlp.${emotion}`, config);
    const random = seededRandom(request.seed);
    const vectors = new Map(layers.map((l) => [l, method === 'direction' ? all.slice(l * d, (l + 1) * d) : randomUnit(d, random)]));
    return { unsteered, steered: unsteered, hooks: residualSteeringHooks(vectors, strength) };
  }
  const file = path.join(runDir, CIRCUITS_DIR, `${emotion}.safetensors`);
  if (!fs.existsSync(file)) throw new EmotionCircuitsError('RUN', `this run has no circuit for ${emotion} (circuits/${emotion}.safetensors): run the circuits stage first`, runDir);
  const attn = readLayerRows(file, 'attn_out', config);
  const mlp = readLayerRows(file, 'mlp_out', config);
  const interventions: Intervention[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    interventions.push({ hook: `blocks.${l}.hook_attn_out`, op: 'add', vector: Array.from(attn.subarray(l * d, (l + 1) * d)), coeff: strength, positions: 'all', phase: 'both' });
    interventions.push({ hook: `blocks.${l}.hook_mlp_out`, op: 'add', vector: Array.from(mlp.subarray(l * d, (l + 1) * d)), coeff: strength, positions: 'last', phase: 'both' });
  }
  return { unsteered, steered: unsteered, hooks: compileInterventions(interventions, config) };
}
