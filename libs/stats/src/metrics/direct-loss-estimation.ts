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
import type { DirectLossSamplingError } from './direct-loss-interval.js';
import type { DirectLossSums } from './direct-loss-window.js';

/** Version of {@link DirectLossEstimatorJson}. */
export const DIRECT_LOSS_SCHEMA_VERSION = 1;
/** Ridge penalty by default, per row on standardised terms (sklearn's `Ridge(alpha = ridge * rows)`): enough to keep collinear terms solvable, too little to bias a fit on hundreds of rows. */
export const DEFAULT_DIRECT_LOSS_RIDGE = 1e-3;
/** Most input features of the loss model (the normal equations are (2 f + 2)² doubles). */
export const MAX_DIRECT_LOSS_FEATURES = 256;
/** Fewest labelled reference rows for a fit. */
export const MIN_DIRECT_LOSS_REFERENCE_ROWS = 10;

/** Terms of a loss model: the features and the prediction, or those and their squares. */
export type LossTerms = 'linear' | 'quadratic';

/** Options of {@link DirectLossEstimator.fit}. */
export interface DirectLossEstimatorOptions {
  /** Ridge penalty per row on standardised terms, > 0 (default {@link DEFAULT_DIRECT_LOSS_RIDGE}). */
  readonly ridge?: number;
  /**
   * Terms of the absolute-error model (default `linear`). If the error's scale grows linearly
   * with a feature, so does its expected absolute value; squares add variance, which showed as a
   * 10% miss (instead of 4%) when the window lay beyond the reference range.
   */
  readonly absoluteTerms?: LossTerms;
  /**
   * Terms of the squared-error model (default `quadratic`): the expected squared error grows
   * with the square of the error's scale, which a model linear in the features cannot follow.
   */
  readonly squaredTerms?: LossTerms;
}

/** Labelled reference rows: features, the monitored model's predictions and the true values. */
export interface DirectLossReference {
  readonly features: DenseMatrix;
  readonly predictions: ArrayLike<number>;
  readonly targets: ArrayLike<number>;
}

/** One fitted loss model: loss ≈ intercept + sum_j weights[j] (t_j - means[j]) / scales[j] over its terms t. */
export interface LossModelJson {
  readonly terms: LossTerms;
  readonly intercept: number;
  readonly weights: number[];
  /** Per term: reference mean and standard deviation (ddof 0; 1 for a constant term). */
  readonly means: number[];
  readonly scales: number[];
  /**
   * Standard deviation of the reference's realised loss around the model's (floored)
   * prediction, with n - terms - 1 degrees of freedom: the scatter of a row's loss the model
   * cannot explain, which is what a window's realised mean scatters by around the estimate.
   * Absent in fits saved before it was kept, and when the reference has no more rows than the
   * model has terms plus one (the residuals would be fitted to 0).
   */
  readonly residualSd?: number;
}

