/**
 * The result cache (decision 9): complete explanations keyed by target, the model version
 * that answered, the method's settings with defaults filled, the seed and the SHA-256 of the
 * canonicalised inputs; a bounded LRU in memory (--cache-entries).
 */
import { createHash } from 'node:crypto';

/** A bounded least-recently-used map. */
export class ExplanationCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    // Re-inserting moves the key to the newest end of the Map's insertion order.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

/**
 * JSON with a stable key order, bigints as decimal strings and byte or typed arrays as hex,
 * so two equal messages give the same text whatever order their fields were set in.
 */
export function canonicalJson(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Uint8Array)
      return `0x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
    if (ArrayBuffer.isView(v)) {
      return `0x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Map) return walk(Object.fromEntries(v));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) {
        const field = (v as Record<string, unknown>)[key];
        if (field !== undefined) out[key] = walk(field);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

/** Lower-case hex SHA-256 of the parts, each length-prefixed so their boundaries count. */
export function sha256Hex(parts: readonly (string | ArrayBufferView)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    const bytes =
      typeof part === 'string'
        ? Buffer.from(part, 'utf8')
        : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(bytes.byteLength));
    hash.update(length);
    hash.update(bytes);
  }
  return hash.digest('hex');
}
