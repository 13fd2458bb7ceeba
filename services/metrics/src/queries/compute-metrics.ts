/**
 * ComputeMetrics: a batch of (y_true, y_pred[, probabilities]) pairs evaluated by the same
 * accumulators the windows use (libs/stats), so offline numbers equal production's. ROC AUC
 * here is exact (no score bins). Stores nothing.
 */
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import {
  addDirectLossFitVariance,
  addDirectLossVariance,
  type ClassificationMetrics,
  type ClassLabel,
  checkConfidence,
  classificationMetrics,
  DEFAULT_CALIBRATION_BINS,
  DEFAULT_CONFIDENCE,
  DirectLossEstimator,
  denseMatrix,
  directLossEstimateIntervals,
  directLossGapIntervals,
  directLossVariance,
  MAX_METRIC_CLASSES,
  MIN_DIRECT_LOSS_REFERENCE_ROWS,
  type RegressionMetrics,
  regressionMetrics,
  sortedClasses,
} from '@sightline/stats';
import { MAX_DLE_REFERENCE_PAIRS } from '../estimates/direct-loss-options.js';
import type { DleWindowMetrics } from '../windows/window-metrics.js';
import type { QueryOptions } from './query-options.js';

/** The most ECE bins a call may ask for. */
export const MAX_CALIBRATION_BINS = 1000;

/** Classification pairs, as the contract carries them (labels are strings). */
export interface ClassificationBatch {
  readonly task: 'classification';
  readonly yTrue: readonly string[];
  readonly yPred: readonly string[];
  /** Every label is a decimal integer and classes sort numerically (scikit-learn's integer labels). */
  readonly integerLabels: boolean;
  /** The class order; empty means the sorted labels of y_true and y_pred. */
  readonly classes: readonly string[];
  /** Row-major pairs x classes; empty means none. */
  readonly probabilities: readonly number[];
}

/** Regression pairs, one element each. */
export interface RegressionBatch {
  readonly task: 'regression';
  readonly yTrue: readonly number[];
  readonly yPred: readonly number[];
  /** Labelled reference pairs for direct loss estimation; absent or empty means none. */
  readonly reference?: { readonly yTrue: readonly number[]; readonly yPred: readonly number[] };
}

export interface ComputeMetricsInput {
  readonly batch: ClassificationBatch | RegressionBatch;
  /** Interval level in (0, 1); default 0.95. */
  readonly confidence?: number;
  /** ECE bins; 0 or undefined means 10; at most {@link MAX_CALIBRATION_BINS}. */
  readonly calibrationBins?: number;
}

export type ComputedMetrics =
  | {
      readonly task: 'classification';
      /** The class order used, as strings. */
      readonly classes: readonly string[];
      readonly metrics: ClassificationMetrics;
      readonly confidence: number;
      readonly calibrationBins: number;
    }
  | {
      readonly task: 'regression';
      readonly metrics: RegressionMetrics;
      readonly confidence: number;
      /** With reference pairs: DLE's estimate of the batch and its gap. */
      readonly dle?: DleWindowMetrics;
    };

type ComputeLimits = Pick<QueryOptions, 'maxComputePairs' | 'maxComputeProbabilities'>;

/**
 * Evaluates one batch.
 * @throws InvalidArgumentError naming the field (prefixed `classification.` or `regression.`) and
 * the rule; ResourceExhaustedError naming --max-compute-pairs or --max-compute-probabilities.
 */
