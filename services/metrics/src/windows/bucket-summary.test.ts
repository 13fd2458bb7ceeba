import { InvalidArgumentError } from '@sightline/errors';
import {
  type ClassificationAccumulator,
  classificationMetrics,
  RegressionAccumulator,
  regressionMetrics,
} from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLASSES,
  type ClassRow,
  classPair,
  classRecord,
  probabilities,
  valuePair,
  valueRecord,
} from '../../test/window-records.js';
import { BucketSummary } from './bucket-summary.js';
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

/** Rows in [-125, 125] in steps of 1/8: exact binary fractions, so R² is well conditioned whatever the draw. */
const valueRow = fc.record({
  predicted: fc.integer({ min: -1000, max: 1000 }).map((v) => v / 8),
  truth: fc.integer({ min: -1000, max: 1000 }).map((v) => v / 8),
  minute: fc.integer({ min: 0, max: 9 }),
});

/** Summaries of `rows` split by `bucketOf`, merged in `order`. */
function splitAndMerge<R>(
  rows: readonly R[],
  bucketOf: readonly number[],
  order: readonly number[],
  make: () => BucketSummary,
  add: (summary: BucketSummary, row: R, i: number) => void,
): BucketSummary {
  const buckets = Array.from({ length: order.length }, make);
  rows.forEach((row, i) => {
    add(buckets[bucketOf[i]! % buckets.length]!, row, i);
  });
  const merged = make();
  // Half the buckets restored and merged, half merged from their saved form (a query's path).
  for (const b of order) {
    const saved = JSON.parse(JSON.stringify(buckets[b]!));
    if (b % 2 === 0) merged.merge(BucketSummary.fromJSON(saved));
    else merged.mergeSaved(saved);
  }
  return merged;
}

function close(actual: number, expected: number, tolerance = 1e-12): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
}

const permutation = (n: number) =>
  fc.array(fc.nat(), { minLength: n, maxLength: n }).map((keys) =>
    keys
      .map((k, i) => [k, i] as const)
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .map(([, i]) => i),
  );

