import { FailedPreconditionError, InvalidArgumentError } from '@sightline/errors';
import { assertFiniteMatrix, type DenseMatrix, matrixColumn } from '../matrix.js';
import { seededRandom } from '../random/seeded-random.js';
import { ONLINE_STATE_SCHEMA_VERSION, type OnlineStateJson, type OnlineStep } from './online-step.js';
import {
  checkOnlineBudget,
  checkOnlineCommon,
  DEFAULT_CVM_ONLINE_BOOTSTRAPS,
  ONLINE_BUDGET_CHECK_EVERY,
  type OnlineBudget,
  runTimeQuantile,
} from './online-thresholds.js';

/** Most window sizes one detector takes: each is scored at every row. */
export const MAX_CVM_ONLINE_WINDOWS = 16;
/** The format version of {@link CvmOnlineFitJson}. */
export const CVM_ONLINE_SCHEMA_VERSION = 1;

/** Options of {@link CvmDriftOnline.fit}. */
export interface CvmOnlineOptions {
  /** Expected run time without drift, in rows, counted from the time the smallest window is full (Alibi's definition for univariate detectors). */
  readonly ert: number;
  /** Window lengths: each at least 1 and below half the reference rows (rule "online.window_size_range"). */
  readonly windowSizes: readonly number[];
  /** Bootstrap simulations (default {@link DEFAULT_CVM_ONLINE_BOOTSTRAPS}); should be well above ert. */
  readonly nBootstraps?: number;
  /** Seed of the simulated streams ({@link seededRandom}). */
  readonly seed: number;
  /** Deadline and cancellation of the configuration. */
  readonly budget?: OnlineBudget;
}

/** The fitted part of an online CVM detector, JSON-serialisable. */
export interface CvmOnlineFitJson {
  /** Format of this document ({@link CVM_ONLINE_SCHEMA_VERSION}). */
  readonly schemaVersion: 1;
  /** Expected run time, rows. */
  readonly ert: number;
  /** Window lengths, as given. */
  readonly windowSizes: number[];
  /** Bootstrap simulations used. */
  readonly nBootstraps: number;
  /** Seed used. */
  readonly seed: number;
  /** Reference rows the thresholds were simulated for. */
  readonly referenceRows: number;
  /** Features the per-step false-alarm rate was divided over. */
  readonly features: number;
  /** Threshold at 0-based step t = 0 .. 2 max(W) - 2 (null before the smallest window is full); later steps use the last. */
  readonly thresholds: (number | null)[];
}

/** One feature's sorted reference with the prefix sums of its empirical CDF at its own points. */
interface ReferenceColumn {
  readonly sorted: Float64Array;
  /** P1[k] = sum of F_ref(sorted[j]) for j < k. */
  readonly cdfSum: Float64Array;
  /** P2[k] = sum of F_ref(sorted[j])² for j < k. */
  readonly cdfSquareSum: Float64Array;
}

/**
 * Alibi Detect's `CVMDriftOnline` (`cd/cvm_online.py`, after Ross and Adams 2012): per feature,
 * the two-sample Cramér-von Mises statistic of each sliding window against the reference,
 * standardised by its mean and variance under the null (Anderson 1962, eqs. 3 and 14); drift
 * when the largest over windows and features exceeds the threshold of the current time.
 *
 * Thresholds: the statistic is rank-based, so its null distribution depends only on the sizes;
 * `nBootstraps` simulated streams (the ranks of 2 max(W) - 1 stream values among n reference
 * values, drawn as a uniformly random ordered subset of the pooled places, which is what
 * continuous draws give, as Alibi's normal draws) give at each time the (1 - beta) quantile of the largest statistic over windows
 * among the streams still without an alarm, beta = 1 - (1 - 1/ert)^(1/features) (features
 * assumed independent, as Alibi). Streams above the threshold are dropped (Alibi keeps those
 * <= it). One deliberate difference: Alibi's simulation (`_ids_to_stats`) evaluates the window
 * CDF term at stream positions t - W .. t - 1 (one place behind the window its scoring uses);
 * here the simulation computes exactly the statistic that scoring computes.
 *
 * Cost: the pooled-CDF sums come from the sorted reference and prefix sums of its CDF, so a
 * statistic costs O(W log n) instead of Alibi's O(nW) boolean sums; statistics are float64
 * (Alibi's scoring rounds them to float32).
 */
