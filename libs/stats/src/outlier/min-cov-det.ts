import { InvalidArgumentError } from '@sightline/errors';
import { assertFiniteMatrix, type DenseMatrix } from '../matrix.js';
import { type SeededRandom, seededRandom } from '../random/seeded-random.js';
import { chiSquaredSf } from '../univariate/chi2-contingency.js';

/** C-steps of a full refinement (scikit-learn's `_c_step` default `remaining_iterations`). */
const MCD_MAX_C_STEPS = 30;
/** C-steps of a random start before the best starts are refined (scikit-learn's `n_iter=2`). */
const MCD_START_C_STEPS = 2;
/** Random starts on a reference of at most {@link MCD_SUBSET_THRESHOLD_ROWS} rows, and the best kept. */
const MCD_TRIALS = 30;
const MCD_BEST = 10;
/** Above this many rows FastMCD works on subsets of ~300 rows, then on a merged set of <= 1,500. */
const MCD_SUBSET_THRESHOLD_ROWS = 500;
const MCD_SUBSET_ROWS = 300;
const MCD_TRIALS_TOTAL = 500;
const MCD_MERGED_ROWS = 1_500;

/** Options of {@link minCovDet}; the names are scikit-learn's, in camelCase. */
export interface MinCovDetOptions {
  /**
   * Share of the rows in the raw support, in (0, 1]: h = floor(share x n). Default
   * ceil((n + d + 1) / 2) rows, the largest breakdown point.
   */
  readonly supportFraction?: number;
  /** Seed of the random starts (default 0). */
  readonly seed?: number;
}

/** scikit-learn's `MinCovDet` fitted attributes. */
export interface MinCovDetResult {
  /** Reweighted location and covariance (`location_`, `covariance_`: the ddof = 0 covariance of the support). */
  readonly location: Float64Array;
  /** Row-major d x d. */
  readonly covariance: Float64Array;
  /** 1 for the rows in the reweighted support (`support_`). */
  readonly support: Uint8Array;
  /** The raw FastMCD estimate (`raw_location_`, `raw_covariance_`, `raw_support_`). */
  readonly rawLocation: Float64Array;
  readonly rawCovariance: Float64Array;
  readonly rawSupport: Uint8Array;
}

/** One C-step run's outcome: an h-subset and its estimate. */
interface Estimate {
  readonly location: Float64Array;
  readonly covariance: Float64Array;
  /** log det(covariance), -Infinity when it is singular. */
  readonly logDet: number;
  readonly support: Uint8Array;
  readonly dist: Float64Array;
}

/**
 * Robust location and covariance by the Minimum Covariance Determinant, as scikit-learn's
 * `MinCovDet` (Rousseeuw and Van Driessen's FastMCD, read from
 * `sklearn/covariance/_robust_covariance.py` of 1.2.1): random h-subsets refined by C-steps
 * (re-select the h rows nearest under the current estimate until the determinant stops
 * falling), the same numbers of starts, subsets and merges; one column uses the exact
 * univariate algorithm. The raw distances are then corrected for consistency (divided by
 * their median over the chi-squared(d) median) and the rows with a corrected distance below
 * the chi-squared(d) 0.975 quantile form the reweighted support, whose mean and ddof = 0
 * covariance are the result. The random starts come from `seededRandom`, not numpy: on data
 * with a clear majority both find the same support (tested), elsewhere the supports may
 * differ as two scikit-learn seeds may.
 * @throws InvalidArgumentError for NaN/Inf, fewer than 2 rows, a bad option, or a support
 * whose covariance is singular (more than h rows on a hyperplane; use the non-robust fit).
 */
export function minCovDet(x: DenseMatrix, options: MinCovDetOptions = {}): MinCovDetResult {
  return runSteps(minCovDetSteps(x, options));
}

/**
 * {@link minCovDet} as steps: the generator yields after each C-step (the unit of its cost),
 * so a caller can turn the event loop between steps; its return value is minCovDet's result,
 * exactly. Options are checked at the first `next()`.
 */
