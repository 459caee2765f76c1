// The kernel module's entry (scripts/build-wasm.mjs compiles this file, twice: relaxed-SIMD FMA
// and plain SIMD). Its exports are the wasm exports that src/kernels/wasmAbi.ts (KernelExports)
// declares; every kernel takes byte offsets into the one imported memory and allocates nothing.

export { DTYPE_F32, DTYPE_BF16, DTYPE_F16, blockK, isRelaxed } from './common';
export { widen } from './widen';
export { gemv } from './gemv';
export { packA, packB } from './pack';
export { gemm } from './gemm';
export { attention, attentionBatchChunk } from './attention';
export { siluMul } from './elementwise';
export { packAT, packBN } from './packT';
export { attentionTrainChunk } from './attentionTrain';
export { quantizePackB, quantizeRows, gemvI8, gemmI8 } from './int8';
