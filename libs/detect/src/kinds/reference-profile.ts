/**
 * What every drift kind keeps of its reference to put effect sizes beside its verdict:
 * the sorted finite values of each numeric column and the category counts of each
 * categorical one. Also the checks and the alert rule every kind shares.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { DriftKernels, EffectSizes } from '../kernels.js';
import { type FeatureTable, requireSchema, schemaOf } from '../table/feature-table.js';
import type { FittedState, JsonObject } from './detector-kind.js';
import type { EffectSizeAlertRule, EffectSizeMetric } from './drift-result.js';
import type { ParamReader } from './param-reader.js';
import { expandCounts, type SummarisedTable } from './summarised-table.js';

/** The p-value threshold (alpha) by default, as Alibi Detect's `p_val`. */
export const DEFAULT_P_VAL = 0.05;
/** Per-feature p-values are corrected by Bonferroni by default, as Alibi Detect. */
export const DEFAULT_CORRECTION = 'bonferroni';
/** Permutations of the permutation tests (MMD, LSDD) by default, as Alibi Detect's `n_permutations`. */
export const DEFAULT_PERMUTATIONS = 100;
/** Most permutations a detector may ask for (each costs a pass over the kernel matrix). */
export const MAX_PERMUTATIONS = 10_000;

const EFFECT_METRICS: readonly EffectSizeMetric[] = ['psi', 'jensenShannon', 'wasserstein', 'hellinger'];

/** The array key of a numeric column's sorted reference values. */
export function sortedKey(column: number): string {
  return `sorted.${column}`;
}

/** Sorted finite values of a column. */
export function sortedFinite(column: Float64Array): Float64Array {
  return column.filter((v) => Number.isFinite(v)).sort();
}

/** Counts of each value of a column (finite values only), as [value, count] pairs. */
export function countValues(column: Float64Array): Map<number, number> {
  const counts = new Map<number, number>();
  for (const v of column) if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

/** The reference profile of `table`: arrays (sorted numeric columns) and JSON (category counts). */
export function profileOf(table: FeatureTable): { arrays: Record<string, Float64Array>; json: JsonObject } {
  const arrays: Record<string, Float64Array> = {};
  const categories: JsonObject = {};
  table.columns.forEach((column, c) => {
    if (table.kinds[c] === 'numeric') arrays[sortedKey(c)] = sortedFinite(column);
    else categories[String(c)] = [...countValues(column)].sort((a, b) => a[0] - b[0]);
  });
  return { arrays, json: { categories } };
}

/**
 * Checks a loaded state's reference profile against its schema, as `profileOf` built it: each
 * numeric column's sorted finite values (at most `referenceRows`, in order), each categorical
 * column's [value, count] pairs (positive whole counts adding up to at most `referenceRows`).
 * A saved version edited by hand (or cut short) is refused at load instead of scoring wrong.
 * @throws InvalidArgumentError naming the column and the rule.
 */
export function validateProfile(state: FittedState): void {
  const { names, kinds } = state.schema;
  const rows = state.referenceRows;
  if (!Number.isInteger(rows) || rows < 1) {
    throw new InvalidArgumentError(`referenceRows must be a positive integer, got ${String(rows)}`);
  }
  if (kinds.length !== names.length) {
    throw new InvalidArgumentError(`the schema has ${names.length} columns but ${kinds.length} column kinds`);
  }
  const categories = state.json.categories as Record<string, unknown> | undefined;
  names.forEach((name, c) => {
    const column = `reference column ${quoteName(name)}`;
    if (kinds[c] === 'numeric') {
      const sorted = state.arrays[sortedKey(c)];
      if (sorted === undefined) throw new InvalidArgumentError(`${column}: its sorted values are missing`);
      if (sorted.length > rows) {
        throw new InvalidArgumentError(`${column}: ${sorted.length} values for ${rows} reference rows`);
      }
      for (let i = 0; i < sorted.length; i++) {
        if (!Number.isFinite(sorted[i]!) || (i > 0 && sorted[i]! < sorted[i - 1]!)) {
          throw new InvalidArgumentError(`${column}: value ${i} is not finite or out of order`);
        }
      }
      return;
    }
    const counts = categories?.[String(c)];
    if (!Array.isArray(counts)) throw new InvalidArgumentError(`${column}: its category counts are missing`);
    let total = 0;
    for (const pair of counts as unknown[]) {
      const [value, count] = Array.isArray(pair) ? (pair as unknown[]) : [];
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        !Number.isInteger(count) ||
        (count as number) < 1
      ) {
        throw new InvalidArgumentError(
          `${column}: category counts must be [value, count] pairs with a positive whole count, got ${JSON.stringify(pair)}`,
        );
      }
      total += count as number;
    }
    if (total > rows) {
      throw new InvalidArgumentError(
        `${column}: category counts add up to ${total}, above the ${rows} reference rows`,
      );
    }
  });
}

/**
 * Checks a loaded state's row-major reference matrix (`arrays[key]`, the kernel and online
 * kinds'): `referenceRows` x columns finite values.
 * @throws InvalidArgumentError naming the array and the rule.
 */
export function validateReferenceMatrix(state: FittedState, key = 'reference'): void {
  const data = state.arrays[key];
  const expected = state.referenceRows * state.schema.names.length;
  if (data === undefined || data.length !== expected) {
    throw new InvalidArgumentError(
      `${key}: the reference matrix must hold ${state.referenceRows} x ${state.schema.names.length} values, got ${data?.length ?? 'none'}`,
    );
  }
  if (!data.every(Number.isFinite))
    throw new InvalidArgumentError(`${key}: the reference matrix holds a value that is not finite`);
}

