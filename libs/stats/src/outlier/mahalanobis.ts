import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { assertFiniteMatrix, type DenseMatrix } from '../matrix.js';
import { minCovDetSteps, runSteps } from './min-cov-det.js';

/**
 * A column whose residual variance, after regressing it on the columns before it, is below
 * this share of its own variance is taken as a linear combination of them (the covariance is
 * singular to working precision). At this point the covariance's condition number exceeds
 * about 1e10, so squared distances would carry at most ~6 correct digits.
 */
export const MAHALANOBIS_MIN_RESIDUAL_SHARE = 1e-10;
/**
 * In the collinearity message, a column is named as taking part when its coefficient (in
 * standardised units) is above this share of the largest one.
 */
const COLLINEAR_COEFFICIENT_SHARE = 1e-6;
/**
 * Most columns fitted by default: the co-moment matrix holds d² doubles (8 MB at 1,000) and the
 * factorisation costs d³/6 operations. Raise with `maxColumns`.
 */
export const DEFAULT_MAHALANOBIS_MAX_COLUMNS = 1_000;
/** Version of {@link MahalanobisJson}. */
export const MAHALANOBIS_SCHEMA_VERSION = 1;

/** Options of {@link Mahalanobis.fit}. */
export interface MahalanobisOptions {
  /**
   * Added to the covariance's diagonal before it is inverted (as scikit-learn's GaussianMixture
   * `reg_covar`), in the data's squared units; default 0 (off). With a value > 0 a constant or
   * collinear column no longer makes the fit fail.
   */
  readonly regularization?: number;
  /** Column names for error messages (default `column 0`, `column 1` ...). */
  readonly columnNames?: readonly string[];
  /**
   * Robust location and covariance by the Minimum Covariance Determinant ({@link minCovDet},
   * scikit-learn's `MinCovDet`) instead of the mean and covariance of every row (default false).
   * A robust fit cannot be updated or merged (the MCD is not a sum over rows).
   */
  readonly robust?: boolean;
  /** MCD's support share (see {@link minCovDet}); only with `robust`. */
  readonly supportFraction?: number;
  /** Seed of MCD's random starts (default 0); only with `robust`. */
  readonly seed?: number;
  /** Refuse more columns (default {@link DEFAULT_MAHALANOBIS_MAX_COLUMNS}). */
  readonly maxColumns?: number;
}

/** The scalar part of a saved {@link Mahalanobis}. */
export interface MahalanobisJson {
  readonly schemaVersion: number;
  readonly columns: number;
  /** Rows seen (reference plus every update). */
  readonly count: number;
  readonly regularization: number;
  readonly columnNames?: readonly string[];
  /** True for an MCD fit: `count` is then its reweighted support's size, `comoment` (count - 1) x its covariance. */
  readonly robust?: boolean;
}

/**
 * A fit as plain data: JSON plus typed arrays. `comoment` is the d x d sum of outer products of
 * deviations from the mean (row-major), from which the covariance is comoment / (count - 1);
 * `min` and `max` per column tell a constant column exactly.
 */
export interface MahalanobisState {
  readonly json: MahalanobisJson;
  readonly arrays: {
    readonly mean: Float64Array;
    readonly comoment: Float64Array;
    readonly min: Float64Array;
    readonly max: Float64Array;
  };
}

/** Count, mean, co-moment matrix and column ranges of a set of rows. */
interface Moments {
  readonly count: number;
  readonly mean: Float64Array;
  readonly comoment: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
}

/**
 * Squared Mahalanobis distance to a reference: (x - mean)' S^-1 (x - mean) with the reference's
 * mean and its ddof = 1 covariance S (numpy's `np.cov`), what scikit-learn's
 * `EmpiricalCovariance.mahalanobis` returns (it uses the ddof = 0 covariance: distances here are
 * (n - 1) / n times its). S is factored once (Cholesky of the correlation matrix); a singular S
 * is refused naming the constant or collinear columns, unless `regularization` is set.
 *
 * `update(batch)` adds rows: the moments are merged exactly (Chan, Golub and LeVeque's pairwise
 * update), so a fit updated batch by batch equals a fit on all the rows to rounding.
 */
export class Mahalanobis {
  private constructor(
    private readonly moments: Moments,
    private readonly regularization: number,
    private readonly names: readonly string[] | undefined,
    private readonly robust: boolean,
    /** Per-column scale: sqrt of the (regularised) covariance's diagonal. */
    private readonly scale: Float64Array,
    /** Lower Cholesky factor of the correlation matrix, row-major d x d. */
    private readonly factor: Float64Array,
  ) {}

