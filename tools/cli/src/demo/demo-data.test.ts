import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IRIS_COLUMNS, type IrisData, makeTraffic, parseIrisData, type TrafficPlan } from './demo-data.js';

const IRIS = parseIrisData(
  readFileSync(new URL('../../../../examples/data/iris.csv', import.meta.url), 'utf8'),
  'examples/data/iris.csv',
);
const max = (f: number) => Math.max(...IRIS.features.map((row) => row[f]!));
const PLAN: TrafficPlan = {
  rows: 300,
  driftStart: 100,
  driftShift: [0.5, 0, 1.5, -0.5],
  outliers: 7,
  noiseCm: 0.05,
  seed: 1,
};

/** Whether `row` is one of the data set's flowers (to the generator's 0.001 cm rounding). */
function isDataRow(row: readonly number[], data: IrisData): boolean {
  return data.features.some((flower) => flower.every((value, f) => Math.abs(value - row[f]!) < 1e-9));
}

describe('makeTraffic', () => {
  it('draws the same rows from the same seed, and other rows from another', () => {
    expect(makeTraffic(IRIS, PLAN)).toEqual(makeTraffic(IRIS, PLAN));
    expect(makeTraffic(IRIS, { ...PLAN, seed: 2 })).not.toEqual(makeTraffic(IRIS, PLAN));
  });

  it('shifts exactly the rows from driftStart on, plants exactly the outliers asked, past every flower', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.nat(),
        fc.integer({ min: 0, max: 10 }),
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        (rows, seed, outliers, shift) => {
          const driftStart = Math.floor(rows / 2);
          const planted = Math.min(outliers, rows);
          // No noise: a row not planted is a flower of the data set, plus the shift when drifted.
          const traffic = makeTraffic(IRIS, {
            rows,
            driftStart,
            driftShift: [shift, shift, shift, shift],
            outliers: planted,
            noiseCm: 0,
            seed,
          });
          expect(traffic).toHaveLength(rows);
          expect(traffic.filter((row) => row.planted)).toHaveLength(planted);
          for (const row of traffic) {
            expect(row.drifted).toBe(row.index >= driftStart);
            expect(row.species).toBe(Math.trunc(row.species));
            if (row.planted) {
              for (const [f, value] of row.features.entries()) expect(value).toBeGreaterThan(max(f));
            } else {
              const unshifted = row.features.map(
                (value) => Math.round((value - (row.drifted ? shift : 0)) * 1000) / 1000,
              );
              expect(isDataRow(unshifted, IRIS)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses more outliers than rows and an empty data set', () => {
    expect(() => makeTraffic(IRIS, { ...PLAN, outliers: 301 })).toThrow(
      /outliers: at most rows \(300\), got 301/,
    );
    expect(() => makeTraffic({ features: [], species: [] }, PLAN)).toThrow(/no rows/);
  });
});

describe('parseIrisData', () => {
  it('reads the 150 flowers and their classes', () => {
    expect(IRIS.features).toHaveLength(150);
    expect(IRIS.features[0]).toEqual([5.1, 3.5, 1.4, 0.2]);
    expect(new Set(IRIS.species)).toEqual(new Set([0, 1, 2]));
  });

  it('names the line at fault', () => {
    const header = `${IRIS_COLUMNS.join(',')},species`;
    expect(() => parseIrisData('a,b\n1,2', 'x.csv')).toThrow(/^x\.csv: line 1: expected the header/);
    expect(() => parseIrisData(`${header}\n1,2,3,4,0\n1,2,3,4,7`, 'x.csv')).toThrow(
      /^x\.csv: line 3: expected four measurements and a class index 0-2/,
    );
    expect(() => parseIrisData(`${header}\n1,2,x,4,0`, 'x.csv')).toThrow(/line 2/);
    expect(() => parseIrisData(header, 'x.csv')).toThrow(/a header but no rows/);
  });
});
