import { describe, expect, it } from 'vitest';
import { type CvmMethod, cramerVonMises2Samp } from '../src/index.js';
import { closeTo, integers, normals, PYTHON_PRELUDE, runPython, seededUniform } from './scipy-oracle.js';

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly y: number[];
  readonly method: CvmMethod;
}

function cases(): Case[] {
  const u = seededUniform(424242);
  const same = normals(u, 25);
  const tiny = normals(u, 8);
  const sets: Omit<Case, 'method'>[] = [
    { name: 'tiny 5 vs 7', x: normals(u, 5), y: normals(u, 7) },
    { name: 'tiny 5 vs 7 shifted', x: normals(u, 5), y: normals(u, 7, 2) },
    { name: 'minimal 2 vs 3', x: normals(u, 2), y: normals(u, 3) },
    { name: 'exact 19 vs 20 shifted', x: normals(u, 19), y: normals(u, 20, 0.8) },
    { name: 'exact 20 vs 20', x: normals(u, 20), y: normals(u, 20) },
    { name: 'ties 15 vs 12', x: integers(u, 15, 3), y: integers(u, 12, 4) },
    { name: 'identical 8 vs 8', x: tiny, y: [...tiny] },
    { name: 'identical 25 vs 25', x: same, y: [...same] },
    { name: 'discrete 150 vs 120', x: integers(u, 150, 3), y: integers(u, 120, 4) },
    { name: 'asymptotic 100 vs 80 shifted', x: normals(u, 100), y: normals(u, 80, 0.3) },
    { name: 'asymptotic 1000 vs 1000', x: normals(u, 1000), y: normals(u, 1000) },
    { name: 'large 10000 vs 1000', x: normals(u, 10_000), y: normals(u, 1000, 0.05) },
    { name: 'far apart 60 vs 40', x: normals(u, 60), y: normals(u, 40, 3) },
  ];
  const out: Case[] = [];
  for (const s of sets) {
    out.push({ ...s, method: 'auto' }, { ...s, method: 'asymptotic' });
    if (Math.max(s.x.length, s.y.length) <= 20) out.push({ ...s, method: 'exact' });
  }
  return out;
}

describe('cramerVonMises2Samp equals scipy.stats.cramervonmises_2samp', () => {
  const all = cases();
  const scipy = runPython<{ statistic: number | null; pValue: number | null }[]>(
    `${PYTHON_PRELUDE}
out = []
for c in data:
    r = stats.cramervonmises_2samp(np.array(c['x']), np.array(c['y']), method=c['method'])
    out.append(dict(statistic=clean(r.statistic), pValue=clean(r.pvalue)))
print(json.dumps(out))`,
    all,
  );

  it.each(all.map((c, i) => [`${c.name}, ${c.method}`, c, scipy[i]!] as const))(
    '%s',
    (_label, c, expected) => {
      const actual = cramerVonMises2Samp(c.x, c.y, { method: c.method });
      expect(
        closeTo(actual.statistic, expected.statistic, 1e-9, 0),
        `T ${actual.statistic} vs ${expected.statistic}`,
      ).toBe(true);
      expect(closeTo(actual.pValue, expected.pValue), `p ${actual.pValue} vs ${expected.pValue}`).toBe(true);
    },
  );
});
