/**
 * Where a counterfactual may go and how far it is: per feature, the allowed interval, the scale
 * the distance divides by, which features may change, and which are categorical. Built once per
 * instance row from the parameters, the feature space and the weighted background.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { weightedMedian } from '@sightline/stats';
import type { FeatureSpace, WeightedRows } from '../method.js';
import type { CounterfactualDistance, CounterfactualParams } from './counterfactual-types.js';

/** The instance's neighbourhood: ranges, scales and the distance to the instance. */
export interface SearchSpace {
  readonly featureCount: number;
  readonly instance: Float64Array;
  /** Indices of the features that may change, ascending. */
  readonly mutable: Int32Array;
  /** Per feature: whether its values are category indices (moves only to another index). */
  readonly categorical: readonly boolean[];
  /** Per feature: the allowed interval (a given range may have an infinite end). */
  readonly low: Float64Array;
  readonly high: Float64Array;
  /** Per feature: a finite box for sampling (infinite ends replaced by the background's, widened to hold the instance). */
  readonly boxLow: Float64Array;
  readonly boxHigh: Float64Array;
  /** Per feature: the distance's divisor (MAD, range or standard deviation; 0 counts as 1). */
  readonly scale: Float64Array;
  readonly distanceKind: CounterfactualDistance;
  /** Distance from the instance to the row at `offset` of `rows`. */
  distanceTo(rows: Float64Array, offset: number): number;
  /** Distance between two rows (for telling counterfactuals apart). */
  distanceBetween(a: Float64Array, aOffset: number, b: Float64Array, bOffset: number): number;
  /** Moves a value into feature `f`'s allowed interval (a category onto an allowed index). */
  clamp(f: number, value: number): number;
}

function nonZero(value: number): number {
  return value > 0 && Number.isFinite(value) ? value : 1;
}

/** Per feature statistics of a background, computed once per background (and distance kind). */
interface BackgroundStatistics {
  readonly min: Float64Array;
  readonly max: Float64Array;
  /** Weighted median absolute deviation, or population standard deviation, as the distance needs. */
  readonly spread: ReadonlyMap<CounterfactualDistance, Float64Array>;
}

/**
 * Statistics by background object. The service passes one reduced background to every row of a
 * request, and a MAD over 10,000 rows and 100 features costs tens of milliseconds: computed
 * per row it would dominate a request of 100 rows. A WeakMap keeps no background alive.
 */
const statisticsCache = new WeakMap<
  WeightedRows,
  { min: Float64Array; max: Float64Array; spread: Map<CounterfactualDistance, Float64Array> }
>();

function columnOf(background: WeightedRows, f: number): Float64Array {
  const column = new Float64Array(background.count);
  for (let r = 0; r < background.count; r++) column[r] = background.rows[r * background.featureCount + f]!;
  return column;
}

function weightedMad(column: Float64Array, weights: Float64Array): number {
  const median = weightedMedian(column, weights);
  return weightedMedian(
    column.map((v) => Math.abs(v - median)),
    weights,
  );
}

function weightedStd(column: Float64Array, weights: Float64Array): number {
  let total = 0;
  let mean = 0;
  for (let r = 0; r < column.length; r++) {
    total += weights[r]!;
    mean += weights[r]! * column[r]!;
  }
  mean /= total;
  let variance = 0;
  for (let r = 0; r < column.length; r++) variance += weights[r]! * (column[r]! - mean) ** 2;
  return Math.sqrt(variance / total);
}

function statisticsOf(background: WeightedRows, distance: CounterfactualDistance): BackgroundStatistics {
  let entry = statisticsCache.get(background);
  const { featureCount } = background;
  if (!entry) {
    const min = new Float64Array(featureCount).fill(Number.POSITIVE_INFINITY);
    const max = new Float64Array(featureCount).fill(Number.NEGATIVE_INFINITY);
    for (let r = 0; r < background.count; r++) {
      for (let f = 0; f < featureCount; f++) {
        const value = background.rows[r * featureCount + f]!;
        if (value < min[f]!) min[f] = value;
        if (value > max[f]!) max[f] = value;
      }
    }
    entry = { min, max, spread: new Map() };
    statisticsCache.set(background, entry);
  }
  if (distance !== 'l1-range' && !entry.spread.has(distance)) {
    const spread = new Float64Array(featureCount);
    for (let f = 0; f < featureCount; f++) {
      const column = columnOf(background, f);
      spread[f] =
        distance === 'l1-mad'
          ? weightedMad(column, background.weights)
          : weightedStd(column, background.weights);
    }
    entry.spread.set(distance, spread);
  }
  return entry;
}

