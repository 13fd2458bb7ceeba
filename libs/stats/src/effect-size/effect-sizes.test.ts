import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runPython } from '../../test/run-numpy.js';
import { seededRandom } from '../random/seeded-random.js';
import { categoricalEffectSizes, numericEffectSizes } from './effect-sizes.js';

/** scipy/numpy reference: decile edges by np.quantile, searchsorted 'right', PSI with 1e-4 for empty bins. */
const SCIPY_EFFECT_SIZES = `
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance
def sizes(p, q):
    p = np.asarray(p, float); q = np.asarray(q, float); p = p / p.sum(); q = q / q.sum()
    a = np.where(p == 0, 1e-4, p); b = np.where(q == 0, 1e-4, q)
    return {'psi': float(((b - a) * np.log(b / a)).sum()), 'jensenShannon': float(jensenshannon(p, q)),
            'hellinger': float(np.sqrt(max(1 - np.sqrt(p * q).sum(), 0)))}
out = []
for case in data['numeric']:
    ref = np.array(case['ref']); smp = np.array(case['smp'])
    edges = np.unique(np.quantile(ref, np.arange(1, 10) / 10))
    p = np.bincount(np.searchsorted(edges, ref, side='right'), minlength=len(edges) + 1)
    q = np.bincount(np.searchsorted(edges, smp, side='right'), minlength=len(edges) + 1)
    r = sizes(p, q); r['wasserstein'] = float(wasserstein_distance(ref, smp)); out.append(r)
cat = [sizes(c['p'], c['q']) for c in data['categorical']]
print(json.dumps({'numeric': out, 'categorical': cat}))
`;

const close = (actual: number, expected: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(Math.abs(expected), 1e-12));

describe('effect sizes against scipy', () => {
  const random = seededRandom(5);
  const normal = (n: number, mean: number, sd: number) =>
    Array.from({ length: n }, () => mean + sd * random.nextNormal());
  const numericCases = [
    { ref: normal(1_000, 0, 1), smp: normal(500, 0, 1) },
    { ref: normal(1_000, 0, 1), smp: normal(300, 0.5, 1.5) },
    { ref: normal(50, 10, 2), smp: normal(7, 30, 1) }, // sample beyond the reference: empty bins
    { ref: [1, 1, 1, 2, 2, 3, 3, 3, 3, 4], smp: [1, 2, 2, 2, 5, 5] }, // discrete: repeated edges merge
    { ref: [0], smp: [0, 1] },
  ];
  const categoricalCases: [Map<string | number, number>, Map<string | number, number>][] = [
    [
      new Map([
        ['a', 10],
        ['b', 30],
        ['c', 60],
      ]),
      new Map([
        ['a', 12],
        ['b', 28],
        ['c', 60],
      ]),
    ],
    [
      new Map([
        ['a', 10],
        ['b', 30],
      ]),
      new Map([
        ['a', 5],
        ['c', 7],
      ]),
    ], // unseen 'c', missing 'b'
    [
      new Map([
        [1, 1],
        [2, 1],
      ]),
      new Map([
        [1, 1],
        [2, 1],
      ]),
    ],
  ];
  const union = (a: Map<string | number, number>, b: Map<string | number, number>) => [
    ...new Set([...a.keys(), ...b.keys()]),
  ];
  const expected = runPython<{
    numeric: { psi: number; jensenShannon: number; hellinger: number; wasserstein: number }[];
    categorical: { psi: number; jensenShannon: number; hellinger: number }[];
  }>(SCIPY_EFFECT_SIZES, {
    numeric: numericCases,
    categorical: categoricalCases.map(([a, b]) => ({
      p: union(a, b).map((c) => a.get(c) ?? 0),
      q: union(a, b).map((c) => b.get(c) ?? 0),
    })),
  });

  it.each(numericCases.map((c, k) => [k, c] as const))('numeric case %i equals scipy to 1e-9', (k, c) => {
    const actual = numericEffectSizes(Float64Array.from(c.ref).sort(), c.smp);
    const want = expected.numeric[k]!;
    close(actual.psi, want.psi);
    close(actual.jensenShannon, want.jensenShannon);
    close(actual.hellinger, want.hellinger);
    close(actual.wasserstein!, want.wasserstein);
  });

  it.each(categoricalCases.map((c, k) => [k, c] as const))(
    'categorical case %i equals scipy to 1e-9',
    (k, [a, b]) => {
      const actual = categoricalEffectSizes(a, b);
      const want = expected.categorical[k]!;
      close(actual.psi, want.psi);
      close(actual.jensenShannon, want.jensenShannon);
      close(actual.hellinger, want.hellinger);
      expect(actual.wasserstein).toBeUndefined();
    },
  );
});

describe('effect size properties', () => {
  const values = fc.array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 1, maxLength: 60 });
  it('are ~0 for a sample equal to the reference, and bounded', () => {
    fc.assert(
      fc.property(values, values, (a, b) => {
        const ref = Float64Array.from(a).sort();
        const same = numericEffectSizes(ref, a);
        expect(same.psi).toBeLessThanOrEqual(1e-12);
        expect(same.wasserstein).toBeLessThanOrEqual(1e-9 * (1 + Math.max(...a.map(Math.abs))));
        const other = numericEffectSizes(ref, b);
        expect(other.psi).toBeGreaterThanOrEqual(0);
        expect(other.hellinger).toBeLessThanOrEqual(1);
        expect(other.jensenShannon).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-12);
      }),
    );
  });

  it('refuses NaN, unsorted references and empty inputs, naming the row', () => {
    expect(() => numericEffectSizes(Float64Array.from([2, 1]), [1])).toThrow(
      'reference, row 1: values must be sorted',
    );
    expect(() => numericEffectSizes(Float64Array.from([1, 2]), [1, Number.NaN])).toThrow(
      'sample, row 1: NaN',
    );
    expect(() => numericEffectSizes(new Float64Array(0), [1])).toThrow('reference: at least one value');
    expect(() => categoricalEffectSizes(new Map(), new Map([['a', 1]]))).toThrow(
      'reference: at least one count',
    );
  });
});
