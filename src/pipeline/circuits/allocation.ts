/**
 * Circuit budget allocation (DESIGN.md §3 step 8), a pure function of the sublayer weights:
 *
 * 1. Budget K = multiplier × number of sublayers (2 per layer); K_n = round(split·K) neurons and
 *    K_h = K − K_n heads. Each kind's budget is then capped at ⌊maxKindShare × the model's units of
 *    that kind⌋ (not in the paper: on a small model the paper's head budget can exceed every head
 *    the model has, and a circuit holding all heads makes a random circuit with the same per-layer
 *    counts the same circuit — no control at all).
 * 2. Per kind, a minimum per layer (4 neurons, 2 heads), lowered to 1 when the kind's budget cannot
 *    give every layer the minimum, and to 0 when it cannot give every layer one unit.
 * 3. The rest R = K_kind − Σ minimums in proportion to the kind's weights w (floor, then largest
 *    remainder, ties broken by layer index). The proportional part of one layer is capped at
 *    ⌊cap·K_kind⌋ (never below ⌈R/L⌉, so the cap alone cannot leave units unplaced); what a cap cuts
 *    off is shared again among the layers under the cap the same way (water-filling). When the
 *    layers that can still take units all have zero weight, they share uniformly.
 * 4. plan = minimum + proportional part. A layer never gets more units than it has; the shortfall
 *    (and anything no layer under the cap could take) moves to the layers with the largest plan
 *    that still have room — largest plan first, ties by layer index, each filled up to its size.
 */

export interface KindAllocation {
  /** What the split asked for: round(split·K) neurons or K − that many heads. */
  readonly requested: number;
  /** Units this kind had to place: the requested budget, capped at ⌊maxKindShare × its units⌋. */
  readonly budget: number;
  /** The per-layer minimum actually used (after the downgrades to 1 and 0). */
  readonly minimum: number;
  /** max(⌊cap·budget⌋, ⌈R/L⌉): the most units the proportional part gives one layer. */
  readonly cap: number;
  /** Per layer: what the rules asked for (minimum + proportional part). */
  readonly planned: number[];
  /** Per layer: units taken (≤ the layer's size; includes back-filled units). */
  readonly used: number[];
  /** Per layer: planned units the layer could not hold (planned − min(planned, size)). */
  readonly shortfall: number[];
  /** Units no layer could hold (every layer full); 0 unless the budget exceeds the model. */
  readonly unplaced: number;
}

export interface AllocationRules {
  /** Budget units per sublayer (paper: 10). */
  readonly budgetPerSublayer: number;
  /** Share of the budget that goes to neurons (paper: 0.7). */
  readonly neuronShare: number;
  /** Minimum units per layer before downgrades (paper: 4 neurons, 2 heads). */
  readonly minimum: { readonly neurons: number; readonly heads: number };
  /** Cap of one layer's proportional part as a share of the kind's budget (paper: 0.4). */
  readonly layerCap: number;
  /**
   * Most of a kind's units in the whole model a circuit may take (ours: 0.5; 1 is the paper's
   * allocation). At 0.5 a random circuit with the same per-layer counts is a different unit set.
   */
  readonly maxKindShare: number;
}

export interface CircuitAllocation {
  readonly total: number;
  readonly neurons: KindAllocation;
  readonly heads: KindAllocation;
}

/** floor + largest remainder of `amount` over `weights` (indices in `among`), ties by index. */
function largestRemainder(amount: number, weights: readonly number[], among: readonly number[]): Map<number, number> {
  const share = new Map<number, number>();
  if (among.length === 0 || amount <= 0) return share;
  let total = 0;
  for (const l of among) total += Math.max(weights[l], 0);
  const exact = among.map((l) => (total > 0 ? (amount * Math.max(weights[l], 0)) / total : amount / among.length));
  let given = 0;
  among.forEach((l, i) => {
    const floor = Math.floor(exact[i]);
    share.set(l, floor);
    given += floor;
  });
  const order = among.map((l, i) => ({ l, remainder: exact[i] - share.get(l)! })).sort((a, b) => b.remainder - a.remainder || a.l - b.l);
  for (let k = 0; given < amount; k = (k + 1) % order.length) {
    share.set(order[k].l, share.get(order[k].l)! + 1);
    given++;
  }
  return share;
}

/**
 * Allocates `budget` units of one kind over layers with `weights` (≥ 0, any scale) and `sizes`
 * units per layer.
 */
export function allocateKind(budget: number, weights: readonly number[], sizes: readonly number[], minimum: number, layerCap: number): Omit<KindAllocation, 'requested'> {
  const layers = weights.length;
  if (sizes.length !== layers) throw new RangeError(`allocateKind: ${layers} weights but ${sizes.length} layer sizes`);
  let min = minimum;
  if (min * layers > budget) min = layers <= budget ? Math.min(1, minimum) : 0;
  const base = sizes.map((size) => Math.min(min, size));
  let rest = budget - base.reduce((a, b) => a + b, 0);
  const cap = Math.max(Math.floor(layerCap * budget), Math.ceil(rest / layers));
  const proportional = new Array<number>(layers).fill(0);
  // Water-filling under the cap.
  for (;;) {
    const open = proportional.map((p, l) => (p < cap ? l : -1)).filter((l) => l >= 0);
    if (rest <= 0 || open.length === 0) break;
    const share = largestRemainder(rest, weights, open);
    rest = 0;
    for (const [l, units] of share) {
      const taken = Math.min(units, cap - proportional[l]);
      proportional[l] += taken;
      rest += units - taken;
    }
  }
  const planned = base.map((b, l) => b + proportional[l]);
  const used = planned.map((p, l) => Math.min(p, sizes[l]));
  const shortfall = planned.map((p, l) => p - used[l]);
  let toPlace = rest + shortfall.reduce((a, b) => a + b, 0);
  const byPlan = planned.map((p, l) => ({ p, l })).sort((a, b) => b.p - a.p || a.l - b.l);
  for (const { l } of byPlan) {
    const room = sizes[l] - used[l];
    const taken = Math.min(room, toPlace);
    used[l] += taken;
    toPlace -= taken;
  }
  return { budget, minimum: min, cap, planned, used, shortfall, unplaced: toPlace };
}

/**
 * The whole allocation for a model with `layers` layers: neuron and head counts per layer from the
 * MLP and attention sublayer weights.
 */
export function allocateCircuit(
  weights: { readonly attn: readonly number[]; readonly mlp: readonly number[] },
  sizes: { readonly neurons: readonly number[]; readonly heads: readonly number[] },
  rules: AllocationRules,
): CircuitAllocation {
  const layers = weights.mlp.length;
  const total = rules.budgetPerSublayer * 2 * layers;
  const neuronBudget = Math.round(rules.neuronShare * total);
  const kind = (requested: number, kindWeights: readonly number[], kindSizes: readonly number[], minimum: number): KindAllocation => {
    const units = kindSizes.reduce((a, b) => a + b, 0);
    const budget = Math.min(requested, Math.floor(rules.maxKindShare * units));
    return { requested, ...allocateKind(budget, kindWeights, kindSizes, minimum, rules.layerCap) };
  };
  return {
    total,
    neurons: kind(neuronBudget, weights.mlp, sizes.neurons, rules.minimum.neurons),
    heads: kind(total - neuronBudget, weights.attn, sizes.heads, rules.minimum.heads),
  };
}
