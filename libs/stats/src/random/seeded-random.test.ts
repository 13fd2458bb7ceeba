import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from './seeded-random.js';

describe('seededRandom', () => {
  it('repeats its sequence for a seed and differs between nearby seeds', () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 8 }, () => r.nextInt(1_000_000));
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it('nextInt stays in range and nextFloat in [0, 1) (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 2 ** 32 }), (seed, max) => {
        const r = seededRandom(seed);
        for (let t = 0; t < 20; t++) {
          const v = r.nextInt(max);
          expect(Number.isInteger(v) && v >= 0 && v < max).toBe(true);
          const f = r.nextFloat();
          expect(f >= 0 && f < 1).toBe(true);
        }
      }),
    );
  });

  it('nextInt is uniform: chi-squared over 6 values, 60,000 draws, below the 0.999 quantile', () => {
    const r = seededRandom(42);
    const counts = new Array<number>(6).fill(0);
    for (let t = 0; t < 60_000; t++) counts[r.nextInt(6)]! += 1;
    const chi2 = counts.reduce((s, c) => s + (c - 10_000) ** 2 / 10_000, 0);
    expect(chi2).toBeLessThan(20.5); // chi2(5) 0.999 quantile
  });

  it('normal draws have mean ~0 and variance ~1', () => {
    const r = seededRandom(7);
    const values = Array.from({ length: 50_000 }, () => r.nextNormal());
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(variance - 1)).toBeLessThan(0.03);
  });

  it('shuffle(values, k) leaves a permutation whose first k places are a uniform subset', () => {
    const r = seededRandom(3);
    const firstCounts = new Array<number>(5).fill(0);
    for (let t = 0; t < 10_000; t++) {
      const values = [0, 1, 2, 3, 4];
      r.shuffle(values, 2);
      expect([...values].sort()).toEqual([0, 1, 2, 3, 4]);
      firstCounts[values[0]!]! += 1;
    }
    for (const c of firstCounts) expect(Math.abs(c - 2_000)).toBeLessThan(200);
  });
});