export class CvmDriftOnline {
  readonly #fit: CvmOnlineFitJson;
  readonly #columns: ReferenceColumn[];
  readonly #maxWindow: number;
  #time = 0;
  /** The newest min(time, max W) rows, oldest first. */
  #rows: Float64Array[] = [];

  private constructor(reference: DenseMatrix, fit: CvmOnlineFitJson) {
    this.#fit = fit;
    this.#maxWindow = Math.max(...fit.windowSizes);
    this.#columns = Array.from({ length: reference.cols }, (_, j) =>
      referenceColumn(matrixColumn(reference, j)),
    );
  }

  /**
   * Simulates the thresholds for `reference`'s size and feature count.
   * @throws InvalidArgumentError naming `ert`, `windowSizes` (rule "online.window_size_range") or
   *   `nBootstraps` (too few to reach the quantile), or a non-finite reference value.
   * @throws DeadlineExceededError (or the cancellation's reason) when the budget is spent.
   */
  static fit(reference: DenseMatrix, options: CvmOnlineOptions): CvmDriftOnline {
    const nBootstraps = options.nBootstraps ?? DEFAULT_CVM_ONLINE_BOOTSTRAPS;
    checkOnlineCommon(options.ert, nBootstraps, options.seed);
    checkCvmWindows(options.windowSizes, reference.rows);
    if (reference.cols === 0) throw new InvalidArgumentError('reference: at least one column is required');
    assertFiniteMatrix(reference, 'reference');
    const thresholds = configureCvmThresholds(reference.rows, reference.cols, { ...options, nBootstraps });
    return new CvmDriftOnline(reference, {
      schemaVersion: CVM_ONLINE_SCHEMA_VERSION,
      ert: options.ert,
      windowSizes: [...options.windowSizes],
      nBootstraps,
      seed: options.seed,
      referenceRows: reference.rows,
      features: reference.cols,
      thresholds: Array.from(thresholds, (v) => (Number.isNaN(v) ? null : v)),
    });
  }

  /**
   * Restores a fitted detector from its JSON and reference, at t = 0 (pass `state` to resume).
   * @throws FailedPreconditionError when the document does not fit the reference or is of another schema version.
   */
  static fromJson(reference: DenseMatrix, fit: CvmOnlineFitJson, state?: OnlineStateJson): CvmDriftOnline {
    if (fit.schemaVersion !== CVM_ONLINE_SCHEMA_VERSION) {
      throw new FailedPreconditionError(
        `CVM online: schema version ${String(fit.schemaVersion)} is not ${CVM_ONLINE_SCHEMA_VERSION}`,
      );
    }
    if (
      fit.referenceRows !== reference.rows ||
      fit.features !== reference.cols ||
      fit.windowSizes.length === 0 ||
      fit.thresholds.length !== 2 * Math.max(...fit.windowSizes) - 1
    ) {
      throw new FailedPreconditionError(
        `CVM online: the saved fit does not match its ${reference.rows} x ${reference.cols} reference`,
      );
    }
    const detector = new CvmDriftOnline(reference, fit);
    if (state) detector.restoreState(state);
    return detector;
  }

  /** The fitted part, for saving. */
  toJson(): CvmOnlineFitJson {
    return this.#fit;
  }

  /** Rows seen since the fit or the last reset. */
  get time(): number {
    return this.#time;
  }

  /** The threshold at time `t` (1-based, after t rows): Alibi's `get_threshold(t - 1)`; NaN before the smallest window is full. */
  threshold(t: number): number {
    const thresholds = this.#fit.thresholds;
    if (t < 1) return Number.NaN;
    return thresholds[Math.min(t - 1, thresholds.length - 1)] ?? Number.NaN;
  }

  /** Adds `row` and returns the verdict at the new time (Alibi's `predict`). */
  predict(row: ArrayLike<number>): OnlineStep {
    const x = this.#checkRow(row);
    this.#rows.push(x);
    if (this.#rows.length > this.#maxWindow) this.#rows.shift();
    this.#time += 1;
    const testStat = this.#largestStatistic(this.#rows, this.#time);
    const threshold = this.threshold(this.#time);
    return { isDrift: testStat > threshold, time: this.#time, testStat, threshold };
  }

  /** The largest statistic the windows would have after adding `row` (NaN while none would be full), leaving them as they are. */
  score(row: ArrayLike<number>): number {
    const x = this.#checkRow(row);
    const rows = [...this.#rows, x];
    if (rows.length > this.#maxWindow) rows.shift();
    return this.#largestStatistic(rows, this.#time + 1);
  }

  /**
   * Standardised statistics after the current time, per window size (in the order given) and
   * feature: `[window][feature]`, NaN where the window is not yet full.
   */
  statistics(): number[][] {
    return this.#fit.windowSizes.map((w) =>
      this.#columns.map((column, f) =>
        this.#time >= w ? windowStatistic(column, this.#windowValues(this.#rows, w, f)) : Number.NaN,
      ),
    );
  }

  /** Empties the windows and sets the time to 0 (Alibi's `reset_state`); the thresholds stay. */
  resetState(): void {
    this.#time = 0;
    this.#rows = [];
  }

  /** The running state, for saving. */
  stateJson(): OnlineStateJson {
    const window: number[] = [];
    for (const r of this.#rows) window.push(...r);
    return {
      schemaVersion: ONLINE_STATE_SCHEMA_VERSION,
      time: this.#time,
      cols: this.#columns.length,
      window,
    };
  }

  /**
   * Restores a running state saved by {@link stateJson}.
   * @throws FailedPreconditionError when it does not fit this detector.
   */
  restoreState(state: OnlineStateJson): void {
    const d = this.#columns.length;
    const kept = Math.min(state.time, this.#maxWindow);
    if (
      state.schemaVersion !== ONLINE_STATE_SCHEMA_VERSION ||
      state.cols !== d ||
      !Number.isInteger(state.time) ||
      state.time < 0 ||
      state.window.length !== kept * d ||
      !state.window.every(Number.isFinite)
    ) {
      throw new FailedPreconditionError(
        `CVM online: the saved state does not fit windows of ${this.#maxWindow} rows of ${d} columns`,
      );
    }
    this.#time = state.time;
    this.#rows = Array.from({ length: kept }, (_, i) =>
      Float64Array.from(state.window.slice(i * d, (i + 1) * d)),
    );
  }

  #checkRow(row: ArrayLike<number>): Float64Array {
    const d = this.#columns.length;
    if (row.length !== d) throw new InvalidArgumentError(`row: expected ${d} values, got ${row.length}`);
    for (let j = 0; j < d; j++) {
      if (!Number.isFinite(row[j]!))
        throw new InvalidArgumentError(`row, column ${j}: ${row[j]} is not allowed`);
    }
    return Float64Array.from(row);
  }

  #windowValues(rows: readonly Float64Array[], w: number, feature: number): Float64Array {
    const out = new Float64Array(w);
    for (let i = 0; i < w; i++) out[i] = rows[rows.length - w + i]![feature]!;
    return out;
  }

  #largestStatistic(rows: readonly Float64Array[], time: number): number {
    let largest = Number.NaN;
    for (const w of this.#fit.windowSizes) {
      if (time < w) continue;
      this.#columns.forEach((column, f) => {
        const s = windowStatistic(column, this.#windowValues(rows, w, f));
        if (!(s <= largest)) largest = s;
      });
    }
    return largest;
  }
}

