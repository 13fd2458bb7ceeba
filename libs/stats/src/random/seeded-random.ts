import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/**
 * A reproducible random source: the same seed gives the same sequence on every platform, so a
 * permutation test's p-value can be reproduced from its seed.
 */
export interface SeededRandom {
  /** Uniform integer in [0, maxExclusive). */
  nextInt(maxExclusive: number): number;
  /** Uniform double in [0, 1), 53 random bits. */
  nextFloat(): number;
  /** Standard normal draw (Box-Muller). */
  nextNormal(): number;
  /** Shuffles the first `count` places of `values` in place: a uniform random subset of size `count` in random order (partial Fisher-Yates). */
  shuffle(values: Int32Array | Uint32Array | number[], count?: number): void;
}

const TWO_POW_53 = 2 ** 53;
/** nextInt's largest range: one 32-bit draw. */
const MAX_INT_RANGE = 2 ** 32;

/**
 * A {@link SeededRandom} on pure-rand's xoroshiro128+ (the generator pure-rand recommends).
 * The 128-bit state is filled by splitmix32 from the seed: pure-rand's own seeding puts the
 * seed into the state almost verbatim, so nearby seeds (trial 1, 2, 3 ...) gave visibly
 * correlated streams and a permutation test's false-positive rate near 0.1 instead of 0.05.
 * @param seed any 32-bit integer; other numbers are truncated to one.
 */
export function seededRandom(seed: number): SeededRandom {
  let mix = seed | 0;
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) | 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return z ^ (z >>> 16);
  };
  const rng = xoroshiro128plusFromState([splitmix32(), splitmix32(), splitmix32(), splitmix32()]);
  let spareNormal: number | undefined;
  const nextFloat = (): number => {
    // 27 + 26 bits, as in most 53-bit constructions from 32-bit outputs.
    const high = (rng.next() >>> 5) * 67_108_864;
    const low = rng.next() >>> 6;
    return (high + low) / TWO_POW_53;
  };
  // Uniform in [0, maxExclusive) by rejection on the fewest high bits that cover the range:
  // exact, under two draws on average, and several times cheaper than pure-rand's
  // general-purpose uniformInt in the permutation loops.
  const nextInt = (maxExclusive: number): number => {
    if (!(Number.isInteger(maxExclusive) && maxExclusive >= 1 && maxExclusive <= MAX_INT_RANGE)) {
      throw new RangeError(`nextInt: expected an integer range in [1, 2^32], got ${maxExclusive}`);
    }
    if (maxExclusive === 1) return 0;
    const shift = Math.clz32(maxExclusive - 1);
    for (;;) {
      const candidate = (rng.next() >>> 0) >>> shift;
      if (candidate < maxExclusive) return candidate;
    }
  };
  return {
    nextInt,
    nextFloat,
    nextNormal: () => {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = nextFloat();
      const v = nextFloat();
      const radius = Math.sqrt(-2 * Math.log(u));
      spareNormal = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    shuffle: (values, count = values.length) => {
      const n = values.length;
      const last = Math.min(count, n - 1);
      for (let i = 0; i < last; i++) {
        const j = i + nextInt(n - i);
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
      }
    },
  };
}
