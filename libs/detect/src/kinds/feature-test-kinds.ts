/**
 * The per-feature kinds: `ks`, `cvm`, `chi2` and `tabular` (the default: KS or CVM on
 * numeric columns, chi2 on categorical ones), each feature's p-value corrected into one
 * verdict (Bonferroni by default, Benjamini-Hochberg as `fdr`), as Alibi Detect's
 * KSDrift/CVMDrift/ChiSquareDrift/TabularDrift.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type {
  Correction,
  CvmMethod,
  DriftKernels,
  EffectSizes,
  KsMethod,
  TwoSampleTestResult,
} from '../kernels.js';
import {
  type FeatureTable,
  requireFinite,
  type TableSchema,
  UNSEEN_CATEGORY_CODE,
} from '../table/feature-table.js';
import type { DetectorKind, FittedState } from './detector-kind.js';
import type { DriftResult, FeatureDrift, FeatureTest } from './drift-result.js';
import { ParamReader } from './param-reader.js';
import {
  alertFires,
  alertRuleOf,
  countValues,
  DEFAULT_CORRECTION,
  DEFAULT_P_VAL,
  effectSizesOf,
  fittedState,
  profileOf,
  readAlertRule,
  referenceCounts,
  requireNumeric,
  requireReferenceRows,
  requireScorable,
  requireSummaryScorable,
  sortedKey,
  summaryEffectSizesOf,
  validateProfile,
} from './reference-profile.js';
import { expandCounts, type SummarisedTable } from './summarised-table.js';

/** Names of the per-feature kinds. */
export type FeatureTestKindName = 'tabular' | 'ks' | 'cvm' | 'chi2';

/**
 * What chi2 does with categories a window has and the reference never had: `pool` (default)
 * counts them all as one extra category with a reference count of 0, so new categories are
 * drift evidence; `ignore` leaves them out of the test (they still show in the effect sizes
 * and in the `quality` kind's `unseenCategories`).
 */
export type UnseenCategoryPolicy = 'pool' | 'ignore';

/** Fewest reference rows of each per-feature kind (CVM needs two observations per sample, as scipy). */
export const FEATURE_TEST_MIN_REFERENCE_ROWS: Readonly<Record<FeatureTestKindName, number>> = {
  tabular: 2,
  ks: 2,
  cvm: 2,
  chi2: 2,
};

/**
 * Fewest rows a batch needs to be scored by a per-feature kind (contract: 2 for the univariate
 * tests). One row makes a KS or CVM p-value of a single step function, which reads as a
 * verdict but says nothing; scipy's cramervonmises_2samp refuses it outright.
 */
export const FEATURE_TEST_MIN_SCORE_ROWS = 2;

const COMMON = ['pVal', 'correction', 'alert'] as const;
const KS = ['method', 'alternative'] as const;
const ALLOWED: Readonly<Record<FeatureTestKindName, readonly string[]>> = {
  ks: [...COMMON, ...KS],
  cvm: [...COMMON, 'cvmMethod'],
  chi2: [...COMMON, 'yates', 'unseenCategories'],
  tabular: [...COMMON, ...KS, 'cvmMethod', 'yates', 'unseenCategories', 'numericTest', 'featureTests'],
};

interface Resolved {
  readonly pVal: number;
  readonly correction: Correction;
  readonly method: KsMethod;
  readonly alternative: 'two-sided' | 'less' | 'greater';
  readonly cvmMethod: CvmMethod;
  readonly yates: boolean;
  readonly unseenCategories: UnseenCategoryPolicy;
  readonly numericTest: 'ks' | 'cvm';
  readonly featureTests: Readonly<Record<string, 'ks' | 'cvm' | 'chi2'>>;
}

