import { FailedPreconditionError, InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlatedTable, maxRelativeError, numericTable } from '../../test/outlier-data.js';
import type { FittedState, JsonObject } from '../kinds/detector-kind.js';
import { concatTables, type FeatureTable, sliceRows } from '../table/feature-table.js';
import { iforestKind } from './iforest-kind.js';
import { mahalanobisKind } from './mahalanobis-kind.js';
import { ROBUST_NO_UPDATES_RULE, runningRows, updateRunning } from './mahalanobis-running.js';
import { STATS_OUTLIER_KERNELS } from './outlier-kernels.js';

const kind = mahalanobisKind(STATS_OUTLIER_KERNELS, 2, () => 1);
const probe = correlatedTable(30, 99);

/** A table's rows scaled per column (so the property covers several scales and offsets). */
function scaled(table: FeatureTable, scales: readonly number[]): FeatureTable {
  return { ...table, columns: table.columns.map((column, c) => column.map((v) => v * scales[c]!)) };
}

/** The rows of `table` where `keep` is true. */
function keptRows(table: FeatureTable, keep: readonly boolean[]): FeatureTable {
  const rows = keep.flatMap((k, r) => (k ? [r] : []));
  return {
    ...table,
    rows: rows.length,
    columns: table.columns.map((col) => Float64Array.from(rows, (r) => col[r]!)),
  };
}

const model = (state: FittedState) => state.json.model as JsonObject;

describe('updateRunning', () => {
  it('equals a refit on the reference and every kept row, with maxN 0 (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 0, max: 1_000_000 }),
          referenceRows: fc.integer({ min: 5, max: 40 }),
          scales: fc.array(fc.double({ min: 1e-2, max: 1e3, noNaN: true }), { minLength: 3, maxLength: 3 }),
          batches: fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 15 }), {
            minLength: 1,
            maxLength: 4,
          }),
        }),
        ({ seed, referenceRows, scales, batches }) => {
          const reference = scaled(correlatedTable(referenceRows, seed), scales);
          let state = kind.fit(reference);
          const seen = [reference];
          batches.forEach((keep, b) => {
            const batch = scaled(correlatedTable(keep.length, seed + b + 1), scales);
            state = updateRunning(state, batch, (row) => keep[row]!);
            seen.push(keptRows(batch, keep));
          });
          const all = concatTables(seen);
          const refit = kind.fit(all);
          expect(runningRows(state)).toBe(all.rows);
          expect(model(state).count).toBe(all.rows);
          const probeRows = scaled(probe, scales);
          expect(
            maxRelativeError(
              kind.score(state, probeRows).instanceScores,
              kind.score(refit, probeRows).instanceScores,
            ),
          ).toBeLessThan(1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('weighs the statistics so far as at most maxN rows, as Alibi max_n', () => {
    const reference = correlatedTable(100, 3);
    const batch = correlatedTable(10, 4);
    const state = kind.fit(reference, { maxN: 50 });
    const updated = updateRunning(state, batch);
    // By hand: the reference counts as 50 rows with its own mean and covariance.
    const d = 3;
    const mean = (t: FeatureTable) => t.columns.map((c) => c.reduce((s, v) => s + v, 0) / t.rows);
    const comoment = (t: FeatureTable, m: number[]) =>
      Array.from({ length: d * d }, (_, k) => {
        const [i, j] = [Math.floor(k / d), k % d];
        return t.columns[i]!.reduce((s, v, r) => s + (v - m[i]!) * (t.columns[j]![r]! - m[j]!), 0);
      });
    const [mr, mb] = [mean(reference), mean(batch)];
    const expectedMean = mr.map((v, j) => (50 * v + 10 * mb[j]!) / 60);
    const [cr, cb] = [comoment(reference, mr), comoment(batch, mb)];
    const expectedCovariance = cr.map((v, k) => {
      const [i, j] = [Math.floor(k / d), k % d];
      return ((v * 49) / 99 + cb[k]! + ((50 * 10) / 60) * (mb[i]! - mr[i]!) * (mb[j]! - mr[j]!)) / 59;
    });
    expect(model(updated).count).toBe(50);
    expect(runningRows(updated)).toBe(110);
    expect(maxRelativeError(updated.arrays['model.mean']!, expectedMean)).toBeLessThan(1e-12);
    const covariance = updated.arrays['model.comoment']!.map((v) => v / 49);
    expect(maxRelativeError(covariance, expectedCovariance)).toBeLessThan(1e-10);
  });

  it('never counts more than maxN rows, and equals the exact update while under it (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 4, max: 60 }), (seed, maxN) => {
        const reference = correlatedTable(20, seed);
        const batch = correlatedTable(15, seed + 1);
        const capped = updateRunning(kind.fit(reference, { maxN }), batch);
        const exact = updateRunning(kind.fit(reference), batch);
        expect(model(capped).count).toBe(Math.min(maxN, 35));
        expect(runningRows(capped)).toBe(35);
        if (maxN >= 35) {
          expect(
            maxRelativeError(
              kind.score(capped, probe).instanceScores,
              kind.score(exact, probe).instanceScores,
            ),
          ).toBe(0);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('returns the state as it is when no row is kept, and leaves the given state unchanged', () => {
    const state = kind.fit(correlatedTable(20, 5));
    const batch = correlatedTable(5, 6);
    expect(updateRunning(state, batch, () => false)).toBe(state);
    const before = Float64Array.from(state.arrays['model.mean']!);
    const updated = updateRunning(state, batch);
    expect(updated).not.toBe(state);
    expect(state.arrays['model.mean']).toEqual(before);
    expect(runningRows(state)).toBe(20);
    expect(updated.referenceRows).toBe(20);
  });

  it('refuses a robust state (rule mahalanobis.robust_no_updates), another kind, other columns and NaN', () => {
    const reference = correlatedTable(60, 7);
    const robust = kind.fit(reference, { robust: true });
    expect(() => updateRunning(robust, sliceRows(reference, 0, 2))).toThrow(FailedPreconditionError);
    expect(() => updateRunning(robust, sliceRows(reference, 0, 2))).toThrow(ROBUST_NO_UPDATES_RULE);
    const forest = iforestKind(STATS_OUTLIER_KERNELS).fit(reference, { seed: 1 });
    expect(() => updateRunning(forest, reference)).toThrow(InvalidArgumentError);
    expect(runningRows(forest)).toBe(0);
    const state = kind.fit(reference);
    expect(() =>
      updateRunning(
        state,
        numericTable(['a', 'b'], 2, () => 1),
      ),
    ).toThrow(/expected 3 features/);
    const withNaN = numericTable(['a', 'b', 'c'], 3, (r, c) => (r === 1 && c === 0 ? Number.NaN : 1));
    expect(() => updateRunning(state, withNaN)).toThrow(/column "a", row 1/);
  });
});
