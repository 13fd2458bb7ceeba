import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { checkSigma } from '../kernel/kernel-limits.js';
import { sigmaFromPackedSquaredDistances } from '../kernel/median-heuristic.js';
import { packedSquaredDistances, squaredDistance } from '../kernel/pairwise-distances.js';
import { assertFiniteMatrix, type DenseMatrix } from '../matrix.js';
import { seededRandom } from '../random/seeded-random.js';
import { ONLINE_STATE_SCHEMA_VERSION, type OnlineStateJson, type OnlineStep } from './online-step.js';
import {
  checkOnlineBudget,
  checkOnlineCommon,
  DEFAULT_MMD_ONLINE_BOOTSTRAPS,
  ONLINE_BUDGET_CHECK_EVERY,
  type OnlineBudget,
  runTimeQuantile,
} from './online-thresholds.js';

/** The unbiased window term divides by W(W-1), so the window needs two rows. */
export const MIN_MMD_ONLINE_WINDOW_SIZE = 2;
/**
 * Largest reference accepted by default: the fit holds the reference's packed kernel matrix,
 * n(n-1)/2 doubles, 100 MB at 5,000 rows. Callers may raise it.
 */
export const DEFAULT_MMD_ONLINE_MAX_REFERENCE_ROWS = 5_000;
/** Draws of the reference split before giving up on one that does not alarm at t = 0 (each fails with probability about 1/ert). */
export const MMD_ONLINE_MAX_SPLIT_DRAWS = 1_000;
/** The format version of {@link MmdOnlineFitJson}. */
export const MMD_ONLINE_SCHEMA_VERSION = 1;

/** Options of {@link MmdDriftOnline.fit}. */
export interface MmdOnlineOptions {
  /** Expected run time without drift, in rows, counted from t = 0 (Alibi's definition for multivariate detectors). */
  readonly ert: number;
  /** Sliding window length W: at least 2 and below half the reference rows (rule "online.window_size_range"). */
  readonly windowSize: number;
  /** Bootstrap simulations (default {@link DEFAULT_MMD_ONLINE_BOOTSTRAPS}); should be well above ert. */
  readonly nBootstraps?: number;
  /** Gaussian kernel bandwidth; default the median heuristic on the reference alone (Alibi's `infer_sigma` on k(x_ref, x_ref)). */
  readonly sigma?: number;
  /** Seed of the bootstrap and of the reference split ({@link seededRandom}). */
  readonly seed: number;
  /** Refuse references above this many rows (default {@link DEFAULT_MMD_ONLINE_MAX_REFERENCE_ROWS}). */
  readonly maxReferenceRows?: number;
  /** Deadline and cancellation of the configuration. */
  readonly budget?: OnlineBudget;
}

/**
 * The fitted part of an online MMD detector, JSON-serialisable. With the reference it was fitted
 * on, it restores the detector exactly ({@link MmdDriftOnline.fromJson}).
 */
export interface MmdOnlineFitJson {
  /** Format of this document ({@link MMD_ONLINE_SCHEMA_VERSION}). */
  readonly schemaVersion: 1;
  /** Expected run time, rows. */
  readonly ert: number;
  /** Window length. */
  readonly windowSize: number;
  /** Bootstrap simulations used. */
  readonly nBootstraps: number;
  /** Kernel bandwidth used. */
  readonly sigma: number;
  /** Seed used. */
  readonly seed: number;
  /** Reference rows kept as the sub-reference the window is compared with (n - 2W + 1 of them). */
  readonly referenceIndices: number[];
  /** Reference rows that fill the window at t = 0. */
  readonly initialWindowIndices: number[];
  /** Mean of k over distinct pairs of the sub-reference (the statistic's constant term). */
  readonly referenceKernelMean: number;
  /** Threshold at t = 0 .. W-1; later times use the last one. */
  readonly thresholds: number[];
}

