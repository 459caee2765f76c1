/**
 * Entry point of the kernels layer: pick a backend.
 *
 * @example
 * const backend = await createBackend();            // wasm SIMD, all cores
 * const w = backend.packWeight(bytes, 'bf16', n, k);
 * backend.linear(x, m, w, out);                       // out[m,n] = x[m,k]·Wᵀ
 * await backend.dispose();
 */
import { JsBackend } from './jsBackend.js';
import { hasWasmSimd } from './wasmAbi.js';
import { WasmBackend, type WasmBackendOptions } from './wasmBackend.js';
import type { LinearBackend } from './types.js';

export type { AttentionItem, AttentionKernelShape, LinearBackend, PackOptions, PackedWeight, WeightDType } from './types.js';
export { JsBackend } from './jsBackend.js';
export { WasmBackend, type WasmBackendOptions } from './wasmBackend.js';

export interface CreateBackendOptions extends WasmBackendOptions {
  /** 'auto' (default): wasm when the runtime has SIMD + shared memory, else js. Overridden by EMOTION_CIRCUITS_BACKEND. */
  backend?: 'auto' | 'wasm' | 'js';
}

/** Creates the fastest available backend. `EMOTION_CIRCUITS_BACKEND=js|wasm` forces one. */
export async function createBackend(options: CreateBackendOptions = {}): Promise<LinearBackend> {
  const forced = process.env.EMOTION_CIRCUITS_BACKEND;
  const choice = forced === 'js' || forced === 'wasm' ? forced : (options.backend ?? 'auto');
  if (choice === 'js') return new JsBackend();
  if (choice === 'auto' && !hasWasmSimd()) return new JsBackend();
  return WasmBackend.create(options);
}
