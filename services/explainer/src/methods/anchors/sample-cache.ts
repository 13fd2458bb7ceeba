/**
 * The codes and agreement of every perturbed row drawn in one search, so that a candidate
 * anchor starts with the rows already drawn for its parent that satisfy it (Alibi's state
 * `data` / `labels` / `t_idx`): most candidates then need few or no new model calls.
 * Bounded: past `maxCodes` stored codes new rows still count for the anchor they were drawn
 * for but are not offered to its children.
 */

/** Codes kept at most (4 bytes each): 64 MiB. */
export const MAX_CACHED_SAMPLE_CODES = 16_777_216;

export class SampleCache {
  private codesStore: Int32Array;
  private agreeStore: Uint8Array;
  private size = 0;

  constructor(
    private readonly featureCount: number,
    private readonly maxCodes = MAX_CACHED_SAMPLE_CODES,
  ) {
    const rows = Math.max(1, Math.min(1024, Math.floor(maxCodes / Math.max(1, featureCount))));
    this.codesStore = new Int32Array(rows * featureCount);
    this.agreeStore = new Uint8Array(rows);
  }

  /** Rows stored. */
  get count(): number {
    return this.size;
  }

  /** The codes of all rows, row-major (row `id` at id × featureCount). */
  get codes(): Int32Array {
    return this.codesStore;
  }

  /** Whether stored row `id` got the instance's prediction. */
  agrees(id: number): boolean {
    return this.agreeStore[id] === 1;
  }

  /**
   * Stores rows; answers the id of each stored row (consecutive from the first), or an empty
   * list when the cache is full.
   */
  add(codes: Int32Array, agree: Uint8Array, count: number): number[] {
    const needed = (this.size + count) * this.featureCount;
    if (needed > this.maxCodes) return [];
    if (needed > this.codesStore.length) {
      const rows = Math.min(
        Math.max(2 * (this.size + count), 1024),
        Math.floor(this.maxCodes / this.featureCount),
      );
      const grownCodes = new Int32Array(rows * this.featureCount);
      grownCodes.set(this.codesStore.subarray(0, this.size * this.featureCount));
      const grownAgree = new Uint8Array(rows);
      grownAgree.set(this.agreeStore.subarray(0, this.size));
      this.codesStore = grownCodes;
      this.agreeStore = grownAgree;
    }
    this.codesStore.set(codes.subarray(0, count * this.featureCount), this.size * this.featureCount);
    this.agreeStore.set(agree.subarray(0, count), this.size);
    const ids = Array.from({ length: count }, (_, i) => this.size + i);
    this.size += count;
    return ids;
  }
}
