/**
 * Global emotion circuits (DESIGN.md §3 steps 6, 8, 9): the public surface of the sublayer and
 * circuit stages, for the control arms, evaluation and the CLI.
 */
export { allocateCircuit, allocateKind, type AllocationRules, type CircuitAllocation, type KindAllocation } from './allocation.js';
export {
  CIRCUITS_DIR, DEFAULT_CIRCUIT_SETTINGS, circuitJsonPath, circuitTensorsPath, lambdaFor, parseCircuit, readCircuit, resolveCircuitSettings, selectCircuit,
  type Circuit, type CircuitLayer, type CircuitSettings, type CircuitUnit, type KindCounts, type LayerScores,
} from './circuit.js';
export { runCircuits, type CircuitsRunOptions, type CircuitsRunResult } from './circuitsRun.js';
export {
  circuitInterventions, equivalentInterventions, equivalentVectors, randomCircuit, readEquivalentVectors, type EquivalentVectors, type OutputProjections,
} from './modulation.js';
export { readSublayers, runSublayers, SUBLAYERS_FILE, type SublayersFile, type SublayersRunOptions, type SublayersRunResult } from '../sublayers/sublayersRun.js';
export { DEFAULT_ALPHAS, sublayerInfluence, sublayerWeights, siteScales, type Sublayer } from '../sublayers/sublayerInfluence.js';
