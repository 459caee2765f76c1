/**
 * Control vectors in llama.cpp's layout (read by `llama-cli --control-vector`, written by its
 * `cvector-generator` and by repeng): a GGUF file with `general.architecture = "controlvector"`,
 * `controlvector.layer_count`, and one F32 tensor `direction.N` of length d per layer N, added to the
 * residual stream after decoder block N (counted from 0) at every position, prompt included. In our
 * hook names that is `blocks.N.hook_resid_post`. llama.cpp never applies a vector after block 0 and
 * refuses a file with `direction.0`; so do we.
 *
 * The same tensors in a safetensors file (`direction.N`, [d]) are read too.
 *
 * @example
 * const interventions = controlVectorInterventions('happiness.gguf', model.config, 1.0);
 * model.generate([ids], { hooks: compileInterventions(interventions, model.config) });
 */
import { EmotionCircuitsError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import { GGML_TYPE_F32, ggufString, readGguf } from '../model/gguf.js';
import { SafetensorsReader } from '../model/safetensors.js';
import type { Intervention } from './intervention.js';

/** `direction.N` → N, or null for any other name. */
export function controlVectorLayer(name: string): number | null {
  const match = /^direction\.(\d+)$/.exec(name);
  return match ? Number(match[1]) : null;
}

export interface ControlVectorLayer {
  /** Decoder block after which the vector is added (≥ 1). */
  layer: number;
  /** [d] */
  vector: Float32Array;
}

function controlVectorError(file: string, message: string): EmotionCircuitsError {
  return new EmotionCircuitsError('INTERVENTION', message, file);
}

/** The per-layer vectors of a control-vector file (GGUF, or safetensors by extension), in layer order. */
export function readControlVector(file: string): ControlVectorLayer[] {
  const layers: ControlVectorLayer[] = [];
  const add = (name: string, shape: readonly number[], data: Float32Array, isF32: boolean): void => {
    const layer = controlVectorLayer(name);
    if (layer === null) throw controlVectorError(file, `tensor ${JSON.stringify(name)} is not a control-vector tensor (expected names like direction.12)`);
    if (layer === 0) throw controlVectorError(file, 'direction.0: a control vector cannot act after block 0 (llama.cpp refuses such files too); remove that tensor');
    if (shape.length !== 1) throw controlVectorError(file, `${name}: expected a 1-D tensor, got shape [${shape.join(', ')}]`);
    if (!isF32) throw controlVectorError(file, `${name}: expected F32 values (llama.cpp requires F32 control vectors)`);
    if (layers.some((l) => l.layer === layer)) throw controlVectorError(file, `${name} appears twice`);
    layers.push({ layer, vector: data });
  };
  if (file.endsWith('.safetensors')) {
    const reader = SafetensorsReader.open(file);
    try {
      for (const [name, info] of reader.tensors) {
        add(name, info.shape, reader.readF32(name), info.dtype === 'F32');
      }
    } finally {
      reader.close();
    }
  } else {
    const parsed = readGguf(file);
    const architecture = ggufString(parsed, 'general.architecture');
    if (architecture !== undefined && architecture !== 'controlvector') {
      throw controlVectorError(file, `general.architecture is ${JSON.stringify(architecture)}, not "controlvector": this is a model or another adapter, not a control vector`);
    }
    for (const t of parsed.tensors) add(t.name, t.shape, t.data, t.ggmlType === GGML_TYPE_F32);
  }
  if (layers.length === 0) throw controlVectorError(file, 'no direction.N tensors: not a control vector');
  return layers.sort((a, b) => a.layer - b.layer);
}

/**
 * A control-vector file (ours or one made by llama.cpp's cvector-generator or repeng) as `add`
 * interventions on `blocks.N.hook_resid_post` at every position, prompt and generated tokens alike,
 * each vector multiplied by `scale` (llama.cpp's `--control-vector-scaled FILE SCALE`).
 */
export function controlVectorInterventions(file: string, config: ModelConfig, scale = 1): Intervention[] {
  if (!Number.isFinite(scale)) throw controlVectorError(file, `the scale must be a finite number, got ${scale}`);
  return readControlVector(file).map(({ layer, vector }) => {
    if (layer >= config.numLayers) throw controlVectorError(file, `direction.${layer}: the model has ${config.numLayers} layers (0…${config.numLayers - 1}); this vector was made for a deeper model`);
    if (vector.length !== config.hiddenSize) throw controlVectorError(file, `direction.${layer}: length ${vector.length}, the model's hidden size is ${config.hiddenSize}; this vector was made for another model`);
    return { hook: `blocks.${layer}.hook_resid_post`, op: 'add', vector: Array.from(vector), coeff: scale, positions: 'all', phase: 'both' } satisfies Intervention;
  });
}
