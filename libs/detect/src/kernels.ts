/**
 * The statistical kernels the detector kinds call, as one injected interface with the
 * signatures of @sightline/stats's public API. The kinds never import @sightline/stats
 * themselves: tests inject a reference double (`@sightline/detect/testing`), services inject
 * {@link STATS_KERNELS}.
 */

import type {
  Alternative,
  Correction,
  CvmOnlineFitJson,
  CvmOnlineOptions,
  DenseMatrix,
  KsAgainstSketchResult,
  KsMethod,
  MmdOnlineFitJson,
  MmdOnlineOptions,
  OnlineStateJson,
  OnlineStep,
  QuantileSketch,
  TwoSampleTestResult,
} from '@sightline/stats';
import * as stats from '@sightline/stats';

// The data types are libs/stats' own; the kernels' signatures below are the port.
export type {
  Alternative,
  Correction,
  CvmOnlineFitJson,
  CvmOnlineOptions,
  DenseMatrix,
  KsAgainstSketchResult,
  KsMethod,
  MmdOnlineFitJson,
  MmdOnlineOptions,
  OnlineBudget,
  OnlineStateJson,
  OnlineStep,
  QuantileSketch,
  TwoSampleTestResult,
} from '@sightline/stats';

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

/** A running online detector (libs/stats `MmdDriftOnline`, `CvmDriftOnline`). */
export interface OnlineDetector {
  /** Rows seen since the fit or the last reset. */
  readonly time: number;
  /** The threshold in force after `t` rows. */
  threshold(t: number): number;
  /** Adds a row and returns its verdict. */
  predict(row: ArrayLike<number>): OnlineStep;
  /** The statistic after a row, without adding it. */
  score(row: ArrayLike<number>): number;
  /** Alibi's `reset_state`. */
  resetState(): void;
  /** The running state (t and the window's rows). */
  stateJson(): OnlineStateJson;
  /** Restores a running state. */
  restoreState(state: OnlineStateJson): void;
  /** The fitted part (thresholds and what scoring needs beside the reference). */
  toJson(): MmdOnlineFitJson | CvmOnlineFitJson;
}

/** The static side of an online detector class of libs/stats. */
export interface OnlineDetectorFactory<TOptions, TFit> {
  fit(reference: DenseMatrix, options: TOptions): OnlineDetector;
  fromJson(reference: DenseMatrix, fit: TFit, state?: OnlineStateJson): OnlineDetector;
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
  readonly MmdDriftOnline: OnlineDetectorFactory<MmdOnlineOptions, MmdOnlineFitJson>;
  readonly CvmDriftOnline: OnlineDetectorFactory<CvmOnlineOptions, CvmOnlineFitJson>;
  /** KS of an exact sorted reference against a summarised window's sketch, with its error bound. */
  ks2SampSketch(
    referenceSorted: Float64Array,
    window: QuantileSketch,
    o?: { alternative?: Alternative },
  ): KsAgainstSketchResult;
  /** The numeric effect sizes of a summarised window's sketch against an exact sorted reference. */
  sketchedNumericEffectSizes(referenceSorted: Float64Array, window: QuantileSketch): EffectSizes;
}

/** The kernels of @sightline/stats: what services inject into the detector kinds. */
export const STATS_KERNELS: DriftKernels = stats;
