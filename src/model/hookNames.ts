/**
 * The hook-point vocabulary (TransformerLens names, DESIGN.md §2). Shapes are for one sequence of
 * T tokens: d = hidden size, H/Hkv = query/KV heads, dh = head dim, dff = MLP width, V = vocab.
 */
export type LayerHookSuffix =
  | 'hook_resid_pre' //      [T, d]
  | 'attn.hook_q' //         [T, H, dh]  after RoPE (and q_norm)
  | 'attn.hook_k' //         [T, Hkv, dh] after RoPE (and k_norm)
  | 'attn.hook_v' //         [T, Hkv, dh]
  | 'attn.hook_pattern' //   [H, T, Tk]  attention probabilities (Tk = cached + new keys)
  | 'attn.hook_z' //         [T, H, dh]  input of o_proj
  | 'hook_attn_out' //       [T, d]
  | 'hook_resid_mid' //      [T, d]
  | 'mlp.hook_pre' //        [T, dff]    gate projection before the activation
  | 'mlp.hook_post' //       [T, dff]    act(gate)·up, input of down_proj
  | 'hook_mlp_out' //        [T, d]
  | 'hook_resid_post'; //    [T, d]

export type LayerHookName = `blocks.${number}.${LayerHookSuffix}`;
export type HookName = 'hook_embed' | LayerHookName | 'ln_final.hook_normalized' | 'logits';

/** Per-layer hook points in the order the forward pass reaches them. */
export const LAYER_HOOK_SUFFIXES: readonly LayerHookSuffix[] = [
  'hook_resid_pre',
  'attn.hook_q',
  'attn.hook_k',
  'attn.hook_v',
  'attn.hook_pattern',
  'attn.hook_z',
  'hook_attn_out',
  'hook_resid_mid',
  'mlp.hook_pre',
  'mlp.hook_post',
  'hook_mlp_out',
  'hook_resid_post',
];

export function layerHook(layer: number, suffix: LayerHookSuffix): LayerHookName {
  return `blocks.${layer}.${suffix}`;
}

/** Every hook point of a model with `numLayers` layers, in forward order. */
export function allHookNames(numLayers: number): HookName[] {
  const names: HookName[] = ['hook_embed'];
  for (let l = 0; l < numLayers; l++) for (const s of LAYER_HOOK_SUFFIXES) names.push(layerHook(l, s));
  names.push('ln_final.hook_normalized', 'logits');
  return names;
}

/** Parses `blocks.{l}.{suffix}` into its parts; null for the global hooks or unknown names. */
export function parseLayerHook(name: string): { layer: number; suffix: LayerHookSuffix } | null {
  const match = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (!match) return null;
  const suffix = match[2] as LayerHookSuffix;
  if (!LAYER_HOOK_SUFFIXES.includes(suffix)) return null;
  return { layer: Number(match[1]), suffix };
}

/**
 * Compiles a glob over hook names: `*` matches any run of characters (dots included), `?` one
 * character; `{a,b}` alternatives. `blocks.*.hook_resid_post` matches every layer.
 */
export function hookGlob(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end < 0) throw new SyntaxError(`unclosed '{' in hook pattern ${JSON.stringify(pattern)}`);
      source += '(?:' + pattern.slice(i + 1, end).split(',').map(escapeRegExp).join('|') + ')';
      i = end;
    } else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The names among `allHookNames(numLayers)` matched by any of `patterns`. */
export function matchHooks(patterns: readonly string[], numLayers: number): Set<HookName> {
  const regexps = patterns.map(hookGlob);
  return new Set(allHookNames(numLayers).filter((n) => regexps.some((r) => r.test(n))));
}