export function* minCovDetSteps(
  x: DenseMatrix,
  options: MinCovDetOptions = {},
): Generator<void, MinCovDetResult, void> {
  const { rows: n, cols: d } = x;
  if (d < 1) throw new InvalidArgumentError('reference: at least one column is required');
  if (n < 2) throw new InvalidArgumentError(`reference: at least 2 rows are required, got ${n}`);
  assertFiniteMatrix(x, 'reference');
  const fraction = options.supportFraction;
  if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) {
    throw new InvalidArgumentError(`supportFraction: expected a number in (0, 1], got ${fraction}`);
  }
  const h = fraction === undefined ? Math.ceil(0.5 * (n + d + 1)) : Math.floor(fraction * n);
  if (h < d + 1) {
    throw new InvalidArgumentError(
      `supportFraction: a support of ${h} rows cannot give a regular covariance for ${d} columns (at least ${d + 1} rows)`,
    );
  }
  const random = seededRandom(options.seed ?? 0);
  const raw = d === 1 ? univariateMcd(x, h) : yield* fastMcd(x, h, random);
  if (!Number.isFinite(raw.logDet)) {
    throw new InvalidArgumentError(
      `reference: the covariance of the ${h}-row MCD support is singular (more than ${h} rows lie on a hyperplane); use the non-robust covariance or a larger supportFraction`,
    );
  }
  // Consistency correction (scikit-learn's correct_covariance: only the distances are kept).
  const correction = median(raw.dist) / chiSquaredIsf(0.5, d);
  const cutoff = chiSquaredIsf(0.025, d);
  const support = new Uint8Array(n);
  for (let i = 0; i < n; i++) support[i] = raw.dist[i]! / correction < cutoff ? 1 : 0;
  const { location, covariance } = supportMoments(x, support);
  return {
    location,
    covariance,
    support,
    rawLocation: raw.location,
    rawCovariance: raw.covariance,
    rawSupport: raw.support,
  };
}

/** scikit-learn's `fast_mcd` for d > 1. */
function* fastMcd(x: DenseMatrix, h: number, random: SeededRandom): Generator<void, Estimate, void> {
  const n = x.rows;
  if (n <= MCD_SUBSET_THRESHOLD_ROWS) {
    const starts = yield* selectCandidates(
      x,
      h,
      randomStarts(MCD_TRIALS),
      MCD_BEST,
      MCD_START_C_STEPS,
      random,
    );
    return (yield* selectCandidates(x, h, fromEstimates(starts), 1, MCD_MAX_C_STEPS, random))[0]!;
  }
  const subsets = Math.floor(n / MCD_SUBSET_ROWS);
  const subsetRows = Math.floor(n / subsets);
  const shuffled = permutation(n, random);
  const hSubset = Math.ceil(subsetRows * (h / n));
  const trials = Math.max(MCD_BEST, Math.floor(MCD_TRIALS_TOTAL / subsets));
  const best: Estimate[] = [];
  for (let s = 0; s < subsets; s++) {
    const subset = takeRows(x, shuffled.subarray(s * subsetRows, (s + 1) * subsetRows));
    best.push(
      ...(yield* selectCandidates(
        subset,
        hSubset,
        randomStarts(trials),
        MCD_BEST,
        MCD_START_C_STEPS,
        random,
      )),
    );
  }
  const mergedRows = Math.min(MCD_MERGED_ROWS, n);
  const hMerged = Math.ceil(mergedRows * (h / n));
  const selection = permutation(n, random).subarray(0, mergedRows);
  const merged = takeRows(x, selection);
  const keep = n > MCD_MERGED_ROWS ? MCD_BEST : 1;
  const mergedBest = yield* selectCandidates(
    merged,
    hMerged,
    fromEstimates(best),
    keep,
    MCD_MAX_C_STEPS,
    random,
  );
  if (n < MCD_MERGED_ROWS) {
    // scikit-learn keeps the merged set's estimate, its support and distances on the selected rows.
    const top = mergedBest[0]!;
    const support = new Uint8Array(n);
    const dist = new Float64Array(n);
    selection.forEach((row, k) => {
      support[row] = top.support[k]!;
      dist[row] = top.dist[k]!;
    });
    return { ...top, support, dist };
  }
  return (yield* selectCandidates(x, h, fromEstimates(mergedBest), 1, MCD_MAX_C_STEPS, random))[0]!;
}

/** Starts of {@link selectCandidates}: `count` random h-subsets, or given estimates. */
type Starts = { readonly random: number } | { readonly estimates: readonly Estimate[] };
const randomStarts = (count: number): Starts => ({ random: count });
const fromEstimates = (estimates: readonly Estimate[]): Starts => ({ estimates });

/** scikit-learn's `select_candidates`: C-steps from every start, the `select` lowest determinants. */
function* selectCandidates(
  x: DenseMatrix,
  h: number,
  starts: Starts,
  select: number,
  steps: number,
  random: SeededRandom,
): Generator<void, Estimate[], void> {
  const results: Estimate[] = [];
  if ('random' in starts) {
    for (let t = 0; t < starts.random; t++) {
      const support = new Uint8Array(x.rows);
      for (const row of permutation(x.rows, random).subarray(0, h)) support[row] = 1;
      results.push(yield* cSteps(x, h, support, steps));
    }
  } else {
    for (const start of starts.estimates) {
      const dist = distances(x, start.location, precisionOf(start.covariance, x.cols));
      results.push(yield* cSteps(x, h, nearest(dist, h), steps));
    }
  }
  const order = results.map((_, k) => k).sort((a, b) => results[a]!.logDet - results[b]!.logDet || a - b);
  return order.slice(0, select).map((k) => results[k]!);
}

