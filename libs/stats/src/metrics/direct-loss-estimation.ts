/**
 * Direct loss estimation (NannyML's DLE): the MAE and RMSE a regression model is expected to
 * have on a window whose labels have not arrived. A small loss model learns, on labelled
 * reference data, how large the model's error is from the row's features and the model's own
 * prediction; per window the predicted losses are summed. It sees heteroscedasticity (the error
 * growing with a feature) and so reacts when traffic shifts toward rows the model handles badly.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { assertFiniteMatrix, type DenseMatrix } from '../matrix.js';
import type { DirectLossSums } from './direct-loss-window.js';

/** Version of {@link DirectLossEstimatorJson}. */
export const DIRECT_LOSS_SCHEMA_VERSION = 1;
/** Ridge penalty by default, per row on standardised terms (sklearn's `Ridge(alpha = ridge * rows)`): enough to keep collinear terms solvable, too little to bias a fit on hundreds of rows. */
export const DEFAULT_DIRECT_LOSS_RIDGE = 1e-3;
/** Most input features of the loss model (the normal equations are (2 f + 2)² doubles). */
export const MAX_DIRECT_LOSS_FEATURES = 256;
/** Fewest labelled reference rows for a fit. */
export const MIN_DIRECT_LOSS_REFERENCE_ROWS = 10;

/** Options of {@link DirectLossEstimator.fit}. */
export interface DirectLossEstimatorOptions {
  /** Ridge penalty per row on standardised terms, > 0 (default {@link DEFAULT_DIRECT_LOSS_RIDGE}). */
  readonly ridge?: number;
  /**
   * Add the square of every feature and of the prediction as terms (default true): the
   * expected squared error of a heteroscedastic model grows with the square of the feature the
   * noise scales with, which a model linear in the features cannot follow.
   */
  readonly squaredTerms?: boolean;
}

/** Labelled reference rows: features, the monitored model's predictions and the true values. */
export interface DirectLossReference {
  readonly features: DenseMatrix;
  readonly predictions: ArrayLike<number>;
  readonly targets: ArrayLike<number>;
}

/** One fitted loss model: loss ≈ intercept + sum_j weights[j] z_j over standardised terms z. */
export interface LossModelJson {
  readonly intercept: number;
  readonly weights: number[];
}

/** Saved form of a fitted estimator. */
export interface DirectLossEstimatorJson {
  readonly schemaVersion: number;
  readonly featureCount: number;
  readonly squaredTerms: boolean;
  readonly ridge: number;
  /** Per term: reference mean and standard deviation (ddof 0; 1 for a constant term). */
  readonly means: number[];
  readonly scales: number[];
  readonly absolute: LossModelJson;
  readonly squared: LossModelJson;
}

/** Per-row predicted losses. */
export interface PredictedLosses {
  readonly absolute: Float64Array;
  readonly squared: Float64Array;
}

/**
 * The fitted loss models. The learner is ridge regression solved by Cholesky on the normal
 * equations (ml-matrix), not NannyML's LightGBM: no gradient-boosting library for Node is kept
 * up well enough to depend on here, and with squared terms a linear model follows an error
 * that grows smoothly with a feature. It cannot follow an error that depends on a feature in
 * steps or through interactions; add such terms as features.
 */
export class DirectLossEstimator {
  readonly #json: DirectLossEstimatorJson;

  private constructor(json: DirectLossEstimatorJson) {
    this.#json = json;
  }

