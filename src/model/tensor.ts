/** A dense row-major f32 tensor: the one value type that crosses layer boundaries. */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new RangeError(`tensor of shape [${shape.join(',')}] needs ${size} values, got ${data.length}`);
  return { data, shape };
}

/** Row `row` of a [rows, cols] view (shares memory). */
export function rowOf(t: Tensor, row: number): Float32Array {
  const cols = t.data.length / t.shape[0];
  return t.data.subarray(row * cols, (row + 1) * cols);
}