/**
 * Alibi Detect's `MMDDriftOnline` (PyTorch backend, `cd/pytorch/mmd_online.py`): a sliding
 * window of the newest W rows is compared with a sub-reference by the unbiased squared MMD
 * under a Gaussian kernel, and each time t has a threshold configured by bootstrap so that,
 * without drift, a false alarm happens at each step with probability 1/ert given none before:
 * the run time to a false alarm is then geometric with mean ert.
 *
 * Configuration (as Alibi): each of `nBootstraps` simulations splits the reference into a
 * sub-reference of n - (2W - 1) rows and an extended test window of 2W - 1 rows, read as the
 * W overlapping windows the stream passes through from t = 0 (the window starts full of
 * held-out reference rows) to t = W - 1. At each t the threshold is the (1 - 1/ert) quantile
 * (type 7, Alibi's `quantile`) of the simulations still without an alarm; simulations at or
 * above it are dropped. The sub-reference in use is then drawn (and redrawn while its initial
 * window would alarm at t = 0). Sums over the sub-reference come from the reference's row sums
 * minus the held-out rows' terms (O(W²) per simulation instead of Alibi's O(nW)).
 *
 * The window state (rows, t) is separate from the fit: {@link stateJson}, {@link restoreState},
 * {@link resetState} (Alibi's `reset_state`).
 */
export class MmdDriftOnline {
  readonly #fit: MmdOnlineFitJson;
  readonly #cols: number;
  /** The sub-reference's rows, row-major. */
  readonly #subReference: Float64Array;
  readonly #subRows: number;
  readonly #initialWindow: Float64Array;
  readonly #gamma: number;
  #time = 0;
  /** The window's rows, oldest first, row-major. */
  #window: Float64Array;
  /** Per window row: sum of k(reference_i, row) over the sub-reference. */
  #crossSums: Float64Array;
  /** k between window rows, W x W, in window order; the diagonal is unused. */
  #windowKernel: Float64Array;

  private constructor(reference: DenseMatrix, fit: MmdOnlineFitJson) {
    this.#fit = fit;
    this.#cols = reference.cols;
    this.#gamma = 1 / (2 * fit.sigma * fit.sigma);
    this.#subReference = gatherRows(reference, fit.referenceIndices);
    this.#subRows = fit.referenceIndices.length;
    this.#initialWindow = gatherRows(reference, fit.initialWindowIndices);
    const w = fit.windowSize;
    this.#window = new Float64Array(w * reference.cols);
    this.#crossSums = new Float64Array(w);
    this.#windowKernel = new Float64Array(w * w);
    this.#loadWindow(0, this.#initialWindow);
  }

  /**
   * Configures the thresholds on `reference` and draws the sub-reference.
   * @throws InvalidArgumentError naming `ert`, `windowSize` (rule "online.window_size_range"),
   *   `nBootstraps` (too few to reach the 1 - 1/ert quantile) or `sigma`, or a non-finite value.
   * @throws ResourceExhaustedError above `maxReferenceRows`.
   * @throws DeadlineExceededError (or the cancellation's reason) when the budget is spent.
   */
  static fit(reference: DenseMatrix, options: MmdOnlineOptions): MmdDriftOnline {
    const nBootstraps = options.nBootstraps ?? DEFAULT_MMD_ONLINE_BOOTSTRAPS;
    checkOnlineCommon(options.ert, nBootstraps, options.seed);
    checkMmdWindow(options.windowSize, reference.rows);
    const maxRows = options.maxReferenceRows ?? DEFAULT_MMD_ONLINE_MAX_REFERENCE_ROWS;
    if (reference.rows > maxRows) {
      throw new ResourceExhaustedError(
        `reference: ${reference.rows} rows exceed the online MMD's ${maxRows} (it holds the reference's kernel matrix, ${maxRows}² values); subsample the reference`,
      );
    }
    if (reference.cols === 0) throw new InvalidArgumentError('reference: at least one column is required');
    assertFiniteMatrix(reference, 'reference');
    if (options.sigma !== undefined) checkSigma(options.sigma);
    checkOnlineBudget(options.budget, 'MMD online');

    const kernel = packedSquaredDistances(reference);
    const sigma = options.sigma ?? sigmaFromPackedSquaredDistances(kernel);
    const gamma = 1 / (2 * sigma * sigma);
    for (let p = 0; p < kernel.length; p++) kernel[p] = Math.exp(-gamma * kernel[p]!);
    const config = { ...options, nBootstraps, sigma };
    const random = seededRandom(options.seed);
    const packed = new PackedKernel(kernel, reference.rows);
    const thresholds = configureMmdThresholds(packed, config, random);
    const split = drawReferenceSplit(packed, options.windowSize, thresholds[0]!, random);
    return new MmdDriftOnline(reference, {
      schemaVersion: MMD_ONLINE_SCHEMA_VERSION,
      ert: options.ert,
      windowSize: options.windowSize,
      nBootstraps,
      sigma,
      seed: options.seed,
      referenceIndices: split.referenceIndices,
      initialWindowIndices: split.initialWindowIndices,
      referenceKernelMean: split.referenceKernelMean,
      thresholds,
    });
  }