  /** Number of columns. */
  get columns(): number {
    return this.moments.mean.length;
  }

  /** Rows seen (reference plus updates). */
  get count(): number {
    return this.moments.count;
  }

  /** A copy of the mean. */
  get mean(): Float64Array {
    return this.moments.mean.slice();
  }

  /** A copy of the ddof = 1 covariance (row-major d x d), without the regularisation. */
  get covariance(): Float64Array {
    const n = this.moments.count;
    return this.moments.comoment.map((v) => v / (n - 1));
  }

  /**
   * Fits on a reference (rows x features, finite).
   * @throws InvalidArgumentError for NaN/Inf (naming row and column), too few rows, a bad option,
   * or (without regularisation) a singular covariance, naming the constant or collinear columns.
   * @throws ResourceExhaustedError above `maxColumns`.
   */
  static fit(reference: DenseMatrix, options: MahalanobisOptions = {}): Mahalanobis {
    return runSteps(Mahalanobis.fitSteps(reference, options));
  }

  /**
   * {@link fit} as steps: the generator yields after each C-step of a robust fit (a plain fit
   * has none), so a caller can turn the event loop between them; it returns fit's model,
   * exactly. Checks run at the first `next()`, throwing as {@link fit}.
   */
  static *fitSteps(
    reference: DenseMatrix,
    options: MahalanobisOptions = {},
  ): Generator<void, Mahalanobis, void> {
    const regularization = options.regularization ?? 0;
    if (!(regularization >= 0 && Number.isFinite(regularization))) {
      throw new InvalidArgumentError(`regularization: expected a finite number >= 0, got ${regularization}`);
    }
    if (reference.cols < 1) throw new InvalidArgumentError('reference: at least one column is required');
    const maxColumns = options.maxColumns ?? DEFAULT_MAHALANOBIS_MAX_COLUMNS;
    if (reference.cols > maxColumns) {
      throw new ResourceExhaustedError(
        `reference: ${reference.cols} columns exceed maxColumns ${maxColumns} (the covariance holds columns² values); reduce the features or raise the limit`,
      );
    }
    if (options.columnNames && options.columnNames.length !== reference.cols) {
      throw new InvalidArgumentError(
        `columnNames: ${options.columnNames.length} names for ${reference.cols} columns`,
      );
    }
    assertFiniteMatrix(reference, 'reference');
    const plain = Mahalanobis.build(
      batchMoments(reference),
      regularization,
      options.columnNames,
      false,
      'reference',
    );
    if (!options.robust) return plain;
    // The plain fit has named any constant or collinear column; the MCD then picks the rows.
    const mcd = yield* minCovDetSteps(reference, {
      ...(options.supportFraction !== undefined && { supportFraction: options.supportFraction }),
      ...(options.seed !== undefined && { seed: options.seed }),
    });
    const count = mcd.support.reduce((s, v) => s + v, 0);
    const moments: Moments = {
      count,
      mean: mcd.location,
      comoment: mcd.covariance.map((v) => v * (count - 1)),
      min: plain.moments.min,
      max: plain.moments.max,
    };
    return Mahalanobis.build(moments, regularization, options.columnNames, true, 'reference');
  }

  /** Whether this is a robust (MCD) fit. */
  get isRobust(): boolean {
    return this.robust;
  }

  /**
   * This fit with `batch`'s rows added (a new instance; this one is unchanged).
   * @throws InvalidArgumentError for a wrong column count, NaN/Inf, or a covariance that became singular.
   */
  update(batch: DenseMatrix): Mahalanobis {
    this.refuseRobust('update');
    this.checkBatch(batch);
    if (batch.rows === 0) return this;
    return Mahalanobis.build(
      mergeMoments(this.moments, batchMoments(batch)),
      this.regularization,
      this.names,
      false,
      'batch',
    );
  }

  /**
   * The fit of both row sets (for fits made apart, e.g. on replicas); the options of this one.
   * @throws InvalidArgumentError when the column counts differ.
   */
  merge(other: Mahalanobis): Mahalanobis {
    this.refuseRobust('merge');
    other.refuseRobust('merge');
    if (other.columns !== this.columns) {
      throw new InvalidArgumentError(`merge: ${other.columns} columns, this fit has ${this.columns}`);
    }
    return Mahalanobis.build(
      mergeMoments(this.moments, other.moments),
      this.regularization,
      this.names,
      false,
      'merge',
    );
  }

