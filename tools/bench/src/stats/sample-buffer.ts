/**
 * A growable buffer of latency samples (ms) backed by a Float64Array, bounded by a
 * capacity so a runaway run cannot take the machine's memory: past the capacity `push`
 * returns false and the caller stops the run.
 */
export class SampleBuffer {
  private data: Float64Array;
  private size = 0;

  constructor(
    /** The most samples ever held (8 bytes each). */
    readonly capacity: number,
    initialSize = Math.min(capacity, 64 * 1024),
  ) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new RangeError(`capacity: expected a positive integer, got ${capacity}`);
    }
    this.data = new Float64Array(Math.max(1, initialSize));
  }

  /** Samples held. */
  get length(): number {
    return this.size;
  }

  /** Adds one sample; false when the buffer is at capacity (the sample is dropped). */
  push(value: number): boolean {
    if (this.size === this.data.length) {
      if (this.size >= this.capacity) return false;
      const grown = new Float64Array(Math.min(this.capacity, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.size++] = value;
    return true;
  }

  /** The samples held, as a view over the buffer (not a copy). */
  view(): Float64Array {
    return this.data.subarray(0, this.size);
  }
}