/**
 * Builds the search space of one instance row.
 * @throws InvalidArgumentError when the instance lies outside a given feature range (rule
 * "counterfactual.feature_ranges") or there is no background (rule "background.set").
 */
export function buildSearchSpace(
  instance: Float64Array,
  params: CounterfactualParams,
  space: FeatureSpace,
  background: WeightedRows | undefined,
): SearchSpace {
  if (!background || background.count === 0) {
    throw new InvalidArgumentError(
      'background: counterfactuals need background rows for feature ranges and scales (rule "background.set")',
      { field: 'background' },
    );
  }
  const featureCount = instance.length;
  const low = new Float64Array(featureCount);
  const high = new Float64Array(featureCount);
  const boxLow = new Float64Array(featureCount);
  const boxHigh = new Float64Array(featureCount);
  const scale = new Float64Array(featureCount);
  const categorical = Array.from({ length: featureCount }, (_, f) => space.categorical.has(f));
  const statistics = statisticsOf(background, params.distance);
  const spread = statistics.spread.get(params.distance);
  for (let f = 0; f < featureCount; f++) {
    let backgroundLow = Math.min(instance[f]!, statistics.min[f]!);
    let backgroundHigh = Math.max(instance[f]!, statistics.max[f]!);
    const given = params.featureRanges.get(f);
    if (given) {
      if (!(instance[f]! >= given.min && instance[f]! <= given.max)) {
        throw new InvalidArgumentError(
          `counterfactual.feature_ranges: the instance's feature ${f} (${space.featureNames[f] ?? f}) is ${instance[f]}, outside its range [${given.min}, ${given.max}] (rule "counterfactual.feature_ranges")`,
          { field: 'counterfactual.feature_ranges' },
        );
      }
      low[f] = given.min;
      high[f] = given.max;
      // The sampling box keeps a given finite end, else the background's.
      backgroundLow = Number.isFinite(given.min) ? given.min : Math.max(backgroundLow, given.min);
      backgroundHigh = Number.isFinite(given.max) ? given.max : Math.min(backgroundHigh, given.max);
    } else {
      // The background's min..max, widened to hold the instance: an instance beyond the
      // background is unusual, not wrong, and it must stay a valid point of its own space.
      low[f] = backgroundLow;
      high[f] = backgroundHigh;
    }
    boxLow[f] = backgroundLow;
    boxHigh[f] = backgroundHigh;
    scale[f] = nonZero(spread ? spread[f]! : backgroundHigh - backgroundLow);
  }
  const immutable = new Set(params.immutableFeatures);
  const mutable = Int32Array.from(
    Array.from({ length: featureCount }, (_, f) => f).filter((f) => !immutable.has(f)),
  );
  const squared = params.distance === 'l2-std';
  const isCategorical = Uint8Array.from(categorical, (c) => (c ? 1 : 0));
  // A categorical change costs one scaled unit whatever the indices: categories have no order.
  const distanceBetween = (a: Float64Array, aOffset: number, b: Float64Array, bOffset: number): number => {
    let sum = 0;
    for (let f = 0; f < featureCount; f++) {
      const difference = a[aOffset + f]! - b[bOffset + f]!;
      if (difference === 0) continue;
      if (isCategorical[f] === 1) sum += 1;
      else {
        const scaled = difference / scale[f]!;
        sum += squared ? scaled * scaled : Math.abs(scaled);
      }
    }
    return squared ? Math.sqrt(sum) : sum;
  };
  return {
    featureCount,
    instance,
    mutable,
    categorical,
    low,
    high,
    boxLow,
    boxHigh,
    scale,
    distanceKind: params.distance,
    distanceTo: (rows, offset) => distanceBetween(instance, 0, rows, offset),
    distanceBetween,
    clamp: (f, value) => {
      const inside = Math.min(high[f]!, Math.max(low[f]!, value));
      if (!categorical[f]) return inside;
      const rounded = Math.round(inside);
      return rounded < low[f]! ? rounded + 1 : rounded > high[f]! ? rounded - 1 : rounded;
    },
  };
}
