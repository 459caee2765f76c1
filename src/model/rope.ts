/**
 * Rotary position embeddings in the HF "rotate_half" layout: dimension j pairs with j + dh/2.
 * Frequencies are computed in float64 (the fixtures' reference precision).
 */
import type { ModelConfig } from './config.js';

/** inv_freq[i] = θ^(−2i/dh), i < dh/2, then Llama-3 scaled when the config asks for it. */
export function inverseFrequencies(config: ModelConfig): Float64Array {
  const half = config.headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / config.ropeTheta ** ((2 * i) / config.headDim);
  const scaling = config.ropeScaling;
  if (scaling && scaling.type === 'llama3') {
    // Wavelengths shorter than original/high_freq are kept; longer than original/low_freq are
    // divided by `factor`; in between, interpolated smoothly.
    const lowFreqWavelen = scaling.originalMaxPositionEmbeddings / scaling.lowFreqFactor;
    const highFreqWavelen = scaling.originalMaxPositionEmbeddings / scaling.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const wavelen = (2 * Math.PI) / inv[i];
      if (wavelen > lowFreqWavelen) inv[i] = inv[i] / scaling.factor;
      else if (wavelen >= highFreqWavelen) {
        const smooth =
          (scaling.originalMaxPositionEmbeddings / wavelen - scaling.lowFreqFactor) /
          (scaling.highFreqFactor - scaling.lowFreqFactor);
        inv[i] = (1 - smooth) * (inv[i] / scaling.factor) + smooth * inv[i];
      }
    }
  }
  return inv;
}

/** cos/sin tables, [maxPositions, dh/2] each, grown on demand. */
export class RopeTable {
  private cos = new Float64Array(0);
  private sin = new Float64Array(0);
  private positions = 0;
  private readonly half: number;

  constructor(private readonly invFreq: Float64Array) {
    this.half = invFreq.length;
  }

  private ensure(positions: number): void {
    if (positions <= this.positions) return;
    const capacity = Math.max(positions, this.positions * 2, 64);
    this.cos = new Float64Array(capacity * this.half);
    this.sin = new Float64Array(capacity * this.half);
    for (let p = 0; p < capacity; p++) {
      for (let i = 0; i < this.half; i++) {
        const angle = p * this.invFreq[i];
        this.cos[p * this.half + i] = Math.cos(angle);
        this.sin[p * this.half + i] = Math.sin(angle);
      }
    }
    this.positions = capacity;
  }

  /**
   * Rotates x [T, heads, dh] in place; row t is at absolute position startPos + t.
   * x' = x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂, x₁].
   */
  apply(x: Float32Array, tokens: number, heads: number, startPos: number): void {
    this.ensure(startPos + tokens);
    const half = this.half;
    const dh = half * 2;
    for (let t = 0; t < tokens; t++) {
      const table = (startPos + t) * half;
      for (let h = 0; h < heads; h++) {
        const base = (t * heads + h) * dh;
        for (let i = 0; i < half; i++) {
          const c = this.cos[table + i];
          const s = this.sin[table + i];
          const x1 = x[base + i];
          const x2 = x[base + i + half];
          x[base + i] = x1 * c - x2 * s;
          x[base + i + half] = x2 * c + x1 * s;
        }
      }
    }
  }
}
