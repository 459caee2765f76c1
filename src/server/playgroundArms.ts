/**
 * The playground's methods are the evaluation's control arms (src/pipeline/control/arms.ts), so
 * what the page shows is what `evaluate` measures:
 *
 * - none: uninstructed prompt, no edit (the steered text equals the unsteered one: a baseline check).
 * - prompt: the instructed prompt (`Always reply in {emotion}.`).
 * - direction: α·RMS(h)·v_l on blocks.l.hook_resid_post over the 39–71 % band, from the last prompt
 *   token on; strength = α (default 8).
 * - circuit: the emotion's circuit modulation (λΔμ on its neurons, λΔz on its heads); strength = λ
 *   (default: the circuit's own).
 * - random: a random circuit with the same per-layer counts and the emotion's Δ; strength = λ, the
 *   request's seed picks the draw.
 *
 * The unsteered continuation always reads the uninstructed prompt with no edit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Emotion } from '../emotions.js';
import { compileInterventions } from '../interventions/compile.js';
import type { ModelConfig } from '../model/config.js';
import type { Hook } from '../model/hooks.js';
import { loadArmResources } from '../pipeline/control/armResources.js';
import { ARM_METHODS, armInterventions, armPromptKind, defaultArm, type ArmMethod, type ArmSpec } from '../pipeline/control/arms.js';
import { DIRECTIONS_FILE } from '../pipeline/directions/directionSet.js';
import { RunFolder } from '../pipeline/run/runStore.js';
import { systemInstruction, type ChatMessage } from '../pipeline/stimuli/prompts.js';

export const METHODS = ARM_METHODS;
export type Method = ArmMethod;

export interface ArmRequest {
  prompt: string;
  emotion: Emotion;
  method: Method;
  /** α for direction, λ for circuit and random; null = the method's default. */
  strength: number | null;
  seed: number;
}

export interface Arms {
  unsteered: ChatMessage[];
  steered: ChatMessage[];
  /** Hooks of the steered continuation. */
  hooks: Hook[];
  arm: ArmSpec;
}

/** Which methods a run folder can serve: direction needs the directions stage, circuit and random the circuits stage. */
export function availableMethods(runDir: string): Record<Method, boolean> {
  const stages = RunFolder.read(runDir).stages ?? {};
  const hasDirections = stages.directions !== undefined && fs.existsSync(path.join(runDir, DIRECTIONS_FILE));
  const hasCircuits = hasDirections && stages.circuits !== undefined;
  return { none: true, prompt: true, direction: hasDirections, circuit: hasCircuits, random: hasCircuits };
}

function messages(prompt: string, emotion: Emotion | null): ChatMessage[] {
  return [
    { role: 'system', content: systemInstruction(emotion) },
    { role: 'user', content: prompt },
  ];
}

/** The prompts and hooks of both continuations for one playground request. */
export function buildArms(runDir: string, config: ModelConfig, request: ArmRequest): Arms {
  const { method, emotion } = request;
  const base = defaultArm(method, request.strength ?? undefined);
  const arm: ArmSpec = base.method === 'random' ? { ...base, seeds: [request.seed] } : base;
  const needsRun = method !== 'none' && method !== 'prompt';
  const interventions = needsRun ? armInterventions(arm, emotion, loadArmResources(runDir), method === 'random' ? request.seed : null) : [];
  return {
    unsteered: messages(request.prompt, null),
    steered: messages(request.prompt, armPromptKind(arm) === 'instructed' ? emotion : null),
    hooks: compileInterventions(interventions, config),
    arm,
  };
}