  /**
   * Fits the absolute-error and squared-error models on labelled reference rows.
   * @throws InvalidArgumentError for mismatched lengths, too few rows, too many features,
   * non-finite values or a ridge that is not > 0.
   */
  static fit(reference: DirectLossReference, options: DirectLossEstimatorOptions = {}): DirectLossEstimator {
    const ridge = options.ridge ?? DEFAULT_DIRECT_LOSS_RIDGE;
    const squaredTerms = options.squaredTerms ?? true;
    if (!(Number.isFinite(ridge) && ridge > 0)) {
      throw new InvalidArgumentError(`ridge: expected a finite number > 0, got ${ridge}`);
    }
    const { features, predictions, targets } = reference;
    checkRows(features, predictions, 'reference');
    if (targets.length !== features.rows) {
      throw new InvalidArgumentError(
        `reference targets: expected one per feature row (${features.rows}), got ${targets.length}`,
      );
    }
    if (features.rows < MIN_DIRECT_LOSS_REFERENCE_ROWS) {
      throw new InvalidArgumentError(
        `reference features: expected at least ${MIN_DIRECT_LOSS_REFERENCE_ROWS} rows, got ${features.rows}`,
      );
    }
    checkFinite(targets, 'reference targets');
    const n = features.rows;
    const terms = termCount(features.cols, squaredTerms);
    const raw = new Float64Array(n * terms);
    for (let i = 0; i < n; i++) writeTerms(features, predictions, i, squaredTerms, raw.subarray(i * terms));
    const means = new Array<number>(terms).fill(0);
    const scales = new Array<number>(terms).fill(0);
    for (let j = 0; j < terms; j++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += raw[i * terms + j]!;
      const mean = sum / n;
      let squares = 0;
      for (let i = 0; i < n; i++) squares += (raw[i * terms + j]! - mean) ** 2;
      const sd = Math.sqrt(squares / n);
      means[j] = mean;
      scales[j] = sd > 0 ? sd : 1;
    }
    const design = new Matrix(n, terms);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < terms; j++) design.set(i, j, (raw[i * terms + j]! - means[j]!) / scales[j]!);
    }
    const absoluteLoss = new Float64Array(n);
    const squaredLoss = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const error = targets[i]! - predictions[i]!;
      absoluteLoss[i] = Math.abs(error);
      squaredLoss[i] = error * error;
    }
    const gram = design.transpose().mmul(design);
    for (let j = 0; j < terms; j++) gram.set(j, j, gram.get(j, j) + ridge * n);
    const cholesky = new CholeskyDecomposition(gram);
    const solveFor = (loss: Float64Array): LossModelJson => {
      const intercept = loss.reduce((a, b) => a + b, 0) / n;
      const centred = Matrix.columnVector(Array.from(loss, (v) => v - intercept));
      const weights = cholesky.solve(design.transpose().mmul(centred)).getColumn(0);
      return { intercept, weights };
    };
    return new DirectLossEstimator({
      schemaVersion: DIRECT_LOSS_SCHEMA_VERSION,
      featureCount: features.cols,
      squaredTerms,
      ridge,
      means,
      scales,
      absolute: solveFor(absoluteLoss),
      squared: solveFor(squaredLoss),
    });
  }

  /** Features the estimator was fitted on. */
  get featureCount(): number {
    return this.#json.featureCount;
  }

  /**
   * Predicted absolute and squared error per row, floored at 0 (a loss is never negative; a
   * linear model extrapolates below 0 far from the reference).
   * @throws InvalidArgumentError for a feature count other than the fit's, mismatched lengths or non-finite values.
   */
  predictLosses(features: DenseMatrix, predictions: ArrayLike<number>): PredictedLosses {
    this.#checkInput(features, predictions);
    const { squaredTerms, means, scales, absolute, squared } = this.#json;
    const terms = means.length;
    const row = new Float64Array(terms);
    const outAbsolute = new Float64Array(features.rows);
    const outSquared = new Float64Array(features.rows);
    for (let i = 0; i < features.rows; i++) {
      writeTerms(features, predictions, i, squaredTerms, row);
      let a = absolute.intercept;
      let s = squared.intercept;
      for (let j = 0; j < terms; j++) {
        const z = (row[j]! - means[j]!) / scales[j]!;
        a += absolute.weights[j]! * z;
        s += squared.weights[j]! * z;
      }
      outAbsolute[i] = Math.max(a, 0);
      outSquared[i] = Math.max(s, 0);
    }
    return { absolute: outAbsolute, squared: outSquared };
  }

  /** Adds a batch of unlabelled predictions to a window's sums. */
  addToWindow(sums: DirectLossSums, features: DenseMatrix, predictions: ArrayLike<number>): void {
    const losses = this.predictLosses(features, predictions);
    let absoluteSum = 0;
    let squaredSum = 0;
    for (let i = 0; i < features.rows; i++) {
      absoluteSum += losses.absolute[i]!;
      squaredSum += losses.squared[i]!;
    }
    sums.count += features.rows;
    sums.absoluteSum += absoluteSum;
    sums.squaredSum += squaredSum;
  }

  /** The saved form (a deep copy). */
  toJSON(): DirectLossEstimatorJson {
    return structuredClone(this.#json);
  }

  /**
   * Restores a saved estimator.
   * @throws InvalidArgumentError for another schema version or inconsistent lengths or values.
   */
  static fromJSON(json: DirectLossEstimatorJson): DirectLossEstimator {
    if (json.schemaVersion !== DIRECT_LOSS_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${DIRECT_LOSS_SCHEMA_VERSION}, got ${json.schemaVersion}`,
      );
    }
    if (
      !(
        Number.isInteger(json.featureCount) &&
        json.featureCount >= 0 &&
        json.featureCount <= MAX_DIRECT_LOSS_FEATURES
      )
    ) {
      throw new InvalidArgumentError(
        `featureCount: expected an integer in [0, ${MAX_DIRECT_LOSS_FEATURES}], got ${json.featureCount}`,
      );
    }
    const terms = termCount(json.featureCount, json.squaredTerms === true);
    const vectors: [string, readonly number[]][] = [
      ['means', json.means],
      ['scales', json.scales],
      ['absolute.weights', json.absolute?.weights],
      ['squared.weights', json.squared?.weights],
    ];
    for (const [field, values] of vectors) {
      if (!(Array.isArray(values) && values.length === terms && values.every(Number.isFinite))) {
        throw new InvalidArgumentError(`${field}: expected ${terms} finite numbers`);
      }
    }
    if (!json.scales.every((s) => s > 0)) throw new InvalidArgumentError('scales: expected every scale > 0');
    if (!(Number.isFinite(json.absolute.intercept) && Number.isFinite(json.squared.intercept))) {
      throw new InvalidArgumentError('intercept: expected finite intercepts of both loss models');
    }
    return new DirectLossEstimator(structuredClone(json));
  }

  #checkInput(features: DenseMatrix, predictions: ArrayLike<number>): void {
    if (features.cols !== this.#json.featureCount) {
      throw new InvalidArgumentError(
        `features: expected ${this.#json.featureCount} columns as in the reference, got ${features.cols}`,
      );
    }
    checkRows(features, predictions, 'window');
  }
}

