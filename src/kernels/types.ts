/**
 * The contract between the forward pass and the compute kernels.
 *
 * A linear layer stores its weight as in Hugging Face: row-major [N, K] = [out_features, in_features],
 * and computes out[M, N] = x[M, K] · Wᵀ (+ bias[N]). Backends may repack the weight at load time;
 * callers only ever see `PackedWeight` handles.
 */
export type WeightDType = 'f32' | 'bf16' | 'f16' | 'int8';

/**
 * How a backend stores a weight it packs. `quantize: 'int8'` quantises it at load time to int8,
 * symmetric, with one f32 scale per output row (w[n][k] ≈ q[n][k] · scale[n], scale = max|row| / 127,
 * q rounded half to even); `linear()` then quantises each row of x to int16 on the fly and
 * multiplies with exact integer dots (src/kernels/int8Reference.ts is the reference).
 */
export interface PackOptions {
  readonly quantize?: 'int8';
}

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

/** The shape of one attention call (the same fields as the model's AttentionShape). */
export interface AttentionKernelShape {
  /** T: query rows (new positions) in this call. */
  readonly tokens: number;
  /** Absolute position of query row 0 (= positions already cached). Keys cover startPos + T. */
  readonly startPos: number;
  /** H: query heads. */
  readonly heads: number;
  /** Hkv: key/value heads; H must be a multiple. Query head h reads KV head ⌊h / (H/Hkv)⌋. */
  readonly kvHeads: number;
  /** dh: floats per head. */
  readonly headDim: number;
  /** A query at p sees keys j with p − j < window; null = unlimited. */
  readonly slidingWindow: number | null;
}

/** One sequence's part of a batched attention call: the arrays and shape of an `attention` call. */
export interface AttentionItem {
  readonly q: Float32Array;
  readonly keys: Float32Array;
  readonly values: Float32Array;
  readonly shape: AttentionKernelShape;
  readonly z: Float32Array;
}

/**
 * Streams rows of a weight: fills `into` with rows [firstRow, firstRow + rowCount) as raw
 * little-endian bytes. Lets a backend pull a weight from disk in chunks, straight into its own
 * memory, so loading needs no second copy of the model.
 */
export type WeightRowReader = (firstRow: number, rowCount: number, into: Uint8Array) => void;

/**
 * Forms of a plain matrix product out[M, N] = op(A)·op(B): 'nt' A [M, K]·(B [N, K])ᵀ,
 * 'nn' A [M, K]·B [K, N], 'tn' (A [K, M])ᵀ·B [K, N].
 */
export type MatmulForm = 'nt' | 'nn' | 'tn';

/** A sequence of a row-stacked training batch: its first row, T, and where its [H, T, T] probabilities start (floats). */
export interface StackedSequence {
  readonly rowStart: number;
  readonly tokens: number;
  readonly probsOffset: number;
}

/** Head layout of training attention. */
export interface TrainAttentionShape {
  readonly heads: number; //   H
  readonly kvHeads: number; // Hkv
  readonly headDim: number; // dh
}

export interface LinearBackend {
  readonly name: string;
  /**
   * Copies a row-major [rows, cols] weight of `dtype` into the backend, from raw little-endian bytes
   * or a row reader. The caller may reuse `bytes` afterwards. `dtype` is the source's (f32, bf16 or
   * f16); with `options.quantize` the weight is stored quantised and its handle's dtype says so.
   */
  packWeight(source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number, options?: PackOptions): PackedWeight;
  /** out[M, N] = x[M, K] · Wᵀ (+ bias[N]). `out` must not alias `x`. */
  linear(x: Float32Array, m: number, weight: PackedWeight, out: Float32Array, bias?: Float32Array): void;
  /** Copies rows `ids[i]` of the weight, as f32, into out[i·cols … (i+1)·cols). Used for embeddings. */
  gatherRows(weight: PackedWeight, ids: ArrayLike<number>, out: Float32Array): void;
  /** The whole weight as row-major f32 [rows, cols] (for analysis, not for hot loops). */
  unpack(weight: PackedWeight): Float32Array;
  /**
   * Optional fused causal attention: z[T, H, dh] = softmax(q·kᵀ/√dh, causal mask, sliding window)
   * · v, with q [T, H, dh], keys and values [≥ startPos + T, Hkv, dh] (the first startPos + T
   * positions are read). f32 accuracy. Backends without it leave the forward pass on the
   * TypeScript reference (src/model/attention.ts).
   */
  attention?(q: Float32Array, keys: Float32Array, values: Float32Array, shape: AttentionKernelShape, z: Float32Array): void;
  /**
   * Optional: `attention` for several sequences in one call (each with its own positions and KV
   * cache; heads, KV heads, head size and window the same for all), so that batched decode — one
   * query row per sequence — spreads over the threads as one job instead of one small call each.
   */
  attentionBatch?(items: readonly AttentionItem[]): void;
  /** Optional SwiGLU activation: out[i] = silu(gate[i]) · up[i] = gate[i] / (1 + e^−gate[i]) · up[i], f32 accuracy. */
  siluMul?(gate: Float32Array, up: Float32Array, out: Float32Array): void;
  /**
   * Optional plain f32 product on unpacked row-major arrays that change every call (training):
   * out[M, N] = op(A)·op(B) in `form` (see MatmulForm). `out` is overwritten and must not alias.
   */
  matmul?(a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, form: MatmulForm): void;
  /**
   * Optional causal GQA attention for training over row-stacked sequences (positions 0…T−1 each):
   * q [R, H, dh], k and v [R, Hkv, dh] → probs (per sequence [H, T, T], zero above the diagonal)
   * and z [R, H, dh].
   */
  attentionTrainForward?(q: Float32Array, k: Float32Array, v: Float32Array, sequences: readonly StackedSequence[], shape: TrainAttentionShape, probs: Float32Array, z: Float32Array): void;
  /** Optional backward of attentionTrainForward: dz → dq [R, H, dh], dk and dv [R, Hkv, dh] (overwritten). */
  attentionTrainBackward?(
    dz: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array,
    sequences: readonly StackedSequence[], shape: TrainAttentionShape, dq: Float32Array, dk: Float32Array, dv: Float32Array,
  ): void;
  /** Frees every weight and stops worker threads. The backend is unusable afterwards. */
  dispose(): Promise<void>;
}