/** scikit-learn's `_c_step` from an initial support, including which estimate it returns. */
function* cSteps(
  x: DenseMatrix,
  h: number,
  initial: Uint8Array,
  steps: number,
): Generator<void, Estimate, void> {
  const d = x.cols;
  let support = initial;
  let { location, covariance } = supportMoments(x, support);
  let logDet = logDeterminant(covariance, d);
  let precision = Number.isFinite(logDet) ? new Float64Array(0) : precisionOf(covariance, d);
  let previous: Estimate | undefined;
  let remaining = steps;
  while (remaining > 0 && Number.isFinite(logDet) && (previous === undefined || logDet < previous.logDet)) {
    precision = precisionOf(covariance, d);
    const stepDist = distances(x, location, precision);
    previous = { location, covariance, logDet, support, dist: stepDist };
    support = nearest(stepDist, h);
    ({ location, covariance } = supportMoments(x, support));
    logDet = logDeterminant(covariance, d);
    remaining--;
    yield;
  }
  // As scikit-learn: the new location with the precision of the covariance before it.
  const dist = distances(x, location, precision);
  const current: Estimate = { location, covariance, logDet, support, dist };
  if (remaining === 0 || previous === undefined) return current;
  if (!Number.isFinite(logDet)) return current;
  if (Math.abs(logDet - previous.logDet) <= 1e-8 + 1e-5 * Math.abs(previous.logDet)) return current;
  return logDet > previous.logDet ? previous : current;
}

/** Runs steps to their end at once (the synchronous form of a stepped computation). */
export function runSteps<T>(steps: Generator<void, T, void>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** scikit-learn's exact univariate MCD (`fast_mcd` with one column). */
function univariateMcd(x: DenseMatrix, h: number): Estimate {
  const n = x.rows;
  const values = x.data;
  if (h >= n) {
    const support = new Uint8Array(n).fill(1);
    const { location, covariance } = supportMoments(x, support);
    return finishUnivariate(values, location[0]!, covariance[0]!, support);
  }
  const sorted = Float64Array.from(values).sort();
  let smallest = Number.POSITIVE_INFINITY;
  for (let k = 0; k + h < n; k++) smallest = Math.min(smallest, sorted[k + h]! - sorted[k]!);
  let sum = 0;
  let count = 0;
  for (let k = 0; k + h < n; k++) {
    if (sorted[k + h]! - sorted[k]! === smallest) {
      sum += sorted[k + h]! + sorted[k]!;
      count++;
    }
  }
  const centre = 0.5 * (sum / count);
  const distance = Float64Array.from(values, (v) => Math.abs(v - centre));
  const support = nearest(distance, h);
  const { covariance } = supportMoments(x, support);
  return finishUnivariate(values, centre, covariance[0]!, support);
}

function finishUnivariate(
  values: Float64Array,
  centre: number,
  variance: number,
  support: Uint8Array,
): Estimate {
  const dist = Float64Array.from(values, (v) => ((v - centre) * (v - centre)) / variance);
  return {
    location: Float64Array.of(centre),
    covariance: Float64Array.of(variance),
    logDet: variance > 0 ? Math.log(variance) : Number.NEGATIVE_INFINITY,
    support,
    dist,
  };
}

/** Mean and ddof = 0 covariance of the marked rows (two-pass). */
function supportMoments(
  x: DenseMatrix,
  support: Uint8Array,
): { location: Float64Array; covariance: Float64Array } {
  const { rows: n, cols: d, data } = x;
  const location = new Float64Array(d);
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (support[i] !== 1) continue;
    count++;
    for (let j = 0; j < d; j++) location[j]! += data[i * d + j]!;
  }
  for (let j = 0; j < d; j++) location[j]! /= count;
  const covariance = new Float64Array(d * d);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    if (support[i] !== 1) continue;
    for (let j = 0; j < d; j++) centred[j] = data[i * d + j]! - location[j]!;
    for (let j = 0; j < d; j++)
      for (let k = 0; k <= j; k++) covariance[j * d + k]! += centred[j]! * centred[k]!;
  }
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      covariance[j * d + k]! /= count;
      covariance[k * d + j] = covariance[j * d + k]!;
    }
  }
  return { location, covariance };
}

