/**
 * The matrix products of training, on plain row-major arrays that change every step.
 *
 * out[M, N] = op(A) · op(B), in three forms (the only ones a linear layer needs):
 *   'nt'  A [M, K], B [N, K]:  out = A · Bᵀ   forward   y  = x · Wᵀ        (W is HF [out, in])
 *   'nn'  A [M, K], B [K, N]:  out = A · B    backward  dx = dy · W
 *   'tn'  A [K, M], B [K, N]:  out = Aᵀ · B   backward  dW = dyᵀ · x       (K = rows of the batch)
 * `out` is overwritten. Arrays are Float32Array (training) or Float64Array (gradient checks).
 */

import type { LinearBackend, MatmulForm } from '../../kernels/types.js';

/** The element arrays of the gradient code: f32 for training, f64 for finite-difference checks. */
export type Floats = Float32Array | Float64Array;

export type { MatmulForm };

/** out[M, N] = op(A)·op(B) (see the file comment); `out` must not alias `a` or `b`. */
export type Matmul = (a: Floats, b: Floats, out: Floats, m: number, n: number, k: number, form: MatmulForm) => void;

/** A zeroed array of the same element type as `like`. */
export function zerosLike(like: Floats, length: number): Floats {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}

/**
 * The plain TypeScript products (any element type; float64 accumulation for 'nt'). The reference
 * for the WebAssembly kernels, the path of the float64 gradient checks, and the fallback.
 */
export const jsMatmul: Matmul = (a, b, out, m, n, k, form) => {
  if (form === 'nt') {
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
        out[i * n + j] = sum;
      }
    }
    return;
  }
  out.fill(0, 0, m * n);
  if (form === 'nn') {
    // out[i, :] += A[i, p] · B[p, :]
    for (let i = 0; i < m; i++) {
      const outRow = i * n;
      for (let p = 0; p < k; p++) {
        const scale = a[i * k + p];
        if (scale === 0) continue;
        const bRow = p * n;
        for (let j = 0; j < n; j++) out[outRow + j] += scale * b[bRow + j];
      }
    }
    return;
  }
  // 'tn': out[i, :] += A[p, i] · B[p, :]
  for (let p = 0; p < k; p++) {
    const aRow = p * m;
    const bRow = p * n;
    for (let i = 0; i < m; i++) {
      const scale = a[aRow + i];
      if (scale === 0) continue;
      const outRow = i * n;
      for (let j = 0; j < n; j++) out[outRow + j] += scale * b[bRow + j];
    }
  }
};

/**
 * The products of `backend` (the WebAssembly SIMD GEMM, threaded) for f32 arrays, jsMatmul for
 * float64 arrays or a backend without `matmul`.
 */
export function backendMatmul(backend: LinearBackend): Matmul {
  const fast = backend.matmul?.bind(backend);
  if (!fast) return jsMatmul;
  return (a, b, out, m, n, k, form) => {
    if (a instanceof Float32Array && b instanceof Float32Array && out instanceof Float32Array) fast(a, b, out, m, n, k, form);
    else jsMatmul(a, b, out, m, n, k, form);
  };
}