/** Saved form of a fitted estimator. */
export interface DirectLossEstimatorJson {
  readonly schemaVersion: number;
  readonly featureCount: number;
  readonly ridge: number;
  readonly absolute: LossModelJson;
  readonly squared: LossModelJson;
  /** Labelled reference rows the models were fitted on (absent in fits saved before it was kept). */
  readonly referenceRows?: number;
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
    if (!(Number.isFinite(ridge) && ridge > 0)) {
      throw new InvalidArgumentError(`ridge: expected a finite number > 0, got ${ridge}`);
    }
    const absoluteTerms = checkTerms(options.absoluteTerms ?? 'linear', 'absoluteTerms');
    const squaredTerms = checkTerms(options.squaredTerms ?? 'quadratic', 'squaredTerms');
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
    const absoluteLoss = new Float64Array(features.rows);
    const squaredLoss = new Float64Array(features.rows);
    for (let i = 0; i < features.rows; i++) {
      const error = targets[i]! - predictions[i]!;
      absoluteLoss[i] = Math.abs(error);
      squaredLoss[i] = error * error;
    }
    return new DirectLossEstimator({
      schemaVersion: DIRECT_LOSS_SCHEMA_VERSION,
      featureCount: features.cols,
      ridge,
      absolute: fitLossModel(features, predictions, absoluteLoss, absoluteTerms, ridge),
      squared: fitLossModel(features, predictions, squaredLoss, squaredTerms, ridge),
      referenceRows: features.rows,
    });
  }

  /**
   * What the interval of a window's estimate needs from the fit (libs/stats'
   * `directLossVariance`): the reference's size and each loss model's residual spread.
   * Undefined for a fit saved before they were kept or one without a residual spread.
   */
  get samplingError(): DirectLossSamplingError | undefined {
    const { referenceRows, absolute, squared } = this.#json;
    if (referenceRows === undefined || absolute.residualSd === undefined || squared.residualSd === undefined)
      return undefined;
    return {
      referenceRows,
      absoluteResidualSd: absolute.residualSd,
      squaredResidualSd: squared.residualSd,
    };
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
    return {
      absolute: predictLoss(this.#json.absolute, features, predictions),
      squared: predictLoss(this.#json.squared, features, predictions),
    };
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
   * @throws InvalidArgumentError for another schema version or inconsistent lengths or values, naming the field.
   */
  static fromJSON(json: DirectLossEstimatorJson): DirectLossEstimator {
    if (json.schemaVersion !== DIRECT_LOSS_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${DIRECT_LOSS_SCHEMA_VERSION}, got ${json.schemaVersion}`,
      );
    }
    const count = json.featureCount;
    if (!(Number.isInteger(count) && count >= 0 && count <= MAX_DIRECT_LOSS_FEATURES)) {
      throw new InvalidArgumentError(
        `featureCount: expected an integer in [0, ${MAX_DIRECT_LOSS_FEATURES}], got ${count}`,
      );
    }
    if (!(Number.isFinite(json.ridge) && json.ridge > 0)) {
      throw new InvalidArgumentError(`ridge: expected a finite number > 0, got ${json.ridge}`);
    }
    checkLossModelJson(json.absolute, count, 'absolute');
    checkLossModelJson(json.squared, count, 'squared');
    if (
      json.referenceRows !== undefined &&
      !(Number.isSafeInteger(json.referenceRows) && json.referenceRows >= MIN_DIRECT_LOSS_REFERENCE_ROWS)
    ) {
      throw new InvalidArgumentError(
        `referenceRows: expected an integer >= ${MIN_DIRECT_LOSS_REFERENCE_ROWS}, got ${json.referenceRows}`,
      );
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

function termCount(featureCount: number, terms: LossTerms): number {
  return (featureCount + 1) * (terms === 'quadratic' ? 2 : 1);
}

function checkTerms(terms: LossTerms, field: string): LossTerms {
  if (terms !== 'linear' && terms !== 'quadratic') {
    throw new InvalidArgumentError(`${field}: expected 'linear' or 'quadratic', got ${String(terms)}`);
  }
  return terms;
}

/** Row i's terms: features, prediction, then (quadratic) their squares. */
function writeTerms(
  features: DenseMatrix,
  predictions: ArrayLike<number>,
  i: number,
  terms: LossTerms,
  out: Float64Array,
): void {
  const p = features.cols;
  for (let j = 0; j < p; j++) out[j] = features.data[i * p + j]!;
  out[p] = predictions[i]!;
  if (terms === 'quadratic') for (let j = 0; j <= p; j++) out[p + 1 + j] = out[j]! * out[j]!;
}

/**
 * Ridge regression of `loss` on the standardised terms: the intercept is the mean loss (not
 * penalised) and the weights solve (ZᵀZ + ridge n I) w = Zᵀ(loss - mean), sklearn's
 * `Ridge(alpha = ridge * n)` on the same standardised terms.
 */
function fitLossModel(
  features: DenseMatrix,
  predictions: ArrayLike<number>,
  loss: Float64Array,
  terms: LossTerms,
  ridge: number,
): LossModelJson {
  const n = features.rows;
  const k = termCount(features.cols, terms);
  const raw = new Float64Array(n * k);
  for (let i = 0; i < n; i++) writeTerms(features, predictions, i, terms, raw.subarray(i * k));
  const means = new Array<number>(k).fill(0);
  const scales = new Array<number>(k).fill(1);
  for (let j = 0; j < k; j++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += raw[i * k + j]!;
    const mean = sum / n;
    let squares = 0;
    for (let i = 0; i < n; i++) squares += (raw[i * k + j]! - mean) ** 2;
    const sd = Math.sqrt(squares / n);
    means[j] = mean;
    scales[j] = sd > 0 ? sd : 1;
  }
  const design = new Matrix(n, k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) design.set(i, j, (raw[i * k + j]! - means[j]!) / scales[j]!);
  }
  const gram = design.transpose().mmul(design);
  for (let j = 0; j < k; j++) gram.set(j, j, gram.get(j, j) + ridge * n);
  const intercept = loss.reduce((a, b) => a + b, 0) / n;
  const centred = Matrix.columnVector(Array.from(loss, (v) => v - intercept));
  const weights = new CholeskyDecomposition(gram).solve(design.transpose().mmul(centred)).getColumn(0);
  const model: LossModelJson = { terms, intercept, weights, means, scales };
  const degreesOfFreedom = n - k - 1;
  if (degreesOfFreedom < 1) return model;
  const fitted = predictLoss(model, features, predictions);
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (loss[i]! - fitted[i]!) ** 2;
  return { ...model, residualSd: Math.sqrt(squares / degreesOfFreedom) };
}

function predictLoss(
  model: LossModelJson,
  features: DenseMatrix,
  predictions: ArrayLike<number>,
): Float64Array {
  const k = model.means.length;
  const row = new Float64Array(k);
  const out = new Float64Array(features.rows);
  for (let i = 0; i < features.rows; i++) {
    writeTerms(features, predictions, i, model.terms, row);
    let loss = model.intercept;
    for (let j = 0; j < k; j++) loss += (model.weights[j]! * (row[j]! - model.means[j]!)) / model.scales[j]!;
    out[i] = Math.max(loss, 0);
  }
  return out;
}

function checkLossModelJson(model: LossModelJson, featureCount: number, name: string): void {
  if (typeof model !== 'object' || model === null) {
    throw new InvalidArgumentError(`${name}: expected a loss model object`);
  }
  checkTerms(model.terms, `${name}.terms`);
  const k = termCount(featureCount, model.terms);
  for (const field of ['weights', 'means', 'scales'] as const) {
    const values = model[field];
    if (!(Array.isArray(values) && values.length === k && values.every(Number.isFinite))) {
      throw new InvalidArgumentError(`${name}.${field}: expected ${k} finite numbers`);
    }
  }
  if (!model.scales.every((v) => v > 0))
    throw new InvalidArgumentError(`${name}.scales: expected every scale > 0`);
  if (!Number.isFinite(model.intercept)) {
    throw new InvalidArgumentError(`${name}.intercept: expected a finite number, got ${model.intercept}`);
  }
  if (model.residualSd !== undefined && !(Number.isFinite(model.residualSd) && model.residualSd >= 0)) {
    throw new InvalidArgumentError(
      `${name}.residualSd: expected a finite number >= 0, got ${model.residualSd}`,
    );
  }
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
