/**
 * The libs/stats kernels the outlier kinds call, as one injected port (as the drift kinds'
 * `DriftKernels`): the kinds never import @sightline/stats themselves, so a test may pass a
 * double; services use {@link STATS_OUTLIER_KERNELS}.
 */
import type {
  DenseMatrix,
  IsolationForestOptions,
  IsolationForestState,
  MahalanobisOptions,
  MahalanobisState,
} from '@sightline/stats';
import * as stats from '@sightline/stats';

export type {
  IsolationForestJson,
  IsolationForestOptions,
  IsolationForestState,
  MahalanobisJson,
  MahalanobisOptions,
  MahalanobisState,
} from '@sightline/stats';

/** A fitted isolation forest (libs/stats `IsolationForest`). */
export interface IsolationForestModel {
  /** scikit-learn's `score_samples`: lower is more abnormal, in [-1, 0). */
  scoreSamples(batch: DenseMatrix): Float64Array;
  toState(): IsolationForestState;
}

/** An isolation forest being grown (libs/stats `ForestGrowth`): the same forest as `fit`. */
export interface IsolationForestGrowth {
  readonly totalTrees: number;
  readonly grownTrees: number;
  readonly done: boolean;
  /** Grows up to `count` more trees; returns how many it grew. */
  growTrees(count: number): number;
  finish(): IsolationForestModel;
}

/** The static side of libs/stats `IsolationForest`. */
export interface IsolationForestFactory {
  fit(reference: DenseMatrix, options?: IsolationForestOptions): IsolationForestModel;
  /** The same fit grown a few trees at a time (libs/stats `ForestGrowth`). */
  grow(reference: DenseMatrix, options?: IsolationForestOptions): IsolationForestGrowth;
  fromState(state: IsolationForestState): IsolationForestModel;
}

/** A fitted Mahalanobis distance (libs/stats `Mahalanobis`). */
export interface MahalanobisModel {
  /** Squared distances under the ddof = 1 covariance. */
  squaredDistances(batch: DenseMatrix): Float64Array;
  /** This fit with the batch's rows merged in exactly (a new model). */
  update(batch: DenseMatrix): MahalanobisModel;
  toState(): MahalanobisState;
}

/** The static side of libs/stats `Mahalanobis`. */
export interface MahalanobisFactory {
  fit(reference: DenseMatrix, options?: MahalanobisOptions): MahalanobisModel;
  /** The same fit yielding after each C-step of a robust fit (libs/stats `fitSteps`). */
  fitSteps(reference: DenseMatrix, options?: MahalanobisOptions): Generator<void, MahalanobisModel, void>;
  fromState(state: MahalanobisState): MahalanobisModel;
}

/** The kernels of the outlier kinds. */
export interface OutlierKernels {
  readonly IsolationForest: IsolationForestFactory;
  readonly Mahalanobis: MahalanobisFactory;
}

/** libs/stats' kernels: what services inject into the outlier kinds. */
export const STATS_OUTLIER_KERNELS: OutlierKernels = {
  IsolationForest: stats.IsolationForest,
  Mahalanobis: stats.Mahalanobis,
};