/**
 * Checks the window lengths: one to {@link MAX_CVM_ONLINE_WINDOWS}, each an integer of at least
 * 1 and below half the reference rows.
 * @throws InvalidArgumentError naming `windowSizes` and the rule "online.window_size_range".
 */
export function checkCvmWindows(windowSizes: readonly number[], referenceRows: number): void {
  if (windowSizes.length === 0 || windowSizes.length > MAX_CVM_ONLINE_WINDOWS) {
    throw new InvalidArgumentError(
      `windowSizes: expected 1 to ${MAX_CVM_ONLINE_WINDOWS} window sizes (rule "online.window_size_range"), got ${windowSizes.length}`,
    );
  }
  for (const w of windowSizes) {
    if (!Number.isInteger(w) || w < 1 || 2 * w >= referenceRows) {
      throw new InvalidArgumentError(
        `windowSizes: expected integers of at least 1 and below half the ${referenceRows} reference rows (rule "online.window_size_range"), got ${w}`,
      );
    }
  }
}

/** First index of `sorted` whose value is >= v (binary search). */
function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index of `sorted` whose value is > v: the count of values <= v. */
function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function referenceColumn(values: Float64Array): ReferenceColumn {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const cdfSum = new Float64Array(n + 1);
  const cdfSquareSum = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) {
    const cdf = upperBound(sorted, sorted[j]!) / n;
    cdfSum[j + 1] = cdfSum[j]! + cdf;
    cdfSquareSum[j + 1] = cdfSquareSum[j]! + cdf * cdf;
  }
  return { sorted, cdfSum, cdfSquareSum };
}

