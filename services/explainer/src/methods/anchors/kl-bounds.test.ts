import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasPython, runPython } from '../../../test/run-python.js';
import { KL_BISECTION_STEPS, klBernoulli, klLowerBound, klLucbBeta, klUpperBound } from './kl-bounds.js';

/** The bisection's resolution: its start interval (√(level/2) wide) halved KL_BISECTION_STEPS times. */
const resolution = (level: number) => Math.sqrt(level / 2) / 2 ** KL_BISECTION_STEPS + 1e-15;

const mean = fc.double({ min: 0, max: 1, noNaN: true });
const samples = fc.integer({ min: 1, max: 100_000 });
const beta = fc.double({ min: 0.01, max: 30, noNaN: true });

describe('KL-LUCB bounds', () => {
  it('bracket the mean: lower ≤ mean ≤ upper, within [0, 1]', () => {
    fc.assert(
      fc.property(mean, samples, beta, (p, n, b) => {
        const lower = klLowerBound(p, b / n);
        const upper = klUpperBound(p, b / n);
        expect(lower).toBeGreaterThanOrEqual(0);
        expect(lower).toBeLessThanOrEqual(p);
        expect(upper).toBeGreaterThanOrEqual(p);
        expect(upper).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('tighten as samples grow (to the bisection resolution)', () => {
    fc.assert(
      fc.property(mean, samples, samples, beta, (p, a, b, k) => {
        const [few, many] = a <= b ? [a, b] : [b, a];
        const slack = resolution(k / few);
        expect(klLowerBound(p, k / many)).toBeGreaterThanOrEqual(klLowerBound(p, k / few) - slack);
        expect(klUpperBound(p, k / many)).toBeLessThanOrEqual(klUpperBound(p, k / few) + slack);
      }),
    );
  });

  it('keep KL(p ‖ bound) at the level where the bound is inside (0, 1)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.integer({ min: 50, max: 10_000 }),
        (p, n) => {
          const level = Math.log(10) / n;
          const lower = klLowerBound(p, level);
          if (lower > 1e-3) expect(Math.abs(klBernoulli(p, lower) - level)).toBeLessThan(level * 0.01 + 1e-9);
        },
      ),
    );
  });

  it('grow the exploration rate with arms and rounds, as log(405.5·arms·t^1.1/δ) + its log', () => {
    const temp = Math.log((405.5 * 12 * 3 ** 1.1) / 0.1);
    expect(klLucbBeta(12, 3, 0.1)).toBeCloseTo(temp + Math.log(temp), 12);
    expect(klLucbBeta(12, 4, 0.1)).toBeGreaterThan(klLucbBeta(12, 3, 0.1));
    expect(klLucbBeta(13, 3, 0.1)).toBeGreaterThan(klLucbBeta(12, 3, 0.1));
  });
});

describe.skipIf(!hasPython)('KL-LUCB bounds against the exact root (scipy brentq)', () => {
  it('are within the bisection resolution of the true KL bound', () => {
    const cases: [number, number][] = [
      [0.95, 100],
      [0.5, 30],
      [0.99, 1000],
      [0.8, 7],
      [0.3, 250],
    ];
    const level = (n: number) => Math.log(1 / 0.1) / n;
    const exact = runPython<{ lower: number; upper: number }[]>(
      `from scipy.optimize import brentq
def kl(p, q):
    p = min(max(p, 1e-7), 1 - 1e-16); q = min(max(q, 1e-7), 1 - 1e-16)
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))
out = []
for p, level in data:
    f = lambda q: kl(p, q) - level
    lower = brentq(f, 1e-12, p) if f(1e-12) > 0 else 0.0
    upper = brentq(f, p, 1 - 1e-12) if f(1 - 1e-12) > 0 else 1.0
    out.append({"lower": lower, "upper": upper})
print(json.dumps(out))`,
      cases.map(([p, n]) => [p, level(n)]),
    );
    cases.forEach(([p, n], i) => {
      expect(Math.abs(klLowerBound(p, level(n)) - exact[i]!.lower)).toBeLessThanOrEqual(resolution(level(n)));
      expect(Math.abs(klUpperBound(p, level(n)) - exact[i]!.upper)).toBeLessThanOrEqual(resolution(level(n)));
    });
  });
});
