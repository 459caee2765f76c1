/**
 * SwiGLU activation, forward and backward: post = silu(gate) · up, silu(g) = g·σ(g).
 *   d post/d gate = up · σ(g)·(1 + g·(1 − σ(g))),   d post/d up = silu(g)
 */
import type { Floats } from './matmul.js';

/** post [n] = silu(gate) · up; sigmoid [n] = σ(gate) is kept for the backward pass. */
export function swigluForward(gate: Floats, up: Floats, post: Floats, sigmoid: Floats, count: number): void {
  for (let i = 0; i < count; i++) {
    const g = gate[i];
    const s = 1 / (1 + Math.exp(-g));
    sigmoid[i] = s;
    post[i] = g * s * up[i];
  }
}

/** dGate [n] = dPost·up·silu'(gate), dUp [n] = dPost·silu(gate) (both overwritten); sigmoid = σ(gate) from the forward pass. */
export function swigluBackward(dPost: Floats, gate: Floats, up: Floats, sigmoid: Floats, dGate: Floats, dUp: Floats, count: number): void {
  for (let i = 0; i < count; i++) {
    const g = gate[i];
    const s = sigmoid[i];
    const dp = dPost[i];
    dGate[i] = dp * up[i] * s * (1 + g * (1 - s));
    dUp[i] = dp * g * s;
  }
}