/**
 * Alibi's `_normalise_stats` (Anderson 1962, eqs. 3 and 14): the standardised CVM statistic from
 * the sum of squared CDF differences over the pooled points.
 */
export function normaliseCvm(sumOfSquares: number, n: number, w: number): number {
  const mu = 1 / 6 + 1 / (6 * (n + w));
  const varNum = (n + w + 1) * (4 * n * w * (n + w) - 3 * (n * n + w * w) - 2 * n * w);
  const varDenom = 45 * (n + w) * (n + w) * 4 * n * w;
  const prod = (n * w) / ((n + w) * (n + w));
  return (sumOfSquares * prod - mu) / Math.sqrt(varNum / varDenom);
}

/**
 * The standardised statistic of one window against one reference column: the sum over the
 * reference's points and the window's of (F_ref - F_window)², the empirical CDFs counting
 * values <= the point. The reference's part goes segment by segment between consecutive
 * window values, where F_window is constant, with the CDF prefix sums.
 */
function windowStatistic(column: ReferenceColumn, window: Float64Array): number {
  const { sorted, cdfSum, cdfSquareSum } = column;
  const n = sorted.length;
  const w = window.length;
  const v = window.sort();
  let total = 0;
  let lo = 0;
  for (let k = 0; k <= w; k++) {
    const hi = k < w ? lowerBound(sorted, v[k]!) : n;
    if (hi > lo) {
      const c = k / w;
      total +=
        cdfSquareSum[hi]! - cdfSquareSum[lo]! - 2 * c * (cdfSum[hi]! - cdfSum[lo]!) + c * c * (hi - lo);
    }
    lo = Math.max(lo, hi);
  }
  for (let i = 0; i < w; i++) {
    let below = i + 1;
    while (below < w && v[below] === v[i]) below++;
    const diff = upperBound(sorted, v[i]!) / n - below / w;
    total += diff * diff;
  }
  return normaliseCvm(total, n, w);
}

/**
 * {@link windowStatistic} for tie-free data given, per window value in ascending order, the
 * count of reference values below it (`below`, sorted): the same sums, with the reference's
 * CDF at its j-th value (j + 1) / n.
 */
