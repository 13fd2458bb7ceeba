import { describe, expect, it } from 'vitest';
import { type Alternative, type KsMethod, ks2Samp, ks2SampSorted } from '../src/index.js';
import { kolmogorovTwoSidedSf } from '../src/univariate/kolmogorov-two-sided.js';
import { smirnovSf } from '../src/univariate/smirnov-one-sided.js';
import { closeTo, integers, normals, PYTHON_PRELUDE, runPython, seededUniform } from './scipy-oracle.js';

interface DataSet {
  readonly name: string;
  readonly x: number[];
  readonly y: number[];
}

interface ScipyKs {
  readonly name: string;
  readonly alternative: Alternative;
  readonly method: KsMethod;
  readonly statistic: number | null;
  readonly pValue: number | null;
}

/** 50,001 x 49,999 lattice points exceed int32: scipy's explicit exact switches to asymp. */
const LATTICE_BEYOND_INT32 = 'coprime 50001 vs 49999';
const ALTERNATIVES: Alternative[] = ['two-sided', 'less', 'greater'];
const METHODS: KsMethod[] = ['auto', 'exact', 'asymp'];

function dataSets(): DataSet[] {
  const u = seededUniform(20261203);
  const same = normals(u, 30);
  const sets: DataSet[] = [
    { name: 'tiny 5 vs 7', x: normals(u, 5), y: normals(u, 7) },
    { name: 'tiny 7 vs 5 shifted', x: normals(u, 7), y: normals(u, 5, 1.5) },
    { name: 'one vs one', x: [0.5], y: [1.5] },
    { name: 'one vs five', x: [0.2], y: normals(u, 5) },
    { name: 'ties 40 vs 60', x: integers(u, 40, 5), y: integers(u, 60, 6) },
    { name: 'discrete 1000 vs 1200', x: integers(u, 1000, 3), y: integers(u, 1200, 3) },
    { name: 'identical 30 vs 30', x: same, y: [...same] },
    { name: 'equal n 50 vs 50 shifted', x: normals(u, 50), y: normals(u, 50, 0.5) },
    { name: 'equal n 300 vs 300', x: normals(u, 300), y: normals(u, 300) },
    { name: 'scale 500 vs 500', x: normals(u, 500), y: normals(u, 500, 0, 3) },
    { name: 'unequal 200 vs 2000', x: normals(u, 200), y: normals(u, 2000, 0.1) },
    { name: 'moderate 130 vs 97 shifted', x: normals(u, 130), y: normals(u, 97, 0.4) },
    { name: 'large 10000 vs 1000', x: normals(u, 10_000), y: normals(u, 1000) },
    { name: 'large 10000 vs 1000 shifted', x: normals(u, 10_000), y: normals(u, 1000, 0.15) },
    { name: 'large 1000 vs 10000 discrete', x: integers(u, 1000, 50), y: integers(u, 10_000, 50) },
    { name: 'auto asymp 12000 vs 900', x: normals(u, 12_000), y: normals(u, 900, 0.05) },
    { name: 'one-sided exact overflow 1500 vs 1100', x: normals(u, 1500), y: normals(u, 1100, 0.05) },
    { name: 'far apart 60 vs 40', x: normals(u, 60), y: normals(u, 40, 6) },
    { name: LATTICE_BEYOND_INT32, x: normals(u, 50_001), y: normals(u, 49_999) },
  ];
  return sets;
}

/** Every algorithm region of scipy's kolmogn: small and large n, each n*x^2 band, x >= 0.5. */
const NS = [2, 5, 17, 60, 140, 141, 500, 909, 5000];
const XS_PER_N = 24;

function grid(): { n: number; x: number }[] {
  const points: { n: number; x: number }[] = [];
  for (const n of NS) {
    for (let k = 0; k < XS_PER_N; k++) {
      // Spread over sqrt(n)*x in (0.05, 5) and a few large x, where the regions switch.
      const z = 0.05 * 100 ** (k / (XS_PER_N - 1));
      points.push({ n, x: Math.min(z / Math.sqrt(n), 0.999) });
    }
    points.push({ n, x: 0.5 }, { n, x: 0.75 }, { n, x: 1 / n + 1e-9 });
  }
  return points;
}

