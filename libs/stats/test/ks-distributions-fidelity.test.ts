import { describe, expect, it } from 'vitest';
import { kolmogorovTwoSidedSf } from '../src/univariate/kolmogorov-two-sided.js';
import { smirnovSf } from '../src/univariate/smirnov-one-sided.js';
import { closeTo, PYTHON_PRELUDE, runPython } from './scipy-oracle.js';

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

describe('the KS distributions equal scipy', () => {
  const points = grid();
  const scipy = runPython<{ kstwo: (number | null)[]; smirnov: (number | null)[] }>(
    `${PYTHON_PRELUDE}
from scipy import special
print(json.dumps(dict(
    kstwo=[clean(stats.kstwo.sf(p['x'], p['n'])) for p in data],
    smirnov=[clean(special.smirnov(p['n'], p['x'])) for p in data])))`,
    points,
  );

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
});
