import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantileRanks, sketchQuantileInterval } from '../sketch/quantile-interval.js';
import { QuantileSketch } from '../sketch/quantile-sketch.js';
import { addCalibrationRow, calibrationBins, expectedCalibrationError } from './calibration-error.js';
import { calibrationErrorInterval } from './calibration-error-interval.js';
import { scoresFromConfusion } from './classification-scores.js';
import { confusionDeltaIntervals, confusionScoreStandardErrors } from './confusion-delta-intervals.js';
import { binnedRocAuc } from './roc-auc.js';
import { binnedRocAucStandardError } from './roc-auc-interval.js';

const confusion = (k: number) =>
  fc.array(fc.integer({ min: 0, max: 50 }), { minLength: k * k, maxLength: k * k });

describe('interval properties', () => {
  it('delta intervals hold their score, stay in [0, 1], and doubling every count divides the SE by sqrt 2', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((k) => fc.tuple(fc.constant(k), confusion(k))),
        ([k, counts]) => {
          fc.pre(counts.some((n) => n > 0));
          const classes = Array.from({ length: k }, (_, c) => c);
          const scores = scoresFromConfusion(classes, Float64Array.from(counts));
          const intervals = confusionDeltaIntervals(counts, k, scores);
          const all = [
            ...intervals.f1.map((ci, c) => [ci, scores.f1[c]!] as const),
            [intervals.macro.f1, scores.macro.f1] as const,
            [intervals.macro.precision, scores.macro.precision] as const,
            [intervals.weighted.recall, scores.weighted.recall] as const,
          ];
          for (const [ci, value] of all) {
            expect(ci.low).toBeGreaterThanOrEqual(0);
            expect(ci.high).toBeLessThanOrEqual(1);
            expect(ci.low).toBeLessThanOrEqual(value + 1e-12);
            expect(ci.high).toBeGreaterThanOrEqual(value - 1e-12);
          }
          const once = confusionScoreStandardErrors(counts, k);
          const twice = confusionScoreStandardErrors(
            counts.map((n) => 2 * n),
            k,
          );
          expect(twice.macro.f1).toBeCloseTo(once.macro.f1 / Math.SQRT2, 12);
          expect(twice.weighted.precision).toBeCloseTo(once.weighted.precision / Math.SQRT2, 12);
        },
      ),
      { seed: 41, numRuns: 200 },
    );
  });

  it('DeLong SE does not depend on empty bins or on where the bins sit, only on their order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 9 })), {
          minLength: 2,
          maxLength: 30,
        }),
        (cells) => {
          const positives = cells.map((c) => c[0]);
          const negatives = cells.map((c) => c[1]);
          const spread = cells.flatMap((c) => [c, [0, 0]]);
          const se = binnedRocAucStandardError(positives, negatives);
          const seSpread = binnedRocAucStandardError(
            spread.map((c) => c[0]!),
            spread.map((c) => c[1]!),
          );
          if (Number.isNaN(se)) expect(seSpread).toBeNaN();
          else expect(seSpread).toBeCloseTo(se, 12);
          const { auc } = binnedRocAuc(positives, negatives);
          // Var of a mean of placements in [0, 1] is at most AUC (1 - AUC) (Cortes & Mohri's bound is smaller; this one is loose but sure).
          if (!Number.isNaN(se)) expect(se * se).toBeLessThanOrEqual(auc * (1 - auc) + 1e-12);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('order-statistic ranks are ordered and the interval holds the sketch quantile', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (values, q) => {
          const ranks = quantileRanks(values.length, q);
          expect(ranks.low).toBeLessThan(ranks.high);
          const sketch = new QuantileSketch();
          sketch.addAll(values);
          const ci = sketchQuantileInterval(sketch, q);
          const estimate = sketch.quantile(q);
          expect(ci.low).toBeLessThanOrEqual(estimate * (1 + 2 * sketch.relativeAccuracy) + 1e-9);
          expect(ci.high).toBeGreaterThanOrEqual(estimate * (1 - 2 * sketch.relativeAccuracy) - 1e-9);
        },
      ),
      { seed: 43, numRuns: 200 },
    );
  });

  it('the ECE interval holds the ECE and stays in [0, 1]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0.5, max: 1, noNaN: true }), fc.boolean()), {
          minLength: 1,
          maxLength: 200,
        }),
        (rows) => {
          const bins = calibrationBins(10);
          for (const [c, right] of rows) addCalibrationRow(bins, [c, 1 - c], 0, 2, right ? 0 : 1);
          const ci = calibrationErrorInterval(bins);
          const ece = expectedCalibrationError(bins);
          expect(ci.low).toBeGreaterThanOrEqual(0);
          expect(ci.high).toBeLessThanOrEqual(1);
          expect(ci.low).toBeLessThanOrEqual(ece + 1e-12);
          expect(ci.high).toBeGreaterThanOrEqual(Math.min(ece, 1) - 1e-12);
        },
      ),
      { seed: 44, numRuns: 200 },
    );
  });
});
