/**
 * The multivariate kinds, one statistic over all (numeric) features: `mmd` (Gaussian-kernel
 * MMD^2 with a permutation test, as Alibi Detect's MMDDrift), `lsdd` (least-squares density
 * difference with a permutation test, as LSDDDrift) and `pca` (reconstruction error of the
 * table against bounds learned on reference chunks, as NannyML's data reconstruction drift).
 * Per-feature effect sizes are reported beside the one statistic.
 */
import { randomInt } from 'node:crypto';
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { DenseMatrix, DriftKernels } from '../kernels.js';
import { type FeatureTable, requireFinite, sliceRows, toRowMajor } from '../table/feature-table.js';
import type { DetectorKind, FittedState, JsonValue } from './detector-kind.js';
import type { DriftResult, FeatureDrift, MultivariateDrift } from './drift-result.js';
import { ParamReader } from './param-reader.js';
import {
  alertFires,
  alertRuleOf,
  DEFAULT_P_VAL,
  DEFAULT_PERMUTATIONS,
  effectSizesOf,
  fittedState,
  MAX_PERMUTATIONS,
  profileOf,
  readAlertRule,
  requireNumeric,
  requireReferenceRows,
  requireScorable,
  requireSummaryScorable,
  summaryEffectSizesOf,
  validateProfile,
  validateReferenceMatrix,
} from './reference-profile.js';
import type { SummarisedTable } from './summarised-table.js';

/** Names of the multivariate kinds. */
export type MultivariateKindName = 'mmd' | 'lsdd' | 'pca';

/**
 * Fewest reference rows: the permutation tests need enough rows to permute; PCA needs
 * {@link PCA_MIN_CHUNKS} chunks to learn its bounds from.
 */
export const MULTIVARIATE_MIN_REFERENCE_ROWS: Readonly<Record<MultivariateKindName, number>> = {
  mmd: 10,
  lsdd: 10,
  pca: 20,
};

/**
 * Most reference rows of the kernel kinds: a permutation test holds an (n+m)^2 kernel
 * matrix (10,000 + 1,000 rows is about 1 GB of float64).
 */
export const DEFAULT_MAX_KERNEL_REFERENCE_ROWS = 10_000;
/**
 * Seed of the permutation tests of a saved version that has none. A fit without a seed draws
 * one ({@link drawSeed}) and saves it in the params (and so the lineage), so every saved
 * version scores reproducibly.
 */
export const DEFAULT_SEED = 0;
/** Largest permutation seed (seeds are unsigned 32-bit integers). */
export const MAX_SEED = 2 ** 32 - 1;

/** A fresh seed in [0, {@link MAX_SEED}], drawn by a fit that was given none. */
export function drawSeed(): number {
  return randomInt(0, MAX_SEED + 1);
}
/** Share of variance the PCA components keep by default, as NannyML. */
export const DEFAULT_VARIANCE_EXPLAINED = 0.95;
/** Chunks the reference is cut into to learn the PCA error bounds, by default. */
export const DEFAULT_PCA_CHUNKS = 10;
/** Fewest chunks the PCA bounds are learned from. */
export const PCA_MIN_CHUNKS = 2;
/** Standard deviations of the chunk errors around their mean that bound "no drift", as NannyML's 3. */
export const DEFAULT_PCA_STD_MULTIPLIER = 3;

const ALLOWED: Readonly<Record<MultivariateKindName, readonly string[]>> = {
  mmd: ['pVal', 'alert', 'permutations', 'seed', 'sigma'],
  lsdd: ['pVal', 'alert', 'permutations', 'seed', 'sigma', 'nKernelCenters', 'lambda'],
  pca: ['alert', 'varianceExplained', 'chunks', 'stdMultiplier'],
};

function matrixOf(table: FeatureTable): DenseMatrix {
  return { rows: table.rows, cols: table.columns.length, data: toRowMajor(table) };
}

class MultivariateKind implements DetectorKind<DriftResult> {
  constructor(
    readonly name: MultivariateKindName,
    private readonly kernels: DriftKernels,
    readonly minReferenceRows: number,
    private readonly maxReferenceRows: number,
    private readonly drawSeed: () => number,
  ) {}

