import {
  type ClassificationAccumulator,
  type ConfidenceInterval,
  confusionDeltaIntervals,
  estimateCbpe,
  sketchQuantileInterval,
} from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLASSES,
  type ClassRow,
  classPair,
  classRecord,
  valuePair,
  valueRecord,
} from '../../test/window-records.js';
import { BucketSummary } from './bucket-summary.js';
import { summaryMetrics } from './window-metrics.js';
import { DEFAULT_BUCKET_AUC_BINS } from './window-options.js';

const OPTIONS = { aucBins: DEFAULT_BUCKET_AUC_BINS };

const classRow: fc.Arbitrary<ClassRow> = fc.record({
  predicted: fc.integer({ min: 0, max: 2 }),
  truth: fc.integer({ min: 0, max: 2 }),
  weights: fc.option(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 3, maxLength: 3 }), {
    nil: undefined,
  }),
  minute: fc.integer({ min: 0, max: 9 }),
  latencyMs: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
});

function classBucket(rows: readonly ClassRow[], offset = 0): BucketSummary {
  const s = BucketSummary.empty('classification', CLASSES, OPTIONS);
  rows.forEach((row, i) => {
    s.addPrediction(classRecord(row, offset + i));
    s.addPair(classPair(row, offset + i));
  });
  return s;
}

/** Intervals equal to rounding (merged sums of moments differ from sequential ones in the last bits). */
function expectSameInterval(
  actual: ConfidenceInterval | undefined,
  expected: ConfidenceInterval | undefined,
): void {
  if (expected === undefined) {
    expect(actual).toBeUndefined();
    return;
  }
  expect(actual?.method).toBe(expected.method);
  for (const end of ['low', 'high'] as const) {
    const a = actual![end];
    const e = expected[end];
    if (!Number.isFinite(e)) expect(a).toBe(e);
    else expect(Math.abs(a - e)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(e)));
  }
}

describe('window intervals', () => {
  it('of a window merged from buckets (restored or saved) equal those of the same pairs in one bucket', () => {
    fc.assert(
      fc.property(
        fc.array(classRow, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 5 }),
        (rows, parts) => {
          const merged = BucketSummary.empty('classification', CLASSES, OPTIONS);
          for (let p = 0; p < parts; p++) {
            const part = classBucket(
              rows.filter((_, i) => i % parts === p),
              p * 1000,
            );
            const saved = JSON.parse(JSON.stringify(part));
            if (p % 2 === 0) merged.merge(BucketSummary.fromJSON(saved));
            else merged.mergeSaved(saved);
          }
          const scratch = summaryMetrics(classBucket(rows), 1);
          const got = summaryMetrics(merged, parts);
          const a = got.classification!;
          const e = scratch.classification!;
          expect(a.scoreIntervals).toEqual(e.scoreIntervals);
          expect(a.rocAucIntervals).toEqual(e.rocAucIntervals);
          expectSameInterval(a.logLossInterval, e.logLossInterval);
          expectSameInterval(a.expectedCalibrationErrorInterval, e.expectedCalibrationErrorInterval);
          if (e.probabilityCount > 0)
            expect(e.expectedCalibrationErrorInterval?.method).toBe('simultaneous-normal');
          expect(got.latencyMs?.intervals).toEqual(scratch.latencyMs?.intervals);
          // Macro and weighted F1 come from the bootstrap on small windows; the rest from the delta method.
          const delta = confusionDeltaIntervals(e.confusion, CLASSES.length, e);
          expect(a.scoreIntervals.f1).toEqual(delta.f1);
          expect(a.scoreIntervals.macro.precision).toEqual(delta.macro.precision);
          expect(a.scoreIntervals.macro.f1).toEqual(a.f1Intervals!.macro);
          expect(a.scoreIntervals.weighted.f1).toEqual(a.f1Intervals!.weighted);
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });

  it('above the bootstrap limit, macro and weighted F1 take the delta interval', () => {
    const rows = Array.from({ length: 60 }, (_, i) => ({ predicted: i % 3, truth: (i * 7) % 3, minute: 0 }));
    const metrics = summaryMetrics(classBucket(rows), 1, { f1Bootstrap: { maxPairs: 10 } }).classification!;
    expect(metrics.f1Intervals).toBeUndefined();
    expect(metrics.scoreIntervals.macro.f1.method).toBe('delta');
    expect(metrics.scoreIntervals.weighted.f1.method).toBe('delta');
    expect(metrics.scoreIntervals.macro.f1.low).toBeLessThanOrEqual(metrics.macro.f1);
    expect(metrics.scoreIntervals.macro.f1.high).toBeGreaterThanOrEqual(metrics.macro.f1);
  });

  it('of latency quantiles are order-statistic intervals not below 0', () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      predicted: 0,
      truth: 0,
      minute: 0,
      latencyMs: i * 3,
    }));
    const summary = classBucket(rows);
    const latency = summaryMetrics(summary, 1).latencyMs!;
    expect(latency.intervals.p50).toEqual(sketchQuantileInterval(summary.latencyMs, 0.5));
    expect(latency.intervals.p99!.high).toBe(Infinity);
    expect(latency.intervals.p50!.low).toBeGreaterThanOrEqual(0);
  });

  it('regression: MAPE (t) and R² (delta) intervals survive a merge; a bucket saved before the moments were kept drops it', () => {
    const rows = Array.from({ length: 30 }, (_, i) => ({ predicted: i / 2, truth: 1 + i, minute: 0 }));
    const bucket = (from: number, to: number) => {
      const s = BucketSummary.empty('regression', [], OPTIONS);
      rows.slice(from, to).forEach((row, i) => {
        s.addPrediction(valueRecord(row, from + i));
        s.addPair(valuePair(row, from + i));
      });
      return s;
    };
    const whole = summaryMetrics(bucket(0, 30), 1).regression!;
    const merged = bucket(0, 10).mergeSaved(JSON.parse(JSON.stringify(bucket(10, 30))));
    expectSameInterval(summaryMetrics(merged, 2).regression!.intervals.mape, whole.intervals.mape);
    expect(whole.intervals.mape!.method).toBe('t');
    expectSameInterval(summaryMetrics(merged, 2).regression!.intervals.r2, whole.intervals.r2);
    expect(whole.intervals.r2!.method).toBe('delta');

    const old = JSON.parse(JSON.stringify(bucket(10, 30)));
    delete old.pairs.absolutePercentageErrorMoments;
    delete old.pairs.r2Moments;
    const withOld = bucket(0, 10).mergeSaved(old);
    const restoredOld = BucketSummary.fromJSON(old);
    expect(summaryMetrics(withOld, 2).regression!.mape).toBeCloseTo(whole.mape, 12);
    expect(summaryMetrics(withOld, 2).regression!.intervals.mape).toBeUndefined();
    expect(summaryMetrics(restoredOld, 1).regression!.intervals.r2).toBeUndefined();
  });

  it('classification: a bucket saved before the log-loss moments were kept is read, without the log-loss interval', () => {
    fc.assert(
      fc.property(fc.array(classRow, { minLength: 2, maxLength: 30 }), (rows) => {
        const saved = JSON.parse(JSON.stringify(classBucket(rows)));
        delete saved.pairs.logLossMoments;
        const restored = BucketSummary.fromJSON(saved);
        const merged = classBucket(rows).mergeSaved(saved);
        const metrics = (restored.pairs as ClassificationAccumulator).metrics();
        expect(metrics.logLossInterval).toBeUndefined();
        expect(summaryMetrics(merged, 2).classification!.logLossInterval).toBeUndefined();
      }),
      { seed: 8, numRuns: 30 },
    );
  });
});

