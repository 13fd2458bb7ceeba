import { seededRandom } from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { solveAttributions } from './attribution-solver.js';
import { planCoalitions, planWeights } from './coalition-plan.js';

/** Shapley values of a game given on every subset (bit j = feature j), by the formula. */
function shapleyByFormula(game: Float64Array, m: number): Float64Array {
  const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
  const phi = new Float64Array(m);
  for (let s = 0; s < 2 ** m; s++) {
    let size = 0;
    for (let v = s; v; v &= v - 1) size++;
    for (let i = 0; i < m; i++) {
      if ((s >> i) & 1) continue;
      phi[i]! +=
        ((factorial(size) * factorial(m - size - 1)) / factorial(m)) * (game[s | (1 << i)]! - game[s]!);
    }
  }
  return phi;
}

function maskIndex(masks: Uint8Array, m: number, row: number): number {
  let s = 0;
  for (let j = 0; j < m; j++) if (masks[row * m + j]) s |= 1 << j;
  return s;
}

describe('solveAttributions', () => {
  it('on every coalition with the kernel weights gives the Shapley values of any game', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 7 }),
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 128, maxLength: 128 }),
        (m, draws) => {
          const game = Float64Array.from({ length: 2 ** m }, (_, s) => (s === 0 ? 0 : draws[s]!));
          const plan = planCoalitions(
            m,
            2 ** m,
            { pairedSampling: true, enumerateSizes: true },
            seededRandom(1),
          );
          const { weights, count } = planWeights(plan, plan.count);
          const total = game[2 ** m - 1]!;
          const adjusted = Float64Array.from({ length: count }, (_, i) => game[maskIndex(plan.masks, m, i)]!);
          const solution = solveAttributions({
            masks: plan.masks,
            count,
            m,
            weights,
            adjusted,
            total,
            l1Reg: { kind: 'none' },
            fractionEvaluated: 1,
          });
          const expected = shapleyByFormula(game, m);
          for (let j = 0; j < m; j++) expect(solution.values[j]).toBeCloseTo(expected[j]!, 8);
          expect(solution.stdErrors).toBeUndefined();
        },
      ),
      { numRuns: 100, seed: 17 },
    );
  });

  it('always meets the sum, whatever coalitions were sampled', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 12 }),
        fc.integer({ min: 4, max: 300 }),
        fc.integer(),
        fc.double({ min: -10, max: 10, noNaN: true }),
        (m, nSamples, seed, total) => {
          const plan = planCoalitions(
            m,
            nSamples,
            { pairedSampling: true, enumerateSizes: false },
            seededRandom(seed),
          );
          const { weights, count, clusterDraws, perDraw } = planWeights(plan, plan.count);
          const random = seededRandom(seed ^ 0x5bd1e995);
          const adjusted = Float64Array.from({ length: count }, () => random.nextNormal());
          const solution = solveAttributions({
            masks: plan.masks,
            count,
            m,
            weights,
            adjusted,
            total,
            l1Reg: { kind: 'none' },
            fractionEvaluated: 0.5,
            sampling: { clusterStart: plan.clusterStart, clusterDraws, perDraw },
          });
          const sum = solution.values.reduce((a, b) => a + b, 0);
          expect(sum).toBeCloseTo(total, 8);
          for (const e of solution.stdErrors!) expect(e).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 100, seed: 23 },
    );
  });
});
