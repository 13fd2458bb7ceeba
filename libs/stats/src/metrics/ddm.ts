import { InvalidArgumentError } from '@sightline/errors';
import { type ConceptDriftDetector, checkParameter, type DriftState } from './drift-state.js';

/** river's DDM defaults (`drift.binary.DDM`): warm start 30, warning at 2 and drift at 3 standard deviations. */
export const DDM_DEFAULTS = { warmStart: 30, warningThreshold: 2, driftThreshold: 3 } as const;

/** Version of {@link DdmJson}. */
export const DDM_SCHEMA_VERSION = 1;

/** Saved form of a {@link Ddm}: its options and running state (Infinity saved as null). */
export interface DdmJson {
  readonly schemaVersion: number;
  readonly options: Required<DdmOptions>;
  readonly count: number;
  readonly errors: number;
  readonly pMin: number | null;
  readonly sMin: number | null;
  readonly state: DriftState;
}

/** Options of {@link Ddm}. */
export interface DdmOptions {
  /** Values seen before a warning or drift can be declared (default 30). */
  readonly warmStart?: number;
  /** Standard deviations above the best p + s for a warning (default 2, about 95%). */
  readonly warningThreshold?: number;
  /** Standard deviations above the best p + s for drift (default 3, about 99%). */
  readonly driftThreshold?: number;
}

/**
 * Drift Detection Method (Gama et al. 2004) on a 0/1 error stream (1 = the prediction was
 * wrong), as river's `drift.binary.DDM`: p_i is the running error rate, s_i = sqrt(p_i (1 -
 * p_i) / i); after the warm start, (p_min, s_min) are kept where p + s was smallest, and the
 * state is `drift` when p_i + s_i > p_min + 3 s_min, else `warning` when > p_min + 2 s_min.
 * The value after a drift starts a fresh detector (river resets on the next update).
 */
export class Ddm implements ConceptDriftDetector {
  readonly #warmStart: number;
  readonly #warningThreshold: number;
  readonly #driftThreshold: number;
  #count = 0;
  #errors = 0;
  #pMin = Infinity;
  #sMin = Infinity;
  #psMin = Infinity;
  #state: DriftState = 'stable';

  /** @throws InvalidArgumentError naming a bad option. */
  constructor(options: DdmOptions = {}) {
    this.#warmStart = options.warmStart ?? DDM_DEFAULTS.warmStart;
    this.#warningThreshold = options.warningThreshold ?? DDM_DEFAULTS.warningThreshold;
    this.#driftThreshold = options.driftThreshold ?? DDM_DEFAULTS.driftThreshold;
    checkParameter(
      'warmStart',
      this.#warmStart,
      Number.isInteger(this.#warmStart) && this.#warmStart >= 0,
      'an integer >= 0',
    );
    checkParameter('warningThreshold', this.#warningThreshold, this.#warningThreshold > 0, 'a number > 0');
    checkParameter(
      'driftThreshold',
      this.#driftThreshold,
      this.#driftThreshold >= this.#warningThreshold,
      'a number >= warningThreshold',
    );
  }

  /** The state after the last value. */
  get state(): DriftState {
    return this.#state;
  }

  /**
   * Adds one outcome: 1 (error) or 0 (correct).
   * @throws InvalidArgumentError for any other value.
   */
  update(value: number): DriftState {
    if (value !== 0 && value !== 1) throw new InvalidArgumentError(`error: expected 0 or 1, got ${value}`);
    if (this.#state === 'drift') this.reset();
    this.#count += 1;
    this.#errors += value;
    const p = this.#errors / this.#count;
    const s = Math.sqrt((p * (1 - p)) / this.#count);
    if (this.#count <= this.#warmStart) return this.#state;
    if (p + s <= this.#psMin) {
      this.#pMin = p;
      this.#sMin = s;
      this.#psMin = p + s;
    }
    if (p + s > this.#pMin + this.#driftThreshold * this.#sMin) this.#state = 'drift';
    else if (p + s > this.#pMin + this.#warningThreshold * this.#sMin) this.#state = 'warning';
    else this.#state = 'stable';
    return this.#state;
  }

  /** The saved form (versioned). */
  toJSON(): DdmJson {
    const finite = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      schemaVersion: DDM_SCHEMA_VERSION,
      options: {
        warmStart: this.#warmStart,
        warningThreshold: this.#warningThreshold,
        driftThreshold: this.#driftThreshold,
      },
      count: this.#count,
      errors: this.#errors,
      pMin: finite(this.#pMin),
      sMin: finite(this.#sMin),
      state: this.#state,
    };
  }

  /**
   * Restores a saved detector; it continues exactly where the saved one stopped.
   * @throws InvalidArgumentError on another schema version or bad options.
   */
  static fromJSON(json: DdmJson): Ddm {
    if (json.schemaVersion !== DDM_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${DDM_SCHEMA_VERSION}, got ${json.schemaVersion}`,
      );
    }
    const ddm = new Ddm(json.options);
    ddm.#count = json.count;
    ddm.#errors = json.errors;
    ddm.#pMin = json.pMin ?? Infinity;
    ddm.#sMin = json.sMin ?? Infinity;
    ddm.#psMin = ddm.#pMin + ddm.#sMin;
    ddm.#state = json.state;
    return ddm;
  }

  /** Forgets every value. */
  reset(): void {
    this.#count = 0;
    this.#errors = 0;
    this.#pMin = Infinity;
    this.#sMin = Infinity;
    this.#psMin = Infinity;
    this.#state = 'stable';
  }
}
