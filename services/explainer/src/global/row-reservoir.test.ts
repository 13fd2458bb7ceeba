import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { RowReservoir } from './row-reservoir.js';

const fill = (capacity: number, count: number, seed: number) => {
  const reservoir = new RowReservoir<number>(capacity, seededRandom(seed));
  for (let i = 0; i < count; i++) reservoir.offer(() => i);
  return reservoir;
};

describe('RowReservoir', () => {
  it('keeps every item while they fit, in the order offered', () => {
    const reservoir = fill(10, 7, 1);
    expect(reservoir.items()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(reservoir.seen).toBe(7);
  });

  it('keeps exactly its capacity of distinct items, the same for the same seed', () => {
    const a = fill(50, 10_000, 7);
    expect(a.items()).toHaveLength(50);
    expect(new Set(a.items()).size).toBe(50);
    expect(a.seen).toBe(10_000);
    expect(fill(50, 10_000, 7).items()).toEqual(a.items());
    expect(fill(50, 10_000, 8).items()).not.toEqual(a.items());
  });

  it('gives every item the same chance, capacity / seen (seeds 0..3999, deterministic)', () => {
    // 4,000 samples of 3 from 12: each item is kept 1,000 times in expectation; the count
    // is binomial (sd ≈ 27), so ±150 is over 5 sd and the fixed seeds make it reproducible.
    const kept = new Array<number>(12).fill(0);
    for (let seed = 0; seed < 4_000; seed++) for (const item of fill(3, 12, seed).items()) kept[item]! += 1;
    for (const count of kept) expect(Math.abs(count - 1_000)).toBeLessThan(150);
  });

  it('builds only the items it keeps', () => {
    const reservoir = new RowReservoir<number>(50, seededRandom(3));
    let built = 0;
    for (let i = 0; i < 10_000; i++)
      reservoir.offer(() => {
        built += 1;
        return i;
      });
    // 50 + the replacements, about 50 · ln(10,000 / 50) ≈ 265 in expectation: far fewer than offered.
    expect(built).toBeGreaterThanOrEqual(50);
    expect(built).toBeLessThan(1_000);
  });

  it('refuses a capacity below 1', () => {
    expect(() => new RowReservoir(0, seededRandom(0))).toThrow('capacity must be a positive integer');
  });
});