  /**
   * Restores a fitted detector from its JSON and the reference it was fitted on, at t = 0
   * (pass `state` to resume a running one).
   * @throws FailedPreconditionError when the document does not fit the reference or is of another schema version.
   */
  static fromJson(reference: DenseMatrix, fit: MmdOnlineFitJson, state?: OnlineStateJson): MmdDriftOnline {
    if (fit.schemaVersion !== MMD_ONLINE_SCHEMA_VERSION) {
      throw new FailedPreconditionError(
        `MMD online: schema version ${String(fit.schemaVersion)} is not ${MMD_ONLINE_SCHEMA_VERSION}`,
      );
    }
    const inRange = (i: number) => Number.isInteger(i) && i >= 0 && i < reference.rows;
    if (
      !fit.referenceIndices.every(inRange) ||
      !fit.initialWindowIndices.every(inRange) ||
      fit.initialWindowIndices.length !== fit.windowSize ||
      fit.thresholds.length !== fit.windowSize ||
      !(fit.sigma > 0)
    ) {
      throw new FailedPreconditionError(
        `MMD online: the saved fit does not match its ${reference.rows}-row reference`,
      );
    }
    const detector = new MmdDriftOnline(reference, fit);
    if (state) detector.restoreState(state);
    return detector;
  }

  /** The fitted part, for saving. */
  toJson(): MmdOnlineFitJson {
    return this.#fit;
  }

  /** Rows seen since the fit or the last reset. */
  get time(): number {
    return this.#time;
  }

  /** The threshold at time `t` (Alibi's `get_threshold`: the last one from t = W on). */
  threshold(t: number): number {
    const thresholds = this.#fit.thresholds;
    return thresholds[Math.min(t, thresholds.length - 1)]!;
  }

