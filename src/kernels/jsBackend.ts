/**
 * A plain TypeScript backend: weights decoded to f32, products in f32 with a 4-way unrolled dot.
 * Slow (about 2 GFLOP/s) but obviously correct; the reference the wasm kernels are tested against
 * and a fallback where WebAssembly SIMD is missing.
 */
import { bytesPerElement, decodeToF32 } from './dtype.js';
import { dequantizeRow, int8Linear, quantizeWeight, type Int8Matrix } from './int8Reference.js';
import type { LinearBackend, PackOptions, PackedWeight, WeightDType, WeightRowReader } from './types.js';

interface JsWeight extends PackedWeight {
  readonly data: Float32Array; // [rows, cols]; empty for int8
  readonly int8?: Int8Matrix;
}

export class JsBackend implements LinearBackend {
  readonly name = 'js';

  packWeight(source: Uint8Array | WeightRowReader, dtype: WeightDType, rows: number, cols: number, options: PackOptions = {}): PackedWeight {
    let bytes: Uint8Array;
    if (typeof source === 'function') {
      bytes = new Uint8Array(rows * cols * bytesPerElement(dtype));
      source(0, rows, bytes);
    } else bytes = source;
    const data = decodeToF32(bytes, dtype);
    if (data.length !== rows * cols) throw new RangeError(`weight has ${data.length} values, expected ${rows}×${cols}`);
    if (options.quantize === 'int8') {
      const int8 = quantizeWeight(data, rows, cols);
      const quantized: JsWeight = { rows, cols, dtype: 'int8', byteLength: int8.q.byteLength + int8.scales.byteLength, data: new Float32Array(0), int8 };
      return quantized;
    }
    const weight: JsWeight = { rows, cols, dtype, byteLength: data.byteLength, data };
    return weight;
  }

  linear(x: Float32Array, m: number, weight: PackedWeight, out: Float32Array, bias?: Float32Array): void {
    const { rows: n, cols: k, data: w, int8 } = weight as JsWeight;
    if (int8) {
      int8Linear(x, m, int8, out, bias);
      return;
    }
    for (let i = 0; i < m; i++) {
      const xOffset = i * k;
      for (let j = 0; j < n; j++) {
        const wOffset = j * k;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let p = 0;
        for (; p + 4 <= k; p += 4) {
          s0 += x[xOffset + p] * w[wOffset + p];
          s1 += x[xOffset + p + 1] * w[wOffset + p + 1];
          s2 += x[xOffset + p + 2] * w[wOffset + p + 2];
          s3 += x[xOffset + p + 3] * w[wOffset + p + 3];
        }
        for (; p < k; p++) s0 += x[xOffset + p] * w[wOffset + p];
        out[i * n + j] = s0 + s1 + s2 + s3 + (bias ? bias[j] : 0);
      }
    }
  }

  gatherRows(weight: PackedWeight, ids: ArrayLike<number>, out: Float32Array): void {
    const { cols, data, int8 } = weight as JsWeight;
    for (let i = 0; i < ids.length; i++) {
      if (int8) dequantizeRow(int8, ids[i], out, i * cols);
      else out.set(data.subarray(ids[i] * cols, (ids[i] + 1) * cols), i * cols);
    }
  }

  unpack(weight: PackedWeight): Float32Array {
    const { rows, cols, data, int8 } = weight as JsWeight;
    if (!int8) return data.slice();
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) dequantizeRow(int8, r, out, r * cols);
    return out;
  }

  async dispose(): Promise<void> {}
}
