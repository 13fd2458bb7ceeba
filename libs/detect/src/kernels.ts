/**
 * The statistical kernels the detector kinds call, as one injected interface with the
 * signatures of @sightline/stats's public API. The kinds never import @sightline/stats
 * themselves: tests inject a reference double (`@sightline/detect/testing`), services inject
 * {@link STATS_KERNELS}.
 */

import { UnimplementedError } from '@sightline/errors';
import * as stats from '@sightline/stats';

/** Row-major dense matrix: row i, column j at data[i * cols + j]. */
export interface DenseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Which side of the null a two-sample test looks at. */
export type Alternative = 'two-sided' | 'less' | 'greater';

/** A test statistic with its p-value. */
export interface TwoSampleTestResult {
  readonly statistic: number;
  readonly pValue: number;
}

/** How per-feature p-values are corrected for many features. */
export type Correction = 'bonferroni' | 'fdr';

/** How scipy's `ks_2samp` computes its p-value. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

/** Options of the KS kernels (scipy's `alternative` and `method`). */
export interface KsOptions {
  readonly alternative?: Alternative;
  readonly method?: KsMethod;
}

/** How scipy's `cramervonmises_2samp` computes its p-value. */
export type CvmMethod = 'auto' | 'asymptotic';

/** Distances between a sample's distribution and the reference's, per feature. */
export interface EffectSizes {
  psi: number;
  jensenShannon: number;
  wasserstein?: number;
  hellinger: number;
}

/** A fitted PCA reconstruction model (libs/stats `PcaReconstruction`). */
export interface PcaModel {
  /** Mean reconstruction error of the batch's rows. */
  error(batch: DenseMatrix): number;
  toJSON(): unknown;
}

/** The static side of libs/stats `PcaReconstruction`. */
export interface PcaReconstructionFactory {
  fit(reference: DenseMatrix, o?: { varianceExplained?: number }): PcaModel;
  fromJSON(json: unknown): PcaModel;
}

/** The kernels of @sightline/stats the detector kinds use, with the brief's signatures. */
export interface DriftKernels {
  ks2Samp(
    x: ArrayLike<number>,
    y: ArrayLike<number>,
    o?: KsOptions,
  ): TwoSampleTestResult & { method: 'exact' | 'asymp' };
  ks2SampSorted(
    xSorted: Float64Array,
    ySorted: Float64Array,
    o?: KsOptions,
  ): TwoSampleTestResult & { method: 'exact' | 'asymp' };
  cramerVonMises2Samp(
    x: ArrayLike<number>,
    y: ArrayLike<number>,
    o?: { method?: CvmMethod },
  ): TwoSampleTestResult;
  chi2Contingency(
    table: readonly (readonly number[])[],
    o?: { correction?: boolean },
  ): TwoSampleTestResult & { dof: number; expected: number[][] };
  correctPValues(
    pValues: readonly number[],
    alpha: number,
    correction: Correction,
  ): { threshold: number; rejected: boolean[]; anyRejected: boolean };
  medianHeuristicSigma(x: DenseMatrix, y: DenseMatrix): number;
  mmd2Unbiased(x: DenseMatrix, y: DenseMatrix, sigma: number): number;
  mmdPermutationTest(
    x: DenseMatrix,
    y: DenseMatrix,
    o: { sigma?: number; permutations?: number; seed: number },
  ): { statistic: number; pValue: number; sigma: number; distanceThreshold: number };
  lsddPermutationTest(
    reference: DenseMatrix,
    sample: DenseMatrix,
    o: { permutations?: number; seed: number; sigma?: number; nKernelCenters?: number; lambda?: number },
  ): { statistic: number; pValue: number; distanceThreshold: number };
  numericEffectSizes(referenceSorted: Float64Array, sample: ArrayLike<number>): EffectSizes;
  categoricalEffectSizes(
    reference: ReadonlyMap<string | number, number>,
    sample: ReadonlyMap<string | number, number>,
  ): EffectSizes;
  readonly PcaReconstruction: PcaReconstructionFactory;
}

const KERNEL_NAMES = [
  'ks2Samp',
  'ks2SampSorted',
  'cramerVonMises2Samp',
  'chi2Contingency',
  'correctPValues',
  'medianHeuristicSigma',
  'mmd2Unbiased',
  'mmdPermutationTest',
  'lsddPermutationTest',
  'numericEffectSizes',
  'categoricalEffectSizes',
] as const;

function missing(name: string): never {
  throw new UnimplementedError(`the statistical kernel ${name} is not in this build of @sightline/stats`);
}

/** Names of the kernels `module` lacks (empty once @sightline/stats is complete), for a start-up log. */
export function missingKernels(module: Partial<DriftKernels>): string[] {
  const missing: string[] = KERNEL_NAMES.filter((name) => typeof module[name] !== 'function');
  if (module.PcaReconstruction === undefined) missing.push('PcaReconstruction');
  return missing;
}

/**
 * Kernels from a module that may export only some of them (libs/stats while it is being
 * written): a missing kernel answers UNIMPLEMENTED when called, naming itself. Whatever the
 * module does export is type-checked against {@link DriftKernels}.
 */
export function kernelsFrom(module: Partial<DriftKernels>): DriftKernels {
  const out: Record<string, unknown> = {};
  for (const name of KERNEL_NAMES) out[name] = module[name] ?? (() => missing(name));
  out.PcaReconstruction = module.PcaReconstruction ?? {
    fit: () => missing('PcaReconstruction.fit'),
    fromJSON: () => missing('PcaReconstruction.fromJSON'),
  };
  return out as unknown as DriftKernels;
}

/** The kernels of @sightline/stats: what services inject into the detector kinds. */
export const STATS_KERNELS: DriftKernels = kernelsFrom(stats);
