/**
 * ComputeMetrics: a batch of (y_true, y_pred[, probabilities]) pairs evaluated by the same
 * accumulators the windows use (libs/stats), so offline numbers equal production's. ROC AUC
 * here is exact (no score bins). Stores nothing.
 */
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import {
  type ClassificationMetrics,
  type ClassLabel,
  checkConfidence,
  classificationMetrics,
  DEFAULT_CALIBRATION_BINS,
  DEFAULT_CONFIDENCE,
  MAX_METRIC_CLASSES,
  type RegressionMetrics,
  regressionMetrics,
  sortedClasses,
} from '@sightline/stats';
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
  | { readonly task: 'regression'; readonly metrics: RegressionMetrics; readonly confidence: number };

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
    return {
      task: 'regression',
      confidence,
      metrics: withPrefix('regression', () => regression(batch, confidence)),
    };
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