/** The reference category counts of column `c` from a fitted state. */
export function referenceCounts(state: FittedState, c: number): Map<number, number> {
  const categories = state.json.categories as Record<string, [number, number][]> | undefined;
  return new Map(categories?.[String(c)] ?? []);
}

/** Effect sizes of column `c` of `table` against the state's reference; undefined without finite values. */
export function effectSizesOf(
  kernels: DriftKernels,
  state: FittedState,
  table: FeatureTable,
  c: number,
): EffectSizes | undefined {
  const column = table.columns[c]!;
  if (table.kinds[c] === 'numeric') {
    const reference = state.arrays[sortedKey(c)];
    const finite = column.filter((v) => Number.isFinite(v));
    if (reference === undefined || reference.length === 0 || finite.length === 0) return undefined;
    return kernels.numericEffectSizes(reference, finite);
  }
  const sample = countValues(column);
  if (sample.size === 0) return undefined;
  return kernels.categoricalEffectSizes(referenceCounts(state, c), sample);
}

/**
 * Effect sizes of column `c` of a summarised window: from its sketch (numeric) or its counts
 * (categorical, exact); undefined without finite values.
 */
export function summaryEffectSizesOf(
  kernels: DriftKernels,
  state: FittedState,
  table: SummarisedTable,
  c: number,
): EffectSizes | undefined {
  const sketch = table.sketches[c];
  if (sketch !== undefined) {
    const reference = state.arrays[sortedKey(c)];
    if (reference === undefined || reference.length === 0 || sketch.count === 0) return undefined;
    const distinct = table.distinct?.[c];
    return distinct
      ? kernels.numericEffectSizes(reference, expandCounts(distinct))
      : kernels.sketchedNumericEffectSizes(reference, sketch);
  }
  const counts = table.counts[c];
  if (counts === undefined || counts.size === 0) return undefined;
  return kernels.categoricalEffectSizes(referenceCounts(state, c), counts);
}

/**
 * Refuses a summarised window of other columns than the fitted ones.
 * @throws InvalidArgumentError
 */
export function requireSummaryScorable(kind: string, state: FittedState, table: SummarisedTable): void {
  if (state.kind !== kind) {
    throw new InvalidArgumentError(
      `a state fitted by kind ${quoteName(state.kind)} cannot be scored by ${quoteName(kind)}`,
    );
  }
  requireSchema(table, state.schema);
}

/** Reads the optional `alert` parameter: `{ metric, above }`. */
export function readAlertRule(reader: ParamReader): EffectSizeAlertRule | undefined {
  return reader.json('alert', (v) => {
    const rule = v as { metric?: unknown; above?: unknown };
    if (typeof rule !== 'object' || rule === null) return 'must be an object { metric, above }';
    if (!EFFECT_METRICS.includes(rule.metric as EffectSizeMetric)) {
      return `metric must be one of ${EFFECT_METRICS.join(', ')}`;
    }
    if (typeof rule.above !== 'number' || !(rule.above >= 0)) return 'above must be a number >= 0';
    return { metric: rule.metric as EffectSizeMetric, above: rule.above };
  });
}

/**
 * Refuses a reference below `minimum` rows, stating the minimum.
 * @throws InvalidArgumentError
 */
export function requireReferenceRows(kind: string, table: FeatureTable, minimum: number): void {
  if (table.rows < minimum) {
    throw new InvalidArgumentError(
      `kind ${quoteName(kind)} needs a reference of at least ${minimum} rows, got ${table.rows}`,
      { field: 'reference' },
    );
  }
}

/**
 * Refuses a scored table of other columns than the fitted ones, or below `minimum` rows.
 * @throws InvalidArgumentError
 */
export function requireScorable(
  kind: string,
  state: FittedState,
  table: FeatureTable,
  minimum: number,
): void {
  if (state.kind !== kind) {
    throw new InvalidArgumentError(
      `a state fitted by kind ${quoteName(state.kind)} cannot be scored by ${quoteName(kind)}`,
    );
  }
  requireSchema(table, state.schema);
  if (table.rows < minimum) {
    throw new InvalidArgumentError(
      `kind ${quoteName(kind)} needs at least ${minimum} rows to score, got ${table.rows}`,
    );
  }
}

/**
 * Refuses categorical columns for kinds that only test numbers (KS, CVM, kernel tests, PCA).
 * @throws InvalidArgumentError naming the column and what to use instead.
 */
export function requireNumeric(kind: string, table: FeatureTable): void {
  const c = table.kinds.indexOf('categorical');
  if (c >= 0) {
    throw new InvalidArgumentError(
      `kind ${quoteName(kind)} tests numeric columns; column ${quoteName(table.names[c]!)} is categorical (use kind "tabular" or "chi2")`,
      { field: `column ${quoteName(table.names[c]!)}` },
    );
  }
}

/** A fitted state with the common fields filled. */
export function fittedState(
  kind: string,
  params: JsonObject,
  table: FeatureTable,
  json: JsonObject,
  arrays: Record<string, Float64Array>,
): FittedState {
  return { kind, params, schema: schemaOf(table), referenceRows: table.rows, json, arrays };
}

/** The alert rule of a state's parameters, if any. */
export function alertRuleOf(state: FittedState): EffectSizeAlertRule | undefined {
  return state.params.alert as unknown as EffectSizeAlertRule | undefined;
}

/** Whether `rule` fires on `effects`. */
export function alertFires(rule: EffectSizeAlertRule, effects: EffectSizes | undefined): boolean {
  const value = effects?.[rule.metric];
  return value !== undefined && value > rule.above;
}
