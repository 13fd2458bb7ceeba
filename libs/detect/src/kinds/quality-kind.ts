/**
 * The `quality` kind: data-quality counts per feature and window, learned from the
 * reference: missing (NaN/empty) and infinite cells, values outside the reference's range or
 * its quantile bounds, categories never seen at fit, and type violations. A feature is
 * flagged when a rate exceeds its limit. Unlike every other kind it reads tables built with
 * `nonFinite: 'keep'`, since bad cells are what it counts.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { DriftKernels } from '../kernels.js';
import { type FeatureTable, UNSEEN_CATEGORY_CODE } from '../table/feature-table.js';
import type { DetectorKind, FittedState } from './detector-kind.js';
import type { DriftResult, FeatureDrift, QualityCounts } from './drift-result.js';
import { ParamReader } from './param-reader.js';
import {
  alertFires,
  alertRuleOf,
  effectSizesOf,
  fittedState,
  profileOf,
  readAlertRule,
  referenceCounts,
  requireReferenceRows,
  requireScorable,
  requireSummaryScorable,
  sortedKey,
  summaryEffectSizesOf,
  validateProfile,
} from './reference-profile.js';
import type { SummarisedTable } from './summarised-table.js';

/** Fewest reference rows of the quality kind. */
export const QUALITY_MIN_REFERENCE_ROWS = 1;
/** Reference quantiles outside which a value counts as out of bounds, by default. */
export const DEFAULT_QUANTILE_BOUNDS: readonly [number, number] = [0.01, 0.99];

/** The rate limits per count; a rate strictly above its limit flags the feature. */
export interface QualityLimits {
  readonly missing: number;
  readonly infinite: number;
  readonly outOfRange: number;
  readonly outOfBounds: number;
  readonly unseenCategories: number;
  readonly typeViolations: number;
}

/**
 * Default limits: any infinite value or type violation flags; missing, out-of-range and
 * unseen categories above 5%; out of the 1%-99% quantile bounds above 10% (2% is expected).
 */
export const DEFAULT_QUALITY_LIMITS: QualityLimits = {
  missing: 0.05,
  infinite: 0,
  outOfRange: 0.05,
  outOfBounds: 0.1,
  unseenCategories: 0.05,
  typeViolations: 0,
};

const LIMIT_KEYS = Object.keys(DEFAULT_QUALITY_LIMITS) as (keyof QualityLimits)[];

