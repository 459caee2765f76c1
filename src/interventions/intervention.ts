/**
 * Interventions as data (DESIGN.md §2): serialisable edits of one hook point, so the CLI, the web
 * UI and saved runs can all express them. `compileInterventions` turns them into hooks.
 */
import { InterventionError } from '../errors.js';
import type { ModelConfig } from '../model/config.js';
import { allHookNames, parseLayerHook, type HookName } from '../model/hookNames.js';

export type InterventionOp = 'add' | 'add-rms' | 'scale' | 'set' | 'zero' | 'project-out';
/**
 * 'last' = the last row of each forward chunk (the last prompt token in prefill, the new token in
 * decode). 'from-last-prompt' = every absolute position ≥ promptLength − 1 (the last prompt token and
 * every generated one), which a full recompute with the same prompt length edits identically; when
 * the prompt length is unknown (a plain forward pass) the chunk is taken as the prompt (its last row).
 */
export type InterventionPositions = 'all' | 'last' | 'from-last-prompt' | number[];
export type InterventionPhase = 'prefill' | 'decode' | 'both';

export interface Intervention {
  readonly hook: HookName;
  readonly op: InterventionOp;
  /** Restrict to these heads (hook_q/k/v/z: [T, heads, dh]; hook_pattern: [H, T, Tk]). */
  readonly heads?: readonly number[];
  /** Restrict to these units of the last axis (neurons of mlp.hook_post, dimensions of the residual). */
  readonly neurons?: readonly number[];
  /**
   * add: x += coeff·vector; add-rms: x += coeff·RMS(x)·vector, with RMS(x) = sqrt(mean of x² over the
   * whole row before the edit) (steering that scales with the state); set: x = coeff·vector;
   * project-out: x −= coeff·(x·v̂)v̂ over the selected units. Length: the row width of the hook (d, dff, heads·dh).
   */
  readonly vector?: readonly number[];
  /** Multiplier; default 1 (scale: the factor). */
  readonly coeff?: number;
  readonly positions?: InterventionPositions;
  readonly phase?: InterventionPhase;
}

const OPS: readonly InterventionOp[] = ['add', 'add-rms', 'scale', 'set', 'zero', 'project-out'];

/** Width of one position's row at `hook`, and the number of heads when the row splits into heads. */
export function hookRowLayout(config: ModelConfig, hook: HookName): { width: number; heads: number | null } {
  if (hook === 'hook_embed' || hook === 'ln_final.hook_normalized') return { width: config.hiddenSize, heads: null };
  if (hook === 'logits') return { width: config.vocabSize, heads: null };
  const parsed = parseLayerHook(hook);
  if (!parsed) throw new InterventionError('hook', `unknown hook point ${JSON.stringify(hook)}`);
  const dh = config.headDim;
  switch (parsed.suffix) {
    case 'attn.hook_q':
    case 'attn.hook_z':
      return { width: config.numHeads * dh, heads: config.numHeads };
    case 'attn.hook_k':
    case 'attn.hook_v':
      return { width: config.numKvHeads * dh, heads: config.numKvHeads };
    case 'attn.hook_pattern':
      return { width: 0, heads: config.numHeads }; // rows are keys: width varies with the cache
    case 'mlp.hook_pre':
    case 'mlp.hook_post':
      return { width: config.intermediateSize, heads: null };
    default:
      return { width: config.hiddenSize, heads: null };
  }
}

function fail(where: string, message: string): never {
  throw new InterventionError(where, message);
}

function indexList(value: unknown, where: string, limit: number, what: string): number[] {
  if (!Array.isArray(value)) fail(where, `expected an array of ${what} indices`);
  return value.map((x, i) => {
    if (!Number.isInteger(x) || x < 0 || x >= limit) fail(`${where}[${i}]`, `expected an integer ${what} index in [0, ${limit}), got ${JSON.stringify(x)}`);
    return x as number;
  });
}

/**
 * Validates untrusted JSON (a single intervention or an array) against a model's shapes.
 * `source` names the file or field for error messages.
 */
export function parseInterventions(json: unknown, config: ModelConfig, source = 'interventions'): Intervention[] {
  const list = Array.isArray(json) ? json : [json];
  const names = new Set<string>(allHookNames(config.numLayers));
  return list.map((raw, index) => {
    const where = Array.isArray(json) ? `${source}[${index}]` : source;
    if (typeof raw !== 'object' || raw === null) fail(where, 'expected an object');
    const item = raw as Record<string, unknown>;
    const known = new Set(['hook', 'op', 'heads', 'neurons', 'vector', 'coeff', 'positions', 'phase']);
    for (const key of Object.keys(item)) if (!known.has(key)) fail(`${where}.${key}`, `unknown field (expected one of ${[...known].join(', ')})`);
    if (typeof item.hook !== 'string' || !names.has(item.hook)) {
      fail(`${where}.hook`, `expected a hook point of this ${config.numLayers}-layer model (e.g. blocks.0.hook_resid_post), got ${JSON.stringify(item.hook)}`);
    }
    const hook = item.hook as HookName;
    if (typeof item.op !== 'string' || !OPS.includes(item.op as InterventionOp)) fail(`${where}.op`, `expected one of ${OPS.join(', ')}, got ${JSON.stringify(item.op)}`);
    const op = item.op as InterventionOp;
    const layout = hookRowLayout(config, hook);
    const isPattern = hook.endsWith('attn.hook_pattern');
    const heads = item.heads === undefined ? undefined : layout.heads === null
      ? fail(`${where}.heads`, `hook ${hook} has no heads`)
      : indexList(item.heads, `${where}.heads`, layout.heads, 'head');
    if (item.neurons !== undefined && isPattern) fail(`${where}.neurons`, 'hook_pattern takes heads, not neurons');
    const neurons = item.neurons === undefined ? undefined : indexList(item.neurons, `${where}.neurons`, layout.width, 'unit');
    if (heads && neurons) fail(where, 'give heads or neurons, not both');
    let vector: number[] | undefined;
    const needsVector = op === 'add' || op === 'add-rms' || op === 'set' || op === 'project-out';
    if (needsVector) {
      if (isPattern) fail(`${where}.op`, `${op} needs a fixed row width; hook_pattern supports scale and zero`);
      if (!Array.isArray(item.vector)) fail(`${where}.vector`, `op ${op} needs a vector of ${layout.width} numbers`);
      if (item.vector.length !== layout.width) fail(`${where}.vector`, `expected ${layout.width} numbers (the row width of ${hook}), got ${item.vector.length}`);
      vector = item.vector.map((x, i) => (typeof x === 'number' && Number.isFinite(x) ? x : fail(`${where}.vector[${i}]`, 'expected a finite number')));
    } else if (item.vector !== undefined) fail(`${where}.vector`, `op ${op} takes no vector`);
    if (item.coeff !== undefined && (typeof item.coeff !== 'number' || !Number.isFinite(item.coeff))) fail(`${where}.coeff`, 'expected a finite number');
    let positions: InterventionPositions = 'all';
    if (item.positions !== undefined) {
      if (item.positions === 'all' || item.positions === 'last' || item.positions === 'from-last-prompt') positions = item.positions;
      else positions = indexList(item.positions, `${where}.positions`, config.maxPositionEmbeddings, 'position');
    }
    const phase = item.phase ?? 'both';
    if (phase !== 'prefill' && phase !== 'decode' && phase !== 'both') fail(`${where}.phase`, `expected prefill, decode or both, got ${JSON.stringify(phase)}`);
    return { hook, op, heads, neurons, vector, coeff: item.coeff as number | undefined, positions, phase };
  });
}