  /** Adds `row` to the window and returns the verdict at the new time (Alibi's `predict`). */
  predict(row: ArrayLike<number>): OnlineStep {
    this.#checkRow(row);
    const w = this.#fit.windowSize;
    const d = this.#cols;
    const cross = this.#crossSum(row);
    // Slide: drop the oldest row, its cross sum and its kernel row and column.
    this.#window.copyWithin(0, d);
    this.#crossSums.copyWithin(0, 1);
    const k = this.#windowKernel;
    for (let i = 0; i < w - 1; i++) k.copyWithin(i * w, (i + 1) * w + 1, (i + 2) * w);
    for (let j = 0; j < d; j++) this.#window[(w - 1) * d + j] = row[j]!;
    this.#crossSums[w - 1] = cross;
    for (let i = 0; i < w - 1; i++) {
      const value = Math.exp(
        -this.#gamma * squaredDistance(this.#window, i * d, this.#window, (w - 1) * d, d),
      );
      k[i * w + w - 1] = value;
      k[(w - 1) * w + i] = value;
    }
    this.#time += 1;
    const testStat = this.#statistic(0, 0);
    const threshold = this.threshold(this.#time);
    return { isDrift: testStat > threshold, time: this.#time, testStat, threshold };
  }

  /** The statistic the window would have after adding `row`, leaving the window as it is. */
  score(row: ArrayLike<number>): number {
    this.#checkRow(row);
    const w = this.#fit.windowSize;
    const d = this.#cols;
    let newKernel = 0;
    for (let i = 1; i < w; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const e = this.#window[i * d + j]! - row[j]!;
        s += e * e;
      }
      newKernel += Math.exp(-this.#gamma * s);
    }
    return this.#statistic(1, { cross: this.#crossSum(row), within: newKernel });
  }

  /** Empties the window to its initial rows and sets the time to 0 (Alibi's `reset_state`); the thresholds stay. */
  resetState(): void {
    this.#loadWindow(0, this.#initialWindow);
  }

  /** The running state, for saving. */
  stateJson(): OnlineStateJson {
    return {
      schemaVersion: ONLINE_STATE_SCHEMA_VERSION,
      time: this.#time,
      cols: this.#cols,
      window: Array.from(this.#window),
    };
  }

  /**
   * Restores a running state saved by {@link stateJson}.
   * @throws FailedPreconditionError when it does not fit this detector.
   */
  restoreState(state: OnlineStateJson): void {
    const w = this.#fit.windowSize;
    if (
      state.schemaVersion !== ONLINE_STATE_SCHEMA_VERSION ||
      state.cols !== this.#cols ||
      state.window.length !== w * this.#cols ||
      !Number.isInteger(state.time) ||
      state.time < 0 ||
      !state.window.every(Number.isFinite)
    ) {
      throw new FailedPreconditionError(
        `MMD online: the saved state does not fit a ${w}-row window of ${this.#cols} columns`,
      );
    }
    this.#loadWindow(state.time, Float64Array.from(state.window));
  }

  #checkRow(row: ArrayLike<number>): void {
    if (row.length !== this.#cols) {
      throw new InvalidArgumentError(`row: expected ${this.#cols} values, got ${row.length}`);
    }
    for (let j = 0; j < row.length; j++) {
      if (!Number.isFinite(row[j]!))
        throw new InvalidArgumentError(`row, column ${j}: ${row[j]} is not allowed`);
    }
  }

  #crossSum(row: ArrayLike<number>): number {
    const d = this.#cols;
    const x = Float64Array.from(row);
    let total = 0;
    for (let i = 0; i < this.#subRows; i++) {
      total += Math.exp(-this.#gamma * squaredDistance(this.#subReference, i * d, x, 0, d));
    }
    return total;
  }

  #loadWindow(time: number, rows: Float64Array): void {
    const w = this.#fit.windowSize;
    const d = this.#cols;
    this.#time = time;
    this.#window = Float64Array.from(rows);
    for (let i = 0; i < w; i++) this.#crossSums[i] = this.#crossSum(rows.subarray(i * d, (i + 1) * d));
    for (let i = 0; i < w; i++) {
      for (let j = i + 1; j < w; j++) {
        const value = Math.exp(-this.#gamma * squaredDistance(rows, i * d, rows, j * d, d));
        this.#windowKernel[i * w + j] = value;
        this.#windowKernel[j * w + i] = value;
      }
    }
  }

  /**
   * Unbiased MMD² of the window rows [from, W) against the sub-reference, plus a candidate
   * newest row when `extra` is given (its cross sum and kernel sum with rows [from, W)).
   */
  #statistic(from: number, extra: 0 | { cross: number; within: number }): number {
    const w = this.#fit.windowSize;
    const k = this.#windowKernel;
    let within = 0;
    let cross = 0;
    for (let i = from; i < w; i++) {
      cross += this.#crossSums[i]!;
      for (let j = i + 1; j < w; j++) within += k[i * w + j]!;
    }
    if (extra !== 0) {
      cross += extra.cross;
      within += extra.within;
    }
    return this.#fit.referenceKernelMean + (2 * within) / (w * (w - 1)) - (2 * cross) / (this.#subRows * w);
  }
}

/**
 * Checks the window length against the reference: at least {@link MIN_MMD_ONLINE_WINDOW_SIZE}
 * and below half the reference rows, so that the sub-reference keeps at least two rows beside
 * the 2W - 1 held out by the bootstrap.
 * @throws InvalidArgumentError naming `windowSize` and the rule "online.window_size_range".
 */
export function checkMmdWindow(windowSize: number, referenceRows: number): void {
  if (
    !Number.isInteger(windowSize) ||
    windowSize < MIN_MMD_ONLINE_WINDOW_SIZE ||
    2 * windowSize >= referenceRows
  ) {
    throw new InvalidArgumentError(
      `windowSize: expected an integer of at least ${MIN_MMD_ONLINE_WINDOW_SIZE} and below half the ${referenceRows} reference rows (rule "online.window_size_range"), got ${windowSize}`,
    );
  }
}

/** The reference's packed kernel matrix (zero diagonal implied) with its row sums. */
class PackedKernel {
  readonly rowSums: Float64Array;
  /** Sum over i ≠ j of k(x_i, x_j). */
  readonly total: number;

