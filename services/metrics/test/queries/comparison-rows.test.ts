import { classIndex, regressionMetrics, scoresFromConfusion } from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { f1Metric, regressionMetric } from '../../src/queries/comparison-rows.js';
import { PageTokens } from '../../src/queries/page-token.js';

const close = (ours: number, theirs: number) =>
  Number.isNaN(theirs) ? Number.isNaN(ours) : Math.abs(ours - theirs) <= 1e-9 * Math.max(1, Math.abs(theirs));

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true });

describe('comparison row metrics equal the windows accumulators on the same rows', () => {
  it('regression: MAE, MSE, RMSE, MAPE and R² over multi-element rows', () => {
    const rowArb = fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 40 }), (rows) => {
        const offsets = new Uint32Array(rows.length + 1);
        rows.forEach((row, r) => {
          offsets[r + 1] = offsets[r]! + row.length;
        });
        const elements = rows.flat();
        const valueRows = {
          offsets,
          predicted: Float64Array.from(elements, ([p]) => p),
          truth: Float64Array.from(elements, ([, t]) => t),
        };
        const all = Uint32Array.from(rows.keys());
        const reference = regressionMetrics(valueRows.truth, valueRows.predicted);
        for (const name of ['mae', 'mse', 'rmse', 'mape', 'r2'] as const) {
          const ours = regressionMetric(valueRows, name)(all);
          if (!close(ours, reference[name]))
            throw new Error(`${name}: ours ${ours}, accumulator ${reference[name]}`);
        }
      }),
      { seed: 20261204, numRuns: 300 },
    );
  });

  it('classification: macro and weighted F1 of resampled rows equal the confusion-matrix scores', () => {
    const index = classIndex(['a', 'b', 'c']);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
          minLength: 1,
          maxLength: 50,
        }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 50 }),
        (rows, picks) => {
          const labelRows = {
            predicted: Int32Array.from(rows, ([p]) => p),
            truth: Int32Array.from(rows, ([, t]) => t),
          };
          const indices = Uint32Array.from(picks, (p) => p % rows.length);
          const confusion = new Float64Array(9);
          for (const i of indices) confusion[labelRows.truth[i]! * 3 + labelRows.predicted[i]!]! += 1;
          const scores = scoresFromConfusion(index.classes, confusion);
          expect(f1Metric(labelRows, index, 'macro')(indices)).toBe(scores.macro.f1);
          expect(f1Metric(labelRows, index, 'weighted')(indices)).toBe(scores.weighted.f1);
        },
      ),
      { seed: 20261204, numRuns: 200 },
    );
  });
});

describe('PageTokens', () => {
  const tokens = new PageTokens();

  it('reads back the position it issued for the same query', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 5 }), (query, position) => {
        expect(tokens.read(tokens.issue(query, position), query)).toEqual(position);
      }),
      { seed: 1, numRuns: 200 },
    );
  });

  it('refuses a token altered in any byte, issued for another query or by another key', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string(), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (position, at, flip) => {
          const raw = Buffer.from(tokens.issue('q', position), 'base64url');
          raw[at % raw.length]! ^= flip;
          expect(() => tokens.read(raw.toString('base64url'), 'q')).toThrow(
            /^page_token: not a token this service issued/,
          );
        },
      ),
      { seed: 2, numRuns: 200 },
    );
    const token = tokens.issue('q', ['x']);
    expect(() => tokens.read(token, 'other')).toThrow(/page_token/);
    expect(() => new PageTokens().read(token, 'q')).toThrow(/page_token/);
    expect(() => tokens.read('', 'q')).toThrow(/page_token/);
  });
});
