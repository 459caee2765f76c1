// AssemblyScript kernels: what the GEMM, GEMV and packing kernels share — the weight dtype codes,
// the kc block size (KC) along K, and the build's multiply-add.
//
// Built twice (scripts/build-wasm.mjs): with `--enable relaxed-simd` the multiply-add is one
// `f32x4.relaxed_madd`; without it, `f32x4.mul` + `f32x4.add`. Both builds come from these sources.

/** Largest kc block along K: A is packed per kc block, and 16-bit B is widened kc×8 at a time. */
export const KC: i32 = 256;

/** Weight element types, as wasmAbi.ts DTYPE_CODE numbers them. */
export const DTYPE_F32: i32 = 0;
export const DTYPE_BF16: i32 = 1;
export const DTYPE_F16: i32 = 2;

/** Largest kc block, for sizing the per-thread B scratch (KC×8 f32) in JS. */
export function blockK(): i32 {
  return KC;
}

/** c + a·b per f32 lane: one fused multiply-add in the relaxed build, mul + add otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Reports which build this is: 1 = relaxed-SIMD FMA, 0 = plain SIMD. */
export function isRelaxed(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 1 : 0;
}
