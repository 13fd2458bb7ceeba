import { InvalidArgumentError } from '@sightline/errors';
import { type ConceptDriftDetector, checkParameter, type DriftState } from './drift-state.js';

/**
 * river's `drift.ADWIN` defaults: delta 0.002, a cut check every 32 values (clock), at most 5
 * buckets of each size, sub-windows of at least 5 values, no check before 10 values (grace
 * period). The warning delta is ours (river's ADWIN has no warning state): a cut that passes at
 * delta 0.05 but not at 0.002 is a warning.
 */
export const ADWIN_DEFAULTS = {
  delta: 0.002,
  clock: 32,
  maxBuckets: 5,
  minWindowLength: 5,
  gracePeriod: 10,
  warningDelta: 0.05,
} as const;

/** Version of {@link AdwinJson}. */
export const ADWIN_SCHEMA_VERSION = 1;

/** Saved form of an {@link Adwin}: options, bucket rows (row i holds buckets of 2^i values, oldest first) and sums. */
export interface AdwinJson {
  readonly schemaVersion: number;
  readonly options: Required<AdwinOptions>;
  readonly rows: Array<{ totals: number[]; variances: number[] }>;
  readonly total: number;
  readonly variance: number;
  readonly width: number;
  readonly tick: number;
  readonly state: DriftState;
}

/** Options of {@link Adwin}. */
export interface AdwinOptions {
  /** Confidence of a cut (default 0.002); smaller = fewer false alarms, later detection. */
  readonly delta?: number;
  /** Check for a cut every this many values (default 32). */
  readonly clock?: number;
  /** Buckets of one size kept before two merge (default 5); memory and precision. */
  readonly maxBuckets?: number;
  /** Shortest sub-window on either side of a cut (default 5). */
  readonly minWindowLength?: number;
  /** Values before the first check (default 10). */
  readonly gracePeriod?: number;
  /** Delta of the warning cut (default 0.05; ours), larger than `delta`. */
  readonly warningDelta?: number;
}

interface BucketRow {
  /** Oldest first: the sum of each bucket. */
  readonly totals: number[];
  /** Oldest first: each bucket's sum of squared deviations from its mean. */
  readonly variances: number[];
}

/**
 * ADWIN (Bifet and Gavaldà 2007) as river's `drift.ADWIN` (`adwin_c.pyx`): the window is held
 * as exponential histograms (row i holds up to maxBuckets + 1 buckets of 2^i values; two of the
 * oldest merge into the next row when a row overflows), so memory is O(maxBuckets log width).
 * Every `clock` values after the grace period every bucket boundary is a cut W0 (older) | W1
 * (newer); a cut with both sides >= minWindowLength and |mean W0 - mean W1| > eps, where with
 * delta' = ln(2 ln(width) / delta), m = 1 / (n0 - minWindowLength + 1) + 1 / (n1 -
 * minWindowLength + 1) and the window's population variance v, eps = sqrt(2 m v delta') +
 * (2/3) delta' m, drops the oldest bucket and the scan restarts; any drop is `drift` for that
 * value. Every bucket boundary is a cut, as river's current code (older releases skipped each
 * row's newest bucket, so a lone old bucket was never cut off). The
 * (2/3) delta' m term assumes values in a unit range: scale a loss stream to about [0, 1].
 */
export class Adwin implements ConceptDriftDetector {
  readonly #delta: number;
  readonly #clock: number;
  readonly #maxBuckets: number;
  readonly #minWindowLength: number;
  readonly #gracePeriod: number;
  readonly #warningDelta: number;
  #rows: BucketRow[] = [];
  #total = 0;
  #variance = 0;
  #width = 0;
  #tick = 0;
  #state: DriftState = 'stable';