describe("CBPE's estimated macro F1 interval in a window", () => {
  it('is the estimate ± z × libs/stats’ standard error over the same rows, merged in any split; the gap’s too', () => {
    fc.assert(
      fc.property(
        fc.array(classRow, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (rows, cut) => {
          const rowsWithProbabilities = rows.map((r) => ({ ...r, weights: r.weights ?? [1, 2, 3] }));
          const merged = classBucket(rowsWithProbabilities.slice(0, cut));
          merged.merge(
            BucketSummary.fromJSON(
              JSON.parse(JSON.stringify(classBucket(rowsWithProbabilities.slice(cut), cut))),
            ),
          );
          const whole = classBucket(rowsWithProbabilities);
          const fromSplit = summaryMetrics(merged, 2).cbpe!;
          const fromWhole = summaryMetrics(whole, 1).cbpe!;
          expect(fromWhole.f1MacroInterval?.method).toBe('delta');
          expectSameInterval(fromSplit.f1MacroInterval, fromWhole.f1MacroInterval);
          const se = estimateCbpe(whole.cbpe!).f1MacroStandardError;
          const z = 1.959963984540054;
          expect(fromWhole.f1MacroInterval!.low).toBeCloseTo(Math.max(fromWhole.f1Macro - z * se, 0), 12);
          expect(fromWhole.f1MacroInterval!.high).toBeCloseTo(Math.min(fromWhole.f1Macro + z * se, 1), 12);
          const gap = fromWhole.gap!;
          const pairSe = (whole.pairs as ClassificationAccumulator).metrics().cbpe!.f1MacroStandardError;
          expect(gap.f1MacroInterval!.high - gap.f1Macro).toBeCloseTo(z * pairSe, 12);
          expect(gap.f1Macro - gap.f1MacroInterval!.low).toBeCloseTo(z * pairSe, 12);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('is absent when a bucket was saved before the second moments were kept', () => {
    const rows: ClassRow[] = [0, 1, 2, 0].map((c, i) => ({
      predicted: c,
      truth: (c + i) % 3,
      weights: [1, 2, 3],
      minute: 0,
    }));
    const saved = classBucket(rows).toJSON();
    const { secondMoments: _dropped, ...oldCbpe } = saved.cbpe!;
    const old = BucketSummary.fromJSON({ ...saved, cbpe: oldCbpe });
    expect(summaryMetrics(old, 1).cbpe!.f1MacroInterval).toBeUndefined();
    expect(summaryMetrics(old.merge(classBucket(rows)), 2).cbpe!.f1MacroInterval).toBeUndefined();
  });
});