  constructor(
    readonly values: Float64Array,
    readonly n: number,
  ) {
    this.rowSums = new Float64Array(n);
    let p = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = i + 1; j < n; j++) {
        const v = values[p++]!;
        s += v;
        this.rowSums[j]! += v;
      }
      this.rowSums[i]! += s;
    }
    let total = 0;
    for (let i = 0; i < n; i++) total += this.rowSums[i]!;
    this.total = total;
  }

  at(i: number, j: number): number {
    if (i === j) return 0;
    const a = Math.min(i, j);
    const b = Math.max(i, j);
    return this.values[a * this.n - (a * (a + 1)) / 2 + b - a - 1]!;
  }
}

/**
 * For held-out rows `held` (the rest is the sub-reference): the held-out kernel matrix
 * (row-major, zero diagonal), each held-out row's cross sum with the sub-reference, and the
 * sub-reference's mean kernel over distinct pairs.
 */
function heldOutTerms(
  kernel: PackedKernel,
  held: ArrayLike<number>,
): { heldKernel: Float64Array; crossSums: Float64Array; referenceKernelMean: number } {
  const m = held.length;
  const rw = kernel.n - m;
  const heldKernel = new Float64Array(m * m);
  const crossSums = new Float64Array(m);
  let heldTotal = 0;
  let crossTotal = 0;
  for (let i = 0; i < m; i++) {
    let rowHeld = 0;
    for (let j = 0; j < m; j++) {
      const v = i === j ? 0 : kernel.at(held[i]!, held[j]!);
      heldKernel[i * m + j] = v;
      rowHeld += v;
    }
    heldTotal += rowHeld;
    crossSums[i] = kernel.rowSums[held[i]!]! - rowHeld;
    crossTotal += crossSums[i]!;
  }
  return {
    heldKernel,
    crossSums,
    referenceKernelMean: (kernel.total - heldTotal - 2 * crossTotal) / (rw * (rw - 1)),
  };
}