  /** @throws InvalidArgumentError naming a bad option. */
  constructor(options: AdwinOptions = {}) {
    const d = ADWIN_DEFAULTS;
    this.#delta = options.delta ?? d.delta;
    this.#clock = options.clock ?? d.clock;
    this.#maxBuckets = options.maxBuckets ?? d.maxBuckets;
    this.#minWindowLength = options.minWindowLength ?? d.minWindowLength;
    this.#gracePeriod = options.gracePeriod ?? d.gracePeriod;
    this.#warningDelta = options.warningDelta ?? d.warningDelta;
    checkParameter('delta', this.#delta, this.#delta > 0 && this.#delta < 1, 'a number in (0, 1)');
    checkParameter(
      'clock',
      this.#clock,
      Number.isInteger(this.#clock) && this.#clock >= 1,
      'an integer >= 1',
    );
    checkParameter(
      'maxBuckets',
      this.#maxBuckets,
      Number.isInteger(this.#maxBuckets) && this.#maxBuckets >= 2,
      'an integer >= 2',
    );
    checkParameter(
      'minWindowLength',
      this.#minWindowLength,
      Number.isInteger(this.#minWindowLength) && this.#minWindowLength >= 1,
      'an integer >= 1',
    );
    checkParameter(
      'gracePeriod',
      this.#gracePeriod,
      Number.isInteger(this.#gracePeriod) && this.#gracePeriod >= 0,
      'an integer >= 0',
    );
    checkParameter(
      'warningDelta',
      this.#warningDelta,
      this.#warningDelta >= this.#delta && this.#warningDelta < 1,
      'a number in [delta, 1)',
    );
  }

  /** The state after the last value. */
  get state(): DriftState {
    return this.#state;
  }

  /** Values in the current window. */
  get width(): number {
    return this.#width;
  }

  /** Mean of the current window (0 when empty, as river's `estimation`). */
  get estimation(): number {
    return this.#width === 0 ? 0 : this.#total / this.#width;
  }

  /**
   * Adds one value.
   * @throws InvalidArgumentError for a non-finite value.
   */
  update(value: number): DriftState {
    if (!Number.isFinite(value))
      throw new InvalidArgumentError(`value: expected a finite number, got ${value}`);
    this.#insert(value);
    if (this.#state === 'drift') this.#state = 'stable';
    this.#tick += 1;
    if (this.#tick % this.#clock === 0 && this.#width > this.#gracePeriod) this.#state = this.#scan();
    return this.#state;
  }

  /** The saved form (versioned); O(maxBuckets log width) numbers. */
  toJSON(): AdwinJson {
    return {
      schemaVersion: ADWIN_SCHEMA_VERSION,
      options: {
        delta: this.#delta,
        clock: this.#clock,
        maxBuckets: this.#maxBuckets,
        minWindowLength: this.#minWindowLength,
        gracePeriod: this.#gracePeriod,
        warningDelta: this.#warningDelta,
      },
      rows: this.#rows.map((r) => ({ totals: [...r.totals], variances: [...r.variances] })),
      total: this.#total,
      variance: this.#variance,
      width: this.#width,
      tick: this.#tick,
      state: this.#state,
    };
  }

  /**
   * Restores a saved detector; it continues exactly where the saved one stopped.
   * @throws InvalidArgumentError on another schema version, bad options or a row longer than maxBuckets + 1.
   */
  static fromJSON(json: AdwinJson): Adwin {
    if (json.schemaVersion !== ADWIN_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${ADWIN_SCHEMA_VERSION}, got ${json.schemaVersion}`,
      );
    }
    const adwin = new Adwin(json.options);
    json.rows.forEach((row, i) => {
      if (row.totals.length !== row.variances.length || row.totals.length > adwin.#maxBuckets + 1) {
        throw new InvalidArgumentError(
          `rows[${i}]: expected equal totals and variances, at most ${adwin.#maxBuckets + 1} buckets`,
        );
      }
    });
    adwin.#rows = json.rows.map((r) => ({ totals: [...r.totals], variances: [...r.variances] }));
    adwin.#total = json.total;
    adwin.#variance = json.variance;
    adwin.#width = json.width;
    adwin.#tick = json.tick;
    adwin.#state = json.state;
    return adwin;
  }

  /** Forgets every value. */
  reset(): void {
    this.#rows = [];
    this.#total = 0;
    this.#variance = 0;
    this.#width = 0;
    this.#tick = 0;
    this.#state = 'stable';
  }

  #insert(value: number): void {
    if (this.#rows.length === 0) this.#rows.push({ totals: [], variances: [] });
    this.#rows[0]!.totals.push(value);
    this.#rows[0]!.variances.push(0);
    this.#width += 1;
    if (this.#width > 1) {
      const previousMean = this.#total / (this.#width - 1);
      this.#variance += ((this.#width - 1) * (value - previousMean) * (value - previousMean)) / this.#width;
    }
    this.#total += value;
    this.#compress();
  }

  #compress(): void {
    for (let row = 0; row < this.#rows.length; row++) {
      const bucket = this.#rows[row]!;
      if (bucket.totals.length !== this.#maxBuckets + 1) return;
      if (row + 1 === this.#rows.length) this.#rows.push({ totals: [], variances: [] });
      const next = this.#rows[row + 1]!;
      const size = 2 ** row;
      const mean1 = bucket.totals[0]! / size;
      const mean2 = bucket.totals[1]! / size;
      next.totals.push(bucket.totals[0]! + bucket.totals[1]!);
      next.variances.push(
        bucket.variances[0]! + bucket.variances[1]! + (size * size * (mean1 - mean2) ** 2) / (2 * size),
      );
      bucket.totals.splice(0, 2);
      bucket.variances.splice(0, 2);
      if (next.totals.length <= this.#maxBuckets) return;
    }
  }

  #deleteOldest(): number {
    const last = this.#rows.length - 1;
    const bucket = this.#rows[last]!;
    const size = 2 ** last;
    const total = bucket.totals[0]!;
    const mean = total / size;
    this.#width -= size;
    this.#total -= total;
    const windowMean = this.#total / this.#width;
    this.#variance -=
      bucket.variances[0]! + (size * this.#width * (mean - windowMean) ** 2) / (size + this.#width);
    bucket.totals.shift();
    bucket.variances.shift();
    if (bucket.totals.length === 0) this.#rows.pop();
    return size;
  }

  /** One check: drops old buckets while a cut passes; `drift` if any did, else `warning` if a warning cut passed. */
  #scan(): DriftState {
    let drifted = false;
    let warned = false;
    let again = true;
    while (again) {
      again = false;
      let n0 = 0;
      let n1 = this.#width;
      let u0 = 0;
      let u1 = this.#total;
      scan: for (let row = this.#rows.length - 1; row >= 0; row--) {
        const bucket = this.#rows[row]!;
        const size = 2 ** row;
        for (let k = 0; k < bucket.totals.length; k++) {
          n0 += size;
          n1 -= size;
          u0 += bucket.totals[k]!;
          u1 -= bucket.totals[k]!;
          // The newest bucket leaves W1 empty: every cut has been seen.
          if (row === 0 && k === bucket.totals.length - 1) break scan;
          if (n0 < this.#minWindowLength || n1 < this.#minWindowLength) continue;
          const difference = Math.abs(u0 / n0 - u1 / n1);
          if (difference > this.#epsilon(n0, n1, this.#delta)) {
            drifted = true;
            again = this.#width > 0;
            if (again) this.#deleteOldest();
            break scan;
          }
          if (!warned && difference > this.#epsilon(n0, n1, this.#warningDelta)) warned = true;
        }
      }
    }
    if (drifted) return 'drift';
    return warned ? 'warning' : 'stable';
  }

  #epsilon(n0: number, n1: number, delta: number): number {
    const deltaPrime = Math.log((2 * Math.log(this.#width)) / delta);
    const mReciprocal = 1 / (n0 - this.#minWindowLength + 1) + 1 / (n1 - this.#minWindowLength + 1);
    const windowVariance = this.#variance / this.#width;
    return Math.sqrt(2 * mReciprocal * windowVariance * deltaPrime) + (2 / 3) * deltaPrime * mReciprocal;
  }
}