function termCount(featureCount: number, squaredTerms: boolean): number {
  return (featureCount + 1) * (squaredTerms ? 2 : 1);
}

/** Row i's terms: features, prediction, then (optionally) their squares. */
function writeTerms(
  features: DenseMatrix,
  predictions: ArrayLike<number>,
  i: number,
  squaredTerms: boolean,
  out: Float64Array,
): void {
  const p = features.cols;
  for (let j = 0; j < p; j++) out[j] = features.data[i * p + j]!;
  out[p] = predictions[i]!;
  if (squaredTerms) for (let j = 0; j <= p; j++) out[p + 1 + j] = out[j]! * out[j]!;
}

function checkRows(features: DenseMatrix, predictions: ArrayLike<number>, what: string): void {
  if (features.cols > MAX_DIRECT_LOSS_FEATURES) {
    throw new InvalidArgumentError(
      `${what} features: expected at most ${MAX_DIRECT_LOSS_FEATURES} columns, got ${features.cols}`,
    );
  }
  if (predictions.length !== features.rows) {
    throw new InvalidArgumentError(
      `${what} predictions: expected one per feature row (${features.rows}), got ${predictions.length}`,
    );
  }
  assertFiniteMatrix(features, `${what} features`);
  checkFinite(predictions, `${what} predictions`);
}

function checkFinite(values: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InvalidArgumentError(`${field}[${i}]: expected a finite number, got ${values[i]}`);
    }
  }
}
