import { describe, expect, it } from 'vitest';
import { meanInterval, wilsonInterval } from '../src/metrics/confidence-intervals.js';
import { normalQuantile, studentTQuantile } from '../src/metrics/distribution-quantiles.js';
import {
  classDistributionShift,
  distributionShift,
  outputDistributionShift,
} from '../src/metrics/distribution-shift.js';
import { addMoment, runningMoments } from '../src/metrics/running-moments.js';
import { seededRandom } from '../src/random/seeded-random.js';
import { runPython } from './run-numpy.js';

const TOLERANCE = 1e-9;

function expectClose(ours: number, theirs: number, what: string, tolerance = TOLERANCE): void {
  expect(Math.abs(ours - theirs), `${what}: ours ${ours}, scipy ${theirs}`).toBeLessThanOrEqual(
    tolerance * Math.max(1, Math.abs(theirs)),
  );
}

const SCIPY_SHIFT = `
from scipy.stats import entropy
from scipy.spatial.distance import jensenshannon
out = []
for case in data:
    p = np.array(case['p'], dtype=float); q = np.array(case['q'], dtype=float); eps = 1e-4; base = case['base']
    pp = p / p.sum(); qq = q / q.sum()
    pe = np.where(pp == 0, eps, pp); qe = np.where(qq == 0, eps, qq)
    out.append({'kl': float(entropy(pe, qe, base=base)), 'js': float(jensenshannon(p, q, base=base)),
                'psi': float(np.sum((qe - pe) * np.log(qe / pe)))})
print(json.dumps(out))
`;

describe('distribution shift against scipy', () => {
  const random = seededRandom(31);
  const counts = (k: number, zeroEvery = 0) =>
    Array.from({ length: k }, (_, i) => (zeroEvery > 0 && i % zeroEvery === 0 ? 0 : 1 + random.nextInt(100)));
  const cases = [
    { p: counts(3), q: counts(3), base: Math.E },
    { p: counts(10), q: counts(10, 3), base: 2 },
    { p: counts(10, 4), q: counts(10), base: Math.E },
    { p: [5, 5, 5], q: [5, 5, 5], base: Math.E },
    { p: [1, 0], q: [0, 1], base: 2 },
  ];
  const expected = runPython<Array<{ kl: number; js: number; psi: number }>>(SCIPY_SHIFT, cases);

  it.each(cases.map((c, i) => [`${c.p.length} bins, base ${c.base.toFixed(3)}`, i] as const))(
    'KL (scipy entropy, epsilon 1e-4), JS (jensenshannon) and PSI: %s',
    (_, i) => {
      const c = cases[i]!;
      const ours = distributionShift(c.p, c.q, { base: c.base });
      expectClose(ours.klDivergence, expected[i]!.kl, 'KL');
      expectClose(ours.jensenShannon, expected[i]!.js, 'JS');
      expectClose(ours.psi, expected[i]!.psi, 'PSI');
    },
  );

  it('over classes takes the union of labels and over outputs bins at reference deciles', () => {
    const byClass = classDistributionShift(
      new Map([
        ['a', 10],
        ['b', 30],
      ]),
      new Map([
        ['b', 20],
        ['c', 5],
      ]),
    );
    const direct = distributionShift([10, 30, 0], [0, 20, 5]);
    expect(byClass).toEqual(direct);
    const reference = Float64Array.from({ length: 1000 }, () => random.nextNormal()).sort();
    const same = outputDistributionShift(reference, reference);
    expect(same.edges.length).toBe(9);
    expect(same.psi).toBe(0);
    expect(same.jensenShannon).toBe(0);
    const shifted = outputDistributionShift(
      reference,
      Array.from({ length: 500 }, () => random.nextNormal() + 1),
    );
    expect(shifted.psi).toBeGreaterThan(0.2);
  });
});

const SCIPY_INTERVALS = `
from scipy.stats import binomtest, t, norm
from scipy.special import ndtri
out = {'wilson': [], 'ndtri': [], 't': [], 'mean': []}
for k, n, cl in data['wilson']:
    ci = binomtest(k, n).proportion_ci(confidence_level=cl, method='wilson')
    out['wilson'].append([ci.low, ci.high])
out['ndtri'] = [float(ndtri(p)) for p in data['ps']]
out['t'] = [float(t.ppf(p, d)) for p, d in data['tq']]
for xs in data['samples']:
    x = np.array(xs); lo, hi = t.interval(0.95, len(x) - 1, loc=x.mean(), scale=x.std(ddof=1) / np.sqrt(len(x)))
    out['mean'].append([lo, hi])
print(json.dumps(out))
`;

describe('confidence intervals against scipy', () => {
  const wilson: Array<[number, number, number]> = [
    [0, 10, 0.95],
    [10, 10, 0.95],
    [3, 10, 0.95],
    [470, 500, 0.99],
    [1, 1, 0.9],
    [51234, 100000, 0.95],
  ];
  const ps = [1e-10, 0.001, 0.0243, 0.025, 0.3, 0.5, 0.8, 0.975, 0.995, 1 - 1e-9];
  const tq: Array<[number, number]> = [
    [0.975, 1],
    [0.975, 2],
    [0.995, 4],
    [0.975, 29],
    [0.025, 10],
    [0.9, 1000],
    [0.975, 1e6],
  ];
  const random = seededRandom(41);
  const samples = [2, 5, 30, 400].map((n) => Array.from({ length: n }, () => 3 + 2 * random.nextNormal()));
  const expected = runPython<{ wilson: number[][]; ndtri: number[]; t: number[]; mean: number[][] }>(
    SCIPY_INTERVALS,
    {
      wilson,
      ps,
      tq,
      samples,
    },
  );

  it("Wilson score interval equals scipy's binomtest(...).proportion_ci(method='wilson')", () => {
    wilson.forEach(([k, n, cl], i) => {
      const ours = wilsonInterval(k, n, cl);
      expectClose(ours.low, expected.wilson[i]![0]!, `low ${k}/${n}`);
      expectClose(ours.high, expected.wilson[i]![1]!, `high ${k}/${n}`);
    });
  });

  it("normal and t quantiles equal scipy's ndtri (1e-12) and t.ppf (1e-11; 3e-12 measured at 1e6 degrees of freedom)", () => {
    ps.forEach((p, i) => {
      expectClose(normalQuantile(p), expected.ndtri[i]!, `ndtri(${p})`, 1e-12);
    });
    tq.forEach(([p, dof], i) => {
      expectClose(studentTQuantile(p, dof), expected.t[i]!, `t.ppf(${p}, ${dof})`, 1e-11);
    });
  });

  it("mean intervals equal scipy's t.interval", () => {
    samples.forEach((xs, i) => {
      const moments = runningMoments();
      for (const x of xs) addMoment(moments, x);
      const ours = meanInterval(moments);
      expectClose(ours.low, expected.mean[i]![0]!, `low, n = ${xs.length}`);
      expectClose(ours.high, expected.mean[i]![1]!, `high, n = ${xs.length}`);
    });
  });
});
