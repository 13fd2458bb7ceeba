import { OVERFLOW_SEGMENT_VALUE } from './window-options.js';

/** What the segment bound did to one segment name of one series. */
export interface SegmentOverflow {
  /** Distinct values with their own segment. */
  readonly values: number;
  /** Prediction rows that went to `__other__` because the bound was reached. */
  readonly predictionRows: number;
  /** Joined pairs that went to `__other__`. */
  readonly pairs: number;
}

interface NameState {
  readonly values: Set<string>;
  predictionRows: number;
  pairs: number;
}

/**
 * The segment values each series has seen, per segment name, bounded: the first `maxValues`
 * distinct values keep their own segment, later ones share {@link OVERFLOW_SEGMENT_VALUE}
 * (counted), so a high-cardinality column cannot multiply the buckets without limit.
 */
export class SegmentRegistry {
  readonly #maxValues: number;
  readonly #bySeries = new Map<string, Map<string, NameState>>();

  constructor(maxValues: number) {
    this.#maxValues = maxValues;
  }

  /**
   * The segment value a row's `value` is kept under (itself, or `__other__` past the bound),
   * registering it; `kind` says what to count when it overflows.
   */
  resolve(seriesKey: string, name: string, value: string, kind: 'prediction' | 'pair' | 'none'): string {
    const state = this.#state(seriesKey, name);
    if (value !== OVERFLOW_SEGMENT_VALUE && state.values.has(value)) return value;
    if (value !== OVERFLOW_SEGMENT_VALUE && state.values.size < this.#maxValues) {
      state.values.add(value);
      return value;
    }
    if (kind === 'prediction') state.predictionRows += 1;
    else if (kind === 'pair') state.pairs += 1;
    return OVERFLOW_SEGMENT_VALUE;
  }

  /**
   * What {@link resolve} would return, without registering or counting: `tentative` holds the
   * values a record would register before this one (per name), so a record of several rows is
   * previewed as it will be resolved.
   */
  preview(seriesKey: string, name: string, value: string, tentative: Map<string, Set<string>>): string {
    const values = this.#bySeries.get(seriesKey)?.get(name)?.values;
    if (value === OVERFLOW_SEGMENT_VALUE) return value;
    if (values?.has(value)) return value;
    let added = tentative.get(name);
    if (added === undefined) {
      added = new Set();
      tentative.set(name, added);
    }
    if (added.has(value)) return value;
    if ((values?.size ?? 0) + added.size < this.#maxValues) {
      added.add(value);
      return value;
    }
    return OVERFLOW_SEGMENT_VALUE;
  }

  /** The value a row's `value` is kept under, without registering or counting. */
  peek(seriesKey: string, name: string, value: string): string {
    return this.#bySeries.get(seriesKey)?.get(name)?.values.has(value) ? value : OVERFLOW_SEGMENT_VALUE;
  }

  /** The values of `name` of a series that keep their own segment, sorted. */
  values(seriesKey: string, name: string): string[] {
    return [...(this.#bySeries.get(seriesKey)?.get(name)?.values ?? [])].sort();
  }

  /** What the bound did to `name` of a series. */
  overflow(seriesKey: string, name: string): SegmentOverflow {
    const state = this.#bySeries.get(seriesKey)?.get(name);
    return {
      values: state?.values.size ?? 0,
      predictionRows: state?.predictionRows ?? 0,
      pairs: state?.pairs ?? 0,
    };
  }

  #state(seriesKey: string, name: string): NameState {
    let names = this.#bySeries.get(seriesKey);
    if (names === undefined) {
      names = new Map();
      this.#bySeries.set(seriesKey, names);
    }
    let state = names.get(name);
    if (state === undefined) {
      state = { values: new Set(), predictionRows: 0, pairs: 0 };
      names.set(name, state);
    }
    return state;
  }
}
