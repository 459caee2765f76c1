/**
 * The contract between the forward pass and the compute kernels.
 *
 * A linear layer stores its weight as in Hugging Face: row-major [N, K] = [out_features, in_features],
 * and computes out[M, N] = x[M, K] · Wᵀ (+ bias[N]). Backends may repack the weight at load time;
 * callers only ever see `PackedWeight` handles.
 */
export type WeightDType = 'f32' | 'bf16' | 'f16';

/** An opaque handle to a weight matrix that lives inside a backend. */
export interface PackedWeight {
  /** N: output features (rows of the HF weight). */
  readonly rows: number;
  /** K: input features (columns of the HF weight). */
  readonly cols: number;
  readonly dtype: WeightDType;
  /** Bytes the backend holds for this weight. */
  readonly byteLength: number;
}

export interface LinearBackend {
  readonly name: string;
  /**
   * Copies a row-major [rows, cols] weight of `dtype` (raw little-endian bytes) into the backend.
   * The caller may reuse `bytes` afterwards.
   */
  packWeight(bytes: Uint8Array, dtype: WeightDType, rows: number, cols: number): PackedWeight;
  /** out[M, N] = x[M, K] · Wᵀ (+ bias[N]). `out` must not alias `x`. */
  linear(x: Float32Array, m: number, weight: PackedWeight, out: Float32Array, bias?: Float32Array): void;
  /** Copies rows `ids[i]` of the weight, as f32, into out[i·cols … (i+1)·cols). Used for embeddings. */
  gatherRows(weight: PackedWeight, ids: ArrayLike<number>, out: Float32Array): void;
  /** The whole weight as row-major f32 [rows, cols] (for analysis, not for hot loops). */
  unpack(weight: PackedWeight): Float32Array;
  /** Frees every weight and stops worker threads. The backend is unusable afterwards. */
  dispose(): Promise<void>;
}