export function computeMetrics(input: ComputeMetricsInput, limits: ComputeLimits): ComputedMetrics {
  const confidence = input.confidence ?? DEFAULT_CONFIDENCE;
  checkConfidence(confidence);
  const { batch } = input;
  checkPairLimits(batch, limits);
  if (batch.task === 'regression') {
    const metrics = withPrefix('regression', () => regression(batch, confidence));
    const dle = withPrefix('regression', () => directLoss(batch, metrics, confidence));
    return { task: 'regression', confidence, metrics, ...(dle !== undefined && { dle }) };
  }
  const calibrationBins = input.calibrationBins || DEFAULT_CALIBRATION_BINS;
  if (!(Number.isInteger(calibrationBins) && calibrationBins <= MAX_CALIBRATION_BINS)) {
    throw new InvalidArgumentError(
      `calibration_bins: must be at most ${MAX_CALIBRATION_BINS}, got ${input.calibrationBins}`,
    );
  }
  return withPrefix('classification', () => classification(batch, confidence, calibrationBins));
}

function checkPairLimits(batch: ClassificationBatch | RegressionBatch, limits: ComputeLimits): void {
  const pairs = Math.max(batch.yTrue.length, batch.yPred.length);
  if (pairs > limits.maxComputePairs) {
    throw new ResourceExhaustedError(
      `${batch.task}.y_true: ${pairs} pairs is more than --max-compute-pairs (${limits.maxComputePairs}); split the batch`,
    );
  }
  if (batch.task === 'classification' && batch.probabilities.length > limits.maxComputeProbabilities) {
    throw new ResourceExhaustedError(
      `classification.probabilities: ${batch.probabilities.length} values is more than --max-compute-probabilities (${limits.maxComputeProbabilities}); split the batch`,
    );
  }
}

function checkCounts(yTrue: number, yPred: number): void {
  if (yTrue === 0) throw new InvalidArgumentError('y_true: at least one pair is required');
  if (yPred !== yTrue) {
    throw new InvalidArgumentError(
      `y_pred: must hold as many values as y_true (${yTrue}), got ${yPred} (rule "y_pred.count")`,
    );
  }
}

function regression(batch: RegressionBatch, confidence: number): RegressionMetrics {
  checkCounts(batch.yTrue.length, batch.yPred.length);
  return regressionMetrics(batch.yTrue, batch.yPred, confidence);
}

/**
 * DLE of the batch: loss models fitted on the reference pairs (on the prediction only, as the
 * service fits a series'), each of the batch's predictions scored exactly; the gap is realised
 * minus estimated over the whole batch (every pair is labelled). Intervals as a window's.
 */
function directLoss(
  batch: RegressionBatch,
  metrics: RegressionMetrics,
  confidence: number,
): DleWindowMetrics | undefined {
  const reference = batch.reference;
  if (reference === undefined || (reference.yTrue.length === 0 && reference.yPred.length === 0))
    return undefined;
  const n = reference.yTrue.length;
  if (n < MIN_DIRECT_LOSS_REFERENCE_ROWS || n > MAX_DLE_REFERENCE_PAIRS) {
    throw new InvalidArgumentError(
      `reference_y_true: must hold from ${MIN_DIRECT_LOSS_REFERENCE_ROWS} to ${MAX_DLE_REFERENCE_PAIRS} pairs, got ${n} (rule "reference.count")`,
    );
  }
  if (reference.yPred.length !== n) {
    throw new InvalidArgumentError(
      `reference_y_pred: must hold as many values as reference_y_true (${n}), got ${reference.yPred.length} (rule "reference_y_pred.count")`,
    );
  }
  for (const [field, values] of [
    ['reference_y_true', reference.yTrue],
    ['reference_y_pred', reference.yPred],
  ] as const) {
    values.forEach((v, i) => {
      if (!Number.isFinite(v))
        throw new InvalidArgumentError(`${field}[${i}]: must be a finite number, got ${v}`);
    });
  }
  const none = (rows: number) => denseMatrix(rows, 0, new Float64Array(0));
  const estimator = DirectLossEstimator.fit({
    features: none(n),
    predictions: reference.yPred,
    targets: reference.yTrue,
  });
  const losses = estimator.predictLosses(none(batch.yPred.length), batch.yPred);
  let absolute = 0;
  let squared = 0;
  for (let i = 0; i < batch.yPred.length; i++) {
    absolute += losses.absolute[i]!;
    squared += losses.squared[i]!;
  }
  const count = batch.yPred.length;
  const mae = absolute / count;
  const rmse = Math.sqrt(squared / count);
  const gap = { mae: metrics.mae - mae, rmse: metrics.rmse - rmse };
  const sampling = estimator.samplingError;
  if (sampling === undefined) return { count, mae, rmse, gap: { pairs: count, ...gap } };
  const variance = directLossVariance();
  addDirectLossVariance(variance, sampling, count);
  const intervals = directLossEstimateIntervals({ mae, rmse }, count, variance, confidence);
  const fitVariance = directLossVariance();
  addDirectLossFitVariance(fitVariance, sampling, count);
  const gapIntervals = directLossGapIntervals(gap, metrics, rmse, fitVariance, confidence);
  return {
    count,
    mae,
    rmse,
    ...(intervals.mae !== undefined && { maeInterval: intervals.mae }),
    ...(intervals.rmse !== undefined && { rmseInterval: intervals.rmse }),
    gap: {
      pairs: count,
      ...gap,
      ...(gapIntervals.mae !== undefined && { maeInterval: gapIntervals.mae }),
      ...(gapIntervals.rmse !== undefined && { rmseInterval: gapIntervals.rmse }),
    },
  };
}

