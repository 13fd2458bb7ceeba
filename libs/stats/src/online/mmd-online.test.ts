import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { meanRunTime, shiftedDelays } from '../../test/online-streams.js';
import { normalMatrix, runPython, toNested } from '../../test/run-numpy.js';
import { seededRandom } from '../random/seeded-random.js';
import { MmdDriftOnline } from './mmd-online.js';

/** numpy reference: Alibi's sigma_median on the reference alone and the unbiased MMD² of the sub-reference against the window. */
const NUMPY_MMD_ONLINE = `
x = np.array(data['ref'], dtype=float); N = x.shape[0]
d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
sigma = float(np.sqrt(0.5 * np.sort(d2.ravel())[N + (N * N - N) // 2 - 1]))
sub = x[data['sub']]; s = data['sigma']
out = []
for w in data['windows']:
    y = np.array(w, dtype=float); W = y.shape[0]; n = sub.shape[0]
    k = lambda a, b: np.exp(-((a[:, None, :] - b[None, :, :]) ** 2).sum(-1) / (2 * s * s))
    kxx = k(sub, sub); np.fill_diagonal(kxx, 0.0); kyy = k(y, y); np.fill_diagonal(kyy, 0.0)
    out.append(float(kxx.sum() / (n * (n - 1)) + kyy.sum() / (W * (W - 1)) - 2 * k(sub, y).mean()))
print(json.dumps({'sigma': sigma, 'stats': out}))
`;

const relClose = (actual: number, expected: number, tolerance: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));

