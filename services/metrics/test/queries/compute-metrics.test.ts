import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { seededRandom } from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computedToMessage, computeInputFromMessage } from '../../src/contract/compute-messages.js';
import { type ComputeMetricsInput, computeMetrics } from '../../src/queries/compute-metrics.js';
import { DEFAULT_QUERY_OPTIONS } from '../../src/queries/query-options.js';

/** The bar: equal to scikit-learn's to 1e-9 (relative above 1). */
const TOLERANCE = 1e-9;
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sklearn-metrics.py');
/** Debian's interpreter has python3-sklearn; a pyenv `python3` on PATH may not (docs/ENVIRONMENT). */
const PYTHON = ['/usr/bin/python3', 'python3'].find(
  (python) => spawnSync(python, ['-c', 'import sklearn'], { timeout: 30_000 }).status === 0,
);

interface ClassificationCase {
  task: 'classification';
  y_true: string[];
  y_pred: string[];
  classes: string[];
  integer: boolean;
  probabilities: number[];
}
interface RegressionCase {
  task: 'regression';
  y_true: number[];
  y_pred: number[];
}

/** Labels right ~70% of the time, probabilities leaning to the prediction, from a fixed seed. */
function classificationCase(
  seed: number,
  classes: string[],
  rows: number,
  integer: boolean,
): ClassificationCase {
  const random = seededRandom(seed);
  const y_true: string[] = [];
  const y_pred: string[] = [];
  const probabilities: number[] = [];
  for (let i = 0; i < rows; i++) {
    const truth = random.nextInt(classes.length);
    const predicted = random.nextFloat() < 0.7 ? truth : random.nextInt(classes.length);
    y_true.push(classes[truth]!);
    y_pred.push(classes[predicted]!);
    const weights = classes.map((_, c) => random.nextFloat() + (c === predicted ? 2 : 0));
    const total = weights.reduce((a, b) => a + b, 0);
    probabilities.push(...weights.map((w) => w / total));
  }
  return { task: 'classification', y_true, y_pred, classes, integer, probabilities };
}

function regressionCase(seed: number, rows: number): RegressionCase {
  const random = seededRandom(seed);
  const y_true = Array.from({ length: rows }, () => 10 + 5 * random.nextNormal());
  const y_pred = y_true.map((y) => y + random.nextNormal());
  return { task: 'regression', y_true, y_pred };
}