  /** The fit's parameter rules, every default written out; a seed is drawn when unset. */
  private readParams(params: Readonly<Record<string, unknown>>): ParamReader {
    const r = new ParamReader(this.name, params, ALLOWED[this.name]);
    readAlertRule(r);
    if (this.name === 'pca') {
      r.number('varianceExplained', DEFAULT_VARIANCE_EXPLAINED, { min: 0, max: 1, exclusiveMin: true });
      r.number('chunks', DEFAULT_PCA_CHUNKS, { min: PCA_MIN_CHUNKS, integer: true });
      r.number('stdMultiplier', DEFAULT_PCA_STD_MULTIPLIER, { min: 0, exclusiveMin: true });
    } else {
      r.number('pVal', DEFAULT_P_VAL, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
      r.number('permutations', DEFAULT_PERMUTATIONS, { min: 1, max: MAX_PERMUTATIONS, integer: true });
      // Unset: a seed is drawn and saved with the detector (its params, hence its lineage).
      const unset = params.seed === undefined || params.seed === null;
      r.number('seed', unset ? this.drawSeed() : DEFAULT_SEED, { min: 0, max: MAX_SEED, integer: true });
      r.optionalNumber('sigma', { min: 0, exclusiveMin: true });
      if (this.name === 'lsdd') {
        r.optionalNumber('nKernelCenters', { min: 1, integer: true });
        r.optionalNumber('lambda', { min: 0, exclusiveMin: true });
      }
    }
    return r;
  }

  validate(state: FittedState): void {
    this.readParams(state.params);
    validateProfile(state);
    const categorical = state.schema.kinds.indexOf('categorical');
    if (categorical >= 0) {
      throw new InvalidArgumentError(
        `reference column ${quoteName(state.schema.names[categorical]!)} is categorical; kind ${quoteName(this.name)} fits numeric columns only`,
      );
    }
    if (this.name === 'pca') {
      this.kernels.PcaReconstruction.fromJSON(state.json.model as never);
      const bounds = state.json.bounds as { lower?: unknown; upper?: unknown } | undefined;
      const { lower, upper } = bounds ?? {};
      if (typeof lower !== 'number' || typeof upper !== 'number' || !(lower <= upper)) {
        throw new InvalidArgumentError('bounds: the PCA error bounds must be numbers with lower <= upper');
      }
      return;
    }
    // Not checked against --max-kernel-reference-rows: lowering that limit must not refuse
    // versions fitted under a higher one.
    validateReferenceMatrix(state);
  }

  fit(reference: FeatureTable, params: Readonly<Record<string, unknown>> = {}): FittedState {
    const r = this.readParams(params);
    requireNumeric(this.name, reference);
    requireReferenceRows(this.name, reference, this.minReferenceRows);
    if (this.name !== 'pca' && reference.rows > this.maxReferenceRows) {
      throw new InvalidArgumentError(
        `kind ${quoteName(this.name)} takes a reference of at most ${this.maxReferenceRows} rows, got ${reference.rows} (subsample it)`,
        { field: 'reference' },
      );
    }
    requireFinite(reference);
    const profile = profileOf(reference);
    const arrays: Record<string, Float64Array> = { ...profile.arrays };
    const json = { ...profile.json };
    if (this.name === 'pca') {
      const p = r.params as { varianceExplained: number; chunks: number; stdMultiplier: number };
      const model = this.kernels.PcaReconstruction.fit(matrixOf(reference), {
        varianceExplained: p.varianceExplained,
      });
      const chunkRows = Math.floor(reference.rows / p.chunks);
      if (chunkRows < 1) {
        throw r.error('chunks', `must be at most the reference's ${reference.rows} rows, got ${p.chunks}`);
      }
      const errors: number[] = [];
      for (let k = 0; k < p.chunks; k++) {
        errors.push(model.error(matrixOf(sliceRows(reference, k * chunkRows, (k + 1) * chunkRows))));
      }
      const mean = errors.reduce((a, b) => a + b, 0) / errors.length;
      const std = Math.sqrt(errors.reduce((a, b) => a + (b - mean) ** 2, 0) / (errors.length - 1));
      json.model = JSON.parse(JSON.stringify(model.toJSON())) as JsonValue;
      json.bounds = { lower: mean - p.stdMultiplier * std, upper: mean + p.stdMultiplier * std, mean, std };
    } else {
      arrays.reference = toRowMajor(reference);
    }
    return fittedState(this.name, r.params, reference, json, arrays);
  }

  score(state: FittedState, table: FeatureTable): DriftResult {
    // The unbiased MMD^2 averages over pairs of distinct rows: one row has none.
    requireScorable(this.name, state, table, this.name === 'pca' ? 1 : 2);
    requireFinite(table);
    const p = state.params as { pVal?: number; permutations?: number; seed?: number; sigma?: number };
    const sample = matrixOf(table);
    let multivariate: MultivariateDrift;
    let drift: boolean;
    if (this.name === 'pca') {
      const bounds = state.json.bounds as { lower: number; upper: number };
      const error = this.kernels.PcaReconstruction.fromJSON(state.json.model).error(sample);
      multivariate = {
        test: 'pca',
        statistic: error,
        distanceThreshold: bounds.upper,
        lowerThreshold: bounds.lower,
      };
      drift = error > bounds.upper || error < bounds.lower;
    } else {
      const reference: DenseMatrix = {
        rows: state.referenceRows,
        cols: state.schema.names.length,
        data: state.arrays.reference!,
      };
      const options = {
        permutations: p.permutations ?? DEFAULT_PERMUTATIONS,
        seed: p.seed ?? DEFAULT_SEED,
        ...(p.sigma !== undefined ? { sigma: p.sigma } : {}),
      };
      if (this.name === 'mmd') {
        const t = this.kernels.mmdPermutationTest(reference, sample, options);
        multivariate = {
          test: 'mmd',
          statistic: t.statistic,
          pValue: t.pValue,
          sigma: t.sigma,
          distanceThreshold: t.distanceThreshold,
        };
      } else {
        const q = state.params as { nKernelCenters?: number; lambda?: number };
        const t = this.kernels.lsddPermutationTest(reference, sample, {
          ...options,
          ...(q.nKernelCenters !== undefined ? { nKernelCenters: q.nKernelCenters } : {}),
          ...(q.lambda !== undefined ? { lambda: q.lambda } : {}),
        });
        multivariate = {
          test: 'lsdd',
          statistic: t.statistic,
          pValue: t.pValue,
          ...(p.sigma !== undefined ? { sigma: p.sigma } : {}),
          distanceThreshold: t.distanceThreshold,
        };
      }
      drift = multivariate.pValue! < (p.pVal ?? DEFAULT_P_VAL);
    }
    const rule = alertRuleOf(state);
    const features: FeatureDrift[] = table.names.map((name, c) => {
      const effectSizes = effectSizesOf(this.kernels, state, table, c);
      return {
        name,
        kind: table.kinds[c]!,
        test: 'none',
        drift: false,
        ...(effectSizes ? { effectSizes } : {}),
        ...(rule ? { alert: alertFires(rule, effectSizes) } : {}),
      };
    });
    const alerted = rule ? features.filter((f) => f.alert).map((f) => f.name) : [];
    const alpha = this.name === 'pca' ? 0 : (p.pVal ?? DEFAULT_P_VAL);
    return {
      kind: this.name,
      rows: table.rows,
      referenceRows: state.referenceRows,
      features,
      overall: {
        drift: rule ? alerted.length > 0 : drift,
        basis: rule ? 'effect-size' : this.name === 'pca' ? 'reconstruction-error' : 'p-value',
        threshold: alpha,
        correction: 'none',
        alpha,
      },
      multivariate,
      ...(rule ? { alert: { ...rule, triggered: alerted.length > 0, features: alerted } } : {}),
    };
  }

  /**
   * A summarised window: the one statistic on the summary's reservoir sample (a uniform
   * sample of the window's rows, at most the summary's sampleRows), the effect sizes from the
   * sketches of every row.
   */
  scoreSummary(state: FittedState, table: SummarisedTable): DriftResult {
    requireSummaryScorable(this.name, state, table);
    const onSample = this.score(state, table.sample);
    const rule = alertRuleOf(state);
    const features: FeatureDrift[] = onSample.features.map((f, c) => {
      const effectSizes = summaryEffectSizesOf(this.kernels, state, table, c);
      const { effectSizes: _sampled, alert: _alert, ...rest } = f;
      return {
        ...rest,
        ...(effectSizes ? { effectSizes } : {}),
        ...(rule ? { alert: alertFires(rule, effectSizes) } : {}),
      };
    });
    const alerted = rule ? features.filter((f) => f.alert).map((f) => f.name) : [];
    return {
      ...onSample,
      rows: table.rows,
      features,
      overall: rule ? { ...onSample.overall, drift: alerted.length > 0 } : onSample.overall,
      approximation: {
        windowRows: table.rows,
        relativeAccuracy: table.relativeAccuracy,
        sampledRows: table.sample.rows,
        note: `window summarised: ${this.name} computed on a uniform sample of ${table.sample.rows} of its ${table.rows} rows, effect sizes from quantile sketches of every row`,
      },
      ...(rule ? { alert: { ...rule, triggered: alerted.length > 0, features: alerted } } : {}),
    };
  }
}

/** The multivariate kind `name` over `kernels`. */
export function multivariateKind(
  name: MultivariateKindName,
  kernels: DriftKernels,
  minReferenceRows: number = MULTIVARIATE_MIN_REFERENCE_ROWS[name],
  maxReferenceRows: number = DEFAULT_MAX_KERNEL_REFERENCE_ROWS,
  seeds: () => number = drawSeed,
): DetectorKind<DriftResult> {
  return new MultivariateKind(name, kernels, minReferenceRows, maxReferenceRows, seeds);
}
