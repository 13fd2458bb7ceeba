import { InvalidArgumentError } from '@sightline/errors';
import { DEFAULT_CALIBRATION_BINS } from './calibration-error.js';
import { type ClassLabel, classIndex, encodeLabels, sortedClasses } from './class-labels.js';
import {
  ClassificationAccumulator,
  type ClassificationMetrics,
  checkProbabilityRow,
} from './classification-accumulator.js';
import { DEFAULT_CONFIDENCE } from './confidence-intervals.js';
import { rocAucOneVsRestWithErrors } from './roc-auc.js';
import { rocAucIntervals } from './roc-auc-interval.js';

/** A batch of classification pairs. */
export interface ClassificationInput {
  /** True label per row (strings or integers). */
  readonly yTrue: readonly ClassLabel[];
  /** Predicted label per row. */
  readonly yPred: readonly ClassLabel[];
  /** Row-major rows x classes probabilities, columns in class order (optional). */
  readonly probabilities?: ArrayLike<number>;
}

/** Options of {@link classificationMetrics}. */
export interface ClassificationMetricsOptions {
  /**
   * The classes in order (confusion matrix, per-class arrays, probability columns). Default:
   * the sorted labels of y_true and y_pred ({@link sortedClasses}, scikit-learn's
   * `unique_labels`); give them when some class may be absent from a batch, or when the
   * probability columns follow another order.
   */
  readonly classes?: readonly ClassLabel[];
  /** Equal-width ECE bins (default {@link DEFAULT_CALIBRATION_BINS}). */
  readonly calibrationBins?: number;
  /** Level of the accuracy interval (default 0.95). */
  readonly confidence?: number;
}

/**
 * Every classification metric of a batch, exactly as scikit-learn 1.2 computes it
 * (`accuracy_score`; `precision_recall_fscore_support(labels=classes, zero_division=0)` per class
 * and `average='macro' | 'micro' | 'weighted'`; `confusion_matrix(labels=classes)`;
 * `roc_auc_score(multi_class='ovr')` macro and weighted; `log_loss`), plus ECE and CBPE.
 * ROC AUC here is exact (`maxError` 0); a class without positives or negatives in the batch gets
 * NaN and is left out of the macro mean (where scikit-learn raises).
 * @throws InvalidArgumentError naming the field and row of a bad label, length or probability.
 */
export function classificationMetrics(
  input: ClassificationInput,
  options: ClassificationMetricsOptions = {},
): ClassificationMetrics {
  const n = input.yTrue.length;
  if (input.yPred.length !== n) {
    throw new InvalidArgumentError(`y_pred: expected ${n} labels (as y_true), got ${input.yPred.length}`);
  }
  const classes = options.classes ?? sortedClasses(['y_true', input.yTrue], ['y_pred', input.yPred]);
  const index = classIndex(classes);
  const k = classes.length;
  const trueClass = encodeLabels(index, input.yTrue, 'y_true');
  const predictedClass = encodeLabels(index, input.yPred, 'y_pred');
  const probabilities = input.probabilities;
  if (probabilities !== undefined) {
    if (probabilities.length !== n * k) {
      throw new InvalidArgumentError(
        `probabilities: expected ${n} rows x ${k} classes = ${n * k} values, got ${probabilities.length}${options.classes ? '' : ' (classes were taken from the labels; pass classes to name every probability column)'}`,
      );
    }
    for (let i = 0; i < n; i++) checkProbabilityRow(probabilities, i * k, k, `probabilities[${i}]`);
  }
  const accumulator = ClassificationAccumulator.create(classes, {
    calibrationBins: options.calibrationBins ?? DEFAULT_CALIBRATION_BINS,
    aucBins: 0,
  });
  for (let i = 0; i < n; i++) accumulator.addIndices(trueClass[i]!, predictedClass[i]!, probabilities, i * k);
  const metrics = accumulator.metrics(options.confidence ?? DEFAULT_CONFIDENCE);
  if (probabilities === undefined || n === 0) return metrics;
  const { auc, standardErrors, support } = rocAucOneVsRestWithErrors(
    trueClass,
    Float64Array.from(probabilities),
    k,
  );
  // Exact scores: DeLong's interval on the tie groups, with no binning bound to add (maxError 0).
  const rocAucIntervalsOfBatch = rocAucIntervals(
    auc,
    standardErrors,
    support,
    options.confidence ?? DEFAULT_CONFIDENCE,
  );
  return { ...metrics, rocAuc: auc, rocAucIntervals: rocAucIntervalsOfBatch };
}
