/**
 * Turns intervention data into hooks. Positions are absolute token positions, so the same
 * intervention means the same thing in a full recompute and in KV-cached decoding.
 */
import type { ModelConfig } from '../model/config.js';
import type { Hook, HookContext } from '../model/hooks.js';
import type { Tensor } from '../model/tensor.js';
import { hookRowLayout, type Intervention } from './intervention.js';

/**
 * Row indices t (of a chunk with `tokens` rows starting at `startPos`) the intervention edits.
 * `promptLength` (known in generation) places 'from-last-prompt'.
 */
export function selectedRows(positions: Intervention['positions'], tokens: number, startPos: number, promptLength?: number): number[] {
  if (positions === undefined || positions === 'all') return Array.from({ length: tokens }, (_, t) => t);
  if (positions === 'last') return [tokens - 1];
  if (positions === 'from-last-prompt') {
    const first = promptLength === undefined ? tokens - 1 : Math.max(0, promptLength - 1 - startPos);
    return Array.from({ length: Math.max(0, tokens - first) }, (_, i) => first + i);
  }
  return positions.map((p) => p - startPos).filter((t) => t >= 0 && t < tokens);
}

/** Groups of unit indices within one row: one group per head, or a single group. */
function unitGroups(intervention: Intervention, width: number, heads: number | null): number[][] {
  if (intervention.heads && heads !== null) {
    const dh = width / heads;
    return intervention.heads.map((h) => Array.from({ length: dh }, (_, i) => h * dh + i));
  }
  if (intervention.neurons) return [[...intervention.neurons]];
  return [Array.from({ length: width }, (_, i) => i)];
}

function appliesInPhase(intervention: Intervention, context: HookContext): boolean {
  const phase = intervention.phase ?? 'both';
  return phase === 'both' || phase === context.phase;
}

/** sqrt(mean(x²)) of the row of `width` starting at `base`. */
function rowRms(x: Float32Array, base: number, width: number): number {
  let sumSquares = 0;
  for (let i = 0; i < width; i++) sumSquares += x[base + i] * x[base + i];
  return Math.sqrt(sumSquares / width);
}

/** Applies one intervention to a [T, width] row-major activation. */
function editRows(intervention: Intervention, groups: number[][], x: Float32Array, width: number, rows: number[]): void {
  const c = intervention.coeff ?? 1;
  const v = intervention.vector;
  for (const t of rows) {
    const base = t * width;
    const rms = intervention.op === 'add-rms' ? rowRms(x, base, width) : 0; // of the row before any edit
    for (const group of groups) {
      switch (intervention.op) {
        case 'add':
          for (const i of group) x[base + i] += c * (v as readonly number[])[i];
          break;
        case 'add-rms': {
          const k = c * rms;
          for (const i of group) x[base + i] += k * (v as readonly number[])[i];
          break;
        }
        case 'set':
          for (const i of group) x[base + i] = c * (v as readonly number[])[i];
          break;
        case 'scale':
          for (const i of group) x[base + i] *= c;
          break;
        case 'zero':
          for (const i of group) x[base + i] = 0;
          break;
        case 'project-out': {
          const dir = v as readonly number[];
          let dot = 0;
          let norm2 = 0;
          for (const i of group) {
            dot += x[base + i] * dir[i];
            norm2 += dir[i] * dir[i];
          }
          if (norm2 === 0) break;
          const k = (c * dot) / norm2;
          for (const i of group) x[base + i] -= k * dir[i];
          break;
        }
      }
    }
  }
}

/** Edits attention probabilities [H, T, Tk]: scale or zero the rows of the selected heads. */
function editPattern(intervention: Intervention, activation: Tensor, rows: number[]): void {
  const [H, T, Tk] = activation.shape;
  const factor = intervention.op === 'zero' ? 0 : (intervention.coeff ?? 1);
  const heads = intervention.heads ?? Array.from({ length: H }, (_, h) => h);
  for (const h of heads) {
    for (const t of rows) {
      const base = (h * T + t) * Tk;
      for (let j = 0; j < Tk; j++) activation.data[base + j] *= factor;
    }
  }
}

/**
 * One hook per intervention, applied in list order. An intervention and a hook on the same point
 * run in the order they are passed to `forward`.
 */
export function compileInterventions(interventions: readonly Intervention[], config: ModelConfig): Hook[] {
  return interventions.map((intervention) => {
    const layout = hookRowLayout(config, intervention.hook);
    const isPattern = intervention.hook.endsWith('attn.hook_pattern');
    const groups = isPattern ? [] : unitGroups(intervention, layout.width, layout.heads);
    return {
      name: intervention.hook,
      fn: (activation: Tensor, context: HookContext) => {
        if (!appliesInPhase(intervention, context)) return;
        const tokens = isPattern ? activation.shape[1] : activation.shape[0];
        const rows = selectedRows(intervention.positions, tokens, context.startPos, context.promptLength);
        if (rows.length === 0) return;
        if (isPattern) editPattern(intervention, activation, rows);
        else editRows(intervention, groups, activation.data, layout.width, rows);
      },
    };
  });
}
