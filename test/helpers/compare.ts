/** Numeric comparison used by the fixture tests (tolerances from fixtures/README.md). */
export interface Difference {
  maxAbs: number;
  relL2: number;
  refMaxAbs: number;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): Difference {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ expected ${expected.length}`);
  let maxAbs = 0;
  let diff2 = 0;
  let ref2 = 0;
  let refMaxAbs = 0;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    diff2 += d * d;
    ref2 += expected[i] * expected[i];
    refMaxAbs = Math.max(refMaxAbs, Math.abs(expected[i]));
  }
  return { maxAbs, relL2: Math.sqrt(diff2) / Math.max(Math.sqrt(ref2), 1e-30), refMaxAbs };
}