/** Lower Cholesky factor, or undefined when the matrix is not positive definite. */
function cholesky(a: Float64Array, d: number): Float64Array | undefined {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k <= j; k++) {
      let v = a[j * d + k]!;
      for (let m = 0; m < k; m++) v -= l[j * d + m]! * l[k * d + m]!;
      if (k < j) l[j * d + k] = v / l[k * d + k]!;
      else {
        if (!(v > 0)) return undefined;
        l[j * d + j] = Math.sqrt(v);
      }
    }
  }
  return l;
}

/** log det of a covariance (scikit-learn's `fast_logdet`: -Infinity unless positive definite). */
function logDeterminant(covariance: Float64Array, d: number): number {
  const l = cholesky(covariance, d);
  if (!l) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let j = 0; j < d; j++) sum += Math.log(l[j * d + j]!);
  return 2 * sum;
}

/**
 * The inverse of a covariance; for a singular one (where scikit-learn takes the pseudo-inverse
 * `pinvh`) a tiny ridge relative to its trace, enough to rank rows for the next C-step.
 */
function precisionOf(covariance: Float64Array, d: number): Float64Array {
  let l = cholesky(covariance, d);
  if (!l) {
    let trace = 0;
    for (let j = 0; j < d; j++) trace += covariance[j * d + j]!;
    const ridged = covariance.slice();
    for (let j = 0; j < d; j++) ridged[j * d + j]! += 1e-12 * (trace / d || 1);
    l = cholesky(ridged, d);
    if (!l) throw new InvalidArgumentError('reference: the MCD support covariance cannot be inverted');
  }
  // inverse = L^-T L^-1, column by column of L^-1.
  const inverseL = new Float64Array(d * d);
  for (let c = 0; c < d; c++) {
    for (let j = c; j < d; j++) {
      let v = j === c ? 1 : 0;
      for (let m = c; m < j; m++) v -= l[j * d + m]! * inverseL[m * d + c]!;
      inverseL[j * d + c] = v / l[j * d + j]!;
    }
  }
  const precision = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b <= a; b++) {
      let s = 0;
      for (let m = a; m < d; m++) s += inverseL[m * d + a]! * inverseL[m * d + b]!;
      precision[a * d + b] = s;
      precision[b * d + a] = s;
    }
  }
  return precision;
}

/** (x - location)' P (x - location) per row. */
function distances(x: DenseMatrix, location: Float64Array, precision: Float64Array): Float64Array {
  const { rows: n, cols: d, data } = x;
  const out = new Float64Array(n);
  const centred = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centred[j] = data[i * d + j]! - location[j]!;
    let s = 0;
    for (let j = 0; j < d; j++) {
      let t = 0;
      for (let k = 0; k < d; k++) t += precision[j * d + k]! * centred[k]!;
      s += centred[j]! * t;
    }
    out[i] = s;
  }
  return out;
}

/** The `h` rows of smallest distance (ties at the boundary by row index) as a 0/1 mask. */
function nearest(dist: Float64Array, h: number): Uint8Array {
  // A native typed-array sort finds the h-th smallest value; a comparator sort of indices is
  // several times slower and this runs once per C-step.
  const threshold = Float64Array.from(dist).sort()[h - 1]!;
  const mask = new Uint8Array(dist.length);
  let taken = 0;
  for (let i = 0; i < dist.length; i++) {
    if (dist[i]! < threshold) {
      mask[i] = 1;
      taken++;
    }
  }
  for (let i = 0; i < dist.length && taken < h; i++) {
    if (dist[i] === threshold) {
      mask[i] = 1;
      taken++;
    }
  }
  return mask;
}

function permutation(n: number, random: SeededRandom): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  random.shuffle(p);
  return p;
}

function takeRows(x: DenseMatrix, rows: Int32Array): DenseMatrix {
  const d = x.cols;
  const data = new Float64Array(rows.length * d);
  rows.forEach((row, k) => {
    data.set(x.data.subarray(row * d, (row + 1) * d), k * d);
  });
  return { rows: rows.length, cols: d, data };
}

/** numpy's median (mean of the two middle values for an even count). */
function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `scipy.stats.chi2(dof).isf(p)`: the x with survival function p, by bisection to the last bit. */
export function chiSquaredIsf(p: number, dof: number): number {
  let low = 0;
  let high = Math.max(1, dof);
  while (chiSquaredSf(high, dof) > p) high *= 2;
  for (let k = 0; k < 200; k++) {
    const mid = 0.5 * (low + high);
    if (mid === low || mid === high) break;
    if (chiSquaredSf(mid, dof) > p) low = mid;
    else high = mid;
  }
  return 0.5 * (low + high);
}
