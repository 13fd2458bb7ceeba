import { InvalidArgumentError } from '@sightline/errors';
import { type ConceptDriftDetector, checkParameter, type DriftState } from './drift-state.js';

/**
 * river's `drift.PageHinkley` defaults: min_instances 30, delta 0.005, threshold (lambda) 50,
 * alpha (forgetting factor) 1 - 1e-4, both directions. The warning fraction is ours (river's
 * Page-Hinkley has no warning state): a warning at half the drift threshold.
 */
export const PAGE_HINKLEY_DEFAULTS = {
  minInstances: 30,
  delta: 0.005,
  threshold: 50,
  alpha: 1 - 0.0001,
  direction: 'both',
  warningFraction: 0.5,
} as const;

/** Version of {@link PageHinkleyJson}. */
export const PAGE_HINKLEY_SCHEMA_VERSION = 1;

/** Saved form of a {@link PageHinkley} (an unset minimum saved as null). */
export interface PageHinkleyJson {
  readonly schemaVersion: number;
  readonly options: Required<PageHinkleyOptions>;
  readonly count: number;
  readonly mean: number;
  readonly sumIncrease: number;
  readonly sumDecrease: number;
  readonly minIncrease: number | null;
  readonly maxDecrease: number;
  readonly state: DriftState;
}

/** Which change Page-Hinkley looks for. */
export type PageHinkleyDirection = 'up' | 'down' | 'both';

/** Options of {@link PageHinkley}. */
export interface PageHinkleyOptions {
  /** Values before a change may be declared (default 30). */
  readonly minInstances?: number;
  /** Magnitude of change tolerated per value, in the stream's unit (default 0.005). */
  readonly delta?: number;
  /** Lambda, in the stream's unit times values (default 50). */
  readonly threshold?: number;
  /** Forgetting factor of the cumulative sums (default 0.9999). */
  readonly alpha?: number;
  /** `up` (an error or loss rising), `down` or `both` (default). */
  readonly direction?: PageHinkleyDirection;
  /** Warning when a test statistic exceeds this fraction of the threshold (default 0.5; ours). */
  readonly warningFraction?: number;
}

/**
 * Page-Hinkley test (Page 1954) on a real-valued stream, as river's `drift.PageHinkley`: with
 * the running mean m_t, U_t = alpha U_{t-1} + (x_t - m_t) - delta and
 * D_t = alpha D_{t-1} + (x_t - m_t) + delta; drift when U_t - min U > threshold (up) or
 * max D - D_t > threshold (down), once minInstances values are seen. As river, max D starts at
 * -1 and min U at +infinity. `warning` when a statistic passes warningFraction x threshold.
 * The value after a drift starts a fresh detector.
 */
export class PageHinkley implements ConceptDriftDetector {
  readonly #minInstances: number;
  readonly #delta: number;
  readonly #threshold: number;
  readonly #alpha: number;
  readonly #direction: PageHinkleyDirection;
  readonly #warningFraction: number;
  #count = 0;
  #mean = 0;
  #sumIncrease = 0;
  #sumDecrease = 0;
  #minIncrease = Infinity;
  #maxDecrease = -1;
  #state: DriftState = 'stable';

