import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classificationCase } from '../../test/metrics-fixtures.js';
import { ClassificationAccumulator, type ClassificationMetrics } from './classification-accumulator.js';
import { classificationMetrics } from './classification-metrics.js';

/** Sums merged in another order differ from one pass by rounding only (compensated or short sums). */
const SUM_TOLERANCE = 1e-12;

function expectSameMetrics(a: ClassificationMetrics, b: ClassificationMetrics): void {
  expect(Array.from(a.confusion)).toEqual(Array.from(b.confusion));
  expect(a.accuracy).toBe(b.accuracy);
  expect(Array.from(a.f1)).toEqual(Array.from(b.f1));
  expect(a.macro).toEqual(b.macro);
  expect(a.weighted).toEqual(b.weighted);
  expect(a.accuracyInterval).toEqual(b.accuracyInterval);
  expect(a.probabilityCount).toBe(b.probabilityCount);
  expect(Math.abs(a.logLoss! - b.logLoss!)).toBeLessThanOrEqual(SUM_TOLERANCE * Math.max(1, b.logLoss!));
  expect(Math.abs(a.expectedCalibrationError! - b.expectedCalibrationError!)).toBeLessThanOrEqual(
    SUM_TOLERANCE,
  );
  expect(Math.abs(a.cbpe!.accuracy - b.cbpe!.accuracy)).toBeLessThanOrEqual(SUM_TOLERANCE);
  expect(Math.abs(a.cbpe!.f1Macro - b.cbpe!.f1Macro)).toBeLessThanOrEqual(SUM_TOLERANCE);
}

