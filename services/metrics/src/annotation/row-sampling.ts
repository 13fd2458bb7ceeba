/**
 * Deterministic per-row randomness: which rows a queue considers (sample_rate) and UNIFORM's
 * reservoir keys come from a hash of the seed, the request id and the row, so every replica
 * and every restart makes the same choice for the same row, and a redelivered event is
 * sampled as before.
 */

/**
 * cyrb53 (a public-domain 53-bit string hash built from two 32-bit multiply-xor lanes) over
 * `seed \0 purpose \0 requestId \0 row`, as a number in [0, 1). Plain Math.imul: this runs for
 * every row of every prediction, so no BigInt.
 */
export function rowUniform(seed: string, purpose: string, requestId: string, row: number): number {
  const text = `${seed}\u0000${purpose}\u0000${requestId}\u0000${row}`;
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const bits53 = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return bits53 / 2 ** 53;
}

/** Whether a queue with this sample rate considers the row. */
export function rowSampled(seed: string, requestId: string, row: number, sampleRate: number): boolean {
  return sampleRate >= 1 || rowUniform(seed, 'sample', requestId, row) < sampleRate;
}
