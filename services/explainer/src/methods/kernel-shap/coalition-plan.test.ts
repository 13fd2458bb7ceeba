import { seededRandom } from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomial, coalitionSpace, planCoalitions, planWeights } from './coalition-plan.js';

function maskKey(masks: Uint8Array, m: number, i: number): string {
  return Array.from(masks.subarray(i * m, (i + 1) * m)).join('');
}

function sizeOf(masks: Uint8Array, m: number, i: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) s += masks[i * m + j]!;
  return s;
}

describe('planCoalitions', () => {
  it('enumerates all 2^M − 2 coalitions once each with the Shapley kernel weight when the budget allows', () => {
    for (const m of [2, 3, 6, 9]) {
      const plan = planCoalitions(
        m,
        100_000,
        { pairedSampling: true, enumerateSizes: true },
        seededRandom(1),
      );
      expect(plan.exact).toBe(true);
      expect(plan.count).toBe(coalitionSpace(m));
      expect(plan.enumeratedCount).toBe(plan.count);
      expect(new Set(Array.from({ length: plan.count }, (_, i) => maskKey(plan.masks, m, i))).size).toBe(
        plan.count,
      );
      // Shapley kernel: (M − 1) / (C(M, s) s (M − s)), normalised over all coalitions.
      const kernel = (s: number) => (m - 1) / (binomial(m, s) * s * (m - s));
      let norm = 0;
      for (let s = 1; s < m; s++) norm += binomial(m, s) * kernel(s);
      for (let i = 0; i < plan.count; i++) {
        expect(plan.enumeratedWeights[i]).toBeCloseTo(kernel(sizeOf(plan.masks, m, i)) / norm, 14);
      }
    }
  });

  it('enumerates the smallest and largest sizes first and samples the middle by kernel weight', () => {
    const m = 14;
    const plan = planCoalitions(
      m,
      2 * m + 2048,
      { pairedSampling: true, enumerateSizes: true },
      seededRandom(3),
    );
    expect(plan.exact).toBe(false);
    // Sizes 1, 13, 2 and 12 (14 + 14 + 91 + 91 = 210 coalitions) fit in 2,076; size 3 and 11 (728) do not
    // fit the weight left to them.
    const enumeratedSizes = new Set(
      Array.from({ length: plan.enumeratedCount }, (_, i) => sizeOf(plan.masks, m, i)),
    );
    expect([...enumeratedSizes].sort((a, b) => a - b)).toEqual([1, 2, 12, 13]);
    for (let i = plan.enumeratedCount; i < plan.count; i++) {
      const s = sizeOf(plan.masks, m, i);
      expect(s).toBeGreaterThanOrEqual(3);
      expect(s).toBeLessThanOrEqual(11);
    }
    expect(plan.count).toBeLessThanOrEqual(2 * m + 2048);
    const { weights, count } = planWeights(plan, plan.count);
    expect(count).toBe(plan.count);
    expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('pairs each sampled coalition with its complement, never evaluates one twice, and spends at most n_samples', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 16 }),
        fc.integer({ min: 1, max: 600 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer(),
        (m, nSamples, pairedSampling, enumerateSizes, seed) => {
          const plan = planCoalitions(m, nSamples, { pairedSampling, enumerateSizes }, seededRandom(seed));
          expect(plan.count).toBeLessThanOrEqual(nSamples);
          const keys = Array.from({ length: plan.count }, (_, i) => maskKey(plan.masks, m, i));
          expect(new Set(keys).size).toBe(plan.count);
          for (const key of keys) expect(key.includes('1') && key.includes('0')).toBe(true);
          const clusters = plan.clusterStart.length - 1;
          for (let c = 0; c < clusters; c++) {
            const size = plan.clusterStart[c + 1]! - plan.clusterStart[c]!;
            if (size === 2) {
              const first = plan.clusterStart[c]!;
              for (let j = 0; j < m; j++)
                expect(plan.masks[first * m + j]! + plan.masks[(first + 1) * m + j]!).toBe(1);
            } else {
              expect(size).toBe(1);
            }
            if (!pairedSampling) expect(size).toBe(1);
          }
          // Every prefix weighs what a shorter run would: enumerated weights plus the sampled share.
          for (const evaluated of [0, Math.floor(plan.count / 2), plan.count]) {
            const { weights, count } = planWeights(plan, evaluated);
            expect(count).toBeLessThanOrEqual(evaluated);
            for (const w of weights) expect(w).toBeGreaterThan(0);
            if (evaluated === plan.count && plan.count > 0) {
              expect(weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
            }
          }
        },
      ),
      { numRuns: 200, seed: 13 },
    );
  });

  it('draws the same coalitions for the same seed', () => {
    const a = planCoalitions(12, 500, { pairedSampling: true, enumerateSizes: false }, seededRandom(5));
    const b = planCoalitions(12, 500, { pairedSampling: true, enumerateSizes: false }, seededRandom(5));
    expect(a.masks).toEqual(b.masks);
    expect(a.draws).toEqual(b.draws);
  });
});