describe('ClassificationAccumulator', () => {
  it('merged windows equal a recomputation from scratch; binned ROC AUC within its bound (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        fc.constantFrom(16, 256, 4096),
        (k, rows, seed, cutShares, aucBins) => {
          const classes = Array.from({ length: k }, (_, c) => `c${c}`);
          const data = classificationCase('property', classes, rows, seed);
          const cuts = [...new Set(cutShares.map((s) => Math.floor(s * rows)))].sort((a, b) => a - b);
          const bounds = [0, ...cuts, rows];
          const parts = bounds.slice(1).map((end, j) => {
            const part = ClassificationAccumulator.create(classes, { aucBins });
            for (let i = bounds[j]!; i < end; i++) {
              part.add(data.yTrue[i]!, data.yPred[i]!, data.probabilities.slice(i * k, (i + 1) * k));
            }
            return part;
          });
          const merged = ClassificationAccumulator.create(classes, { aucBins });
          for (const part of parts) merged.merge(part);
          const scratch = classificationMetrics(
            { yTrue: data.yTrue, yPred: data.yPred, probabilities: data.probabilities },
            { classes },
          );
          const windowed = merged.metrics();
          expectSameMetrics(windowed, scratch);
          // The saved form restores the same window.
          expectSameMetrics(
            ClassificationAccumulator.fromJSON(JSON.parse(JSON.stringify(merged))).metrics(),
            windowed,
          );
          windowed.rocAuc!.perClass.forEach((auc, c) => {
            const exact = scratch.rocAuc!.perClass[c]!;
            if (Number.isNaN(exact)) expect(auc).toBeNaN();
            else expect(Math.abs(auc - exact)).toBeLessThanOrEqual(windowed.rocAuc!.maxError + 1e-12);
          });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('mergeJSON of a saved window equals merging the restored window, bit for bit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer(),
        (k, rowsA, rowsB, seed) => {
          const classes = Array.from({ length: k }, (_, c) => `c${c}`);
          const data = classificationCase('mergeJSON', classes, rowsA + rowsB, seed);
          const fill = (from: number, to: number) => {
            const acc = ClassificationAccumulator.create(classes, { aucBins: 64 });
            for (let i = from; i < to; i++) {
              acc.add(
                data.yTrue[i]!,
                data.yPred[i]!,
                i % 3 === 0 ? undefined : data.probabilities.slice(i * k, (i + 1) * k),
              );
            }
            return acc;
          };
          const saved = JSON.parse(JSON.stringify(fill(rowsA, rowsA + rowsB)));
          const viaRestore = fill(0, rowsA);
          viaRestore.merge(ClassificationAccumulator.fromJSON(saved));
          const viaJson = fill(0, rowsA);
          viaJson.mergeJSON(saved);
          expect(JSON.stringify(viaJson)).toBe(JSON.stringify(viaRestore));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('mergeJSON refuses another window naming the field, unchanged', () => {
    const acc = ClassificationAccumulator.create(['a', 'b'], { aucBins: 4 });
    acc.add('a', 'b', [0.4, 0.6]);
    const before = JSON.stringify(acc);
    const json = acc.toJSON();
    const cases: Array<[object, RegExp]> = [
      [{ ...json, schemaVersion: 2 }, /^schemaVersion: expected 1, got 2$/],
      [{ ...json, classes: ['b', 'a'] }, /^merge: windows must have the same classes in the same order/],
      [{ ...json, aucBins: 8 }, /^merge: windows must have the same classes/],
      [{ ...json, confusion: [1] }, /^confusion: expected 4 values, got 1$/],
      [
        { ...json, cbpe: { ...json.cbpe, probabilitySum: [1] } },
        /^cbpe\.probabilitySum: expected 2 values, got 1$/,
      ],
      [{ ...json, auc: [[8, 1, 0]] }, /^auc: cell 8 outside 2 classes x 4 bins$/],
    ];
    for (const [bad, message] of cases) {
      expect(() => acc.mergeJSON(bad as never)).toThrow(message);
      expect(JSON.stringify(acc)).toBe(before);
    }
  });

  it('keeps the binned AUC error small at the default 4,096 bins (measured bound on 2,000 rows, 3 classes)', () => {
    const data = classificationCase('auc bins', [0, 1, 2], 2000, 3);
    const acc = ClassificationAccumulator.create([0, 1, 2]);
    for (let i = 0; i < 2000; i++)
      acc.add(data.yTrue[i]!, data.yPred[i]!, data.probabilities.slice(i * 3, i * 3 + 3));
    const exact = classificationMetrics(
      { yTrue: data.yTrue, yPred: data.yPred, probabilities: data.probabilities },
      { classes: [0, 1, 2] },
    );
    const auc = acc.metrics().rocAuc!;
    expect(auc.maxError).toBeLessThan(2e-4);
    expect(Math.abs(auc.macro - exact.rocAuc!.macro)).toBeLessThanOrEqual(auc.maxError);
  });

  it('has no probability metrics for a window without probabilities, and NaN accuracy when empty', () => {
    const acc = ClassificationAccumulator.create(['a', 'b']);
    expect(acc.metrics().accuracy).toBeNaN();
    expect(acc.metrics().accuracyInterval).toMatchObject({ low: 0, high: 1 });
    acc.add('a', 'b');
    const m = acc.metrics();
    expect(m.rocAuc).toBeUndefined();
    expect(m.logLoss).toBeUndefined();
    expect(m.accuracy).toBe(0);
  });

  it('refuses bad input naming the field and the rule', () => {
    const acc = ClassificationAccumulator.create([0, 1, 2]);
    expect(() => acc.add(3, 0)).toThrow(/^y_true: label 3 is not one of the classes \(0, 1, 2\)$/);
    expect(() => acc.add(0, 'x')).toThrow(/^y_pred: label "x"/);
    expect(() => acc.add(0, 1, [0.5, 0.5])).toThrow(/^probabilities: expected 3 values/);
    expect(() => acc.add(0, 1, [0.5, 0.6, -0.1])).toThrow(
      /^probabilities\[2\]: a probability must be in \[0, 1\]/,
    );
    expect(() => acc.add(0, 1, [0.5, 0.3, 0.1])).toThrow(/^probabilities: probabilities must sum to 1/);
    expect(() => ClassificationAccumulator.create([0, 0])).toThrow(/classes\[1\]: class 0 is repeated/);
    expect(() => ClassificationAccumulator.create([0, 1.5])).toThrow(InvalidArgumentError);
    expect(() => ClassificationAccumulator.create(Array.from({ length: 1001 }, (_, c) => c))).toThrow(
      ResourceExhaustedError,
    );
    expect(() => acc.merge(ClassificationAccumulator.create([0, 2, 1]))).toThrow(
      /same classes in the same order/,
    );
    expect(() => classificationMetrics({ yTrue: [0, 'a'], yPred: [0, 0] })).toThrow(
      /^y_true\[1\]: label "a" is a string/,
    );
  });
});
