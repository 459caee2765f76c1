/**
 * The public API of emotion-circuits: the engine (load, run with hooks, generate), interventions as
 * data, and the pipeline stages. Deeper modules stay importable by path for advanced use.
 */
export * from './errors.js';
export { createBackend, JsBackend, WasmBackend } from './kernels/index.js';
export type { LinearBackend, PackOptions, PackedWeight, WeightDType } from './kernels/types.js';
export { LanguageModel, type LoadOptions } from './model/languageModel.js';
export type { ModelConfig } from './model/config.js';
export { allHookNames, matchHooks, type HookName, type LayerHookSuffix } from './model/hookNames.js';
export type { Hook, HookContext, HookFn, Phase } from './model/hooks.js';
export type { ForwardOptions, SequenceInput, SequenceOutput } from './model/forward.js';
export type { Generation, GenerationOptions } from './model/generate.js';
export { KVCache } from './model/kvCache.js';
export type { Tensor } from './model/tensor.js';
export { resolveModel, type HubOptions } from './model/hub.js';
export { SafetensorsReader, writeSafetensors } from './model/safetensors.js';
export { compileInterventions } from './interventions/compile.js';
export { parseInterventions, type Intervention } from './interventions/intervention.js';
export { EMOTIONS, VALENCES, type Emotion, type Valence } from './emotions.js';
export { loadSev, parseSevJsonl, type SevItem } from './pipeline/stimuli/sev.js';
export { runDirections, type DirectionsRunOptions, type DirectionsRunResult } from './pipeline/directions/directionsRun.js';
export { runComponents, type ComponentsRunOptions, type ComponentsRunResult } from './pipeline/components/componentsRun.js';
export { circuitInterventions, equivalentVectors, randomCircuit, readCircuit, runCircuits, runSublayers, type Circuit, type CircuitSettings } from './pipeline/circuits/index.js';
