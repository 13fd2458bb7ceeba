import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mcnemarTest, type PairedCounts, pairedAccuracyDifference } from '../src/index.js';
import { runSklearn } from './run-sklearn.js';

/** The brief's rule: equal to scipy to 1e-12 (absolute on p-values and interval ends). */
const ABSOLUTE = 1e-12;
/**
 * Far in the tail an absolute 1e-12 says nothing, so tiny p-values must also agree relatively
 * (down to the smallest normal double; subnormal values keep too few bits to compare).
 */
const RELATIVE = 1e-9;
const SMALLEST_NORMAL = 2.2250738585072014e-308;

/**
 * scipy's McNemar: the exact form is `binomtest(b, b + c, 0.5)` (and statsmodels' `2 binom.cdf`,
 * checked to agree), the chi-squares `chi2.sf` of the two statistics; the Newcombe interval
 * combines scipy's Wilson intervals (`proportion_ci(method='wilson')`) by Newcombe's formula.
 */
const SCIPY_MCNEMAR = `
from scipy.stats import binomtest, binom, chi2
out = []
for case in data:
    a, b, c, d, conf = case['a'], case['b'], case['c'], case['d'], case['confidence']
    n = b + c
    if n == 0:
        exact = statsmodels = uncorrected = corrected = 1.0
    else:
        exact = binomtest(b, n, 0.5).pvalue
        statsmodels = min(1.0, 2 * binom.cdf(min(b, c), n, 0.5))
        uncorrected = chi2.sf((b - c) ** 2 / n, 1)
        corrected = chi2.sf(max(abs(b - c) - 1, 0) ** 2 / n, 1)
    total = a + b + c + d
    pb, pc = (a + b) / total, (a + c) / total
    wb = binomtest(a + b, total).proportion_ci(confidence_level=conf, method='wilson')
    wc = binomtest(a + c, total).proportion_ci(confidence_level=conf, method='wilson')
    lb, ub = max(wb.low, 0.0), min(wb.high, 1.0)
    lc, uc = max(wc.low, 0.0), min(wc.high, 1.0)
    margins = (a + c) * (b + d) * (a + b) * (c + d)
    phi = 0.0
    if margins > 0:
        cross = a * d - b * c
        num = cross - total / 2 if cross > total / 2 else min(cross, 0)
        phi = num / np.sqrt(float(margins))
    diff = pc - pb
    low = diff - np.sqrt(max((pc - lc) ** 2 - 2 * phi * (pc - lc) * (ub - pb) + (ub - pb) ** 2, 0))
    high = diff + np.sqrt(max((uc - pc) ** 2 - 2 * phi * (uc - pc) * (pb - lb) + (pb - lb) ** 2, 0))
    out.append({'exact': float(exact), 'statsmodels': float(statsmodels), 'chi2': float(uncorrected),
                'chi2Corrected': float(corrected), 'low': float(low), 'high': float(high)})
print(json.dumps(out))
`;

interface ScipyMcNemar {
  exact: number;
  statsmodels: number;
  chi2: number;
  chi2Corrected: number;
  low: number;
  high: number;
}

interface Case {
  readonly counts: PairedCounts;
  readonly confidence: number;
}

function counts(b: number, c: number, a = 50, d = 10): PairedCounts {
  return { bothCorrect: a, baselineOnlyCorrect: b, candidateOnlyCorrect: c, bothWrong: d };
}

const FIXTURES: Case[] = [
  { counts: counts(0, 0), confidence: 0.95 },
  { counts: counts(0, 1), confidence: 0.95 },
  { counts: counts(1, 0), confidence: 0.95 },
  { counts: counts(5, 5), confidence: 0.95 },
  { counts: counts(5, 6), confidence: 0.95 },
  { counts: counts(16, 6, 59, 80), confidence: 0.95 },
  { counts: counts(12, 30, 400, 3), confidence: 0.9 },
  { counts: counts(0, 40, 0, 0), confidence: 0.95 },
  { counts: counts(130, 100, 9000, 770), confidence: 0.99 },
  { counts: counts(0, 1000, 5, 5), confidence: 0.95 },
  { counts: counts(900, 1100, 97_000, 1000), confidence: 0.95 },
  { counts: counts(49_000, 51_000, 0, 0), confidence: 0.95 },
  { counts: counts(3, 1, 0, 0), confidence: 0.5 },
];