/** Alibi's `_configure_thresholds`: W thresholds from the simulations still without an alarm. */
function configureMmdThresholds(
  kernel: PackedKernel,
  options: MmdOnlineOptions & { readonly nBootstraps: number },
  random: ReturnType<typeof seededRandom>,
): number[] {
  const w = options.windowSize;
  const etw = 2 * w - 1;
  const rw = kernel.n - etw;
  const bootstraps = options.nBootstraps;
  // stats[t * bootstraps + b]: simulation b's MMD² at time t.
  const stats = new Float64Array(w * bootstraps);
  const perm = Int32Array.from({ length: kernel.n }, (_, i) => i);
  for (let b = 0; b < bootstraps; b++) {
    if (b % ONLINE_BUDGET_CHECK_EVERY === 0) checkOnlineBudget(options.budget, 'MMD online');
    random.shuffle(perm, etw);
    const { heldKernel, crossSums, referenceKernelMean } = heldOutTerms(kernel, perm.subarray(0, etw));
    let within = 0;
    let cross = 0;
    for (let i = 0; i < w; i++) {
      cross += crossSums[i]!;
      for (let j = i + 1; j < w; j++) within += heldKernel[i * etw + j]!;
    }
    for (let t = 0; t < w; t++) {
      if (t > 0) {
        // Slide by one: drop row t-1, add row t+w-1.
        const out = t - 1;
        const add = t + w - 1;
        for (let j = t; j < add; j++) within += heldKernel[add * etw + j]! - heldKernel[out * etw + j]!;
        cross += crossSums[add]! - crossSums[out]!;
      }
      stats[t * bootstraps + b] = referenceKernelMean + (2 * within) / (w * (w - 1)) - (2 * cross) / (rw * w);
    }
  }
  const p = 1 - 1 / options.ert;
  let alive = Int32Array.from({ length: bootstraps }, (_, i) => i);
  const thresholds: number[] = [];
  for (let t = 0; t < w; t++) {
    const values = new Float64Array(alive.length);
    for (let a = 0; a < alive.length; a++) values[a] = stats[t * bootstraps + alive[a]!]!;
    const threshold = runTimeQuantile(Float64Array.from(values), p, t, bootstraps);
    thresholds.push(threshold);
    alive = alive.filter((_, a) => values[a]! < threshold);
  }
  return thresholds;
}

/** Alibi's `_configure_ref_subset`: a random split whose initial window does not alarm at t = 0. */
function drawReferenceSplit(
  kernel: PackedKernel,
  w: number,
  threshold0: number,
  random: ReturnType<typeof seededRandom>,
): { referenceIndices: number[]; initialWindowIndices: number[]; referenceKernelMean: number } {
  const etw = 2 * w - 1;
  const rw = kernel.n - etw;
  const perm = Int32Array.from({ length: kernel.n }, (_, i) => i);
  for (let draw = 0; draw < MMD_ONLINE_MAX_SPLIT_DRAWS; draw++) {
    random.shuffle(perm, etw);
    // perm[0, etw) is held out (Alibi's perm[rw:]); its last W rows start the window.
    const { heldKernel, crossSums, referenceKernelMean } = heldOutTerms(kernel, perm.subarray(0, etw));
    let within = 0;
    let cross = 0;
    for (let i = w - 1; i < etw; i++) {
      cross += crossSums[i]!;
      for (let j = i + 1; j < etw; j++) within += heldKernel[i * etw + j]!;
    }
    const initial = referenceKernelMean + (2 * within) / (w * (w - 1)) - (2 * cross) / (rw * w);
    if (initial < threshold0) {
      return {
        referenceIndices: Array.from(perm.subarray(etw)).sort((a, b) => a - b),
        initialWindowIndices: Array.from(perm.subarray(w - 1, etw)),
        referenceKernelMean,
      };
    }
  }
  throw new InvalidArgumentError(
    `ert: ${MMD_ONLINE_MAX_SPLIT_DRAWS} reference splits all alarmed at t = 0; raise ert or nBootstraps`,
  );
}

function gatherRows(m: DenseMatrix, indices: readonly number[]): Float64Array {
  const out = new Float64Array(indices.length * m.cols);
  indices.forEach((r, i) => {
    out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  });
  return out;
}
