import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { compareVersions } from './compare-versions.js';
import type { McNemarVariant } from './mcnemar.js';
import { meanOverRows } from './paired-bootstrap.js';
import type { PairedCounts } from './paired-counts.js';
import { bootstrapPairsNeeded, mcnemarPairsNeeded } from './sample-size.js';

const table = (a: number, b: number, c: number, d: number): PairedCounts => ({
  bothCorrect: a,
  baselineOnlyCorrect: b,
  candidateOnlyCorrect: c,
  bothWrong: d,
});

/** A seeded multinomial draw of `n` pairs with the cell shares of `shares` (a, b, c, d). */
function drawTable(
  n: number,
  shares: readonly number[],
  random: ReturnType<typeof seededRandom>,
): PairedCounts {
  const cells = [0, 0, 0, 0];
  const cumulative = [shares[0]!, shares[0]! + shares[1]!, shares[0]! + shares[1]! + shares[2]!];
  for (let i = 0; i < n; i++) {
    const u = random.nextFloat();
    cells[u < cumulative[0]! ? 0 : u < cumulative[1]! ? 1 : u < cumulative[2]! ? 2 : 3]! += 1;
  }
  return table(cells[0]!, cells[1]!, cells[2]!, cells[3]!);
}

describe('compareVersions with McNemar', () => {
  it('says better, worse, or no evidence yet with how many pairs would settle it', () => {
    const better = compareVersions({ test: 'mcnemar', counts: table(800, 20, 60, 120) });
    expect(better).toMatchObject({ verdict: 'better', test: 'mcnemar-exact', pairs: 1000, difference: 0.04 });
    expect(better.pValue).toBeLessThan(0.05);
    expect(better.interval.low).toBeGreaterThan(0);
    expect(better.pairsNeeded).toBeUndefined();

    const worse = compareVersions({ test: 'mcnemar', counts: table(800, 60, 20, 120), variant: 'chi2' });
    expect(worse).toMatchObject({ verdict: 'worse', test: 'mcnemar-chi2', difference: -0.04 });
    expect(worse.interval.high).toBeLessThan(0);

    const unsure = compareVersions({ test: 'mcnemar', counts: table(160, 4, 8, 28) });
    expect(unsure.verdict).toBe('no evidence yet');
    expect(unsure.pValue).toBeGreaterThan(0.05);
    expect(unsure.pairsNeeded).toBe(mcnemarPairsNeeded(12 / 200, 4 / 200, 0.05, 0.8, true));
    expect(unsure.additionalPairsNeeded).toBe(unsure.pairsNeeded! - 200);

    const none = compareVersions({ test: 'mcnemar', counts: table(10, 3, 3, 1) });
    expect(none).toMatchObject({
      verdict: 'no evidence yet',
      difference: 0,
      pairsNeeded: Number.POSITIVE_INFINITY,
    });
    expect(compareVersions({ test: 'mcnemar', counts: table(0, 0, 0, 0) }).pairsNeeded).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  // The check the estimate rests on: draw tables of the estimated size from the pilot's own
  // shares and count how often the test finds the difference. 2,000 runs put the share within
  // +-0.018 (2 sd) of its expectation. Measured (2026-12-04): 0.800, 0.7995, 0.7975, 0.799,
  // 0.8145, 0.8175 in the order of the cases below.
  it.each([
    ['exact', 'b 20, c 30 of 500', table(350, 20, 30, 100)],
    ['chi2-corrected', 'b 20, c 30 of 500', table(350, 20, 30, 100)],
    ['chi2', 'b 20, c 30 of 500', table(350, 20, 30, 100)],
    ['exact', 'b 25, c 37 of 300', table(180, 25, 37, 58)],
    ['chi2', 'b 5, c 11 of 400', table(380, 5, 11, 4)],
    ['exact', 'b 5, c 11 of 400', table(380, 5, 11, 4)],
  ] as const)(
    '%s, pilot %s: at the estimated size the test detects the difference in about 80%% of 2,000 seeded runs',
    (variant: McNemarVariant, _label, pilot) => {
      const first = compareVersions({ test: 'mcnemar', counts: pilot, variant });
      expect(first.verdict).toBe('no evidence yet');
      const n = first.pairsNeeded!;
      const total = first.pairs;
      const shares = [
        pilot.bothCorrect,
        pilot.baselineOnlyCorrect,
        pilot.candidateOnlyCorrect,
        pilot.bothWrong,
      ].map((k) => k / total);
      const random = seededRandom(2026);
      const runs = 2000;
      let detected = 0;
      for (let run = 0; run < runs; run++) {
        const result = compareVersions({ test: 'mcnemar', counts: drawTable(n, shares, random), variant });
        if (result.verdict === 'better') detected += 1;
      }
      expect(detected / runs).toBeGreaterThan(0.75);
      expect(detected / runs).toBeLessThan(0.86);
    },
  );
});

describe('compareVersions with the paired bootstrap', () => {
  /** Absolute errors of two regressors on the same rows: a shared part and each model's own. */
  function absoluteErrors(n: number, seed: number, candidateScale: number) {
    const random = seededRandom(seed);
    const baseline = new Float64Array(n);
    const candidate = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const shared = random.nextNormal();
      baseline[i] = Math.abs(shared + 0.6 * random.nextNormal());
      candidate[i] = Math.abs(shared + 0.6 * candidateScale * random.nextNormal());
    }
    return { baseline, candidate };
  }

  it('reads a lower MAE as better when higherIsBetter is false, and a higher accuracy as better when true', () => {
    const { baseline, candidate } = absoluteErrors(4000, 8, 0.5);
    const mae = compareVersions({
      test: 'bootstrap',
      count: 4000,
      baseline: meanOverRows(baseline),
      candidate: meanOverRows(candidate),
      higherIsBetter: false,
      seed: 1,
    });
    expect(mae).toMatchObject({ verdict: 'better', test: 'paired-bootstrap', pairs: 4000 });
    expect(mae.difference).toBeLessThan(0);
    expect(mae.interval.high).toBeLessThan(0);
    expect(mae.pValue).toBeLessThan(0.01);
    const asScore = compareVersions({
      test: 'bootstrap',
      count: 4000,
      baseline: meanOverRows(baseline),
      candidate: meanOverRows(candidate),
      higherIsBetter: true,
      seed: 1,
    });
    expect(asScore.verdict).toBe('worse');
  });

  it('at the estimated size detects the pilot difference in about 80% of 300 seeded runs (rows drawn from the pilot)', () => {
    const pilotRows = 300;
    const pilot = absoluteErrors(pilotRows, 21, 0.93);
    const first = compareVersions({
      test: 'bootstrap',
      count: pilotRows,
      baseline: meanOverRows(pilot.baseline),
      candidate: meanOverRows(pilot.candidate),
      higherIsBetter: false,
      seed: 3,
    });
    expect(first.verdict).toBe('no evidence yet');
    const n = first.pairsNeeded!;
    expect(n).toBeGreaterThan(pilotRows);
    expect(n).toBeLessThan(20_000);
    const halfWidth = (first.interval.high - first.interval.low) / 2;
    expect(n).toBe(bootstrapPairsNeeded(pilotRows, halfWidth, 0.95, first.difference, 0.05, 0.8));
    // Rows are drawn from the pilot itself, so the true difference is the pilot's and the
    // 1/sqrt(n) scaling is the only approximation under test.
    const random = seededRandom(77);
    const runs = 300;
    let detected = 0;
    const baseline = new Float64Array(n);
    const candidate = new Float64Array(n);
    for (let run = 0; run < runs; run++) {
      for (let i = 0; i < n; i++) {
        const row = random.nextInt(pilotRows);
        baseline[i] = pilot.baseline[row]!;
        candidate[i] = pilot.candidate[row]!;
      }
      const result = compareVersions({
        test: 'bootstrap',
        count: n,
        baseline: meanOverRows(baseline),
        candidate: meanOverRows(candidate),
        higherIsBetter: false,
        seed: run,
        resamples: 200,
      });
      if (result.verdict === 'better') detected += 1;
    }
    // Measured: n 3,584, detected in 0.77 of runs. 300 runs: sd 0.023 around 0.8; the band is 3 sd either way plus the 200-resample noise.
    expect(detected / runs).toBeGreaterThan(0.7);
    expect(detected / runs).toBeLessThan(0.9);
  });
});

describe('compareVersions input checks', () => {
  it('refuses alpha and power outside (0, 1), naming the field', () => {
    const counts = table(1, 2, 3, 4);
    expect(() => compareVersions({ test: 'mcnemar', counts }, { alpha: 0 })).toThrow(
      /^alpha: expected a probability in \(0, 1\), got 0$/,
    );
    expect(() => compareVersions({ test: 'mcnemar', counts }, { power: 1 })).toThrow(
      /^power: expected a probability in \(0, 1\), got 1$/,
    );
    expect(() => compareVersions({ test: 'mcnemar', counts }, { alpha: Number.NaN })).toThrow(
      /^alpha: .* got NaN$/,
    );
    expect(() => compareVersions({ test: 'mcnemar', counts: table(1, -2, 3, 4) })).toThrow(
      /"baselineOnlyCorrect"/,
    );
  });

  it('sample sizes: Connor grows with power and shrinks with the difference; bad shares are refused', () => {
    const base = mcnemarPairsNeeded(0.1, 0.02, 0.05, 0.8);
    expect(mcnemarPairsNeeded(0.1, 0.02, 0.05, 0.9)).toBeGreaterThan(base);
    expect(mcnemarPairsNeeded(0.1, 0.04, 0.05, 0.8)).toBeLessThan(base);
    expect(mcnemarPairsNeeded(0.1, -0.02, 0.05, 0.8)).toBe(base);
    expect(mcnemarPairsNeeded(0.1, 0.02, 0.05, 0.8, true)).toBeGreaterThan(base);
    expect(() => mcnemarPairsNeeded(0.1, 0.2, 0.05, 0.8)).toThrow(/^difference: expected \|difference\| <= /);
    expect(() => mcnemarPairsNeeded(1.5, 0.2, 0.05, 0.8)).toThrow(/^discordantShare: /);
    expect(() => bootstrapPairsNeeded(100, -1, 0.95, 0.1, 0.05, 0.8)).toThrow(/^halfWidth: /);
    expect(() => bootstrapPairsNeeded(100, 1, 0.95, Number.NaN, 0.05, 0.8)).toThrow(/^difference: /);
    expect(bootstrapPairsNeeded(100, 1, 0.95, 0, 0.05, 0.8)).toBe(Number.POSITIVE_INFINITY);
  });
});