function sklearn(cases: readonly (ClassificationCase | RegressionCase)[]): Record<string, unknown>[] {
  const result = spawnSync(PYTHON!, [SCRIPT], {
    input: JSON.stringify(cases),
    timeout: 60_000,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`sklearn-metrics.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function close(ours: number | undefined, theirs: unknown, what: string): void {
  expect(typeof theirs, what).toBe('number');
  const expected = theirs as number;
  expect(
    Math.abs((ours ?? Number.NaN) - expected),
    `${what}: ours ${ours}, scikit-learn ${expected}`,
  ).toBeLessThanOrEqual(TOLERANCE * Math.max(1, Math.abs(expected)));
}

function closeAll(ours: readonly (number | undefined)[], theirs: unknown, what: string): void {
  const expected = theirs as number[];
  expect(ours.length, what).toBe(expected.length);
  ours.forEach((value, i) => {
    close(value, expected[i], `${what}[${i}]`);
  });
}

function run(input: ComputeMetricsInput) {
  return computedToMessage(computeMetrics(input, DEFAULT_QUERY_OPTIONS));
}

const CLASSIFICATION_CASES: ClassificationCase[] = [
  classificationCase(1, ['cat', 'dog', 'eel'], 500, false),
  // Integer labels sort numerically ("9" before "10"), as scikit-learn sorts ints.
  classificationCase(2, ['2', '9', '10', '11'], 300, true),
  classificationCase(3, ['0', '1'], 400, true),
  classificationCase(4, ['no', 'yes'], 37, false),
];

describe.skipIf(PYTHON === undefined)('ComputeMetrics equals scikit-learn', () => {
  it('classification: accuracy, P/R/F1 per class and averaged, confusion matrix, ROC AUC, log loss', () => {
    const expected = sklearn(CLASSIFICATION_CASES);
    CLASSIFICATION_CASES.forEach((c, i) => {
      const want = expected[i]!;
      // Labels only: the class order is derived (scikit-learn's unique_labels) ...
      const derived = run({
        batch: {
          task: 'classification',
          yTrue: c.y_true,
          yPred: c.y_pred,
          integerLabels: c.integer,
          classes: [],
          probabilities: [],
        },
      });
      const sortedClasses = c.integer
        ? [...c.classes].sort((a, b) => Number(a) - Number(b))
        : [...c.classes].sort();
      expect(derived.classes).toEqual(sortedClasses);
      // ... and with probabilities the classes are given in the columns' order.
      const res = run({
        batch: {
          task: 'classification',
          yTrue: c.y_true,
          yPred: c.y_pred,
          integerLabels: c.integer,
          classes: c.classes,
          probabilities: c.probabilities,
        },
      });
      const m = res.classification!;
      const what = `case ${i}`;
      close(m.accuracy?.value, want.accuracy, `${what} accuracy`);
      closeAll(
        m.classes.map((k) => k.precision?.value),
        want.precision,
        `${what} precision`,
      );
      closeAll(
        m.classes.map((k) => k.recall?.value),
        want.recall,
        `${what} recall`,
      );
      closeAll(
        m.classes.map((k) => k.f1?.value),
        want.f1,
        `${what} f1`,
      );
      closeAll(
        m.classes.map((k) => Number(k.support)),
        want.support,
        `${what} support`,
      );
      for (const average of ['macro', 'micro', 'weighted'] as const) {
        const [p, r, f] = want[average] as number[];
        close(m[average]?.precision?.value, p, `${what} ${average} precision`);
        close(m[average]?.recall?.value, r, `${what} ${average} recall`);
        close(m[average]?.f1?.value, f, `${what} ${average} f1`);
      }
      expect(m.confusionMatrix.map(Number)).toEqual(want.confusion);
      close(m.logLoss?.value, want.log_loss, `${what} log loss`);
      expect(m.rocAuc?.maxError).toBe(0);
      if (c.classes.length === 2) close(m.rocAuc?.binary, want.auc_binary, `${what} binary AUC`);
      else {
        close(m.rocAuc?.macro, want.auc_macro, `${what} macro AUC`);
        close(m.rocAuc?.weighted, want.auc_weighted, `${what} weighted AUC`);
      }
      // DeLong intervals of every exact AUC (scipy's z, a pair-by-pair DeLong in python).
      const z = want.z95 as number;
      (want.delong_se as (number | null)[]).forEach((se, k) => {
        const interval = m.rocAuc!.perClassIntervals[k]!;
        expect(interval.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_DELONG);
        const auc = m.rocAuc!.perClass[k]!;
        close(interval.low, se === null ? 0 : Math.max(auc - z * se, 0), `${what} AUC ${k} low`);
        close(interval.high, se === null ? 1 : Math.min(auc + z * se, 1), `${what} AUC ${k} high`);
      });
      if (c.classes.length === 2) expect(m.rocAuc?.binaryInterval).toEqual(m.rocAuc?.perClassIntervals[1]);
      expect(m.rocAuc?.macroInterval?.low).toBeLessThanOrEqual(m.rocAuc!.macro);
      expect(m.rocAuc?.macroInterval?.high).toBeGreaterThanOrEqual(m.rocAuc!.macro);
      expect(Number(m.probabilityPairs)).toBe(c.y_true.length);
      // Derived-order metrics agree with the given-order ones on order-free figures.
      close(
        derived.classification?.macro?.f1?.value,
        (want.macro as number[])[2],
        `${what} derived macro f1`,
      );
      expect(derived.classification?.rocAuc).toBeUndefined();
    });
  });

  it('regression: MSE, RMSE, MAE, MAPE and R²', () => {
    const cases = [regressionCase(5, 200), regressionCase(6, 2), regressionCase(7, 1000)];
    const expected = sklearn(cases);
    cases.forEach((c, i) => {
      const m = run({ batch: { task: 'regression', yTrue: c.y_true, yPred: c.y_pred } }).regression!;
      const want = expected[i]!;
      for (const name of ['mse', 'rmse', 'mae', 'mape', 'r2'] as const)
        close(m[name]?.value, want[name], `case ${i} ${name}`);
      expect(m.mse?.interval?.low).toBeLessThanOrEqual(m.mse!.value);
      expect(m.mae?.interval?.high).toBeGreaterThanOrEqual(m.mae!.value);
      // R² and MAPE carry their delta-method and t intervals (infinite ends below 3 and 2 pairs).
      if (c.y_true.length >= 3) {
        expect(m.r2?.interval?.low).toBeLessThanOrEqual(m.r2!.value);
        expect(m.r2?.interval?.high).toBeGreaterThanOrEqual(m.r2!.value);
      }
      expect(m.mape?.interval?.low).toBeLessThanOrEqual(m.mape!.value);
    });
  });
});

describe('ComputeMetrics intervals and rules', () => {
  const c = CLASSIFICATION_CASES[0]!;
  const batch = {
    task: 'classification' as const,
    yTrue: c.y_true,
    yPred: c.y_pred,
    integerLabels: false,
    classes: c.classes,
    probabilities: c.probabilities,
  };

  it('gives accuracy, per-class precision and recall Wilson intervals at the asked level', () => {
    const m = run({ batch, confidence: 0.9 }).classification!;
    expect(m.accuracy?.interval?.confidence).toBe(0.9);
    for (const k of m.classes) {
      expect(k.precision!.interval!.low).toBeLessThanOrEqual(k.precision!.value);
      expect(k.recall!.interval!.high).toBeGreaterThanOrEqual(k.recall!.value);
      expect(k.f1?.interval).toBeUndefined();
    }
    expect(m.micro?.f1).toEqual(m.accuracy);
    expect(m.calibrationBins).toBe(10);
    expect(m.expectedCalibrationError?.value).toBeGreaterThanOrEqual(0);
  });

  const rejects = (input: ComputeMetricsInput, error: new (m: string) => Error, pattern: RegExp) => {
    expect(() => computeMetrics(input, DEFAULT_QUERY_OPTIONS)).toThrow(error);
    expect(() => computeMetrics(input, DEFAULT_QUERY_OPTIONS)).toThrow(pattern);
  };

  it('names the field and rule of bad input', () => {
    rejects(
      { batch: { ...batch, yPred: batch.yPred.slice(1) } },
      InvalidArgumentError,
      /^classification\.y_pred: .*rule "y_pred.count"/,
    );
    rejects(
      { batch: { ...batch, yTrue: [], yPred: [] } },
      InvalidArgumentError,
      /^classification\.y_true: at least one/,
    );
    rejects({ batch: { ...batch, classes: [] } }, InvalidArgumentError, /rule "classes.with_probabilities"/);
    rejects(
      {
        batch: {
          ...batch,
          yTrue: ['1', 'x'],
          yPred: ['1', '1'],
          integerLabels: true,
          classes: [],
          probabilities: [],
        },
      },
      InvalidArgumentError,
      /^classification\.y_true\[1\]: .*rule "labels.integer"/,
    );
    rejects(
      { batch: { ...batch, yTrue: ['fox', ...batch.yTrue.slice(1)] } },
      InvalidArgumentError,
      /^classification\.y_true\[0\]: label "fox" is not one of the classes/,
    );
    rejects(
      { batch: { ...batch, probabilities: [1.5, ...batch.probabilities.slice(1)] } },
      InvalidArgumentError,
      /^classification\.probabilities\[0\]\[0\]: .*\[0, 1\]/,
    );
    rejects(
      { batch: { ...batch, probabilities: batch.probabilities.slice(3) } },
      InvalidArgumentError,
      /^classification\.probabilities: expected/,
    );
    const many = Array.from({ length: 1001 }, (_, i) => `c${i}`);
    rejects(
      { batch: { ...batch, yTrue: many, yPred: many, classes: [], probabilities: [] } },
      InvalidArgumentError,
      /^classification\.classes: the labels make 1001 classes, more than 1000/,
    );
    rejects({ batch, confidence: 1 }, InvalidArgumentError, /^confidence:/);
    rejects(
      { batch, calibrationBins: 1001 },
      InvalidArgumentError,
      /^calibration_bins: must be at most 1000/,
    );
    rejects(
      { batch: { task: 'regression', yTrue: [1, Number.NaN], yPred: [1, 2] } },
      InvalidArgumentError,
      /^regression\.y_true\[1\]: expected a finite/,
    );
  });

  it('refuses batches past --max-compute-pairs and --max-compute-probabilities', () => {
    expect(() =>
      computeMetrics({ batch }, { maxComputePairs: 499, maxComputeProbabilities: 10_000 }),
    ).toThrow(ResourceExhaustedError);
    expect(() =>
      computeMetrics({ batch }, { maxComputePairs: 499, maxComputeProbabilities: 10_000 }),
    ).toThrow(/--max-compute-pairs \(499\)/);
    expect(() => computeMetrics({ batch }, { maxComputePairs: 500, maxComputeProbabilities: 1499 })).toThrow(
      /--max-compute-probabilities \(1499\)/,
    );
    expect(computeMetrics({ batch }, { maxComputePairs: 500, maxComputeProbabilities: 1500 }).task).toBe(
      'classification',
    );
  });

  it('integer labels: classes are the distinct values in numeric order, accuracy the share of equal values (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -50, max: 50 })), {
          minLength: 1,
          maxLength: 60,
        }),
        (pairs) => {
          const res = run({
            batch: {
              task: 'classification',
              yTrue: pairs.map(([t]) => String(t)),
              yPred: pairs.map(([, p]) => String(p)),
              integerLabels: true,
              classes: [],
              probabilities: [],
            },
          });
          const distinct = [...new Set(pairs.flat())].sort((a, b) => a - b);
          expect(res.classes).toEqual(distinct.map(String));
          const equal = pairs.filter(([t, p]) => t === p).length;
          expect(res.classification?.accuracy?.value).toBe(equal / pairs.length);
          expect(res.classification?.confusionMatrix.reduce((a, b) => a + b, 0n)).toBe(BigInt(pairs.length));
        },
      ),
      { seed: 12, numRuns: 200 },
    );
  });

  it('the request converter requires exactly one batch (rule "data.set")', () => {
    expect(() => computeInputFromMessage({ calibrationBins: 0 })).toThrow(/rule "data.set"/);
    expect(() =>
      computeInputFromMessage({
        calibrationBins: 0,
        regression: { yTrue: [], yPred: [], referenceYTrue: [], referenceYPred: [] },
        classification: { yTrue: [], yPred: [], integerLabels: false, classes: [], probabilities: [] },
      }),
    ).toThrow(/rule "data.set"/);
  });
});
