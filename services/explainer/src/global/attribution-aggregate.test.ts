import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AttributionAggregate } from './attribution-aggregate.js';

/** Mean, mean |x| and population standard deviation computed directly (two passes). */
function direct(values: readonly number[]) {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const meanAbs = values.reduce((a, b) => a + Math.abs(b), 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { mean, meanAbs, std: Math.sqrt(variance) };
}

const close = (actual: number, expected: number, scale: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, scale));

describe('AttributionAggregate', () => {
  it('equals mean |a|, mean and std computed directly over random per-row attributions, per column and feature', () => {
    const attribution = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((features) =>
          fc.array(
            fc.record({
              // Which columns the row explained (IG picks the predicted one per row).
              columns: fc.subarray([0, 1, 2], { minLength: 1 }),
              values: fc.array(fc.array(attribution, { minLength: features, maxLength: features }), {
                minLength: 3,
                maxLength: 3,
              }),
            }),
            { minLength: 1, maxLength: 40 },
          ),
        ),
        (rows) => {
          const features = rows[0]!.values[0]!.length;
          const aggregate = new AttributionAggregate(features);
          for (const row of rows) {
            aggregate.add(
              row.columns.map((column) => ({ column, values: Float64Array.from(row.values[column]!) })),
            );
          }
          expect(aggregate.rows).toBe(rows.length);
          const importances = aggregate.importances();
          const explained = [...new Set(rows.flatMap((r) => r.columns))].sort();
          expect(importances.map((c) => c.column)).toEqual(explained);
          for (const column of importances) {
            const rowsOfColumn = rows.filter((r) => r.columns.includes(column.column));
            expect(column.rows).toBe(rowsOfColumn.length);
            for (let i = 0; i < features; i++) {
              const values = rowsOfColumn.map((r) => r.values[column.column]![i]!);
              const expected = direct(values);
              const scale = Math.max(...values.map(Math.abs));
              close(column.features[i]!.mean, expected.mean, scale);
              close(column.features[i]!.meanAbs, expected.meanAbs, scale);
              close(column.features[i]!.std, expected.std, scale);
            }
          }
        },
      ),
    );
  });

  it('keeps the spread of values with a large common offset (Welford, not sum of squares)', () => {
    const aggregate = new AttributionAggregate(1);
    for (const x of [1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16])
      aggregate.add([{ column: 0, values: Float64Array.of(x) }]);
    // numpy.std([4, 7, 13, 16]) = 4.743416490252569
    expect(aggregate.importances()[0]!.features[0]!.std).toBeCloseTo(4.743416490252569, 6);
  });

  it('refuses a row of another width', () => {
    expect(() => new AttributionAggregate(2).add([{ column: 0, values: new Float64Array(3) }])).toThrow(
      'expected 2 attributions, got 3',
    );
  });
});