function resolve(kind: FeatureTestKindName, raw: Readonly<Record<string, unknown>>): ParamReader {
  const r = new ParamReader(kind, raw, ALLOWED[kind]);
  r.number('pVal', DEFAULT_P_VAL, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
  r.oneOf('correction', DEFAULT_CORRECTION, ['bonferroni', 'fdr']);
  readAlertRule(r);
  if (kind === 'ks' || kind === 'tabular') {
    r.oneOf('method', 'auto', ['auto', 'exact', 'asymp']);
    r.oneOf('alternative', 'two-sided', ['two-sided', 'less', 'greater']);
  }
  if (kind === 'cvm' || kind === 'tabular') r.oneOf('cvmMethod', 'auto', ['auto', 'asymptotic']);
  if (kind === 'chi2' || kind === 'tabular') {
    r.boolean('yates', true);
    r.oneOf('unseenCategories', 'pool', ['pool', 'ignore']);
  }
  if (kind === 'tabular') {
    r.oneOf('numericTest', 'ks', ['ks', 'cvm']);
    r.record('featureTests', ['ks', 'cvm', 'chi2']);
  }
  return r;
}

function paramsOf(state: FittedState): Resolved {
  const p = state.params as Partial<Resolved>;
  return {
    pVal: p.pVal ?? DEFAULT_P_VAL,
    correction: p.correction ?? DEFAULT_CORRECTION,
    method: p.method ?? 'auto',
    alternative: p.alternative ?? 'two-sided',
    cvmMethod: p.cvmMethod ?? 'auto',
    yates: p.yates ?? true,
    unseenCategories: p.unseenCategories ?? 'pool',
    numericTest: p.numericTest ?? 'ks',
    featureTests: p.featureTests ?? {},
  };
}

function testOf(kind: FeatureTestKindName, table: TableSchema, c: number, p: Resolved): FeatureTest {
  if (kind !== 'tabular') return kind;
  const named = p.featureTests[table.names[c]!];
  if (named !== undefined) return named;
  return table.kinds[c] === 'categorical' ? 'chi2' : p.numericTest;
}

/**
 * chi2 on reference counts against window counts (a 2 x k table over the reference's
 * categories, plus one pooled column of unseen ones under policy `pool`). With fewer than
 * two categories there is nothing to compare: statistic 0, p-value 1.
 */
function chi2Test(
  kernels: DriftKernels,
  reference: Map<number, number>,
  window: Map<number, number>,
  p: Resolved,
): TwoSampleTestResult {
  const categories = [...reference.keys()].sort((a, b) => a - b);
  const refRow = categories.map((k) => reference.get(k)!);
  const winRow = categories.map((k) => window.get(k) ?? 0);
  let unseen = 0;
  for (const [k, n] of window) if (!reference.has(k) || k === UNSEEN_CATEGORY_CODE) unseen += n;
  if (p.unseenCategories === 'pool' && unseen > 0) {
    refRow.push(0);
    winRow.push(unseen);
  }
  if (refRow.length < 2 || winRow.every((n) => n === 0)) return { statistic: 0, pValue: 1 };
  return kernels.chi2Contingency([refRow, winRow], { correction: p.yates });
}

class FeatureTestKind implements DetectorKind<DriftResult> {
  constructor(
    readonly name: FeatureTestKindName,
    private readonly kernels: DriftKernels,
    readonly minReferenceRows: number,
  ) {}

  fit(reference: FeatureTable, params: Readonly<Record<string, unknown>> = {}): FittedState {
    const reader = resolve(this.name, params);
    if (this.name === 'ks' || this.name === 'cvm') requireNumeric(this.name, reference);
    const resolved = paramsOf({ params: reader.params } as FittedState);
    // chi2 counts values: a column it tests is categorical from here on, whatever its type,
    // so later tables read it as one and the reference keeps its counts.
    const table: FeatureTable = {
      ...reference,
      kinds: reference.kinds.map((k, c) =>
        testOf(this.name, reference, c, resolved) === 'chi2' ? 'categorical' : k,
      ),
    };
    table.names.forEach((name, c) => {
      if (testOf(this.name, table, c, resolved) !== 'chi2' && table.kinds[c] === 'categorical') {
        throw new InvalidArgumentError(
          `column ${quoteName(name)} is categorical; KS and CVM test numeric columns (use chi2 for it)`,
          { field: `column ${quoteName(name)}` },
        );
      }
    });
    for (const name of Object.keys(resolved.featureTests)) {
      if (!table.names.includes(name)) {
        throw reader.error(
          'featureTests',
          `names column ${quoteName(name)}, which the reference does not have`,
        );
      }
    }
    requireReferenceRows(this.name, table, this.minReferenceRows);
    requireFinite(table);
    const profile = profileOf(table);
    return fittedState(this.name, reader.params, table, profile.json, profile.arrays);
  }

  validate(state: FittedState): void {
    resolve(this.name, state.params);
    validateProfile(state);
    const p = paramsOf(state);
    state.schema.names.forEach((name, c) => {
      // fit makes exactly the chi2-tested columns categorical.
      const chi2 = testOf(this.name, state.schema, c, p) === 'chi2';
      if (chi2 !== (state.schema.kinds[c] === 'categorical')) {
        throw new InvalidArgumentError(
          `reference column ${quoteName(name)} is ${state.schema.kinds[c]} but its test is ${chi2 ? 'chi2' : 'numeric'}`,
        );
      }
    });
  }

  score(state: FittedState, table: FeatureTable): DriftResult {
    const p = paramsOf(state);
    const testsOf = state.schema.names.map((_, c) => testOf(this.name, state.schema, c, p));
    requireScorable(this.name, state, table, FEATURE_TEST_MIN_SCORE_ROWS);
    requireFinite(table);
    const tests: { test: FeatureTest; result: TwoSampleTestResult }[] = table.columns.map((column, c) => {
      const test = testsOf[c]!;
      if (test === 'chi2') {
        return { test, result: chi2Test(this.kernels, referenceCounts(state, c), countValues(column), p) };
      }
      const reference = state.arrays[sortedKey(c)]!;
      if (test === 'ks') {
        const sorted = Float64Array.from(column).sort();
        return {
          test,
          result: this.kernels.ks2SampSorted(reference, sorted, {
            alternative: p.alternative,
            method: p.method,
          }),
        };
      }
      return { test, result: this.kernels.cramerVonMises2Samp(reference, column, { method: p.cvmMethod }) };
    });
    return this.resultOf(state, p, table, tests, (c) => effectSizesOf(this.kernels, state, table, c));
  }

  scoreSummary(state: FittedState, table: SummarisedTable): DriftResult {
    const p = paramsOf(state);
    requireSummaryScorable(this.name, state, table);
    const testsOf = state.schema.names.map((_, c) => testOf(this.name, state.schema, c, p));
    const bad = table.names.findIndex((_, c) => table.missing[c]! + table.infinite[c]! > 0);
    if (bad >= 0) {
      throw new InvalidArgumentError(
        `column ${quoteName(table.names[bad]!)}: ${table.missing[bad]! + table.infinite[bad]!} NaN or infinite values in the summarised window`,
        { field: `column ${quoteName(table.names[bad]!)}` },
      );
    }
    const cvm = table.names.findIndex((_, c) => testsOf[c] === 'cvm' && table.distinct?.[c] === undefined);
    if (cvm >= 0) {
      throw new InvalidArgumentError(
        `column ${quoteName(table.names[cvm]!)}: CVM needs the window's values and this window of ${table.rows} rows was summarised with more than ${table.maxDistinctValues ?? 'its limit of'} distinct values in the column (raise the window's exactRows, or test the column with KS)`,
        { field: `column ${quoteName(table.names[cvm]!)}` },
      );
    }
    const tests = table.names.map((_, c) => {
      const test = testsOf[c]!;
      if (test === 'chi2') {
        const counts = new Map(table.counts[c] ?? []);
        return {
          test,
          result: chi2Test(this.kernels, referenceCounts(state, c), counts, p),
          bound: 0,
          sketched: false,
        };
      }
      const reference = state.arrays[sortedKey(c)]!;
      const distinct = table.distinct?.[c];
      if (distinct !== undefined) {
        // Few distinct values: the counts are the window's sorted column, so the test is exact.
        const sorted = expandCounts(distinct);
        const exact =
          test === 'ks'
            ? this.kernels.ks2SampSorted(reference, sorted, { alternative: p.alternative, method: p.method })
            : this.kernels.cramerVonMises2Samp(reference, sorted, { method: p.cvmMethod });
        return { test, result: exact, bound: 0, sketched: false };
      }
      const r = this.kernels.ks2SampSketch(reference, table.sketches[c]!, {
        alternative: p.alternative,
      });
      return { test, result: r, bound: r.statisticErrorBound, range: r.pValueRange, sketched: true };
    });
    return {
      ...this.resultOf(state, p, table, tests, (c) => summaryEffectSizesOf(this.kernels, state, table, c)),
      approximation: {
        windowRows: table.rows,
        relativeAccuracy: table.relativeAccuracy,
        note: featureSummaryNote(tests, table.maxDistinctValues),
      },
    };
  }

  /**
   * The result of per-feature tests: p-values corrected into a verdict (or effect sizes against
   * an alert rule), each feature with its effect sizes and, from a summary, its error bound.
   */
  private resultOf(
    state: FittedState,
    p: Resolved,
    table: {
      readonly names: readonly string[];
      readonly kinds: readonly FeatureTable['kinds'][number][];
      readonly rows: number;
    },
    tests: readonly {
      readonly test: FeatureTest;
      readonly result: TwoSampleTestResult;
      readonly bound?: number;
      readonly range?: readonly [number, number];
    }[],
    effectSizesAt: (column: number) => EffectSizes | undefined,
  ): DriftResult {
    const corrected = this.kernels.correctPValues(
      tests.map((t) => t.result.pValue),
      p.pVal,
      p.correction,
    );
    const rule = alertRuleOf(state);
    const features: FeatureDrift[] = tests.map((t, c) => {
      const effectSizes = effectSizesAt(c);
      return {
        name: table.names[c]!,
        kind: table.kinds[c]!,
        test: t.test,
        statistic: t.result.statistic,
        pValue: t.result.pValue,
        drift: corrected.rejected[c]!,
        ...(t.bound !== undefined ? { statisticErrorBound: t.bound } : {}),
        ...(t.range ? { pValueRange: t.range } : {}),
        ...(effectSizes ? { effectSizes } : {}),
        ...(rule ? { alert: alertFires(rule, effectSizes) } : {}),
      };
    });
    const alerted = rule ? features.filter((f) => f.alert).map((f) => f.name) : [];
    return {
      kind: this.name,
      rows: table.rows,
      referenceRows: state.referenceRows,
      features,
      overall: {
        drift: rule ? alerted.length > 0 : corrected.anyRejected,
        basis: rule ? 'effect-size' : 'p-value',
        threshold: corrected.threshold,
        correction: p.correction,
        alpha: p.pVal,
      },
      ...(rule ? { alert: { ...rule, triggered: alerted.length > 0, features: alerted } } : {}),
    };
  }
}

/**
 * What an approximated per-feature result says about itself: only what was done (a CVM
 * column is tested exactly from its value counts, never against a sketch).
 */
function featureSummaryNote(
  tests: readonly { readonly test: string; readonly sketched: boolean }[],
  maxDistinctValues: number | undefined,
): string {
  const sketched = tests.filter((t) => t.sketched).length;
  const exact = tests.filter((t) => t.test !== 'chi2' && !t.sketched);
  const chi2 = tests.filter((t) => t.test === 'chi2').length;
  const parts: string[] = [];
  if (sketched > 0) {
    parts.push(
      `KS against quantile sketches on ${sketched} column(s) (each statistic within its statisticErrorBound, p-values asymptotic with the full window size)`,
    );
  }
  if (exact.length > 0) {
    const names = [...new Set(exact.map((t) => t.test.toUpperCase()))].join(' and ');
    parts.push(
      `${names} exact on ${exact.length} column(s) of at most ${maxDistinctValues ?? 'the limit of'} distinct values (from their value counts)`,
    );
  }
  if (chi2 > 0) parts.push(`chi2 exact on ${chi2} categorical column(s) (counts)`);
  return `window summarised: ${parts.join('; ')}; effect sizes from the sketches`;
}

/** The per-feature kind `name` over `kernels`. */
export function featureTestKind(
  name: FeatureTestKindName,
  kernels: DriftKernels,
  minReferenceRows: number = FEATURE_TEST_MIN_REFERENCE_ROWS[name],
): DetectorKind<DriftResult> {
  return new FeatureTestKind(name, kernels, minReferenceRows);
}
