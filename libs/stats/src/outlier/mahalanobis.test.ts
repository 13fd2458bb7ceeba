import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalMatrix } from '../../test/run-numpy.js';
import type { DenseMatrix } from '../matrix.js';
import { Mahalanobis, type MahalanobisState } from './mahalanobis.js';

/** Rows x 3 correlated columns on different scales (well conditioned). */
function correlated(rows: number, seed: number): DenseMatrix {
  const base = normalMatrix(rows, 3, seed);
  const data = new Float64Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    const [a, b, c] = [base.data[i * 3]!, base.data[i * 3 + 1]!, base.data[i * 3 + 2]!];
    data.set([100 + 20 * a, a + 0.5 * b, 0.01 * (b - c) + 3], i * 3);
  }
  return { rows, cols: 3, data };
}

const rowsOf = (m: DenseMatrix, from: number, to: number): DenseMatrix => ({
  rows: to - from,
  cols: m.cols,
  data: m.data.subarray(from * m.cols, to * m.cols),
});

/** |a - b| <= tolerance x max(|b|, 1) elementwise. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number): void {
  expect(a.length).toBe(b.length);
  for (let t = 0; t < a.length; t++) {
    expect(Math.abs(a[t]! - b[t]!)).toBeLessThanOrEqual(tolerance * Math.max(Math.abs(b[t]!), 1));
  }
}

/** A matrix from fast-check: 4 to 40 rows of 3 columns, values in [-100, 100]. */
const matrix3 = fc
  .array(fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 3, maxLength: 3 }), {
    minLength: 8,
    maxLength: 40,
  })
  .map((rows): DenseMatrix => ({ rows: rows.length, cols: 3, data: Float64Array.from(rows.flat()) }));

/** Seeded normal rows with fast-check's column scales and offsets: full rank, far from 0 at times. */
const wellConditioned3 = fc
  .record({
    seed: fc.integer(),
    rows: fc.integer({ min: 8, max: 40 }),
    scales: fc.array(fc.double({ min: 1e-3, max: 1e3, noNaN: true }), { minLength: 3, maxLength: 3 }),
    offsets: fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 3, maxLength: 3 }),
  })
  .map(({ seed, rows, scales, offsets }): DenseMatrix => {
    const m = normalMatrix(rows, 3, seed);
    return { ...m, data: m.data.map((v, t) => v * scales[t % 3]! + offsets[t % 3]!) };
  });