  /**
   * Squared Mahalanobis distance of each row (>= 0; its mean over the reference rows is
   * d (n - 1) / n without regularisation).
   * @throws InvalidArgumentError for a wrong column count or NaN/Inf.
   */
  squaredDistances(batch: DenseMatrix): Float64Array {
    this.checkBatch(batch);
    const d = this.columns;
    const { mean } = this.moments;
    const { scale, factor } = this;
    const z = new Float64Array(d);
    const out = new Float64Array(batch.rows);
    const data = batch.data;
    for (let i = 0; i < batch.rows; i++) {
      // Forward substitution L z = (x - mean) / scale; the distance is |z|^2.
      let sum = 0;
      for (let j = 0; j < d; j++) {
        let v = (data[i * d + j]! - mean[j]!) / scale[j]!;
        const row = j * d;
        for (let k = 0; k < j; k++) v -= factor[row + k]! * z[k]!;
        v /= factor[row + j]!;
        z[j] = v;
        sum += v * v;
      }
      out[i] = sum;
    }
    return out;
  }

  /** JSON and typed arrays (no copies: do not modify them). */
  toState(): MahalanobisState {
    const { count, mean, comoment, min, max } = this.moments;
    return {
      json: {
        schemaVersion: MAHALANOBIS_SCHEMA_VERSION,
        columns: mean.length,
        count,
        regularization: this.regularization,
        ...(this.names && { columnNames: this.names }),
        ...(this.robust && { robust: true }),
      },
      arrays: { mean, comoment, min, max },
    };
  }

  /**
   * Restores a fit saved by {@link toState} (the factorisation is recomputed, so a save that
   * became singular is refused as at fit).
   * @throws InvalidArgumentError naming the first inconsistency.
   */
  static fromState(state: MahalanobisState): Mahalanobis {
    const { json, arrays } = state;
    if (json.schemaVersion !== MAHALANOBIS_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `mahalanobis: schemaVersion ${json.schemaVersion} is not supported (expected ${MAHALANOBIS_SCHEMA_VERSION})`,
      );
    }
    const d = json.columns;
    if (!(Number.isInteger(d) && d >= 1))
      throw new InvalidArgumentError(`mahalanobis: columns ${d} is not a positive integer`);
    if (!(Number.isInteger(json.count) && json.count >= 1)) {
      throw new InvalidArgumentError(`mahalanobis: count ${json.count} is not a positive integer`);
    }
    if (!(json.regularization >= 0 && Number.isFinite(json.regularization))) {
      throw new InvalidArgumentError(
        `mahalanobis: regularization ${json.regularization} is not a finite number >= 0`,
      );
    }
    for (const [name, array, length] of [
      ['mean', arrays.mean, d],
      ['comoment', arrays.comoment, d * d],
      ['min', arrays.min, d],
      ['max', arrays.max, d],
    ] as const) {
      if (array.length !== length) {
        throw new InvalidArgumentError(`mahalanobis: ${name} has ${array.length} values, expected ${length}`);
      }
      if (!array.every(Number.isFinite))
        throw new InvalidArgumentError(`mahalanobis: ${name} holds a non-finite value`);
    }
    if (json.columnNames && json.columnNames.length !== d) {
      throw new InvalidArgumentError(`mahalanobis: ${json.columnNames.length} column names for ${d} columns`);
    }
    const moments: Moments = {
      count: json.count,
      mean: Float64Array.from(arrays.mean),
      comoment: Float64Array.from(arrays.comoment),
      min: Float64Array.from(arrays.min),
      max: Float64Array.from(arrays.max),
    };
    return Mahalanobis.build(
      moments,
      json.regularization,
      json.columnNames,
      json.robust === true,
      'mahalanobis',
    );
  }

  private static build(
    moments: Moments,
    regularization: number,
    names: readonly string[] | undefined,
    robust: boolean,
    field: string,
  ): Mahalanobis {
    const d = moments.mean.length;
    const n = moments.count;
    const label = (j: number) => (names ? `"${names[j]}"` : `column ${j}`);
    if (n < 2) {
      throw new InvalidArgumentError(`${field}: at least 2 rows are required for a covariance, got ${n}`);
    }
    if (regularization === 0) {
      if (n < d + 1) {
        throw new InvalidArgumentError(
          `${field}: ${n} rows give a singular covariance for ${d} columns (at least ${d + 1} rows are needed), or set regularization > 0`,
        );
      }
      const constant: number[] = [];
      for (let j = 0; j < d; j++) if (moments.min[j] === moments.max[j]) constant.push(j);
      if (constant.length > 0) {
        throw new InvalidArgumentError(
          `${field}: the covariance is singular: ${constant.map((j) => `${label(j)} is constant (${moments.min[j]})`).join(', ')}; drop ${constant.length > 1 ? 'them' : 'it'} or set regularization > 0`,
        );
      }
    }
    const scale = new Float64Array(d);
    for (let j = 0; j < d; j++) scale[j] = Math.sqrt(moments.comoment[j * d + j]! / (n - 1) + regularization);
    // Cholesky of the correlation matrix R = S_jk / (scale_j scale_k): its pivots are the
    // residual variance shares, which makes the collinearity test scale-free.
    const factor = new Float64Array(d * d);
    for (let j = 0; j < d; j++) {
      for (let k = 0; k <= j; k++) {
        let v = moments.comoment[j * d + k]! / (n - 1);
        if (j === k) v += regularization;
        v /= scale[j]! * scale[k]!;
        for (let m = 0; m < k; m++) v -= factor[j * d + m]! * factor[k * d + m]!;
        if (k < j) {
          factor[j * d + k] = v / factor[k * d + k]!;
        } else {
          if (!(v > MAHALANOBIS_MIN_RESIDUAL_SHARE)) {
            throw new InvalidArgumentError(
              `${field}: the covariance is singular: ${label(j)} is a linear combination of ${collinearWith(
                factor,
                d,
                j,
              )
                .map(label)
                .join(
                  ', ',
                )} (residual variance share ${v.toExponential(1)} < ${MAHALANOBIS_MIN_RESIDUAL_SHARE}); drop one of them or set regularization > 0`,
            );
          }
          factor[j * d + j] = Math.sqrt(v);
        }
      }
    }
    return new Mahalanobis(moments, regularization, names, robust, scale, factor);
  }

  private refuseRobust(what: string): void {
    if (this.robust) {
      throw new FailedPreconditionError(
        `${what}: a robust (MCD) fit cannot be updated or merged (its support is chosen over all rows at once); refit on the rows`,
      );
    }
  }

  private checkBatch(batch: DenseMatrix): void {
    if (batch.cols !== this.columns) {
      throw new InvalidArgumentError(
        `batch: expected ${this.columns} columns as the reference, got ${batch.cols}`,
      );
    }
    assertFiniteMatrix(batch, 'batch');
  }
}