function classification(
  batch: ClassificationBatch,
  confidence: number,
  calibrationBins: number,
): ComputedMetrics {
  checkCounts(batch.yTrue.length, batch.yPred.length);
  const hasProbabilities = batch.probabilities.length > 0;
  if (hasProbabilities && batch.classes.length === 0) {
    throw new InvalidArgumentError(
      'classes: required with probabilities, to name their columns (rule "classes.with_probabilities")',
    );
  }
  if (batch.classes.length > MAX_METRIC_CLASSES) {
    throw new InvalidArgumentError(
      `classes: at most ${MAX_METRIC_CLASSES} classes, got ${batch.classes.length}`,
    );
  }
  const parse = batch.integerLabels ? integerLabels : (labels: readonly string[]) => labels;
  const yTrue = parse(batch.yTrue, 'y_true');
  const yPred = parse(batch.yPred, 'y_pred');
  // scikit-learn's unique_labels order when none is given; counted before any K x K matrix exists.
  const classes =
    batch.classes.length > 0
      ? parse(batch.classes, 'classes')
      : sortedClasses(['y_true', yTrue], ['y_pred', yPred]);
  if (classes.length > MAX_METRIC_CLASSES) {
    throw new InvalidArgumentError(
      `classes: the labels make ${classes.length} classes, more than ${MAX_METRIC_CLASSES}`,
    );
  }
  const metrics = classificationMetrics(
    { yTrue, yPred, ...(hasProbabilities ? { probabilities: batch.probabilities } : {}) },
    { classes, calibrationBins, confidence },
  );
  return {
    task: 'classification',
    classes: metrics.classes.map(String),
    metrics,
    confidence,
    calibrationBins,
  };
}

const DECIMAL_INTEGER = /^[+-]?\d+$/;

/** Decimal integer labels (rule "labels.integer"), so classes sort numerically as scikit-learn's. */
function integerLabels(labels: readonly string[], field: string): ClassLabel[] {
  return labels.map((label, row) => {
    const value = DECIMAL_INTEGER.test(label.trim()) ? Number(label) : Number.NaN;
    if (!Number.isSafeInteger(value)) {
      throw new InvalidArgumentError(
        `${field}[${row}]: with integer_labels every label must be a decimal integer, got ${JSON.stringify(label)} (rule "labels.integer")`,
      );
    }
    return value;
  });
}

/** Runs `compute`, prefixing the field of an InvalidArgumentError with the batch's field name. */
function withPrefix<T>(prefix: string, compute: () => T): T {
  try {
    return compute();
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new InvalidArgumentError(`${prefix}.${error.message}`);
    throw error;
  }
}
