/**
 * Per-sequence key/value cache: for each layer, keys and values [capacity, Hkv, dh] after RoPE
 * (and after any hook edits), so a decode step attends exactly to what a full recompute would.
 */
export class KVCache {
  /** Number of positions stored (= absolute position of the next token). */
  length = 0;
  private capacity: number;
  readonly keys: Float32Array[];
  readonly values: Float32Array[];

  constructor(
    readonly numLayers: number,
    /** Floats per position: Hkv · dh. */
    readonly rowSize: number,
    initialCapacity = 64,
  ) {
    this.capacity = initialCapacity;
    this.keys = Array.from({ length: numLayers }, () => new Float32Array(initialCapacity * rowSize));
    this.values = Array.from({ length: numLayers }, () => new Float32Array(initialCapacity * rowSize));
  }

  /** Makes room for `positions` positions in every layer, doubling to amortise growth. */
  reserve(positions: number): void {
    if (positions <= this.capacity) return;
    const capacity = Math.max(positions, this.capacity * 2);
    for (let l = 0; l < this.numLayers; l++) {
      const k = new Float32Array(capacity * this.rowSize);
      k.set(this.keys[l].subarray(0, this.length * this.rowSize));
      this.keys[l] = k;
      const v = new Float32Array(capacity * this.rowSize);
      v.set(this.values[l].subarray(0, this.length * this.rowSize));
      this.values[l] = v;
    }
    this.capacity = capacity;
  }

  /** Drops positions from `length` on (e.g. to re-run a prompt suffix). */
  truncate(length: number): void {
    if (length < 0 || length > this.length) throw new RangeError(`cannot truncate a cache of ${this.length} to ${length}`);
    this.length = length;
  }

  /** Bytes held by the cache. */
  get byteLength(): number {
    return 2 * this.numLayers * this.capacity * this.rowSize * 4;
  }
}
