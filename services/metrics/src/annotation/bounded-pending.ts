/**
 * A map of things waiting for a partner (a prediction row for its outlier score, a shadow row
 * for the model's), bounded in entries, in bytes and in time: the oldest go first, and every
 * entry given up is counted, so memory stays bounded whatever order events arrive in.
 */

export interface PendingCounts {
  /** Entries given up because the map was full. */
  evicted: number;
  /** Entries given up after the time-to-live. */
  expired: number;
}

interface Entry<V> {
  readonly value: V;
  readonly atMs: number;
  readonly bytes: number;
}

export class BoundedPending<V> {
  readonly #entries = new Map<string, Entry<V>>();
  #bytes = 0;
  readonly counts: PendingCounts = { evicted: 0, expired: 0 };

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
    private readonly ttlMs: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** Holds `value` under `key` (replacing an earlier one), then trims to the bounds. */
  put(key: string, value: V, nowMs: number, bytes = 0): void {
    this.#remove(key);
    this.#entries.set(key, { value, atMs: nowMs, bytes });
    this.#bytes += bytes;
    this.expire(nowMs);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.maxEntries && this.#bytes <= this.maxBytes) break;
      this.#remove(oldest);
      this.counts.evicted++;
    }
  }

  /** Removes and returns the value under `key`, if it is still held. */
  take(key: string, nowMs: number): V | undefined {
    this.expire(nowMs);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#remove(key);
    return entry.value;
  }

  /** Drops entries older than the time-to-live (insertion order is time order). */
  expire(nowMs: number): void {
    for (const [key, entry] of this.#entries) {
      if (nowMs - entry.atMs < this.ttlMs) break;
      this.#remove(key);
      this.counts.expired++;
    }
  }

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }
}
