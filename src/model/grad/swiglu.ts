/**
 * SwiGLU activation, forward and backward: post = silu(gate) · up, silu(g) = g·σ(g).
 *   d post/d gate = up · σ(g)·(1 + g·(1 − σ(g))),   d post/d up = silu(g)
 */
import type { Floats } from './matmul.js';

/** post [n] = silu(gate) · up. */
export function swigluForward(gate: Floats, up: Floats, post: Floats, count: number): void {
  for (let i = 0; i < count; i++) {
    const g = gate[i];
    post[i] = (g / (1 + Math.exp(-g))) * up[i];
  }
}

/** dGate [n] = dPost·up·silu'(gate), dUp [n] = dPost·silu(gate) (both overwritten). */
export function swigluBackward(dPost: Floats, gate: Floats, up: Floats, dGate: Floats, dUp: Floats, count: number): void {
  for (let i = 0; i < count; i++) {
    const g = gate[i];
    const sigmoid = 1 / (1 + Math.exp(-g));
    const dp = dPost[i];
    dGate[i] = dp * up[i] * sigmoid * (1 + g * (1 - sigmoid));
    dUp[i] = dp * g * sigmoid;
  }
}
