import {
  type ConfidenceInterval,
  DirectLossEstimator,
  denseMatrix,
  normalQuantile,
  regressionMetrics,
  type SeededRandom,
  seededRandom,
} from '@sightline/stats';
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

/** Predictions uniform on [1, 5], truth = prediction + (0.2 + 0.3 prediction) N(0, 1): the loss models (on the prediction) are right. */
function drawRows(random: SeededRandom, n: number): ValueRow[] {
  return Array.from({ length: n }, (_, i) => {
    const predicted = 1 + 4 * random.nextFloat();
    return { predicted, truth: predicted + (0.2 + 0.3 * predicted) * random.nextNormal(), minute: i % 10 };
  });
}

function fitOn(rows: readonly ValueRow[]): DirectLossEstimator {
  return DirectLossEstimator.fit({
    features: none(rows.length),
    predictions: rows.map((r) => r.predicted),
    targets: rows.map((r) => r.truth),
  });
}

function bucketOf(rows: readonly ValueRow[], labelled: (i: number) => boolean, offset = 0): BucketSummary {
  const s = BucketSummary.empty('regression', [], OPTIONS);
  rows.forEach((row, i) => {
    s.addPrediction(valueRecord(row, offset + i));
    if (labelled(i)) s.addPair(valuePair(row, offset + i));
  });
  return s;
}

const Z = normalQuantile(0.975);
const halfWidth = (i: ConfidenceInterval | undefined) => (i!.high - i!.low) / 2;

describe("direct loss estimation's intervals over a window", () => {
  it("are libs/stats' standard errors over the window's rows, each series' fit with its own rows; the gap's the realised standard errors and the fit's error", () => {
    const random = seededRandom(17);
    const fits = [fitOn(drawRows(random, 300)), fitOn(drawRows(random, 120))];
    const rows = [drawRows(random, 80), drawRows(random, 50)];
    const parts = directLossParts();
    const window = BucketSummary.empty('regression', [], OPTIONS);
    rows.forEach((r, s) => {
      const bucket = bucketOf(r, () => true, s * 1000);
      addDirectLossParts(parts, bucket, fits[s]!);
      window.merge(bucket);
    });
    const metrics = summaryMetrics(window, 2);
    const dle = directLossMetrics(parts, metrics)!;
    const varianceOf = (sd: 'absoluteResidualSd' | 'squaredResidualSd', rowsOnly: boolean) =>
      fits.reduce((sum, f, s) => {
        const e = f.samplingError!;
        const n = rows[s]!.length;
        return sum + e[sd] ** 2 * ((rowsOnly ? n : 0) + (n * n) / e.referenceRows);
      }, 0);
    const n = 130;
    expect(dle.maeInterval!.method).toBe('normal');
    expect(halfWidth(dle.maeInterval)).toBeCloseTo(
      (Z * Math.sqrt(varianceOf('absoluteResidualSd', true))) / n,
      12,
    );
    expect(halfWidth(dle.rmseInterval)).toBeCloseTo(
      (Z * Math.sqrt(varianceOf('squaredResidualSd', true))) / n / (2 * dle.rmse),
      12,
    );
    const realised = metrics.regression!;
    const gapMaeSe = Math.sqrt(
      realised.standardErrors.mae ** 2 + varianceOf('absoluteResidualSd', false) / n ** 2,
    );
    expect(halfWidth(dle.gap!.maeInterval)).toBeCloseTo(Z * gapMaeSe, 12);
    expect(dle.gap!.rmseInterval!.method).toBe('delta');
  });

  it('are absent while any series’ loss models were saved before their sampling error was kept', () => {
    const random = seededRandom(18);
    const fresh = fitOn(drawRows(random, 200));
    const { referenceRows: _dropped, ...oldJson } = fresh.toJSON();
    const old = DirectLossEstimator.fromJSON(oldJson);
    const bucket = bucketOf(drawRows(random, 40), (i) => i % 2 === 0);
    const parts = directLossParts();
    addDirectLossParts(parts, bucket, fresh);
    addDirectLossParts(
      parts,
      bucketOf(drawRows(random, 10), () => false, 100),
      old,
    );
    const dle = directLossMetrics(parts, summaryMetrics(bucket, 1))!;
    expect(dle.count).toBe(50);
    expect(dle.maeInterval).toBeUndefined();
    expect(dle.rmseInterval).toBeUndefined();
  });

  it('cover the realised MAE and RMSE of windows drawn like the reference, and the gap covers 0, at about the nominal rate (400 windows)', () => {
    // Each trial fits fresh loss models on a fresh reference (500 rows) and draws a fresh window
    // (200 rows, half labelled, in four buckets saved and merged), so the trials are independent:
    // a correct 95% interval covers 380 of 400 on average, sd 4.4; [0.91, 0.99] is 3.5 sd and
    // more away and the seed is fixed. Measured 2026-12-04 here: 381, 377, 382, 380 of 400; over
    // 2,000 trials (seed 99) 0.953, 0.951, 0.960, 0.947. Adding the series' buckets one by one
    // (the fit's error counted four times at a quarter's rows) measured 0.92 there.
    const random = seededRandom(23);
    const covered = { mae: 0, rmse: 0, gapMae: 0, gapRmse: 0 };
    const inside = (i: ConfidenceInterval | undefined, v: number) =>
      i !== undefined && i.low <= v && v <= i.high ? 1 : 0;
    for (let trial = 0; trial < 400; trial++) {
      const estimator = fitOn(drawRows(random, 500));
      const rows = drawRows(random, 200);
      const parts = directLossParts();
      const window = BucketSummary.empty('regression', [], OPTIONS);
      for (let b = 0; b < 4; b++) {
        const bucket = bucketOf(rows.slice(b * 50, (b + 1) * 50), (i) => i % 2 === 0, b * 50);
        window.mergeSaved(JSON.parse(JSON.stringify(bucket.toJSON())));
      }
      addDirectLossParts(parts, window, estimator);
      const dle = directLossMetrics(parts, summaryMetrics(window, 4))!;
      const all = regressionMetrics(
        rows.map((r) => r.truth),
        rows.map((r) => r.predicted),
      );
      covered.mae += inside(dle.maeInterval, all.mae);
      covered.rmse += inside(dle.rmseInterval, all.rmse);
      covered.gapMae += inside(dle.gap!.maeInterval, 0);
      covered.gapRmse += inside(dle.gap!.rmseInterval, 0);
    }
    for (const [name, count] of Object.entries(covered)) {
      expect(count / 400, name).toBeGreaterThanOrEqual(0.91);
      expect(count / 400, name).toBeLessThanOrEqual(0.99);
    }
  });
});
