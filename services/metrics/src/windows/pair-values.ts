import { InvalidArgumentError } from '@sightline/errors';
import type { JoinedPair, PredictionRow } from '../domain/records.js';

/** A classification pair as the accumulators take it. */
export interface ClassificationPairValues {
  readonly yTrue: string;
  readonly yPred: string;
  readonly probabilities?: readonly number[];
}

/**
 * The predicted label of a classification row.
 * @throws InvalidArgumentError naming `prediction.label` when the row has none.
 */
export function predictedLabel(row: PredictionRow, field = 'prediction.label'): string {
  if (typeof row.label !== 'string') {
    throw new InvalidArgumentError(`${field}: a classification row must carry its predicted label`);
  }
  return row.label;
}

/**
 * The labels (and logged probabilities) of a classification pair.
 * @throws InvalidArgumentError naming `truth` when the truth is not a label.
 */
export function classificationValues(pair: JoinedPair): ClassificationPairValues {
  if (pair.truth.kind !== 'label') {
    throw new InvalidArgumentError(
      `truth: a classification pair needs a label, got a ${pair.truth.kind} (rewards have no windowed metric)`,
    );
  }
  const yPred = predictedLabel(pair.prediction);
  const probabilities = pair.prediction.probabilities;
  return probabilities === undefined
    ? { yTrue: pair.truth.label, yPred }
    : { yTrue: pair.truth.label, yPred, probabilities };
}

/**
 * The predicted and true elements of a regression pair. A row of several outputs counts each
 * element as one pair (MSE, MAE and MAPE are then scikit-learn's `multioutput='uniform_average'`;
 * R² is over the pooled elements, not averaged per output).
 * @throws InvalidArgumentError naming `truth` or `prediction.values` on a kind or length mismatch.
 */
export function regressionValues(pair: JoinedPair): { yTrue: readonly number[]; yPred: readonly number[] } {
  if (pair.truth.kind !== 'value') {
    throw new InvalidArgumentError(
      `truth: a regression pair needs a value, got a ${pair.truth.kind} (rewards have no windowed metric)`,
    );
  }
  const yPred = pair.prediction.values;
  if (yPred === undefined || yPred.length === 0) {
    throw new InvalidArgumentError('prediction.values: a regression row must carry its predicted values');
  }
  if (pair.truth.values.length !== yPred.length) {
    throw new InvalidArgumentError(
      `truth.values: expected ${yPred.length} values (as the prediction), got ${pair.truth.values.length}`,
    );
  }
  return { yTrue: pair.truth.values, yPred };
}

/**
 * What the concept-drift detectors read for one pair: classification 1 when the prediction was
 * wrong, 0 when right; regression the mean absolute error over the row's elements.
 */
export function pairLoss(pair: JoinedPair): number {
  if (pair.task === 'classification') {
    const { yTrue, yPred } = classificationValues(pair);
    return yTrue === yPred ? 0 : 1;
  }
  const { yTrue, yPred } = regressionValues(pair);
  let sum = 0;
  for (let i = 0; i < yPred.length; i++) sum += Math.abs(yPred[i]! - yTrue[i]!);
  return sum / yPred.length;
}
