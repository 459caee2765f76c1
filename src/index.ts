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
export { readAttribution, runAttribution, type AttributionFile, type AttributionRunOptions, type AttributionRunResult } from './pipeline/attribution/attributionRun.js';
export { GradModel, type Tape } from './model/grad/gradModel.js';
export type { BackwardRequest, BackwardResult } from './model/grad/backward.js';
export type { HookValue } from './model/grad/hookRows.js';
export { initParams, paramLayout, paramsFromCheckpoint, type LlamaShape, type ParamLayout } from './model/grad/params.js';
export { train, type StepRecord, type TrainOptions, type TrainProgress, type TrainResult } from './train/trainer.js';
export type { TrainExample } from './train/dataset.js';
export { exportHfFolder } from './train/hfExport.js';
export { trainProgressReporter } from './cli/progress.js';
export { listRuns, type RunSummary, type StageSummary } from './pipeline/run/runList.js';
export { renderReport, writeReport, REPORT_FILE } from './report/report.js';
export { controlVectorInterventions, readControlVector } from './interventions/controlVector.js';
export { decodeGguf, encodeGguf, gguf, GgufError, readGguf, writeGguf, type GgufFile, type GgufTensor, type GgufValue } from './model/gguf.js';
export { exportControlVector, type ExportOptions, type ExportResult } from './pipeline/export/controlVectorExport.js';
export { startServer, type RunningServer, type ServerOptions, type ServerStatus } from './server/server.js';
export { trainBpe, tokenizerJson, type BpeModel, type BpeTrainOptions } from './tokenizer/bpeTrainer.js';
export { generateCorpus, organismSev, type CorpusExample, type CorpusOptions, type OrganismSevKind } from './organism/corpus/generator.js';
export { buildDataset, encodeConversation } from './organism/dataset.js';
export { trainOrganism, type TrainOrganismOptions, type TrainOrganismResult } from './organism/trainOrganism.js';
