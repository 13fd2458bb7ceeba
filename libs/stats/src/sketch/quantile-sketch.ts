import { DDSketch } from '@datadog/sketches-js';
import { InvalidArgumentError } from '@sightline/errors';

/** Relative accuracy unless told otherwise: every quantile within 1% of a true value's magnitude. */
export const DEFAULT_SKETCH_RELATIVE_ACCURACY = 0.01;
/** Version of {@link QuantileSketchJson}; bumped on any incompatible change. */
export const QUANTILE_SKETCH_SCHEMA_VERSION = 1;

/** Serialised {@link QuantileSketch}: DDSketch's protobuf (base64) plus the summaries it drops. */
export interface QuantileSketchJson {
  readonly schemaVersion: number;
  readonly relativeAccuracy: number;
  readonly count: number;
  readonly sum: number;
  /** null when empty (JSON has no Infinity). */
  readonly min: number | null;
  readonly max: number | null;
  /** DDSketch.toProto(), base64. */
  readonly ddsketch: string;
}

/** Version of {@link QuantileSketchBinsJson}. */
export const QUANTILE_SKETCH_BINS_SCHEMA_VERSION = 1;

/**
 * Sparse saved form of a {@link QuantileSketch}: the non-empty bins by DDSketch key, without
 * the protobuf. About ten times faster to write and read than {@link QuantileSketchJson} for a
 * small sketch (a minute's latencies), whose dense store is mostly zeros, and it gives back the
 * same bytes after a restore.
 */
export interface QuantileSketchBinsJson {
  readonly schemaVersion: number;
  readonly relativeAccuracy: number;
  readonly count: number;
  readonly sum: number;
  /** null when empty (JSON has no Infinity). */
  readonly min: number | null;
  readonly max: number | null;
  /** Values DDSketch counts as zero (|v| below its smallest positive bucket). */
  readonly zeroCount: number;
  /** Positive values' bins, ascending key, flat: [key, count, key, count, ...]. */
  readonly positive: number[];
  /** Negative values' bins by the key of |v|, ascending, flat. */
  readonly negative: number[];
}

/** One bucket of a {@link QuantileSketch}: `count` values, each in [lower, upper]. */
export interface SketchBucket {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}

/** What the sketch library's instances look like after `fromProto` (a base sketch, not the subclass). */
type Sketch = Pick<
  DDSketch,
  | 'accept'
  | 'merge'
  | 'mergeable'
  | 'getValueAtQuantile'
  | 'toProto'
  | 'count'
  | 'sum'
  | 'min'
  | 'max'
  | 'zeroCount'
> & {
  readonly mapping: DDSketch['mapping'];
  readonly store: DDSketch['store'];
  readonly negativeStore: DDSketch['negativeStore'];
};

/**
 * A mergeable quantile sketch for a numeric column too large to hold (DataDog's DDSketch,
 * logarithmic mapping, unbounded dense stores). Guarantee: `quantile(q)` returns a value
 * within `relativeAccuracy` x |v| of v, the value of rank q (count - 1) in the data seen
 * (DDSketch's lower rank convention); merging sketches of two windows gives the sketch of their
 * union exactly (same bins), so replicas can each sketch their share of a window.
 * `cdf(x)` counts the buckets below x's and interpolates linearly inside x's bucket, so it
 * equals the exact CDF at some point between x / gamma and x * gamma,
 * gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy) (the bucket width, about
 * 1 + 2 x relativeAccuracy), and is usually much closer for smooth data.
 */
export class QuantileSketch {
  readonly #sketch: Sketch;
  readonly #relativeAccuracy: number;

