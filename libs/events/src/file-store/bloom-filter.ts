/**
 * A Bloom filter over strings, persisted in each sealed segment's index so a request-id
 * lookup opens only the segments that may hold the id. FNV-1a with double hashing; sized
 * at {@link BLOOM_BITS_PER_KEY} bits per key, about 1% false positives with 7 hashes.
 */
export const BLOOM_BITS_PER_KEY = 10;
/** Hash functions per key; optimal for 10 bits per key. */
export const BLOOM_HASHES = 7;
/** The smallest filter, so tiny segments still get a useful one. */
export const BLOOM_MIN_BITS = 1024;

export class BloomFilter {
  private constructor(
    readonly bits: Uint8Array,
    readonly hashes: number,
  ) {}

  /** An empty filter sized for `keys` keys. */
  static forKeys(keys: number): BloomFilter {
    const bitCount = Math.max(BLOOM_MIN_BITS, Math.ceil(keys * BLOOM_BITS_PER_KEY));
    return new BloomFilter(new Uint8Array(Math.ceil(bitCount / 8)), BLOOM_HASHES);
  }

  /** Restores a filter from {@link toBase64} output. */
  static fromBase64(data: string, hashes: number): BloomFilter {
    return new BloomFilter(new Uint8Array(Buffer.from(data, 'base64')), hashes);
  }

  add(key: string): void {
    const m = this.bits.length * 8;
    const [h1, h2] = hashPair(key);
    for (let i = 0; i < this.hashes; i++) {
      const bit = (h1 + Math.imul(i, h2)) >>> 0;
      const b = bit % m;
      this.bits[b >>> 3]! |= 1 << (b & 7);
    }
  }

  /** False means certainly absent; true means possibly present. */
  mightContain(key: string): boolean {
    const m = this.bits.length * 8;
    const [h1, h2] = hashPair(key);
    for (let i = 0; i < this.hashes; i++) {
      const b = ((h1 + Math.imul(i, h2)) >>> 0) % m;
      if ((this.bits[b >>> 3]! & (1 << (b & 7))) === 0) return false;
    }
    return true;
  }

  toBase64(): string {
    return Buffer.from(this.bits.buffer, this.bits.byteOffset, this.bits.byteLength).toString('base64');
  }
}

function hashPair(key: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return [h1 >>> 0, (h2 | 1) >>> 0];
}