describe('BucketSummary', () => {
  it('merged in any split and order equals a recomputation of the classification metrics from scratch', () => {
    fc.assert(
      fc.property(
        fc.array(classRow, { minLength: 1, maxLength: 60 }),
        fc
          .integer({ min: 1, max: 6 })
          .chain((k) => fc.tuple(fc.array(fc.nat(), { minLength: 60, maxLength: 60 }), permutation(k))),
        (rows, [bucketOf, order]) => {
          const merged = splitAndMerge(
            rows,
            bucketOf,
            order,
            () => BucketSummary.empty('classification', CLASSES, OPTIONS),
            (s, row, i) => {
              s.addPrediction(classRecord(row, i));
              s.addPair(classPair(row, i));
            },
          );
          const labelled = rows.filter((r) => r.weights !== undefined);
          const scratch = classificationMetrics(
            { yTrue: rows.map((r) => CLASSES[r.truth]!), yPred: rows.map((r) => CLASSES[r.predicted]!) },
            { classes: [...CLASSES] },
          );
          const got = (merged.pairs as ClassificationAccumulator).metrics();
          expect(got.count).toBe(rows.length);
          expect(Array.from(got.confusion)).toEqual(Array.from(scratch.confusion));
          expect(got.accuracy).toBe(scratch.accuracy);
          expect(got.macro).toEqual(scratch.macro);
          expect(got.weighted).toEqual(scratch.weighted);
          expect(Array.from(got.f1)).toEqual(Array.from(scratch.f1));
          expect(got.accuracyInterval).toEqual(scratch.accuracyInterval);
          expect(merged.predictions).toBe(rows.length);
          expect(merged.latencyMs.count).toBe(rows.filter((r) => r.latencyMs !== undefined).length);
          expect(merged.cbpe!.count).toBe(labelled.length);
          if (labelled.length > 0) {
            const probs = labelled.flatMap((r) => probabilities(r.weights!));
            const withProbabilities = classificationMetrics(
              {
                yTrue: labelled.map((r) => CLASSES[r.truth]!),
                yPred: labelled.map((r) => CLASSES[r.predicted]!),
                probabilities: probs,
              },
              { classes: [...CLASSES] },
            );
            expect(close(got.logLoss!, withProbabilities.logLoss!)).toBe(true);
            expect(close(got.expectedCalibrationError!, withProbabilities.expectedCalibrationError!)).toBe(
              true,
            );
            expect(close(got.cbpe!.accuracy, withProbabilities.cbpe!.accuracy)).toBe(true);
            for (let c = 0; c < CLASSES.length; c++) {
              const exact = withProbabilities.rocAuc!.perClass[c]!;
              if (Number.isNaN(exact)) expect(Number.isNaN(got.rocAuc!.perClass[c]!)).toBe(true);
              else
                expect(Math.abs(got.rocAuc!.perClass[c]! - exact)).toBeLessThanOrEqual(
                  got.rocAuc!.maxError + 1e-12,
                );
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('merged in any split and order equals a recomputation of the regression metrics from scratch', () => {
    fc.assert(
      fc.property(
        fc.array(valueRow, { minLength: 1, maxLength: 60 }),
        fc
          .integer({ min: 1, max: 6 })
          .chain((k) => fc.tuple(fc.array(fc.nat(), { minLength: 60, maxLength: 60 }), permutation(k))),
        (rows, [bucketOf, order]) => {
          const merged = splitAndMerge(
            rows,
            bucketOf,
            order,
            () => BucketSummary.empty('regression', [], OPTIONS),
            (s, row, i) => {
              s.addPrediction(valueRecord(row, i));
              s.addPair(valuePair(row, i));
            },
          );
          const scratch = regressionMetrics(
            rows.map((r) => r.truth),
            rows.map((r) => r.predicted),
          );
          const got = (merged.pairs as RegressionAccumulator).metrics();
          expect(got.count).toBe(scratch.count);
          for (const name of ['mse', 'rmse', 'mae', 'mape'] as const)
            expect(close(got[name], scratch[name], 1e-12)).toBe(true);
          // R² divides by y_true's spread; with values on a 1/8 grid below 125 it is at least 1/128, so 1e-9 holds.
          expect(close(got.r2, scratch.r2, 1e-9)).toBe(true);
          expect(merged.outputs!.count).toBe(rows.length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('round-trips through JSON bit for bit', () => {
    fc.assert(
      fc.property(
        fc.array(classRow, { maxLength: 40 }),
        fc.array(valueRow, { maxLength: 40 }),
        (cls, values) => {
          const c = BucketSummary.empty('classification', CLASSES, OPTIONS);
          cls.forEach((row, i) => {
            c.addPrediction(classRecord(row, i));
            if (i % 2 === 0) c.addPair(classPair(row, i));
          });
          const r = BucketSummary.empty('regression', [], OPTIONS);
          values.forEach((row, i) => {
            r.addPrediction(valueRecord(row, i));
            r.addPair(valuePair(row, i));
          });
          for (const summary of [c, r]) {
            const text = JSON.stringify(summary);
            const restored = BucketSummary.fromJSON(JSON.parse(text));
            expect(JSON.stringify(restored)).toBe(text);
            expect(JSON.stringify(restored.pairs!.metrics())).toBe(JSON.stringify(summary.pairs!.metrics()));
            expect(restored.latencyMs.quantile(0.5)).toEqual(summary.latencyMs.quantile(0.5));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a bad saved summary with a sentence naming the field', () => {
    const s = BucketSummary.empty('classification', CLASSES, OPTIONS);
    s.addPrediction(classRecord({ predicted: 0, truth: 1, weights: [1, 2, 3], minute: 0 }, 0));
    s.addPair(classPair({ predicted: 0, truth: 1, weights: [1, 2, 3], minute: 0 }, 0));
    const good = JSON.parse(JSON.stringify(s));
    const DELETE = Symbol('delete');
    const cases: Array<[string, unknown, RegExp]> = [
      ['schemaVersion', 2, /^schemaVersion: expected 1, got 2$/],
      ['task', 'ranking', /^task: /],
      ['classes.0', 7, /^classes\[0\]: expected a string/],
      ['predictions', -1, /^predictions: expected an integer >= 0/],
      ['latencyMs', DELETE, /^latencyMs: expected an object/],
      ['pairs.confusion', [1, 2], /^pairs\.confusion: expected 9 values, got 2/],
      ['pairs.logLoss', 'x', /^pairs\.logLoss: expected an object/],
      ['cbpe.predictedCount', [1], /^cbpe\.predictedCount: expected 3 values, got 1/],
      ['pairs.classes', ['c', 'b', 'a'], /^pairs\.classes: expected the bucket's classes/],
      ['predictedClasses', null, /^predictedClasses: /],
      ['latencyMs.positive', [1], /^latencyMs\.positive: expected a flat array of \[key, count\] pairs$/],
    ];
    /** `good` with the value at a dotted path set (or deleted). */
    const mutated = (path: string, value: unknown): unknown => {
      const copy = structuredClone(good) as Record<string, unknown>;
      const keys = path.split('.');
      let target = copy;
      for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
      if (value === DELETE) delete target[keys[keys.length - 1]!];
      else target[keys[keys.length - 1]!] = value;
      return copy;
    };
    for (const [path, value, message] of cases) {
      const bad = mutated(path, value);
      let error: unknown;
      try {
        BucketSummary.fromJSON(bad);
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(message);
      // A query merging the saved form directly refuses it the same way.
      if (!['schemaVersion', 'classes.0', 'pairs.classes'].includes(path)) {
        expect(() => BucketSummary.empty('classification', CLASSES, OPTIONS).mergeSaved(bad), path).toThrow(
          message,
        );
      }
    }
    expect(() => BucketSummary.fromJSON('x')).toThrow(/^summary: expected an object$/);
  });

  it('refuses a record of another task or class list, a label outside the classes, or a bad probability row, counting nothing', () => {
    const s = BucketSummary.empty('classification', CLASSES, OPTIONS);
    const record = classRecord({ predicted: 0, truth: 0, weights: [1, 1, 1], minute: 0 }, 0);
    expect(() => s.addPrediction({ ...record, classes: ['a', 'b'] })).toThrow(/^classes: /);
    expect(() => s.addPrediction({ ...record, task: 'regression' })).toThrow(/^task: /);
    expect(() => s.addPrediction({ ...record, rows: [{ row: 0, label: 'z' }] })).toThrow(
      /^rows\[0\]\.label: label "z"/,
    );
    expect(() =>
      s.addPrediction({
        ...record,
        rows: [
          { row: 0, label: 'a' },
          { row: 1, label: 'a', probabilities: [0.5, 0.6, 0] },
        ],
      }),
    ).toThrow(/^rows\[1\]\.probabilities: probabilities must sum to 1/);
    expect(() =>
      s.addPair({
        ...classPair({ predicted: 0, truth: 0, minute: 0 }, 0),
        truth: { kind: 'reward', reward: 1 },
      }),
    ).toThrow(/^truth: a classification pair needs a label/);
    expect(s.predictions).toBe(0);
    expect(s.joined).toBe(0);
    const unknown = BucketSummary.empty('classification', [], OPTIONS);
    unknown.addPrediction({ ...record, classes: [], rows: [{ row: 0, label: 'x' }] });
    expect(unknown.predictedClasses!.get('x')).toBe(1);
    expect(() =>
      unknown.addPair({ ...classPair({ predicted: 0, truth: 0, minute: 0 }, 0), classes: [] }),
    ).toThrow(
      /^classes: a classification pair can only be scored when the prediction logged its class list$/,
    );
  });

  it('replaces its pairs with a recomputation while the prediction parts still add', () => {
    const stored = BucketSummary.empty('regression', [], OPTIONS);
    stored.addPrediction(valueRecord({ predicted: 1, truth: 0, minute: 0 }, 0));
    stored.addPair(valuePair({ predicted: 1, truth: 0, minute: 0 }, 0));
    const delta = BucketSummary.empty('regression', [], OPTIONS);
    delta.addPrediction(valueRecord({ predicted: 3, truth: 0, minute: 0 }, 1));
    const recomputed = new RegressionAccumulator();
    recomputed.add(1, 1);
    delta.replacePairs(recomputed);
    stored.merge(delta, { replacePairs: true });
    expect(stored.predictions).toBe(2);
    expect(stored.joined).toBe(1);
    expect((stored.pairs as RegressionAccumulator).metrics().mse).toBe(0);
  });
});