  /** @param options.relativeAccuracy in (0, 1), default {@link DEFAULT_SKETCH_RELATIVE_ACCURACY}. */
  constructor(options: { readonly relativeAccuracy?: number } = {}) {
    const relativeAccuracy = options.relativeAccuracy ?? DEFAULT_SKETCH_RELATIVE_ACCURACY;
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1)) {
      throw new InvalidArgumentError(
        `relativeAccuracy: expected a number in (0, 1), got ${relativeAccuracy}`,
      );
    }
    this.#relativeAccuracy = relativeAccuracy;
    this.#sketch = new DDSketch({ relativeAccuracy }) as Sketch;
  }

  /** The accuracy guarantee (see the class documentation). */
  get relativeAccuracy(): number {
    return this.#relativeAccuracy;
  }
  /** Values added (including merged ones). */
  get count(): number {
    return this.#sketch.count;
  }
  /** Sum of the values added. */
  get sum(): number {
    return this.#sketch.sum;
  }
  /** Smallest value added (exact); NaN when empty. */
  get min(): number {
    return this.count === 0 ? Number.NaN : this.#sketch.min;
  }
  /** Largest value added (exact); NaN when empty. */
  get max(): number {
    return this.count === 0 ? Number.NaN : this.#sketch.max;
  }

  /**
   * Adds one value.
   * @throws InvalidArgumentError on NaN or ±Infinity (the sketch cannot place them).
   */
  add(value: number): this {
    if (!Number.isFinite(value))
      throw new InvalidArgumentError(`value: ${value} is not allowed in a quantile sketch`);
    // + 0 turns -0 into 0: the sign of a zero is no quantile's business, and JSON (the sparse
    // bins form) cannot carry it, so a restored sketch would differ from the one saved.
    this.#sketch.accept(value + 0);
    return this;
  }

  /** Adds every value; the error names the index of the first non-finite one. */
  addAll(values: ArrayLike<number>): this {
    for (let t = 0; t < values.length; t++) {
      const v = values[t]!;
      if (!Number.isFinite(v))
        throw new InvalidArgumentError(`values, row ${t}: ${v} is not allowed in a quantile sketch`);
      this.#sketch.accept(v + 0); // -0 as 0, as in add()
    }
    return this;
  }

  /**
   * Folds `other` into this sketch (other is unchanged).
   * @throws InvalidArgumentError when the relative accuracies differ.
   */
  merge(other: QuantileSketch): this {
    if (
      other.#relativeAccuracy !== this.#relativeAccuracy ||
      !this.#sketch.mergeable(other.#sketch as DDSketch)
    ) {
      throw new InvalidArgumentError(
        `sketch: cannot merge relative accuracy ${other.#relativeAccuracy} into ${this.#relativeAccuracy}`,
      );
    }
    mergeSketches(this.#sketch, other.#sketch);
    return this;
  }

  /** Value at quantile q in [0, 1] (see the class guarantee); NaN when empty. */
  quantile(q: number): number {
    if (!(q >= 0 && q <= 1)) throw new InvalidArgumentError(`quantile: expected q in [0, 1], got ${q}`);
    if (this.count === 0) return Number.NaN;
    // The sketch's bucket values can stray outside [min, max] by the relative error; clamp to the exact range.
    return Math.min(Math.max(this.#sketch.getValueAtQuantile(q), this.min), this.max);
  }

  /** Estimated fraction of values <= x (see the class guarantee); NaN when empty. */
  cdf(x: number): number {
    if (Number.isNaN(x)) throw new InvalidArgumentError('cdf: x must not be NaN');
    const s = this.#sketch;
    if (s.count === 0) return Number.NaN;
    if (x < s.min) return 0;
    if (x >= s.max) return 1;
    const minPossible = s.mapping.minPossible;
    let below = 0;
    if (x > minPossible) {
      const key = s.mapping.key(x);
      const [lower, upper] = bucketBounds(s, key);
      below =
        s.negativeStore.count +
        s.zeroCount +
        storeCountUpTo(s.store, key - 1) +
        storeBin(s.store, key) * clamp01((x - lower) / (upper - lower));
    } else if (x >= -minPossible) {
      below = s.negativeStore.count + (x >= 0 ? s.zeroCount : 0);
    } else {
      // Negative values v <= x are those with |v| >= |x|: the negative store's keys above
      // key(|x|), and the part of its bucket at or above |x|.
      const key = s.mapping.key(-x);
      const [lower, upper] = bucketBounds(s, key);
      below =
        s.negativeStore.count -
        storeCountUpTo(s.negativeStore, key) +
        storeBin(s.negativeStore, key) * clamp01((upper + x) / (upper - lower));
    }
    return below / s.count;
  }

  /**
   * The sketch's non-empty buckets, ascending: every value the bucket counts lies in
   * [lower, upper] (bounds clamped to the exact min and max, so the outer buckets are tight;
   * the values near zero that DDSketch counts as zero form one bucket). What a test on a
   * summarised window needs to bound its error: between buckets the window's CDF is exact,
   * inside one it is known only to within the bucket's count.
   */
  buckets(): SketchBucket[] {
    const s = this.#sketch;
    if (s.count === 0) return [];
    const out: SketchBucket[] = [];
    const push = (lower: number, upper: number, count: number): void => {
      if (count > 0) out.push({ lower: Math.max(lower, s.min), upper: Math.min(upper, s.max), count });
    };
    const negative = s.negativeStore as unknown as BinStore;
    for (let i = negative.bins.length - 1; i >= 0; i--) {
      const [lower, upper] = bucketBounds(s, i + negative.offset);
      push(-upper, -lower, negative.bins[i] ?? 0);
    }
    push(-s.mapping.minPossible, s.mapping.minPossible, s.zeroCount);
    const positive = s.store as unknown as BinStore;
    for (let i = 0; i < positive.bins.length; i++) {
      const [lower, upper] = bucketBounds(s, i + positive.offset);
      push(lower, upper, positive.bins[i] ?? 0);
    }
    return out;
  }

  /** Versioned JSON form (see {@link QuantileSketchJson}). */
  toJSON(): QuantileSketchJson {
    return {
      schemaVersion: QUANTILE_SKETCH_SCHEMA_VERSION,
      relativeAccuracy: this.#relativeAccuracy,
      count: this.count,
      sum: this.sum,
      min: this.count === 0 ? null : this.#sketch.min,
      max: this.count === 0 ? null : this.#sketch.max,
      ddsketch: Buffer.from(this.#sketch.toProto()).toString('base64'),
    };
  }

  /** The sparse saved form (see {@link QuantileSketchBinsJson}). */
  toBinsJSON(): QuantileSketchBinsJson {
    const s = this.#sketch;
    return {
      schemaVersion: QUANTILE_SKETCH_BINS_SCHEMA_VERSION,
      relativeAccuracy: this.#relativeAccuracy,
      count: s.count,
      sum: s.sum,
      min: s.count === 0 ? null : s.min,
      max: s.count === 0 ? null : s.max,
      zeroCount: s.zeroCount,
      positive: sparseBins(s.store as unknown as BinStore),
      negative: sparseBins(s.negativeStore as unknown as BinStore),
    };
  }

  /**
   * Restores a sketch written by {@link toBinsJSON}.
   * @throws InvalidArgumentError naming the field of another schema version, a bad key or count,
   * or a count that disagrees with the bins.
   */
  static fromBinsJSON(json: QuantileSketchBinsJson): QuantileSketch {
    const restored = new QuantileSketch({ relativeAccuracy: json.relativeAccuracy });
    restored.mergeBinsJSON(json);
    return restored;
  }

  /**
   * Folds a sketch saved by {@link toBinsJSON} into this one without building it first (what a
   * window merging many saved buckets needs).
   * @throws InvalidArgumentError as {@link fromBinsJSON}, or when the relative accuracies differ;
   * this sketch is unchanged then.
   */
  mergeBinsJSON(json: QuantileSketchBinsJson): this {
    if (json?.schemaVersion !== QUANTILE_SKETCH_BINS_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${QUANTILE_SKETCH_BINS_SCHEMA_VERSION}, got ${JSON.stringify(json?.schemaVersion)}`,
      );
    }
    if (json.relativeAccuracy !== this.#relativeAccuracy) {
      throw new InvalidArgumentError(
        `relativeAccuracy: cannot merge relative accuracy ${json.relativeAccuracy} into ${this.#relativeAccuracy}`,
      );
    }
    const count = binCount(json.count, 'count');
    const zeroCount = binCount(json.zeroCount, 'zeroCount');
    if (!Number.isFinite(json.sum))
      throw new InvalidArgumentError(`sum: expected a finite number, got ${json.sum}`);
    const total =
      zeroCount + checkSparseBins(json.positive, 'positive') + checkSparseBins(json.negative, 'negative');
    if (total !== count) {
      throw new InvalidArgumentError(`count: ${count} disagrees with the ${total} values in the bins`);
    }
    if (count === 0) return this;
    if (!(Number.isFinite(json.min) && Number.isFinite(json.max) && json.min! <= json.max!)) {
      throw new InvalidArgumentError('min: a non-empty sketch needs finite min <= max');
    }
    const s = this.#sketch;
    const stores = [
      [s.store, json.positive],
      [s.negativeStore, json.negative],
    ] as unknown as [BinStore, number[]][];
    for (const [store, bins] of stores) {
      for (let i = 0; i < bins.length; i += 2) store.add(bins[i]!, bins[i + 1]!);
    }
    const summary = s as unknown as {
      zeroCount: number;
      count: number;
      sum: number;
      min: number;
      max: number;
    };
    summary.zeroCount += zeroCount;
    summary.count += count;
    summary.sum += json.sum;
    if (json.min! < summary.min) summary.min = json.min!;
    if (json.max! > summary.max) summary.max = json.max!;
    return this;
  }

  /**
   * Restores a sketch written by {@link toJSON}.
   * @throws InvalidArgumentError on another schema version or a count that disagrees with the bins.
   */
  static fromJSON(json: QuantileSketchJson): QuantileSketch {
    if (json.schemaVersion !== QUANTILE_SKETCH_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `quantile sketch: schemaVersion ${json.schemaVersion} is not supported (expected ${QUANTILE_SKETCH_SCHEMA_VERSION})`,
      );
    }
    const restored = new QuantileSketch({ relativeAccuracy: json.relativeAccuracy });
    let decoded: DDSketch;
    try {
      decoded = DDSketch.fromProto(Buffer.from(json.ddsketch, 'base64')) as unknown as DDSketch;
    } catch (error) {
      throw new InvalidArgumentError('quantile sketch: ddsketch is not a valid DDSketch protobuf', {
        cause: error,
      });
    }
    if (decoded.count !== json.count) {
      throw new InvalidArgumentError(
        `quantile sketch: count ${json.count} disagrees with the ${decoded.count} values in its bins`,
      );
    }
    // fromProto drops min, max and sum; merging into an empty sketch of the same accuracy
    // restores the bins, then the summaries are set from the JSON.
    decoded.min = json.min ?? Number.POSITIVE_INFINITY;
    decoded.max = json.max ?? Number.NEGATIVE_INFINITY;
    decoded.sum = json.sum;
    mergeSketches(restored.#sketch, decoded);
    return restored;
  }
}

/** The dense store's fields this module reads (sketches-js keeps bins in a plain array). */
interface BinStore {
  readonly bins: readonly number[];
  readonly offset: number;
  readonly count: number;
  add(key: number, weight: number): void;
}

/** The non-empty bins of a dense store, flat [key, count, ...], ascending key. */
function sparseBins(store: BinStore): number[] {
  const out: number[] = [];
  if (store.count === 0) return out;
  for (let i = 0; i < store.bins.length; i++) {
    const weight = store.bins[i]!;
    if (weight > 0) out.push(i + store.offset, weight);
  }
  return out;
}

/** Checks flat [key, count, ...] bins (integer keys ascending, positive counts); returns their total. */
function checkSparseBins(bins: unknown, field: string): number {
  if (!Array.isArray(bins) || bins.length % 2 !== 0) {
    throw new InvalidArgumentError(`${field}: expected a flat array of [key, count] pairs`);
  }
  let total = 0;
  for (let i = 0; i < bins.length; i += 2) {
    const key = bins[i];
    const weight = bins[i + 1];
    if (!(Number.isSafeInteger(key) && (i === 0 || key > bins[i - 2]))) {
      throw new InvalidArgumentError(
        `${field}[${i}]: expected an integer key above the previous one, got ${key}`,
      );
    }
    if (!(typeof weight === 'number' && Number.isFinite(weight) && weight > 0)) {
      throw new InvalidArgumentError(`${field}[${i + 1}]: expected a count > 0, got ${weight}`);
    }
    total += weight;
  }
  return total;
}

function binCount(value: unknown, field: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidArgumentError(`${field}: expected a count >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * `into.merge(from)`, done bin by bin. sketches-js 2.1.1's own merge is wrong twice: for two
 * non-empty sketches it drops `from`'s negative values, and its store merge loses bins when
 * the key range grows by more than the store's length (values near 1e-308 next to ordinary
 * ones: a property test found the maximum's bin gone). Adding each non-empty bin with
 * `add(key, count)` takes the store's own growth path, which keeps them.
 */
function mergeSketches(into: Sketch, from: Sketch): void {
  if (from.count === 0) return;
  for (const [target, source] of [
    [into.store, from.store],
    [into.negativeStore, from.negativeStore],
  ] as unknown as [BinStore, BinStore][]) {
    if (source.count === 0) continue;
    for (let i = 0; i < source.bins.length; i++) {
      const weight = source.bins[i]!;
      if (weight > 0) target.add(i + source.offset, weight);
    }
  }
  const summary = into as unknown as {
    zeroCount: number;
    count: number;
    sum: number;
    min: number;
    max: number;
  };
  summary.zeroCount += from.zeroCount;
  summary.count += from.count;
  summary.sum += from.sum;
  if (from.min < summary.min) summary.min = from.min;
  if (from.max > summary.max) summary.max = from.max;
}

/**
 * The value range (lower, upper] of bucket `key`: DDSketch's logarithmic mapping puts
 * (gamma^(k-1), gamma^k] in bucket k and represents it by 2 gamma^k / (1 + gamma).
 */
function bucketBounds(s: Sketch, key: number): [number, number] {
  const upper = (s.mapping.value(key) * (1 + s.mapping.gamma)) / 2;
  return [upper / s.mapping.gamma, upper];
}

function clamp01(v: number): number {
  return Math.min(Math.max(v, 0), 1);
}

/** Count in bucket `key` of a DDSketch dense store. */
function storeBin(store: Sketch['store'], key: number): number {
  if (store.count === 0 || key < store.minKey || key > store.maxKey) return 0;
  return store.bins[key - store.offset] ?? 0;
}

/** Count in a DDSketch dense store of the keys <= `key`. */
function storeCountUpTo(store: Sketch['store'], key: number): number {
  if (store.count === 0 || key < store.minKey) return 0;
  if (key >= store.maxKey) return store.count;
  let total = 0;
  const last = key - store.offset;
  for (let index = store.minKey - store.offset; index <= last; index++) total += store.bins[index] ?? 0;
  return total;
}
