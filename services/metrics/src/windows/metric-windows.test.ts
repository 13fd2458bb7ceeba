import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@sightline/errors';
import {
  bootstrapInterval,
  classDistributionShift,
  classificationMetrics,
  distributionShiftIntervals,
  regressionMetrics,
  seededRandom,
} from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLASSES,
  type ClassRow,
  classPair,
  classRecord,
  MINUTE,
  SERIES,
  T0,
  valuePair,
  valueRecord,
} from '../../test/window-records.js';
import type { JoinedPair } from '../domain/records.js';
import type { BucketSummary } from './bucket-summary.js';
import { applyDirty, MetricWindows, type PersistedBucket } from './metric-windows.js';
import { encodeWindowKey } from './window-key.js';
import { OVERFLOW_SEGMENT_VALUE } from './window-options.js';

/** A store as the service keeps one: a bucket per key and start, dirty entries folded in by applyDirty. */
class FakeStore {
  readonly buckets = new Map<
    string,
    { seriesKey: string; widthMs: number; bucketStartMs: number; summary: BucketSummary }
  >();
  flush(windows: MetricWindows): void {
    for (const dirty of windows.takeDirty()) {
      const id = `${dirty.seriesKey}/${dirty.widthMs}@${dirty.bucketStartMs}`;
      const text = JSON.parse(JSON.stringify(dirty));
      const previous = this.buckets.get(id)?.summary;
      this.buckets.set(id, {
        seriesKey: dirty.seriesKey,
        widthMs: dirty.widthMs,
        bucketStartMs: dirty.bucketStartMs,
        summary: applyDirty(previous === undefined ? undefined : previous.toJSON(), text),
      });
    }
  }
  persisted(): PersistedBucket[] {
    return [...this.buckets.values()].map((b) => ({ ...b, summary: b.summary.toJSON() }));
  }
}

const classRow: fc.Arbitrary<ClassRow> = fc.record({
  predicted: fc.integer({ min: 0, max: 2 }),
  truth: fc.integer({ min: 0, max: 2 }),
  weights: fc.option(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 3 }), {
    nil: undefined,
  }),
  // Three hours: a window may hold whole hours (read from the roll-ups) and minutes at its ends.
  minute: fc.integer({ min: 0, max: 179 }),
  segment: fc.constantFrom('fr', 'de', 'it', 'es'),
  latencyMs: fc.integer({ min: 1, max: 100 }),
});

function scratch(rows: readonly ClassRow[]) {
  return classificationMetrics(
    { yTrue: rows.map((r) => CLASSES[r.truth]!), yPred: rows.map((r) => CLASSES[r.predicted]!) },
    { classes: [...CLASSES] },
  );
}

