import { FailedPreconditionError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { normalMatrix } from '../../test/run-numpy.js';
import type { DenseMatrix } from '../matrix.js';
import { Mahalanobis } from './mahalanobis.js';
import { minCovDet } from './min-cov-det.js';

/** 400 standard normal rows in 3 columns, the last 80 moved to a cluster at (10, 10, 10). */
function contaminated(seed: number): DenseMatrix {
  const m = normalMatrix(400, 3, seed);
  const data = m.data.map((v, t) => (t >= 320 * 3 ? 10 + 0.3 * v : v));
  return { ...m, data };
}

describe('minCovDet', () => {
  const x = contaminated(1);

  it('keeps the planted cluster out of the support where the mean is dragged toward it', () => {
    const mcd = minCovDet(x);
    expect(mcd.support.subarray(320).every((v) => v === 0)).toBe(true);
    for (const v of mcd.location) expect(Math.abs(v)).toBeLessThan(0.2);
    const plain = Mahalanobis.fit(x);
    for (const v of plain.mean) expect(v).toBeGreaterThan(1.5);
    // The robust distances flag the cluster; the plain ones hide it (masking).
    const robust = Mahalanobis.fit(x, { robust: true }).squaredDistances(x);
    expect(Math.min(...robust.subarray(320))).toBeGreaterThan(100);
    expect(Math.max(...plain.squaredDistances(x).subarray(320))).toBeLessThan(10);
  });

  it('is reproducible from its seed, and the raw support has the asked size', () => {
    expect(minCovDet(x, { seed: 4 })).toEqual(minCovDet(x, { seed: 4 }));
    expect(minCovDet(x).rawSupport.reduce((s, v) => s + v, 0)).toBe(Math.ceil((400 + 3 + 1) / 2));
    expect(minCovDet(x, { supportFraction: 0.75 }).rawSupport.reduce((s, v) => s + v, 0)).toBe(300);
  });

  it('refuses bad input and a support on a hyperplane', () => {
    expect(() => minCovDet(x, { supportFraction: 0 })).toThrow('supportFraction');
    expect(() => minCovDet(normalMatrix(1, 2, 1))).toThrow('at least 2 rows');
    expect(() => minCovDet(x, { supportFraction: 0.005 })).toThrow('a support of 2 rows');
    const bad = { ...x, data: x.data.slice() };
    bad.data[5] = Number.NaN;
    expect(() => minCovDet(bad)).toThrow('reference, row 1, column 2: NaN is not allowed');
    // 300 of 400 rows on the plane z = x + y: every h-subset (202 rows) can lie on it.
    const flat = {
      ...x,
      data: x.data.map((v, t) => (t % 3 === 2 && t < 300 * 3 ? x.data[t - 2]! + x.data[t - 1]! : v)),
    };
    expect(() => minCovDet(flat)).toThrow('MCD support is singular');
  });
});

describe('Mahalanobis, robust', () => {
  const x = contaminated(2);

  it('names a constant column before the MCD runs', () => {
    const data = x.data.map((v, t) => (t % 3 === 0 ? 1 : v));
    expect(() => Mahalanobis.fit({ ...x, data }, { robust: true, columnNames: ['a', 'b', 'c'] })).toThrow(
      '"a" is constant (1)',
    );
  });

  it('refuses update and merge, also after a save and restore', () => {
    const fit = Mahalanobis.fit(x, { robust: true, seed: 3 });
    expect(fit.isRobust).toBe(true);
    expect(() => fit.update(x)).toThrow(FailedPreconditionError);
    expect(() => Mahalanobis.fit(x).merge(fit)).toThrow('a robust (MCD) fit cannot be updated or merged');
    const restored = Mahalanobis.fromState(fit.toState());
    expect(restored.squaredDistances(x)).toEqual(fit.squaredDistances(x));
    expect(() => restored.update(x)).toThrow('cannot be updated');
  });
});