/**
 * The earlier columns that column `j` is (nearly) a combination of: the regression coefficients
 * b = L' ^-1 l_j over the first j columns, where l_j is row j of the factor so far.
 */
function collinearWith(factor: Float64Array, d: number, j: number): number[] {
  const b = new Float64Array(j);
  for (let k = j - 1; k >= 0; k--) {
    let v = factor[j * d + k]!;
    for (let m = k + 1; m < j; m++) v -= factor[m * d + k]! * b[m]!;
    b[k] = v / factor[k * d + k]!;
  }
  const largest = b.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
  const involved: number[] = [];
  for (let k = 0; k < j; k++) if (Math.abs(b[k]!) > COLLINEAR_COEFFICIENT_SHARE * largest) involved.push(k);
  return involved;
}

/** Two-pass moments of a batch (the mean first, then centred products: no cancellation). */
function batchMoments(m: DenseMatrix): Moments {
  const { rows: n, cols: d, data } = m;
  const mean = new Float64Array(d);
  const min = new Float64Array(d).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(d).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j]!;
      mean[j]! += v;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const comoment = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[j] = data[i * d + j]! - mean[j]!;
    for (let j = 0; j < d; j++) {
      const cj = centred[j]!;
      for (let k = 0; k <= j; k++) comoment[j * d + k]! += cj * centred[k]!;
    }
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) comoment[k * d + j] = comoment[j * d + k]!;
  return { count: n, mean, comoment, min, max };
}

/** Chan et al.'s pairwise merge: the moments of the union of two row sets. */
function mergeMoments(a: Moments, b: Moments): Moments {
  const d = a.mean.length;
  const count = a.count + b.count;
  const delta = new Float64Array(d);
  const mean = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    delta[j] = b.mean[j]! - a.mean[j]!;
    mean[j] = a.mean[j]! + (delta[j]! * b.count) / count;
  }
  const weight = (a.count * b.count) / count;
  const comoment = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      comoment[j * d + k] = a.comoment[j * d + k]! + b.comoment[j * d + k]! + delta[j]! * delta[k]! * weight;
    }
  }
  return {
    count,
    mean,
    comoment,
    min: a.min.map((v, j) => Math.min(v, b.min[j]!)),
    max: a.max.map((v, j) => Math.max(v, b.max[j]!)),
  };
}
