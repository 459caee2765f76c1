/**
 * The public API of emotion-circuits: the engine (load, run with hooks, generate), interventions as
 * data, and the pipeline stages. Deeper modules stay importable by path for advanced use.
 */
export * from './errors.js';
export { createBackend, JsBackend, WasmBackend } from './kernels/index.js';
export type { LinearBackend, PackedWeight, WeightDType } from './kernels/types.js';
export { LanguageModel, type LoadOptions } from './model/languageModel.js';
export type { ModelConfig } from './model/config.js';
export { allHookNames, matchHooks, type HookName, type LayerHookSuffix } from './model/hookNames.js';
export type { Hook, HookContext, HookFn, Phase } from './model/hooks.js';
export type { ForwardOptions, SequenceInput, SequenceOutput } from './model/forward.js';
export type { Generation, GenerationOptions, StopReason } from './model/generate.js';
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
export { createJudge, type CreateJudgeOptions, type JudgeKind } from './judge/createJudge.js';
export type { CountingJudge, EmotionJudge, JudgeItem, JudgeOptions, JudgeStats, JudgeVerdict } from './judge/judge.js';
export { defaultArm, armInterventions, armPromptKind, ARM_METHODS, type ArmMethod, type ArmSpec, type ArmResources } from './pipeline/control/arms.js';
export { DEFAULT_DECODING, type DecodingSettings } from './pipeline/control/decoding.js';
export { steeringLayers, DEFAULT_STEERING_BAND, DEFAULT_STEERING_ALPHA, type DepthBand } from './pipeline/control/directionSteering.js';
export { SteeringSession, type SteerRequest, type SteerResult } from './pipeline/control/steer.js';
export { runEvaluation, DEFAULT_ARMS, type EvaluationReport, type EvaluationRunOptions } from './pipeline/evaluation/evaluationRun.js';
export { runSweep, type SweepOptions, type SweepFile } from './pipeline/evaluation/sweep.js';
export { runDiscover, type DiscoverOptions, type DiscoverResult } from './pipeline/discover/discover.js';
export { perSequenceHooks } from './interventions/perSequence.js';