function rankStatistic(
  below: Int32Array,
  n: number,
  cdfSum: Float64Array,
  cdfSquareSum: Float64Array,
): number {
  const w = below.length;
  let total = 0;
  let lo = 0;
  for (let k = 0; k <= w; k++) {
    const hi = k < w ? below[k]! : n;
    if (hi > lo) {
      const c = k / w;
      total +=
        cdfSquareSum[hi]! - cdfSquareSum[lo]! - 2 * c * (cdfSum[hi]! - cdfSum[lo]!) + c * c * (hi - lo);
    }
    lo = Math.max(lo, hi);
  }
  for (let i = 0; i < w; i++) {
    const diff = below[i]! / n - (i + 1) / w;
    total += diff * diff;
  }
  return normaliseCvm(total, n, w);
}

/** Alibi's `_configure_thresholds` over simulated streams (see {@link CvmDriftOnline}). */
function configureCvmThresholds(
  n: number,
  features: number,
  options: CvmOnlineOptions & { readonly nBootstraps: number },
): Float64Array {
  const bootstraps = options.nBootstraps;
  const windows = options.windowSizes;
  const maxW = Math.max(...windows);
  const minW = Math.min(...windows);
  const tMax = 2 * maxW - 1;
  const random = seededRandom(options.seed);
  // Continuous draws have no ties, so F_ref at the j-th smallest reference value is (j + 1) / n
  // and its prefix sums have closed forms.
  const cdfSum = new Float64Array(n + 1);
  const cdfSquareSum = new Float64Array(n + 1);
  for (let j = 0; j < n; j++) {
    const cdf = (j + 1) / n;
    cdfSum[j + 1] = cdfSum[j]! + cdf;
    cdfSquareSum[j + 1] = cdfSquareSum[j]! + cdf * cdf;
  }
  // largest[t * bootstraps + b]: stream b's largest statistic over windows at step t.
  const largest = new Float64Array(tMax * bootstraps).fill(Number.NaN);
  // Only ranks matter: the places of the stream's values in the pooled sorted order of n
  // reference and tMax stream draws are a uniformly random ordered subset of the n + tMax
  // places (a partial Fisher-Yates shuffle; the pool need not be reset between streams).
  // Each stream value's count of reference values below it follows from its place.
  const places = Int32Array.from({ length: n + tMax }, (_, i) => i);
  const below = new Int32Array(tMax);
  const window = new Int32Array(maxW);
  for (let b = 0; b < bootstraps; b++) {
    if (b % ONLINE_BUDGET_CHECK_EVERY === 0) checkOnlineBudget(options.budget, 'CVM online');
    random.shuffle(places, tMax);
    for (let i = 0; i < tMax; i++) {
      let streamBelow = 0;
      for (let j = 0; j < tMax; j++) if (places[j]! < places[i]!) streamBelow++;
      below[i] = places[i]! - streamBelow;
    }
    for (let t = minW - 1; t < tMax; t++) {
      let best = Number.NaN;
      for (const w of windows) {
        if (t < w - 1) continue;
        const values = window.subarray(0, w);
        values.set(below.subarray(t - w + 1, t + 1));
        const s = rankStatistic(values.sort(), n, cdfSum, cdfSquareSum);
        if (!(s <= best)) best = s;
      }
      largest[t * bootstraps + b] = best;
    }
  }
  const beta = 1 - (1 - 1 / options.ert) ** (1 / features);
  const thresholds = new Float64Array(tMax).fill(Number.NaN);
  let alive = Int32Array.from({ length: bootstraps }, (_, i) => i);
  for (let t = minW - 1; t < tMax; t++) {
    const values = new Float64Array(alive.length);
    for (let a = 0; a < alive.length; a++) values[a] = largest[t * bootstraps + alive[a]!]!;
    const threshold = runTimeQuantile(Float64Array.from(values), 1 - beta, t, bootstraps);
    thresholds[t] = threshold;
    alive = alive.filter((_, a) => values[a]! <= threshold);
  }
  return thresholds;
}
