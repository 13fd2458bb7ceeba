import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanRunTime, shiftedDelays } from '../../test/online-streams.js';
import { normalMatrix, runPython, toNested } from '../../test/run-numpy.js';
import type { DenseMatrix } from '../matrix.js';
import { CvmDriftOnline } from './cvm-online.js';

/**
 * numpy reference, written from Alibi's scoring (cvm_online.py `score` and `_normalise_stats`):
 * per window size and feature, F_ref and F_win (counts of values <= the point) at every
 * reference and window point, the sum of squared differences, standardised.
 */
const NUMPY_CVM_ONLINE = `
x = np.array(data['ref'], dtype=float); n = x.shape[0]
def norm(s, n, w):
    mu = 1 / 6 + 1 / (6 * (n + w))
    var_num = (n + w + 1) * (4 * n * w * (n + w) - 3 * (n * n + w * w) - 2 * n * w)
    var_denom = 45 * (n + w) * (n + w) * 4 * n * w
    return (s * n * w / ((n + w) * (n + w)) - mu) / np.sqrt(var_num / var_denom)
out = []
for rows in data['windows']:
    y = np.array(rows, dtype=float); per = []
    for w in data['sizes']:
        if y.shape[0] < w:
            per.append(None); continue
        win = y[-w:]; stats = []
        for f in range(x.shape[1]):
            r, v = x[:, f], win[:, f]
            Fr = lambda z: (r[None, :] <= z[:, None]).mean(1)
            Fw = lambda z: (v[None, :] <= z[:, None]).mean(1)
            s = ((Fr(r) - Fw(r)) ** 2).sum() + ((Fr(v) - Fw(v)) ** 2).sum()
            stats.append(float(norm(s, n, w)))
        per.append(stats)
    out.append(per)
print(json.dumps(out))
`;

const rounded = (m: DenseMatrix, scale: number): DenseMatrix => ({
  ...m,
  data: m.data.map((v) => Math.round(v * scale) / scale),
});