describe('MmdDriftOnline', () => {
  it('sigma and the statistic after each row equal numpy to 1e-9', () => {
    const ref = normalMatrix(120, 3, 11);
    const det = MmdDriftOnline.fit(ref, { ert: 50, windowSize: 8, nBootstraps: 500, seed: 3 });
    const fit = det.toJson();
    const stream = normalMatrix(15, 3, 12, 0.7);
    let window = fit.initialWindowIndices.map((i) => Array.from(ref.data.subarray(i * 3, i * 3 + 3)));
    const windows: number[][][] = [];
    const stats: number[] = [];
    for (let r = 0; r < stream.rows; r++) {
      const row = Array.from(stream.data.subarray(r * 3, r * 3 + 3));
      const scored = det.score(row);
      const step = det.predict(row);
      expect(step.testStat).toBeCloseTo(scored, 12);
      expect(step.time).toBe(r + 1);
      window = [...window.slice(1), row];
      windows.push(window);
      stats.push(step.testStat);
    }
    const expected = runPython<{ sigma: number; stats: number[] }>(NUMPY_MMD_ONLINE, {
      ref: toNested(ref),
      sub: fit.referenceIndices,
      sigma: fit.sigma,
      windows,
    });
    relClose(fit.sigma, expected.sigma, 1e-9);
    for (const [i, s] of stats.entries()) relClose(s, expected.stats[i]!, 1e-9);
    expect(fit.referenceIndices.length).toBe(120 - (2 * 8 - 1));
    expect(fit.thresholds).toHaveLength(8);
  });

  // Run times are geometric (mean 50, sd 50) given a fit, and a fit's own mean run time varies
  // with its reference split and simulated thresholds, so the test averages many small fits
  // (100 reference rows, 1,000 bootstraps, 10 streams each). Over four sets of seeds the overall
  // mean came out at 53.3, 46.3, 54.1 and 48.8 (sd about 3.5); the 15-row bound is four of
  // those, and a halved or doubled false-alarm rate (run time 25 or 100) fails it.
  it('without drift the mean run time is the ert (50 rows, 400 runs over 40 fits)', () => {
    const mean = meanRunTime(
      (f) =>
        MmdDriftOnline.fit(normalMatrix(100, 2, 1000 + f), {
          ert: 50,
          windowSize: 10,
          nBootstraps: 1000,
          seed: 77 + f,
        }),
      { fits: 40, runs: 10, ert: 50, firstTime: 0 },
    );
    expect(Math.abs(mean - 50)).toBeLessThanOrEqual(15);
  });

  it('detects a 1-sigma mean shift within 5 windows, far sooner than the ert of 100', () => {
    const delays = shiftedDelays(
      (f) =>
        MmdDriftOnline.fit(normalMatrix(200, 2, 1000 + f), {
          ert: 100,
          windowSize: 10,
          nBootstraps: 2000,
          seed: 77 + f,
        }),
      { fits: 5, runs: 6, limit: 50 },
    );
    expect(delays.every((d) => d > 0 && d <= 50)).toBe(true);
    expect(delays.sort((a, b) => a - b)[delays.length >> 1]).toBeLessThanOrEqual(20);
  });

  it('a seed reproduces the fit, and reset returns the window to its start (property)', () => {
    const ref = normalMatrix(60, 2, 5);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 2, maxLength: 20 }),
        (seed, values) => {
          const a = MmdDriftOnline.fit(ref, { ert: 20, windowSize: 4, nBootstraps: 200, seed });
          const b = MmdDriftOnline.fit(ref, { ert: 20, windowSize: 4, nBootstraps: 200, seed });
          expect(b.toJson()).toEqual(a.toJson());
          const rows = values.map((v) => [v, -v]);
          const first = rows.map((r) => a.predict(r));
          a.resetState();
          expect(a.time).toBe(0);
          expect(rows.map((r) => a.predict(r))).toEqual(first);
          for (const t of a.toJson().thresholds) expect(Number.isFinite(t)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('a saved state and fit resume to the same statistics', () => {
    const ref = normalMatrix(80, 2, 8);
    const a = MmdDriftOnline.fit(ref, { ert: 30, windowSize: 5, nBootstraps: 300, seed: 1 });
    const random = seededRandom(4);
    const row = () => [random.nextNormal(), random.nextNormal()];
    for (let i = 0; i < 7; i++) a.predict(row());
    const b = MmdDriftOnline.fromJson(
      ref,
      JSON.parse(JSON.stringify(a.toJson())),
      JSON.parse(JSON.stringify(a.stateJson())),
    );
    expect(b.time).toBe(7);
    for (let i = 0; i < 6; i++) {
      const r = row();
      expect(b.predict(r)).toEqual(a.predict(r));
    }
  });

  it('refuses a window out of range, an ert of 1 or less, too few bootstraps, a bad row', () => {
    const ref = normalMatrix(20, 2, 9);
    expect(() => MmdDriftOnline.fit(ref, { ert: 10, windowSize: 10, seed: 1 })).toThrow(
      /online.window_size_range/,
    );
    expect(() => MmdDriftOnline.fit(ref, { ert: 10, windowSize: 1, seed: 1 })).toThrow(/windowSize/);
    expect(() => MmdDriftOnline.fit(ref, { ert: 0, windowSize: 3, seed: 1 })).toThrow(/online.ert_set/);
    expect(() => MmdDriftOnline.fit(ref, { ert: 100, windowSize: 3, nBootstraps: 50, seed: 1 })).toThrow(
      /nBootstraps/,
    );
    // Worded for any caller (the drift service exposes no such option): the limit and the remedy.
    expect(() => MmdDriftOnline.fit(ref, { ert: 10, windowSize: 3, maxReferenceRows: 19, seed: 1 })).toThrow(
      /^reference: 20 rows exceed the online MMD's 19 \(it holds the reference's kernel matrix.*subsample the reference$/,
    );
    const det = MmdDriftOnline.fit(ref, { ert: 10, windowSize: 3, nBootstraps: 200, seed: 1 });
    expect(() => det.predict([1])).toThrow(/expected 2 values/);
    expect(() => det.predict([1, Number.NaN])).toThrow(/column 1/);
  });

  it('stops at its deadline with DEADLINE_EXCEEDED', () => {
    const ref = normalMatrix(200, 2, 9);
    expect(() =>
      MmdDriftOnline.fit(ref, {
        ert: 50,
        windowSize: 10,
        nBootstraps: 100_000,
        seed: 1,
        budget: { deadlineMs: Date.now() - 1 },
      }),
    ).toThrow(/deadline/);
  });
});