describe('MetricWindows', () => {
  it('equals a recomputation from scratch over any window, however records were flushed and late pairs arrived', () => {
    fc.assert(
      fc.property(
        fc.array(classRow, { minLength: 1, maxLength: 80 }),
        fc.array(fc.boolean(), { minLength: 160, maxLength: 160 }),
        fc.integer({ min: 0, max: 179 }),
        fc.integer({ min: 1, max: 180 }),
        (rows, flushAfter, from, length) => {
          const windows = new MetricWindows({ segmentNames: ['country'], conceptDrift: false });
          const store = new FakeStore();
          let step = 0;
          rows.forEach((row, i) => {
            windows.addPrediction(classRecord(row, i));
            if (flushAfter[step++]) store.flush(windows);
          });
          // Pairs join later, in reverse order: each lands in its prediction's bucket.
          [...rows].reverse().forEach((row, j) => {
            const i = rows.length - 1 - j;
            windows.addPair(classPair(row, i, T0 + 86_400_000 + j));
            if (flushAfter[step++]) store.flush(windows);
          });
          const fromMs = T0 + from * MINUTE;
          const toMs = fromMs + length * MINUTE;
          const inWindow = rows.filter((r) => r.minute >= from && r.minute < from + length);
          const got = windows.metricsOver(SERIES, undefined, fromMs, toMs, store.persisted());
          expect(got.predictions).toBe(inWindow.length);
          expect(got.joined).toBe(inWindow.length);
          expect(got.requests).toBe(inWindow.length);
          expect(got.latencyMs?.count ?? 0).toBe(inWindow.length);
          if (inWindow.length === 0) return;
          const expected = scratch(inWindow);
          const c = got.classification!;
          expect(Array.from(c.confusion)).toEqual(Array.from(expected.confusion));
          expect(c.accuracy).toBe(expected.accuracy);
          expect(c.macro).toEqual(expected.macro);
          expect(c.micro).toEqual(expected.micro);
          expect(c.weighted).toEqual(expected.weighted);
          // The same through a segment: only its rows.
          const fr = inWindow.filter((r) => r.segment === 'fr');
          const segment = windows.metricsOver(
            SERIES,
            { name: 'country', value: 'fr' },
            fromMs,
            toMs,
            store.persisted(),
          );
          expect(segment.joined).toBe(fr.length);
          if (fr.length > 0)
            expect(Array.from(segment.classification!.confusion)).toEqual(Array.from(scratch(fr).confusion));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('puts a late pair in the bucket of its prediction time', () => {
    const windows = new MetricWindows();
    const row = { predicted: 0, truth: 1, minute: 3 };
    windows.addPrediction(classRecord(row, 0));
    windows.takeDirty();
    windows.addPair(classPair(row, 0, T0 + 3 * 86_400_000));
    const dirty = windows.takeDirty().filter((d) => d.widthMs === MINUTE);
    expect(dirty).toHaveLength(1);
    expect(dirty[0]!.bucketStartMs).toBe(T0 + 3 * MINUTE);
    expect(dirty[0]!.seriesKey).toBe(encodeWindowKey(SERIES));
    expect(dirty[0]!.summary.predictions).toBe(0);
    expect(dirty[0]!.pairsReplaced).toBe(false);
  });

  it('recomputes a bucket from the pairs handed in when feedback is replaced', () => {
    const windows = new MetricWindows({ segmentNames: ['country'] });
    const store = new FakeStore();
    const rows: ClassRow[] = [
      { predicted: 0, truth: 0, minute: 1, segment: 'fr' },
      { predicted: 1, truth: 1, minute: 1, segment: 'fr' },
      { predicted: 2, truth: 2, minute: 1, segment: 'de' },
    ];
    rows.forEach((row, i) => {
      windows.addPrediction(classRecord(row, i));
      windows.addPair(classPair(row, i));
    });
    store.flush(windows);
    const range = [T0, T0 + 10 * MINUTE] as const;
    expect(windows.metricsOver(SERIES, undefined, ...range, store.persisted()).classification!.accuracy).toBe(
      1,
    );
    // The first pair's truth is replaced: it was wrong after all.
    const replaced: ClassRow = { ...rows[0]!, truth: 2 };
    const next = classPair(replaced, 0);
    const rangePairs: JoinedPair[] = [next, classPair(rows[1]!, 1), classPair(rows[2]!, 2)];
    windows.replacePair(classPair(rows[0]!, 0), next, rangePairs);
    // Before the flush the query folds the pending recomputation over the stored bucket.
    const before = windows.metricsOver(SERIES, undefined, ...range, store.persisted());
    store.flush(windows);
    const after = windows.metricsOver(SERIES, undefined, ...range, store.persisted());
    for (const m of [before, after]) {
      expect(m.joined).toBe(3);
      expect(m.predictions).toBe(3);
      expect(Array.from(m.classification!.confusion)).toEqual(
        Array.from(scratch([replaced, rows[1]!, rows[2]!]).confusion),
      );
    }
    const fr = windows.metricsOver(SERIES, { name: 'country', value: 'fr' }, ...range, store.persisted());
    expect(fr.joined).toBe(2);
    expect(fr.classification!.accuracy).toBe(0.5);
    const de = windows.metricsOver(SERIES, { name: 'country', value: 'de' }, ...range, store.persisted());
    expect(de.classification!.accuracy).toBe(1);
    expect(() => windows.replacePair(classPair(rows[0]!, 0), classPair(rows[1]!, 1), rangePairs)).toThrow(
      /^next: a replacement must be for the same series, event, row and prediction time/,
    );
    expect(() => windows.replacePair(classPair(rows[0]!, 0), next, [classPair(rows[1]!, 1)])).toThrow(
      /^rangePairs: the replacement pair must be among the range's pairs$/,
    );
    expect(() =>
      windows.replacePair(classPair(rows[0]!, 0), next, [next, classPair({ ...rows[1]!, minute: 70 }, 1)]),
    ).toThrow(/^rangePairs\[1\]: expected a pair of the same series predicted in the 3600000 ms starting at/);
  });

  it('bounds the values of a segment name: later values go to __other__, counted', () => {
    const windows = new MetricWindows({ segmentNames: ['country'], maxSegmentValues: 2 });
    const store = new FakeStore();
    const countries = ['fr', 'de', 'it', 'es', 'fr', 'pt'];
    countries.forEach((segment, i) => {
      const row = { predicted: 0, truth: i % 2, minute: 0, segment };
      windows.addPrediction(classRecord(row, i));
      windows.addPair(classPair(row, i));
    });
    store.flush(windows);
    const keys = new Set(
      store
        .persisted()
        .filter((p) => p.widthMs === MINUTE)
        .map((p) => p.seriesKey),
    );
    expect(keys).toEqual(
      new Set([
        encodeWindowKey(SERIES),
        encodeWindowKey(SERIES, { name: 'country', value: 'fr' }),
        encodeWindowKey(SERIES, { name: 'country', value: 'de' }),
        encodeWindowKey(SERIES, { name: 'country', value: OVERFLOW_SEGMENT_VALUE }),
      ]),
    );
    expect(windows.segmentOverflow(SERIES, 'country')).toEqual({ values: 2, predictionRows: 3, pairs: 3 });
    const other = windows.metricsOver(
      SERIES,
      { name: 'country', value: OVERFLOW_SEGMENT_VALUE },
      T0,
      T0 + MINUTE,
      store.persisted(),
    );
    expect(other.predictions).toBe(3);
    expect(other.joined).toBe(3);
    // After a restart, priming gives the first two values their segments back.
    const restarted = new MetricWindows({ segmentNames: ['country'], maxSegmentValues: 2 });
    restarted.prime(store.persisted());
    restarted.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 1, segment: 'it' }, 9));
    restarted.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 1, segment: 'de' }, 10));
    expect(
      new Set(
        restarted
          .takeDirty()
          .filter((d) => d.widthMs === MINUTE)
          .map((d) => d.segment?.value),
      ),
    ).toEqual(new Set([undefined, OVERFLOW_SEGMENT_VALUE, 'de']));
  });

  it('registers no segment value for a refused record', () => {
    const windows = new MetricWindows({ segmentNames: ['country'], maxSegmentValues: 1, maxOpenBuckets: 4 });
    const bad = classRecord({ predicted: 0, truth: 0, minute: 0, segment: 'fr' }, 0);
    expect(() => windows.addPrediction({ ...bad, rows: [{ ...bad.rows[0]!, label: 'z' }] })).toThrow(
      /label "z"/,
    );
    windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 0, segment: 'de' }, 1));
    // 'de' took the one slot ('fr' was refused above); a record needing 4 new buckets is refused by the bound.
    expect(() =>
      windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 5, segment: 'it' }, 2)),
    ).toThrow(ResourceExhaustedError);
    expect(windows.segmentOverflow(SERIES, 'country')).toEqual({ values: 1, predictionRows: 0, pairs: 0 });
    windows.takeDirty();
    windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 5, segment: 'it' }, 2));
    expect(windows.segmentOverflow(SERIES, 'country')).toEqual({ values: 1, predictionRows: 1, pairs: 0 });
  });

  it('closes a count window every N joined pairs with the metrics of exactly those pairs', () => {
    const windows = new MetricWindows({ countWindowPairs: 5, conceptDrift: false });
    const random = seededRandom(7);
    const rows: ClassRow[] = Array.from({ length: 12 }, () => ({
      predicted: random.nextInt(3),
      truth: random.nextInt(3),
      minute: random.nextInt(60),
    }));
    const closed = rows.flatMap((row, i) => {
      const outcome = windows.addPair(classPair(row, i, T0 + i));
      return outcome.countWindow === undefined ? [] : [[i, outcome.countWindow] as const];
    });
    expect(closed.map(([i]) => i)).toEqual([4, 9]);
    closed.forEach(([i, window], n) => {
      expect(window.index).toBe(n);
      expect(window.pairs).toBe(5);
      expect(window.firstJoinedMs).toBe(T0 + i - 4);
      expect(window.lastJoinedMs).toBe(T0 + i);
      expect(Array.from(window.classification!.confusion)).toEqual(
        Array.from(scratch(rows.slice(i - 4, i + 1)).confusion),
      );
    });
  });

  it('gives the macro and weighted F1 a bootstrap interval on windows up to the pair limit', () => {
    const random = seededRandom(13);
    const rows: ClassRow[] = Array.from({ length: 300 }, () => {
      const truth = random.nextInt(3);
      return {
        predicted: random.nextFloat() < 0.7 ? truth : random.nextInt(3),
        truth,
        minute: random.nextInt(10),
      };
    });
    const windows = new MetricWindows({ conceptDrift: false });
    rows.forEach((row, i) => {
      windows.addPair(classPair(row, i));
    });
    const m = windows.metricsOver(SERIES, undefined, T0, T0 + 10 * MINUTE, [], {
      f1Bootstrap: { resamples: 400 },
    });
    const c = m.classification!;
    // The same bootstrap over the pairs themselves, ordered by (true, predicted) class as the window's cells are.
    const sorted = [...rows].sort((a, b) => a.truth - b.truth || a.predicted - b.predicted);
    for (const average of ['macro', 'weighted'] as const) {
      const direct = bootstrapInterval(
        sorted.length,
        (indices) => {
          const picked = Array.from(indices, (i) => sorted[i]!);
          return scratch(picked)[average].f1;
        },
        { resamples: 400, seed: 0 },
      );
      expect(c.f1Intervals![average]).toEqual(direct);
      expect(c.f1Intervals![average].low).toBeLessThan(c[average].f1);
      expect(c.f1Intervals![average].high).toBeGreaterThan(c[average].f1);
    }
    const capped = windows.metricsOver(SERIES, undefined, T0, T0 + 10 * MINUTE, [], {
      f1Bootstrap: { maxPairs: 299 },
    });
    expect(capped.classification!.f1Intervals).toBeUndefined();
  });

  it('estimates accuracy with CBPE before labels and gives the gap once they land', () => {
    const random = seededRandom(11);
    const rows: ClassRow[] = [];
    for (let i = 0; i < 4000; i++) {
      const weights = [1 + random.nextInt(20), 1 + random.nextInt(20), 1 + random.nextInt(20)];
      const total = weights[0]! + weights[1]! + weights[2]!;
      const predicted = weights.indexOf(Math.max(...weights));
      // Calibrated: the truth is drawn from the probabilities.
      const u = random.nextFloat() * total;
      const truth = u < weights[0]! ? 0 : u < weights[0]! + weights[1]! ? 1 : 2;
      rows.push({ predicted, truth, weights, minute: i % 10 });
    }
    const windows = new MetricWindows({ conceptDrift: false });
    rows.forEach((row, i) => {
      windows.addPrediction(classRecord(row, i));
    });
    const unlabelled = windows.metricsOver(SERIES, undefined, T0, T0 + 10 * MINUTE, []);
    expect(unlabelled.joined).toBe(0);
    expect(unlabelled.coverage.value).toBe(0);
    const realised = scratch(rows).accuracy;
    const estimate = unlabelled.cbpe!.accuracy;
    expect(estimate.interval.low).toBeLessThan(realised);
    expect(estimate.interval.high).toBeGreaterThan(realised);
    expect(unlabelled.cbpe!.gap).toBeUndefined();
    rows.forEach((row, i) => {
      windows.addPair(classPair(row, i));
    });
    const labelled = windows.metricsOver(SERIES, undefined, T0, T0 + 10 * MINUTE, []);
    const gap = labelled.cbpe!.gap!;
    expect(gap.pairs).toBe(4000);
    expect(gap.accuracy.value).toBeCloseTo(realised - estimate.value, 12);
    expect(gap.accuracy.interval.low).toBeLessThan(0);
    expect(gap.accuracy.interval.high).toBeGreaterThan(0);
    expect(labelled.coverage.value).toBe(1);
    // An overconfident model: every truth is another class than predicted.
    const wrong = new MetricWindows({ conceptDrift: false });
    rows.slice(0, 500).forEach((row, i) => {
      const bad = { ...row, truth: (row.predicted + 1) % 3 };
      wrong.addPrediction(classRecord(bad, i));
      wrong.addPair(classPair(bad, i));
    });
    const miscalibrated = wrong.metricsOver(SERIES, undefined, T0, T0 + 10 * MINUTE, []).cbpe!.gap!;
    expect(miscalibrated.accuracy.interval.high).toBeLessThan(0);
  });

  it('gives the regression metrics, output quantiles and shift against a reference window', () => {
    const windows = new MetricWindows();
    const random = seededRandom(3);
    const rows = Array.from({ length: 600 }, (_, i) => ({
      predicted: random.nextNormal() + (i >= 300 ? 2 : 0),
      truth: random.nextNormal(),
      minute: i < 300 ? 0 : 1,
    }));
    rows.forEach((row, i) => {
      windows.addPrediction(valueRecord(row, i));
      windows.addPair(valuePair(row, i));
    });
    const second = windows.metricsOver(SERIES, undefined, T0 + MINUTE, T0 + 2 * MINUTE, []);
    const expected = regressionMetrics(
      rows.slice(300).map((r) => r.truth),
      rows.slice(300).map((r) => r.predicted),
    );
    expect(second.regression!.mse).toBeCloseTo(expected.mse, 12);
    expect(second.regression!.r2).toBeCloseTo(expected.r2, 10);
    expect(second.regression!.intervals.mae.low).toBeLessThan(expected.mae);
    expect(second.outputs!.count).toBe(300);
    const reference = windows.summaryOver(SERIES, undefined, T0, T0 + MINUTE, []).summary;
    const same = windows.metricsOver(SERIES, undefined, T0, T0 + MINUTE, [], { reference });
    expect(same.predictionShift!.psi).toBe(0);
    const shifted = windows.metricsOver(SERIES, undefined, T0 + MINUTE, T0 + 2 * MINUTE, [], { reference });
    expect(shifted.predictionShift!.psi).toBeGreaterThan(1);
  });

  it('gives the predicted class distribution against a reference as libs/stats computes it', () => {
    const windows = new MetricWindows();
    const rows: ClassRow[] = [
      ...Array.from({ length: 30 }, (_, i) => ({ predicted: i % 3, truth: 0, minute: 0 })),
      ...Array.from({ length: 30 }, (_, i) => ({ predicted: i % 2, truth: 0, minute: 1 })),
    ];
    rows.forEach((row, i) => {
      windows.addPrediction(classRecord(row, i));
    });
    const reference = windows.summaryOver(SERIES, undefined, T0, T0 + MINUTE, []).summary;
    const m = windows.metricsOver(SERIES, undefined, T0 + MINUTE, T0 + 2 * MINUTE, [], { reference });
    expect(m.predictedClasses).toEqual({ a: 15, b: 15 });
    const { intervals, ...values } = m.predictionShift!;
    expect(values).toEqual(
      classDistributionShift(
        new Map([
          ['a', 10],
          ['b', 10],
          ['c', 10],
        ]),
        new Map([
          ['a', 15],
          ['b', 15],
        ]),
      ),
    );
    // Percentile bootstrap intervals of both sides' counts, libs/stats' with its defaults (seed 0).
    expect(intervals).toEqual(distributionShiftIntervals([10, 10, 10], [15, 15, 0]));
    expect(intervals!.psi.method).toBe('bootstrap-percentile');
    // Turned off (time series): no intervals.
    const plain = windows.metricsOver(SERIES, undefined, T0 + MINUTE, T0 + 2 * MINUTE, [], {
      reference,
      shiftResamples: 0,
    });
    expect(plain.predictionShift!.intervals).toBeUndefined();
  });

  it('gives a time series whose steps equal the windows queried one by one', () => {
    const windows = new MetricWindows({ conceptDrift: false });
    const store = new FakeStore();
    const random = seededRandom(5);
    for (let i = 0; i < 300; i++) {
      const row = { predicted: random.nextInt(3), truth: random.nextInt(3), minute: random.nextInt(180) };
      windows.addPrediction(classRecord(row, i));
      if (i % 3 === 0) windows.addPair(classPair(row, i));
      if (i % 50 === 0) store.flush(windows);
    }
    const minutes = windows.metricsSeries(
      SERIES,
      undefined,
      T0,
      T0 + 20 * MINUTE,
      3 * MINUTE,
      store.persisted(),
    );
    expect(minutes).toHaveLength(7);
    expect(minutes[6]!.toMs).toBe(T0 + 20 * MINUTE);
    // Hour steps over three hours and a half, not hour-aligned: roll-ups inside, minutes at the ends.
    const hours = windows.metricsSeries(
      SERIES,
      undefined,
      T0 - 30 * MINUTE,
      T0 + 180 * MINUTE,
      60 * MINUTE,
      store.persisted(),
    );
    expect(hours).toHaveLength(4);
    for (const step of [...minutes, ...hours]) {
      const one = windows.metricsOver(SERIES, undefined, step.fromMs, step.toMs, store.persisted(), {
        f1Bootstrap: { maxPairs: 0 },
      });
      expect(JSON.stringify(step.metrics)).toBe(JSON.stringify(one));
    }
    expect(windows.metricsOver(SERIES, undefined, T0, T0 + 180 * MINUTE, store.persisted()).predictions).toBe(
      300,
    );
    expect(hours.reduce((n, step) => n + step.metrics.predictions, 0)).toBe(300);
    // The store need only read what the plan names, and the answer is the same.
    const plan = windows.readPlan(T0 - 30 * MINUTE, T0 + 180 * MINUTE, 60 * MINUTE);
    const planned = store
      .persisted()
      .filter((p) =>
        plan.some((r) => r.widthMs === p.widthMs && p.bucketStartMs >= r.fromMs && p.bucketStartMs < r.toMs),
      );
    expect(planned.length).toBeLessThan(store.persisted().length);
    const fromPlan = windows.metricsSeries(
      SERIES,
      undefined,
      T0 - 30 * MINUTE,
      T0 + 180 * MINUTE,
      60 * MINUTE,
      planned,
    );
    expect(JSON.stringify(fromPlan)).toBe(JSON.stringify(hours));
  });

  it('reads minute buckets stored before roll-ups were turned on', () => {
    // Hours 0 and 1 were written without roll-ups, hour 2 with them.
    const before = new MetricWindows({ rollupWidthMs: 0, conceptDrift: false });
    const store = new FakeStore();
    const rows: ClassRow[] = Array.from({ length: 30 }, (_, i) => ({
      predicted: i % 3,
      truth: i % 2,
      minute: i * 6,
    }));
    rows.slice(0, 20).forEach((row, i) => {
      before.addPrediction(classRecord(row, i));
      before.addPair(classPair(row, i));
    });
    store.flush(before);
    const after = new MetricWindows({ conceptDrift: false });
    after.prime(store.persisted());
    rows.slice(20).forEach((row, j) => {
      after.addPrediction(classRecord(row, 20 + j));
      after.addPair(classPair(row, 20 + j));
    });
    store.flush(after);
    const m = after.metricsOver(SERIES, undefined, T0, T0 + 180 * MINUTE, store.persisted());
    expect(m.joined).toBe(30);
    expect(Array.from(m.classification!.confusion)).toEqual(Array.from(scratch(rows).confusion));
  });

  it('refuses bad options, ranges and bounds with a sentence naming the field', () => {
    expect(() => new MetricWindows({ bucketWidthMs: 1700 })).toThrow(
      /^bucketWidthMs: expected a whole number of ms, at least 1000, that divides a day, got 1700$/,
    );
    expect(() => new MetricWindows({ maxSegmentValues: 0 })).toThrow(
      /^maxSegmentValues: expected an integer >= 1, got 0$/,
    );
    expect(() => new MetricWindows({ segmentNames: ['a', 'a'] })).toThrow(
      /^segmentNames\[1\]: "a" is repeated$/,
    );
    expect(() => new MetricWindows({ conceptDrift: { detectors: ['ddm', 'cusum' as 'ddm'] } })).toThrow(
      /^conceptDrift\.detectors\[1\]: expected "ddm", "adwin" or "pageHinkley", got "cusum"$/,
    );
    expect(() => new MetricWindows({ conceptDrift: { ddm: { warmStart: -1 } } })).toThrow(
      /^warmStart: expected an integer >= 0, got -1$/,
    );
    expect(() => new MetricWindows({ rollupWidthMs: 90_000 })).toThrow(
      /^rollupWidthMs: expected 0 or a multiple of bucketWidthMs 60000 above it that divides a day, got 90000$/,
    );
    const windows = new MetricWindows({ maxSeries: 1, maxOpenBuckets: 2, rollupWidthMs: 0 });
    windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 0 }, 0));
    const other = { ...SERIES, modelVersion: '2' };
    expect(() => windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 0 }, 1, other))).toThrow(
      ResourceExhaustedError,
    );
    expect(() => windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 0 }, 1, other))).toThrow(
      /^series: 1 series \(model, version, node\) are tracked, the limit \(maxSeries\)$/,
    );
    windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 1 }, 2));
    expect(() => windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 2 }, 3))).toThrow(
      /^buckets: 2 buckets hold unflushed changes and this record needs 1 more, past the limit of 2 \(maxOpenBuckets\); call takeDirty and persist them$/,
    );
    expect(windows.takeDirty()).toHaveLength(2);
    windows.addPrediction(classRecord({ predicted: 0, truth: 0, minute: 2 }, 3));
    expect(() => windows.metricsOver(SERIES, undefined, T0, T0, [])).toThrow(
      /^toMs: expected a time after fromMs/,
    );
    expect(() => windows.metricsSeries(SERIES, undefined, T0, T0 + MINUTE, 90_000, [])).toThrow(
      /^stepMs: expected a positive multiple of the bucket width 60000 ms, got 90000$/,
    );
    expect(() => windows.metricsSeries(SERIES, undefined, T0, T0 + 20_000 * MINUTE, MINUTE, [])).toThrow(
      /^stepMs: 20000 steps exceed the limit of 10000; use a longer step or a shorter range$/,
    );
    expect(() => windows.metricsOver(other, undefined, T0, T0 + MINUTE, [])).toThrow(NotFoundError);
    expect(() =>
      windows.addPair({ ...classPair({ predicted: 0, truth: 0, minute: 0 }, 0), predictionMs: Number.NaN }),
    ).toThrow(InvalidArgumentError);
    expect(() =>
      windows.metricsOver(SERIES, undefined, T0, T0 + MINUTE, [
        { seriesKey: encodeWindowKey(SERIES), bucketStartMs: T0, summary: { schemaVersion: 9 } as never },
      ]),
    ).toThrow(/^persisted\[0\]\.schemaVersion: expected 1, got 9$/);
  });
});