/** The property set: small tables (exact tails matter) and large ones (up to 100,000 discordant pairs). */
const PROPERTY_CASES: Case[] = fc.sample(
  fc.record({
    counts: fc.oneof(
      fc.record({
        bothCorrect: fc.integer({ min: 0, max: 30 }),
        baselineOnlyCorrect: fc.integer({ min: 0, max: 30 }),
        candidateOnlyCorrect: fc.integer({ min: 0, max: 30 }),
        bothWrong: fc.integer({ min: 0, max: 30 }),
      }),
      fc.record({
        bothCorrect: fc.integer({ min: 0, max: 200_000 }),
        baselineOnlyCorrect: fc.integer({ min: 0, max: 100_000 }),
        candidateOnlyCorrect: fc.integer({ min: 0, max: 100_000 }),
        bothWrong: fc.integer({ min: 0, max: 50_000 }),
      }),
    ),
    confidence: fc.constantFrom(0.8, 0.9, 0.95, 0.99),
  }),
  { seed: 20_261_204, numRuns: 400 },
);

function expectAgrees(ours: number, scipy: number, what: string): void {
  const diff = Math.abs(ours - scipy);
  expect(diff, `${what}: ours ${ours}, scipy ${scipy}`).toBeLessThanOrEqual(ABSOLUTE);
  if (scipy < 1e-6 && scipy >= SMALLEST_NORMAL) {
    expect(diff, `${what} (relative): ours ${ours}, scipy ${scipy}`).toBeLessThanOrEqual(RELATIVE * scipy);
  }
}

function compareWithScipy(cases: readonly Case[]): void {
  const expected = runSklearn<ScipyMcNemar[]>(
    SCIPY_MCNEMAR,
    cases.map(({ counts: k, confidence }) => ({
      a: k.bothCorrect,
      b: k.baselineOnlyCorrect,
      c: k.candidateOnlyCorrect,
      d: k.bothWrong,
      confidence,
    })),
  );
  cases.forEach(({ counts: k, confidence }, i) => {
    const scipy = expected[i]!;
    const label = `b=${k.baselineOnlyCorrect} c=${k.candidateOnlyCorrect}`;
    const ours = mcnemarTest(k);
    expectAgrees(ours.exact.pValue, scipy.exact, `${label} exact`);
    expectAgrees(ours.exact.pValue, scipy.statsmodels, `${label} exact (statsmodels' form)`);
    expectAgrees(ours.chi2.pValue, scipy.chi2, `${label} chi2`);
    expectAgrees(ours.chi2Corrected.pValue, scipy.chi2Corrected, `${label} chi2 corrected`);
    if (k.bothCorrect + k.baselineOnlyCorrect + k.candidateOnlyCorrect + k.bothWrong > 0) {
      const interval = pairedAccuracyDifference(k, confidence).interval;
      expect(Math.abs(interval.low - scipy.low), `${label} Newcombe low`).toBeLessThanOrEqual(ABSOLUTE);
      expect(Math.abs(interval.high - scipy.high), `${label} Newcombe high`).toBeLessThanOrEqual(ABSOLUTE);
    }
  });
}

describe('McNemar against scipy 1.10', () => {
  it('equals binomtest, 2 binom.cdf and chi2.sf to 1e-12 on the fixtures', () => {
    compareWithScipy(FIXTURES);
  });

  it('equals scipy to 1e-12 on 400 fast-check tables (b, c up to 100,000)', () => {
    compareWithScipy(PROPERTY_CASES);
  });
});

describe('Newcombe paired interval against the published example', () => {
  it('reproduces Fagerland, Lydersen & Laake (2017), Table 8.x: Cavo et al. 2012, -0.0621 (-0.1186 to -0.0046)', () => {
    // Their p1 - p2 with n12 = 6, n21 = 16: the candidate is their first variable.
    const result = pairedAccuracyDifference(counts(16, 6, 59, 80));
    expect(result.difference.toFixed(4)).toBe('-0.0621');
    expect(result.interval.low.toFixed(4)).toBe('-0.1186');
    expect(result.interval.high.toFixed(4)).toBe('-0.0046');
    // Same book, same table: McNemar with continuity correction P = 0.055009, Z = 1.919.
    const test = mcnemarTest(counts(16, 6, 59, 80));
    expect(test.chi2Corrected.pValue.toFixed(6)).toBe('0.055009');
    expect(Math.sqrt(test.chi2Corrected.statistic).toFixed(3)).toBe('1.919');
  });
});