describe('Mahalanobis', () => {
  const reference = correlated(400, 1);

  it('averages d (n - 1) / n over its own reference (the trace identity)', () => {
    fc.assert(
      fc.property(wellConditioned3, (x) => {
        const fit = Mahalanobis.fit(x);
        const distances = fit.squaredDistances(x);
        const mean = distances.reduce((s, v) => s + v, 0) / x.rows;
        expect(Math.abs(mean - (3 * (x.rows - 1)) / x.rows)).toBeLessThan(1e-6);
        for (const v of distances) expect(v).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 100 },
    );
  });

  it('is invariant under an invertible affine map of the columns (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 9, maxLength: 9 }),
        fc.array(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 3, maxLength: 3 }),
        (a, shift) => {
          // Keep A well conditioned: a dominant diagonal.
          const A = a.map((v, t) => (t % 4 === 0 ? v + (v >= 0 ? 5 : -5) : v));
          const map = (m: DenseMatrix): DenseMatrix => {
            const data = new Float64Array(m.data.length);
            for (let i = 0; i < m.rows; i++) {
              for (let k = 0; k < 3; k++) {
                let s = shift[k]!;
                for (let j = 0; j < 3; j++) s += m.data[i * 3 + j]! * A[j * 3 + k]!;
                data[i * 3 + k] = s;
              }
            }
            return { rows: m.rows, cols: 3, data };
          };
          const batch = correlated(20, 7);
          const original = Mahalanobis.fit(reference).squaredDistances(batch);
          const mapped = Mahalanobis.fit(map(reference)).squaredDistances(map(batch));
          expectClose(mapped, original, 1e-6);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('updated batch by batch equals a refit on the union to 1e-9 (property, Chan merge)', () => {
    fc.assert(
      fc.property(
        matrix3,
        fc.array(fc.integer({ min: 1, max: 39 }), { maxLength: 4 }),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        (x, cuts, offset) => {
          // Shift every value so the merge's mean differences are exercised far from 0.
          const shifted = { ...x, data: x.data.map((v) => v + offset) };
          const bounds = [...new Set([4, ...cuts.filter((c) => c > 4 && c < x.rows), x.rows])].sort(
            (p, q) => p - q,
          );
          let fit = Mahalanobis.fit(rowsOf(shifted, 0, bounds[0]!), { regularization: 1 });
          for (let b = 1; b < bounds.length; b++)
            fit = fit.update(rowsOf(shifted, bounds[b - 1]!, bounds[b]!));
          const refit = Mahalanobis.fit(shifted, { regularization: 1 });
          expect(fit.count).toBe(x.rows);
          expectClose(fit.mean, refit.mean, 1e-9);
          // Covariance entries relative to the column scales (an entry near 0 has no relative size).
          const scale = Math.max(...refit.covariance.map(Math.abs), 1);
          fit.covariance.forEach((v, t) => {
            expect(Math.abs(v - refit.covariance[t]!)).toBeLessThanOrEqual(1e-9 * scale);
          });
          expectClose(fit.squaredDistances(shifted), refit.squaredDistances(shifted), 1e-9);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('merges fits made apart (replicas) into the fit of all rows', () => {
    const a = Mahalanobis.fit(rowsOf(reference, 0, 150));
    const b = Mahalanobis.fit(rowsOf(reference, 150, 400));
    const merged = a.merge(b);
    const whole = Mahalanobis.fit(reference);
    expectClose(merged.covariance, whole.covariance, 1e-9);
    expectClose(merged.squaredDistances(reference), whole.squaredDistances(reference), 1e-9);
    expect(() => a.merge(Mahalanobis.fit(normalMatrix(10, 2, 1)))).toThrow(
      'merge: 2 columns, this fit has 3',
    );
  });

  it('refuses a constant column, naming it', () => {
    const data = reference.data.slice();
    for (let i = 0; i < reference.rows; i++) data[i * 3 + 1] = 7;
    const x = { ...reference, data };
    expect(() => Mahalanobis.fit(x, { columnNames: ['age', 'income', 'score'] })).toThrow(
      'reference: the covariance is singular: "income" is constant (7); drop it or set regularization > 0',
    );
    expect(() => Mahalanobis.fit(x)).toThrow('column 1 is constant (7)');
    // The documented way out: a ridge on the diagonal.
    const ridged = Mahalanobis.fit(x, { regularization: 1e-6 });
    expect(ridged.squaredDistances(x).every(Number.isFinite)).toBe(true);
  });

  it('refuses collinear columns, naming the column and the ones it combines', () => {
    const base = normalMatrix(200, 4, 3);
    const data = new Float64Array(200 * 5);
    for (let i = 0; i < 200; i++) {
      const row = base.data.subarray(i * 4, i * 4 + 4);
      data.set([row[0]!, row[1]!, row[2]!, 2 * row[0]! - 3 * row[2]! + 1, row[3]!], i * 5);
    }
    const x = { rows: 200, cols: 5, data };
    expect(() => Mahalanobis.fit(x, { columnNames: ['a', 'b', 'c', 'd', 'e'] })).toThrow(
      /"d" is a linear combination of "a", "c" \(residual variance share .* < 1e-10\)/,
    );
    expect(() => Mahalanobis.fit(normalMatrix(3, 5, 1))).toThrow(
      '3 rows give a singular covariance for 5 columns (at least 6 rows are needed)',
    );
    expect(Mahalanobis.fit(x, { regularization: 1e-3 }).columns).toBe(5);
  });

  it('refuses an update that makes the covariance singular only if it still is; refuses bad batches', () => {
    const fit = Mahalanobis.fit(reference);
    expect(fit.update({ rows: 0, cols: 3, data: new Float64Array(0) })).toBe(fit);
    const bad = { ...reference, data: reference.data.slice() };
    bad.data[3 * 12 + 2] = Number.POSITIVE_INFINITY;
    expect(() => fit.squaredDistances(bad)).toThrow('batch, row 12, column 2: Infinity is not allowed');
    expect(() => fit.update(bad)).toThrow('batch, row 12, column 2');
    expect(() => fit.squaredDistances(normalMatrix(2, 4, 1))).toThrow('batch: expected 3 columns');
    expect(() => Mahalanobis.fit(reference, { regularization: -1 })).toThrow('regularization');
    expect(() => Mahalanobis.fit(reference, { columnNames: ['a'] })).toThrow('1 names for 3 columns');
    expect(() => Mahalanobis.fit(normalMatrix(1, 1, 1), { regularization: 1 })).toThrow('at least 2 rows');
    expect(() => Mahalanobis.fit(reference, { maxColumns: 2 })).toThrow('3 columns exceed maxColumns 2');
  });

  it('round-trips its state (JSON + Float64Arrays) and refuses a corrupt one', () => {
    const fit = Mahalanobis.fit(reference, { columnNames: ['a', 'b', 'c'] }).update(correlated(50, 2));
    const state = fit.toState();
    const revived: MahalanobisState = {
      json: JSON.parse(JSON.stringify(state.json)),
      arrays: {
        mean: state.arrays.mean.slice(),
        comoment: state.arrays.comoment.slice(),
        min: state.arrays.min.slice(),
        max: state.arrays.max.slice(),
      },
    };
    const restored = Mahalanobis.fromState(revived);
    expect(restored.squaredDistances(reference)).toEqual(fit.squaredDistances(reference));
    expect(restored.update(correlated(5, 9)).squaredDistances(reference)).toEqual(
      fit.update(correlated(5, 9)).squaredDistances(reference),
    );
    expect(() => Mahalanobis.fromState({ ...revived, json: { ...revived.json, schemaVersion: 3 } })).toThrow(
      'schemaVersion 3',
    );
    expect(() =>
      Mahalanobis.fromState({ ...revived, arrays: { ...revived.arrays, comoment: new Float64Array(4) } }),
    ).toThrow('comoment has 4 values, expected 9');
    const nan = revived.arrays.mean.slice();
    nan[1] = Number.NaN;
    expect(() => Mahalanobis.fromState({ ...revived, arrays: { ...revived.arrays, mean: nan } })).toThrow(
      'mean holds a non-finite value',
    );
  });
});