function quantile(sorted: Float64Array, q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

class QualityKind implements DetectorKind<DriftResult> {
  readonly name = 'quality';

  constructor(
    private readonly kernels: DriftKernels,
    readonly minReferenceRows: number,
  ) {}

  /** The fit's parameter rules, every default written out. */
  private readParams(params: Readonly<Record<string, unknown>>): ParamReader {
    const r = new ParamReader(this.name, params, ['alert', 'quantileBounds', 'limits']);
    readAlertRule(r);
    const bounds = r.json('quantileBounds', (v) => {
      if (!Array.isArray(v) || v.length !== 2 || !v.every((q) => typeof q === 'number' && q >= 0 && q <= 1)) {
        return 'must be [lower, upper] quantiles in [0, 1]';
      }
      return v[0] < v[1] ? (v as [number, number]) : 'lower must be below upper';
    }) ?? [...DEFAULT_QUANTILE_BOUNDS];
    r.params.quantileBounds = bounds;
    const limits = r.json('limits', (v) => {
      if (typeof v !== 'object' || v === null) return 'must be an object of rate limits';
      for (const [k, x] of Object.entries(v)) {
        if (!LIMIT_KEYS.includes(k as keyof QualityLimits))
          return `has no limit ${JSON.stringify(k)}; limits are ${LIMIT_KEYS.join(', ')}`;
        if (typeof x !== 'number' || !(x >= 0 && x <= 1)) return `limit ${k} must be a rate in [0, 1]`;
      }
      return { ...DEFAULT_QUALITY_LIMITS, ...(v as Partial<QualityLimits>) };
    }) ?? { ...DEFAULT_QUALITY_LIMITS };
    r.params.limits = { ...limits };
    return r;
  }

  validate(state: FittedState): void {
    this.readParams(state.params);
    validateProfile(state);
    const ranges = state.json.ranges as Record<string, unknown> | undefined;
    state.schema.names.forEach((name, c) => {
      const sorted = state.arrays[sortedKey(c)];
      if (sorted === undefined || sorted.length === 0) return;
      const range = ranges?.[String(c)];
      const ok =
        Array.isArray(range) &&
        range.length === 4 &&
        range.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
        range[0] <= range[1];
      if (!ok) {
        throw new InvalidArgumentError(
          `reference column ${quoteName(name)}: its range must be four finite numbers [min, max, lower bound, upper bound] with min <= max`,
        );
      }
    });
  }

  fit(reference: FeatureTable, params: Readonly<Record<string, unknown>> = {}): FittedState {
    const r = this.readParams(params);
    const bounds = r.params.quantileBounds as [number, number];
    requireReferenceRows(this.name, reference, this.minReferenceRows);
    const profile = profileOf(reference);
    const ranges: Record<string, number[]> = {};
    reference.columns.forEach((_, c) => {
      const sorted = profile.arrays[sortedKey(c)];
      if (sorted === undefined || sorted.length === 0) return;
      ranges[String(c)] = [
        sorted[0]!,
        sorted[sorted.length - 1]!,
        quantile(sorted, bounds[0]),
        quantile(sorted, bounds[1]),
      ];
    });
    return fittedState(this.name, r.params, reference, { ...profile.json, ranges }, profile.arrays);
  }

  score(state: FittedState, table: FeatureTable): DriftResult {
    requireScorable(this.name, state, table, 1);
    const limits = state.params.limits as unknown as QualityLimits;
    const ranges = state.json.ranges as Record<string, [number, number, number, number]>;
    const rule = alertRuleOf(state);
    const features: FeatureDrift[] = table.columns.map((column, c) => {
      const violations = table.typeViolations?.[c] ?? 0;
      let nan = 0;
      let infinite = 0;
      let outOfRange = 0;
      let outOfBounds = 0;
      let unseenCategories = 0;
      const range = ranges[String(c)];
      const seen = table.kinds[c] === 'categorical' ? referenceCounts(state, c) : undefined;
      for (const v of column) {
        if (Number.isNaN(v)) nan++;
        else if (!Number.isFinite(v)) infinite++;
        else if (seen !== undefined) {
          if (v === UNSEEN_CATEGORY_CODE || !seen.has(v)) unseenCategories++;
        } else if (range !== undefined) {
          if (v < range[0] || v > range[1]) outOfRange++;
          if (v < range[2] || v > range[3]) outOfBounds++;
        }
      }
      const counts = {
        missing: nan - violations,
        infinite,
        outOfRange,
        outOfBounds,
        unseenCategories,
        typeViolations: violations,
      };
      const rates = Object.fromEntries(
        LIMIT_KEYS.map((k) => [k, counts[k] / table.rows]),
      ) as unknown as QualityCounts['rates'];
      const quality: QualityCounts = { ...counts, rates };
      const effectSizes = effectSizesOf(this.kernels, state, table, c);
      return {
        name: table.names[c]!,
        kind: table.kinds[c]!,
        test: 'quality',
        statistic: Math.max(...LIMIT_KEYS.map((k) => rates[k])),
        drift: LIMIT_KEYS.some((k) => rates[k] > limits[k]),
        ...(effectSizes ? { effectSizes } : {}),
        ...(rule ? { alert: alertFires(rule, effectSizes) } : {}),
        quality,
      };
    });
    return qualityResult(this.name, state, table.rows, features, limits, rule);
  }

  /**
   * A summarised window: missing, infinite, wrong-type and unseen-category counts are exact
   * (counted as the rows arrived); values outside the reference's range or quantile bounds
   * are read from the column's quantile sketch (exact where the window's exact min and max
   * are inside the bound, else within the count of the one sketch bucket the bound falls in).
   */
  scoreSummary(state: FittedState, table: SummarisedTable): DriftResult {
    requireSummaryScorable(this.name, state, table);
    const limits = state.params.limits as unknown as QualityLimits;
    const ranges = state.json.ranges as Record<string, [number, number, number, number]>;
    const rule = alertRuleOf(state);
    const features: FeatureDrift[] = table.names.map((name, c) => {
      const violations = table.typeViolations[c] ?? 0;
      const range = ranges[String(c)];
      const sketch = table.sketches[c];
      let outOfRange = 0;
      let outOfBounds = 0;
      let unseenCategories = 0;
      const outside = (low: number, high: number): number => {
        if (sketch === undefined || sketch.count === 0) return 0;
        const below = sketch.min < low ? sketch.cdf(low) * sketch.count : 0;
        const above = sketch.max > high ? (1 - sketch.cdf(high)) * sketch.count : 0;
        return Math.round(below + above);
      };
      if (table.kinds[c] === 'categorical') {
        const seen = referenceCounts(state, c);
        for (const [v, n] of table.counts[c] ?? [])
          if (v === UNSEEN_CATEGORY_CODE || !seen.has(v)) unseenCategories += n;
      } else if (range !== undefined) {
        outOfRange = outside(range[0], range[1]);
        outOfBounds = Math.max(outside(range[2], range[3]), outOfRange);
      }
      const counts = {
        missing: table.missing[c]! - violations,
        infinite: table.infinite[c]!,
        outOfRange,
        outOfBounds,
        unseenCategories,
        typeViolations: violations,
      };
      const rates = Object.fromEntries(
        LIMIT_KEYS.map((k) => [k, counts[k] / table.rows]),
      ) as unknown as QualityCounts['rates'];
      const effectSizes = summaryEffectSizesOf(this.kernels, state, table, c);
      return {
        name,
        kind: table.kinds[c]!,
        test: 'quality',
        statistic: Math.max(...LIMIT_KEYS.map((k) => rates[k])),
        drift: LIMIT_KEYS.some((k) => rates[k] > limits[k]),
        ...(effectSizes ? { effectSizes } : {}),
        ...(rule ? { alert: alertFires(rule, effectSizes) } : {}),
        quality: { ...counts, rates },
      };
    });
    return {
      ...qualityResult(this.name, state, table.rows, features, limits, rule),
      approximation: {
        windowRows: table.rows,
        relativeAccuracy: table.relativeAccuracy,
        note: 'window summarised: missing, infinite, type and unseen-category counts exact; out-of-range and out-of-bounds counts from quantile sketches',
      },
    };
  }
}

/** The quality kind over `kernels` (used for its effect sizes). */
export function qualityKind(
  kernels: DriftKernels,
  minReferenceRows: number = QUALITY_MIN_REFERENCE_ROWS,
): DetectorKind<DriftResult> {
  return new QualityKind(kernels, minReferenceRows);
}

/** A quality result: drift when any check's rate is over its limit (or an alert rule fires). */
function qualityResult(
  kind: string,
  state: FittedState,
  rows: number,
  features: FeatureDrift[],
  limits: Readonly<Record<(typeof LIMIT_KEYS)[number], number>>,
  rule: ReturnType<typeof alertRuleOf>,
): DriftResult {
  const alerted = rule ? features.filter((f) => f.alert).map((f) => f.name) : [];
  return {
    kind,
    rows,
    referenceRows: state.referenceRows,
    features,
    overall: {
      drift: rule ? alerted.length > 0 || features.some((f) => f.drift) : features.some((f) => f.drift),
      basis: 'quality',
      // One number for the batch: the loosest per-check limit (each check's own is in its counts).
      threshold: Math.max(...LIMIT_KEYS.map((k) => limits[k])),
      correction: 'none',
      alpha: 0,
    },
    ...(rule ? { alert: { ...rule, triggered: alerted.length > 0, features: alerted } } : {}),
  };
}