describe('CvmDriftOnline', () => {
  it.each([
    ['continuous', normalMatrix(90, 2, 21), normalMatrix(25, 2, 22, 0.5)],
    [
      'with ties (values rounded to halves)',
      rounded(normalMatrix(90, 2, 23), 2),
      rounded(normalMatrix(25, 2, 24, 0.5), 2),
    ],
  ])('%s: the statistics per window and feature equal numpy to 1e-9', (_, ref, stream) => {
    const det = CvmDriftOnline.fit(ref, { ert: 30, windowSizes: [4, 10], nBootstraps: 400, seed: 2 });
    const windows: number[][][] = [];
    const got: number[][][] = [];
    const seen: number[][] = [];
    for (let r = 0; r < stream.rows; r++) {
      const row = Array.from(stream.data.subarray(r * 2, r * 2 + 2));
      const scored = det.score(row);
      const step = det.predict(row);
      if (Number.isNaN(scored)) expect(step.testStat).toBeNaN();
      else expect(step.testStat).toBeCloseTo(scored, 12);
      seen.push(row);
      windows.push(seen.slice(-10));
      got.push(det.statistics());
    }
    const expected = runPython<(number[] | null)[][]>(NUMPY_CVM_ONLINE, {
      ref: toNested(ref),
      sizes: [4, 10],
      windows,
    });
    for (const [t, perWindow] of expected.entries()) {
      for (const [k, stats] of perWindow.entries()) {
        if (stats === null) {
          expect(got[t]![k]!.every(Number.isNaN)).toBe(true);
          continue;
        }
        for (const [f, s] of stats.entries()) {
          expect(Math.abs(got[t]![k]![f]! - s)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(s)));
        }
      }
    }
  });

  it('thresholds are undefined before the smallest window is full and set after', () => {
    const det = CvmDriftOnline.fit(normalMatrix(50, 1, 3), {
      ert: 20,
      windowSizes: [3, 6],
      nBootstraps: 500,
      seed: 1,
    });
    const thresholds = det.toJson().thresholds;
    expect(thresholds).toHaveLength(11);
    expect(thresholds.slice(0, 2)).toEqual([null, null]);
    expect(thresholds.slice(2).every((t) => t !== null && Number.isFinite(t))).toBe(true);
    expect(det.predict([0]).isDrift).toBe(false);
    expect(det.threshold(1)).toBeNaN();
  });

  // The statistic is rank-based, so a fit's thresholds serve any reference of its size: four
  // fits (5,000 simulated streams each) are each used with 100 fresh references, one stream
  // each. The run time is geometric (sd 50, so 2.5 for the mean of 400) and each fit's last
  // threshold misses its quantile by about 11% in rate (binomial error at 0.98 over about
  // 4,000 streams), 2.75 rows over four fits: a standard error near 3.7 rows, which the
  // 15-row bound is four of; a halved or doubled false-alarm rate fails it.
  it('without drift the mean run time after the smallest window is full is the ert (50 rows, 400 runs)', () => {
    const fits = [0, 1, 2, 3].map((f) =>
      CvmDriftOnline.fit(normalMatrix(100, 2, f), {
        ert: 50,
        windowSizes: [5, 10],
        nBootstraps: 5000,
        seed: 77 + f,
      }).toJson(),
    );
    const mean = meanRunTime((f) => CvmDriftOnline.fromJson(normalMatrix(100, 2, 1000 + f), fits[f % 4]!), {
      fits: 400,
      runs: 1,
      ert: 50,
      firstTime: 4,
    });
    expect(Math.abs(mean - 50)).toBeLessThanOrEqual(15);
  });

  it('detects a 1-sigma mean shift within 5 of the larger windows, far sooner than the ert of 100', () => {
    const delays = shiftedDelays(
      (f) =>
        CvmDriftOnline.fit(normalMatrix(200, 2, 1000 + f), {
          ert: 100,
          windowSizes: [5, 10],
          nBootstraps: 2000,
          seed: 77 + f,
        }),
      { fits: 5, runs: 6, limit: 50 },
    );
    expect(delays.every((d) => d > 0 && d <= 50)).toBe(true);
    expect(delays.sort((a, b) => a - b)[delays.length >> 1]).toBeLessThanOrEqual(20);
  });

  it('a seed reproduces the thresholds; a saved state resumes; reset empties (property)', () => {
    const ref = normalMatrix(40, 2, 5);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 1, maxLength: 15 }),
        (seed, values) => {
          const a = CvmDriftOnline.fit(ref, { ert: 10, windowSizes: [2, 5], nBootstraps: 200, seed });
          expect(
            CvmDriftOnline.fit(ref, { ert: 10, windowSizes: [2, 5], nBootstraps: 200, seed }).toJson(),
          ).toEqual(a.toJson());
          const rows = values.map((v) => [v, v / 2]);
          const split = rows.length >> 1;
          for (const r of rows.slice(0, split)) a.predict(r);
          const b = CvmDriftOnline.fromJson(
            ref,
            JSON.parse(JSON.stringify(a.toJson())),
            JSON.parse(JSON.stringify(a.stateJson())),
          );
          for (const r of rows.slice(split)) expect(b.predict(r)).toEqual(a.predict(r));
          a.resetState();
          expect(a.time).toBe(0);
          expect(a.stateJson().window).toEqual([]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses windows out of range, an ert of 1 or less, too few bootstraps', () => {
    const ref = normalMatrix(20, 1, 9);
    expect(() => CvmDriftOnline.fit(ref, { ert: 10, windowSizes: [10], seed: 1 })).toThrow(
      /online.window_size_range/,
    );
    expect(() => CvmDriftOnline.fit(ref, { ert: 10, windowSizes: [], seed: 1 })).toThrow(/windowSizes/);
    expect(() => CvmDriftOnline.fit(ref, { ert: 1, windowSizes: [3], seed: 1 })).toThrow(/online.ert_set/);
    expect(() => CvmDriftOnline.fit(ref, { ert: 100, windowSizes: [3], nBootstraps: 50, seed: 1 })).toThrow(
      /nBootstraps/,
    );
  });
});