const SCRIPT = `${PYTHON_PRELUDE}
out = []
for ds in data['sets']:
    x, y = np.array(ds['x']), np.array(ds['y'])
    for alt in data['alternatives']:
        auto = None
        for m in data['methods']:
            # Up to 10,000 per sample scipy's 'auto' is its 'exact' (the int32 guard cannot
            # trigger there): reuse the result instead of paying its Python loops twice.
            if m == 'exact' and auto is not None and max(len(x), len(y)) <= 10000:
                r = auto
            else:
                r = stats.ks_2samp(x, y, alternative=alt, method=m)
            if m == 'auto':
                auto = r
            out.append(dict(name=ds['name'], alternative=alt, method=m,
                            statistic=clean(r.statistic), pValue=clean(r.pvalue)))
from scipy import special
grid = data['grid']
print(json.dumps(dict(version=scipy.__version__, results=out,
    kstwo=[clean(stats.kstwo.sf(p['x'], p['n'])) for p in grid],
    smirnov=[clean(special.smirnov(p['n'], p['x'])) for p in grid])))
`;

describe('ks2Samp equals scipy.stats.ks_2samp', () => {
  const sets = dataSets();
  const points = grid();
  const scipy = runPython<{
    version: string;
    results: ScipyKs[];
    kstwo: (number | null)[];
    smirnov: (number | null)[];
  }>(SCRIPT, {
    grid: points,
    sets,
    alternatives: ALTERNATIVES,
    methods: METHODS,
  });
  const byName = new Map(sets.map((s) => [s.name, s]));

  it.each(scipy.results.map((r) => [`${r.name}, ${r.alternative}, ${r.method}`, r] as const))(
    '%s',
    (_label, expected) => {
      const ds = byName.get(expected.name)!;
      const actual = ks2Samp(ds.x, ds.y, { alternative: expected.alternative, method: expected.method });
      expect(
        closeTo(actual.statistic, expected.statistic, 1e-9, 0),
        `statistic ${actual.statistic} vs scipy ${scipy.version} ${expected.statistic}`,
      ).toBe(true);
      expect(closeTo(actual.pValue, expected.pValue), `p ${actual.pValue} vs scipy ${expected.pValue}`).toBe(
        true,
      );
    },
  );

  // The distributions over every algorithm region: data-driven cases reach some only by chance.
  it('kolmogorovTwoSidedSf equals kstwo.sf over every region', () => {
    const bad = points
      .map((p, i) => ({ ...p, actual: kolmogorovTwoSidedSf(p.n, p.x), expected: scipy.kstwo[i]! }))
      .filter((r) => !closeTo(r.actual, r.expected));
    expect(bad).toEqual([]);
  });

  it('smirnovSf equals scipy.special.smirnov where kstwo uses it (x >= 0.5 or n x^2 > 2)', () => {
    const bad = points
      .map((p, i) => ({ ...p, actual: smirnovSf(p.n, p.x), expected: scipy.smirnov[i]! }))
      .filter((r) => (r.x >= 0.5 || r.n * r.x * r.x > 2) && !closeTo(r.actual, r.expected));
    expect(bad).toEqual([]);
  });

  it('the sorted entry point gives the same answers on pre-sorted data', () => {
    for (const ds of sets) {
      const xs = Float64Array.from(ds.x).sort();
      const ys = Float64Array.from(ds.y).sort();
      expect(ks2SampSorted(xs, ys)).toEqual(ks2Samp(ds.x, ds.y));
    }
  });
});

describe('ks2Samp fallbacks as scipy', () => {
  it('an explicit exact on a lattice beyond int32 uses the asymptotic p-value', () => {
    const ds = dataSets().find((d) => d.name === LATTICE_BEYOND_INT32)!;
    expect(ks2Samp(ds.x, ds.y, { method: 'exact' }).method).toBe('asymp');
  });

  it('a one-sided exact that overflows falls back to asymp with the lattice-snapped statistic', () => {
    const u = seededUniform(11);
    const r = ks2Samp(normals(u, 1500), normals(u, 1100, 0.05), { alternative: 'less', method: 'exact' });
    expect(r.method).toBe('asymp');
    const h = r.statistic * 16_500; // lcm(1500, 1100)
    expect(Math.abs(h - Math.round(h))).toBeLessThan(1e-9);
  });
});
