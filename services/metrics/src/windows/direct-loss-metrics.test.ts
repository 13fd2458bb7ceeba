import { DirectLossEstimator, denseMatrix } from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ValueRow, valuePair, valueRecord } from '../../test/window-records.js';
import { BucketSummary } from './bucket-summary.js';
import { addDirectLossParts, directLossMetrics, directLossParts } from './direct-loss-metrics.js';
import { summaryMetrics } from './window-metrics.js';
import { DEFAULT_BUCKET_AUC_BINS } from './window-options.js';

const OPTIONS = { aucBins: DEFAULT_BUCKET_AUC_BINS };
const none = (n: number) => denseMatrix(n, 0, new Float64Array(0));

/** A loss model whose error grows with the prediction (truth = p ± 0.2 p), fitted on 200 rows. */
const ESTIMATOR = DirectLossEstimator.fit({
  features: none(200),
  predictions: Array.from({ length: 200 }, (_, i) => 1 + (i % 50)),
  targets: Array.from({ length: 200 }, (_, i) => (1 + (i % 50)) * (i % 2 === 0 ? 1.2 : 0.8)),
});

const valueRow: fc.Arbitrary<ValueRow> = fc.record({
  predicted: fc.double({ min: -60, max: 60, noNaN: true }),
  truth: fc.double({ min: -60, max: 60, noNaN: true }),
  minute: fc.integer({ min: 0, max: 9 }),
});

describe('direct loss estimation over a window', () => {
  it('is the loss models on every prediction (within the sketch accuracy), whatever the split into buckets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(valueRow, fc.boolean(), fc.integer({ min: 0, max: 3 })), {
          minLength: 1,
          maxLength: 80,
        }),
        (rows) => {
          const buckets = Array.from({ length: 4 }, () => BucketSummary.empty('regression', [], OPTIONS));
          const whole = BucketSummary.empty('regression', [], OPTIONS);
          rows.forEach(([row, labelled, b], i) => {
            for (const s of [buckets[b]!, whole]) {
              s.addPrediction(valueRecord(row, i));
              if (labelled) s.addPair(valuePair(row, i));
            }
          });
          // Parts add (as series combine): four buckets scored apart agree with the whole scored
          // once, up to the outer sketch buckets, whose bounds are clamped to each sketch's own
          // min and max (so their midpoints differ by less than a bucket's width).
          const split = directLossParts();
          for (const s of buckets) addDirectLossParts(split, s, ESTIMATOR);
          const once = directLossParts();
          addDirectLossParts(once, whole, ESTIMATOR);
          expect(split.rows).toBe(once.rows);
          expect(Math.abs(split.absoluteSum - once.absoluteSum) / once.rows).toBeLessThan(0.3);
          const metrics = summaryMetrics(whole, 1);
          const dle = directLossMetrics(split, metrics)!;
          const losses = ESTIMATOR.predictLosses(
            none(rows.length),
            rows.map(([r]) => r.predicted),
          );
          const exactMae = losses.absolute.reduce((a, b) => a + b, 0) / rows.length;
          const exactMse = losses.squared.reduce((a, b) => a + b, 0) / rows.length;
          expect(dle.count).toBe(rows.length);
          // Each prediction is scored within 1% of its value (at most 0.6 here) and the absolute
          // model's slope is about 0.2, so each loss is off by about 0.12 at most; 0.3 leaves room.
          expect(Math.abs(dle.mae - exactMae)).toBeLessThan(0.6 * 0.5 + 1e-9);
          expect(Math.abs(dle.rmse ** 2 - exactMse)).toBeLessThan(0.05 * Math.max(1, exactMse));
          const labelled = rows.filter(([, l]) => l);
          if (labelled.length === 0) expect(dle.gap).toBeUndefined();
          else {
            expect(dle.gap?.pairs).toBe(labelled.length);
            const realised = metrics.regression!.mae;
            const estimated =
              ESTIMATOR.predictLosses(
                none(labelled.length),
                labelled.map(([r]) => r.predicted),
              ).absolute.reduce((a, b) => a + b, 0) / labelled.length;
            expect(Math.abs(dle.gap!.mae - (realised - estimated))).toBeLessThan(0.6 * 0.5 + 1e-9);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('leaves the gap unset when a bucket was saved before labelled outputs were kept', () => {
    const fresh = BucketSummary.empty('regression', [], OPTIONS);
    const rows: ValueRow[] = [
      { predicted: 3, truth: 4, minute: 0 },
      { predicted: 5, truth: 4.5, minute: 0 },
    ];
    rows.forEach((row, i) => {
      fresh.addPrediction(valueRecord(row, i));
      fresh.addPair(valuePair(row, i));
    });
    const { labelledOutputs: _dropped, ...old } = fresh.toJSON();
    const window = BucketSummary.empty('regression', [], OPTIONS).mergeSaved(old).merge(fresh);
    const parts = directLossParts();
    addDirectLossParts(parts, window, ESTIMATOR);
    const dle = directLossMetrics(parts, summaryMetrics(window, 2))!;
    expect(dle.count).toBe(4);
    expect(dle.gap).toBeUndefined();
    // The fresh bucket alone gives it.
    const own = directLossParts();
    addDirectLossParts(own, fresh, ESTIMATOR);
    expect(directLossMetrics(own, summaryMetrics(fresh, 1))!.gap?.pairs).toBe(2);
  });

  it('refuses labelled outputs in a classification bucket, naming the field', () => {
    const c = BucketSummary.empty('classification', ['a', 'b'], OPTIONS).toJSON();
    const r = BucketSummary.empty('regression', [], OPTIONS).toJSON();
    expect(() => BucketSummary.fromJSON({ ...c, labelledOutputs: r.labelledOutputs })).toThrow(
      'labelledOutputs: only a regression bucket carries labelled outputs',
    );
  });
});