  /** @throws InvalidArgumentError naming a bad option. */
  constructor(options: PageHinkleyOptions = {}) {
    const d = PAGE_HINKLEY_DEFAULTS;
    this.#minInstances = options.minInstances ?? d.minInstances;
    this.#delta = options.delta ?? d.delta;
    this.#threshold = options.threshold ?? d.threshold;
    this.#alpha = options.alpha ?? d.alpha;
    this.#direction = options.direction ?? d.direction;
    this.#warningFraction = options.warningFraction ?? d.warningFraction;
    checkParameter(
      'minInstances',
      this.#minInstances,
      Number.isInteger(this.#minInstances) && this.#minInstances >= 1,
      'an integer >= 1',
    );
    checkParameter('delta', this.#delta, this.#delta >= 0, 'a number >= 0');
    checkParameter('threshold', this.#threshold, this.#threshold > 0, 'a number > 0');
    checkParameter('alpha', this.#alpha, this.#alpha > 0 && this.#alpha <= 1, 'a number in (0, 1]');
    checkParameter(
      'warningFraction',
      this.#warningFraction,
      this.#warningFraction > 0 && this.#warningFraction <= 1,
      'a number in (0, 1]',
    );
    if (!['up', 'down', 'both'].includes(this.#direction)) {
      throw new InvalidArgumentError(`direction: expected up, down or both, got ${String(this.#direction)}`);
    }
  }

  /** The state after the last value. */
  get state(): DriftState {
    return this.#state;
  }

  /**
   * Adds one value.
   * @throws InvalidArgumentError for a non-finite value.
   */
  update(value: number): DriftState {
    if (!Number.isFinite(value))
      throw new InvalidArgumentError(`value: expected a finite number, got ${value}`);
    if (this.#state === 'drift') this.reset();
    this.#count += 1;
    this.#mean += (value - this.#mean) / this.#count;
    const deviation = value - this.#mean;
    this.#sumIncrease = this.#alpha * this.#sumIncrease + deviation - this.#delta;
    this.#sumDecrease = this.#alpha * this.#sumDecrease + deviation + this.#delta;
    this.#minIncrease = Math.min(this.#minIncrease, this.#sumIncrease);
    this.#maxDecrease = Math.max(this.#maxDecrease, this.#sumDecrease);
    if (this.#count < this.#minInstances) return this.#state;
    const up = this.#direction === 'down' ? -Infinity : this.#sumIncrease - this.#minIncrease;
    const down = this.#direction === 'up' ? -Infinity : this.#maxDecrease - this.#sumDecrease;
    const statistic = Math.max(up, down);
    if (statistic > this.#threshold) this.#state = 'drift';
    else if (statistic > this.#warningFraction * this.#threshold) this.#state = 'warning';
    else this.#state = 'stable';
    return this.#state;
  }

  /** The saved form (versioned). */
  toJSON(): PageHinkleyJson {
    return {
      schemaVersion: PAGE_HINKLEY_SCHEMA_VERSION,
      options: {
        minInstances: this.#minInstances,
        delta: this.#delta,
        threshold: this.#threshold,
        alpha: this.#alpha,
        direction: this.#direction,
        warningFraction: this.#warningFraction,
      },
      count: this.#count,
      mean: this.#mean,
      sumIncrease: this.#sumIncrease,
      sumDecrease: this.#sumDecrease,
      minIncrease: Number.isFinite(this.#minIncrease) ? this.#minIncrease : null,
      maxDecrease: this.#maxDecrease,
      state: this.#state,
    };
  }

  /**
   * Restores a saved detector; it continues exactly where the saved one stopped.
   * @throws InvalidArgumentError on another schema version or bad options.
   */
  static fromJSON(json: PageHinkleyJson): PageHinkley {
    if (json.schemaVersion !== PAGE_HINKLEY_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${PAGE_HINKLEY_SCHEMA_VERSION}, got ${json.schemaVersion}`,
      );
    }
    const ph = new PageHinkley(json.options);
    ph.#count = json.count;
    ph.#mean = json.mean;
    ph.#sumIncrease = json.sumIncrease;
    ph.#sumDecrease = json.sumDecrease;
    ph.#minIncrease = json.minIncrease ?? Infinity;
    ph.#maxDecrease = json.maxDecrease;
    ph.#state = json.state;
    return ph;
  }

  /** Forgets every value. */
  reset(): void {
    this.#count = 0;
    this.#mean = 0;
    this.#sumIncrease = 0;
    this.#sumDecrease = 0;
    this.#minIncrease = Infinity;
    this.#maxDecrease = -1;
    this.#state = 'stable';
  }
}
