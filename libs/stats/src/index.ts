/**
 * @sightline/stats: statistical kernels shared by the detectors (drift, outlier), the
 * metrics service and the explainer. Plain TypeScript over Float64Array columns; p-values
 * follow scipy's definitions so users can compare (fidelity tests run scipy itself).
 */

export {
  type KMeansOptions,
  type KMeansResult,
  KMeansStoppedError,
  kMeans,
  kMeansSummary,
  type WeightedSummary,
} from './clustering/k-means.js';
export {
  type BootstrapComparison,
  type CompareVersionsOptions,
  type ComparisonVerdict,
  compareVersions,
  type McNemarComparison,
  type VersionComparison,
} from './comparison/compare-versions.js';
export {
  type McNemarPart,
  type McNemarResult,
  type McNemarVariant,
  mcnemarPValue,
  mcnemarTest,
} from './comparison/mcnemar.js';
export {
  meanOverRows,
  type PairedBootstrapOptions,
  type PairedBootstrapResult,
  pairedBootstrap,
  type RowMetric,
} from './comparison/paired-bootstrap.js';
export { checkPairedCounts, type PairedCounts, pairCount, pairedCounts } from './comparison/paired-counts.js';
export {
  type PairedAccuracyDifference,
  type PairedIntervalMethod,
  pairedAccuracyDifference,
} from './comparison/paired-difference-interval.js';
export {
  bootstrapPairsNeeded,
  DEFAULT_COMPARISON_ALPHA,
  DEFAULT_COMPARISON_POWER,
  mcnemarPairsNeeded,
} from './comparison/sample-size.js';
export { type CorrectedVerdicts, type Correction, correctPValues } from './corrections/correct-p-values.js';
export {
  DEFAULT_PSI_EPSILON,
  hellingerDistance,
  jensenShannonDistance,
  populationStabilityIndex,
} from './effect-size/distribution-distances.js';
export {
  binCounts,
  categoricalEffectSizes,
  DEFAULT_EFFECT_SIZE_BINS,
  type EffectSizes,
  type NumericEffectSizeOptions,
  numericEffectSizes,
  quantileBinEdges,
} from './effect-size/effect-sizes.js';
export {
  DEFAULT_WASSERSTEIN_GRID,
  type SketchedEffectSizeOptions,
  sketchedNumericEffectSizes,
} from './effect-size/sketched-effect-sizes.js';
export { wassersteinDistance } from './effect-size/wasserstein.js';
export {
  checkTwoSamples,
  DEFAULT_MAX_PERMUTATIONS,
  DEFAULT_MAX_POOLED_ROWS,
  DEFAULT_P_VAL,
  DEFAULT_PERMUTATIONS,
  MIN_KERNEL_SAMPLE_ROWS,
} from './kernel/kernel-limits.js';
export {
  DEFAULT_KERNEL_THREAD_TIMEOUT_MS,
  KernelThreads,
  MAX_KERNEL_HELPER_THREADS,
} from './kernel/kernel-threads.js';
export {
  DEFAULT_LSDD_LAMBDA_RD_MAX,
  LSDD_CANDIDATE_LAMBDAS,
  LSDD_KERNEL_CENTER_FRACTION,
  type LsddTestOptions,
  type LsddTestResult,
  lsddPermutationTest,
} from './kernel/lsdd.js';
export { medianHeuristicSigma } from './kernel/median-heuristic.js';
export { type MmdTestOptions, type MmdTestResult, mmd2Unbiased, mmdPermutationTest } from './kernel/mmd.js';
export { type LarsPath, larsPath } from './linear/lars-path.js';
export { type LassoLarsIcFit, lassoLarsIc } from './linear/lasso-lars-ic.js';
export {
  choleskyLower,
  type WeightedLeastSquaresFit,
  weightedLeastSquares,
} from './linear/weighted-least-squares.js';
export {
  assertFiniteMatrix,
  type DenseMatrix,
  denseMatrix,
  matrixColumn,
  matrixFromColumns,
  matrixFromRows,
  matrixRow,
} from './matrix.js';
export {
  ADWIN_DEFAULTS,
  ADWIN_SCHEMA_VERSION,
  Adwin,
  type AdwinJson,
  type AdwinOptions,
} from './metrics/adwin.js';
export {
  type BootstrapInterval,
  type BootstrapOptions,
  bootstrapInterval,
  DEFAULT_BOOTSTRAP_RESAMPLES,
  MAX_BOOTSTRAP_RESAMPLES,
} from './metrics/bootstrap-interval.js';
export {
  addCalibrationRow,
  type CalibrationBins,
  calibrationBin,
  calibrationBins,
  DEFAULT_CALIBRATION_BINS,
  expectedCalibrationError,
} from './metrics/calibration-error.js';
export { calibrationErrorInterval } from './metrics/calibration-error-interval.js';
export {
  addCbpePrediction,
  CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT,
  type CbpeEstimate,
  type CbpeSecondMoments,
  type CbpeSecondMomentsJson,
  type CbpeSums,
  cbpeSecondMomentsToJSON,
  cbpeSums,
  checkCbpeF1IntervalMaxClasses,
  DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES,
  estimateCbpe,
  mergeCbpeSecondMomentsJSON,
  mergeCbpeSums,
  savedCbpeF1IntervalMaxClasses,
} from './metrics/cbpe.js';
export {
  type ClassIndex,
  type ClassLabel,
  classIndex,
  encodeLabels,
  labelIndex,
  sortedClasses,
} from './metrics/class-labels.js';
export {
  CLASSIFICATION_ACCUMULATOR_SCHEMA_VERSION,
  ClassificationAccumulator,
  type ClassificationAccumulatorJson,
  type ClassificationAccumulatorOptions,
  type ClassificationMetrics,
  checkProbabilityRow,
  DEFAULT_AUC_BINS,
  MAX_AUC_HISTOGRAM_CELLS,
  MAX_METRIC_CLASSES,
  PROBABILITY_SUM_TOLERANCE,
} from './metrics/classification-accumulator.js';
export {
  type ClassificationInput,
  type ClassificationMetricsOptions,
  classificationMetrics,
} from './metrics/classification-metrics.js';
export {
  type AveragedScores,
  type ClassificationScores,
  fScore,
  scoresFromConfusion,
} from './metrics/classification-scores.js';
export {
  type ConfidenceInterval,
  checkConfidence,
  DEFAULT_CONFIDENCE,
  meanInterval,
  wilsonInterval,
} from './metrics/confidence-intervals.js';
export {
  type ConfusionDeltaIntervals,
  type ConfusionScoreStandardErrors,
  confusionDeltaIntervals,
  confusionScoreStandardErrors,
} from './metrics/confusion-delta-intervals.js';
export { DDM_DEFAULTS, DDM_SCHEMA_VERSION, Ddm, type DdmJson, type DdmOptions } from './metrics/ddm.js';
export {
  DEFAULT_DIRECT_LOSS_RIDGE,
  DIRECT_LOSS_SCHEMA_VERSION,
  DirectLossEstimator,
  type DirectLossEstimatorJson,
  type DirectLossEstimatorOptions,
  type DirectLossReference,
  type LossModelJson,
  type LossTerms,
  MAX_DIRECT_LOSS_FEATURES,
  MIN_DIRECT_LOSS_REFERENCE_ROWS,
  type PredictedLosses,
} from './metrics/direct-loss-estimation.js';
export {
  addDirectLossFitVariance,
  addDirectLossVariance,
  type DirectLossIntervals,
  type DirectLossSamplingError,
  type DirectLossVariance,
  directLossEstimateIntervals,
  directLossGapIntervals,
  directLossVariance,
  type RealisedLosses,
} from './metrics/direct-loss-interval.js';
export {
  checkDirectLossSums,
  type DirectLossEstimate,
  type DirectLossSums,
  directLossSums,
  estimateDirectLoss,
  mergeDirectLossSums,
} from './metrics/direct-loss-window.js';
export { normalCdf, normalQuantile, studentTQuantile } from './metrics/distribution-quantiles.js';
export {
  classDistributionShift,
  type DistributionShift,
  type DistributionShiftOptions,
  distributionShift,
  type OutputShiftOptions,
  outputDistributionShift,
} from './metrics/distribution-shift.js';
export {
  DEFAULT_SHIFT_BOOTSTRAP_RESAMPLES,
  type DistributionShiftIntervals,
  distributionShiftIntervals,
  MAX_SHIFT_BOOTSTRAP_RESAMPLES,
  type ShiftIntervalOptions,
} from './metrics/distribution-shift-interval.js';
export type { ConceptDriftDetector, DriftState } from './metrics/drift-state.js';
export { LOG_LOSS_EPSILON, logLossTerm } from './metrics/log-loss.js';
export {
  PAGE_HINKLEY_DEFAULTS,
  PAGE_HINKLEY_SCHEMA_VERSION,
  PageHinkley,
  type PageHinkleyDirection,
  type PageHinkleyJson,
  type PageHinkleyOptions,
} from './metrics/page-hinkley.js';
export {
  addR2Pair,
  mergeR2Moments,
  type R2Moments,
  r2Interval,
  r2Moments,
  r2StandardError,
} from './metrics/r2-moments.js';
export {
  MAPE_EPSILON,
  REGRESSION_ACCUMULATOR_SCHEMA_VERSION,
  RegressionAccumulator,
  type RegressionAccumulatorJson,
  type RegressionMetrics,
  regressionMetrics,
} from './metrics/regression-accumulator.js';
export {
  averageRocAuc,
  binaryRocAuc,
  binnedRocAuc,
  type RocAucResult,
  rocAucOneVsRest,
  rocAucOneVsRestWithErrors,
  type ScoreTieGroups,
  scoreTieGroups,
} from './metrics/roc-auc.js';
export {
  binnedRocAucStandardError,
  type RocAucIntervals,
  rocAucIntervals,
} from './metrics/roc-auc-interval.js';
export {
  addCompensated,
  addMoment,
  type CompensatedSum,
  compensatedSum,
  compensatedValue,
  mergeCompensated,
  mergeMoments,
  type RunningMoments,
  runningMoments,
  sampleVariance,
} from './metrics/running-moments.js';
export {
  CVM_ONLINE_SCHEMA_VERSION,
  CvmDriftOnline,
  type CvmOnlineFitJson,
  type CvmOnlineOptions,
  checkCvmWindows,
  MAX_CVM_ONLINE_WINDOWS,
} from './online/cvm-online.js';
export {
  checkMmdWindow,
  DEFAULT_MMD_ONLINE_MAX_REFERENCE_ROWS,
  MIN_MMD_ONLINE_WINDOW_SIZE,
  MMD_ONLINE_MAX_SPLIT_DRAWS,
  MMD_ONLINE_SCHEMA_VERSION,
  MmdDriftOnline,
  type MmdOnlineFitJson,
  type MmdOnlineOptions,
} from './online/mmd-online.js';
export { ONLINE_STATE_SCHEMA_VERSION, type OnlineStateJson, type OnlineStep } from './online/online-step.js';
export {
  checkOnlineBudget,
  DEFAULT_CVM_ONLINE_BOOTSTRAPS,
  DEFAULT_MMD_ONLINE_BOOTSTRAPS,
  MAX_ONLINE_BOOTSTRAPS,
  type OnlineBudget,
  runTimeQuantile,
} from './online/online-thresholds.js';
export { averagePathLength } from './outlier/average-path-length.js';
export {
  DEFAULT_IFOREST_MAX_NODES,
  DEFAULT_IFOREST_TREES,
  ForestGrowth,
  IFOREST_AUTO_MAX_SAMPLES,
  IFOREST_AUTO_OFFSET,
  IFOREST_FEATURE_THRESHOLD,
  ISOLATION_FOREST_SCHEMA_VERSION,
  IsolationForest,
  type IsolationForestJson,
  type IsolationForestOptions,
  type IsolationForestState,
  MAX_IFOREST_TREES,
} from './outlier/isolation-forest.js';
export {
  DEFAULT_MAHALANOBIS_MAX_COLUMNS,
  MAHALANOBIS_MIN_RESIDUAL_SHARE,
  MAHALANOBIS_SCHEMA_VERSION,
  Mahalanobis,
  type MahalanobisJson,
  type MahalanobisOptions,
  type MahalanobisState,
} from './outlier/mahalanobis.js';
export {
  chiSquaredIsf,
  type MinCovDetOptions,
  type MinCovDetResult,
  minCovDet,
  minCovDetSteps,
  runSteps,
} from './outlier/min-cov-det.js';
export { percentile } from './outlier/percentile.js';
export {
  DEFAULT_PCA_MAX_REFERENCE_ROWS,
  DEFAULT_PCA_REFERENCE_CHUNKS,
  DEFAULT_PCA_THRESHOLD_SIGMAS,
  DEFAULT_PCA_VARIANCE_EXPLAINED,
  PCA_RECONSTRUCTION_SCHEMA_VERSION,
  PcaReconstruction,
  type PcaReconstructionJson,
  type PcaReconstructionOptions,
  type PcaReconstructionScore,
} from './pca/pca-reconstruction.js';
export { type SeededRandom, seededRandom } from './random/seeded-random.js';
export {
  CATEGORY_COUNTS_SCHEMA_VERSION,
  CategoryCounts,
  type CategoryCountsJson,
  DEFAULT_MAX_CATEGORIES,
} from './sketch/category-counts.js';
export { type KsAgainstSketchResult, ks2SampSketch } from './sketch/ks-against-sketch.js';
export {
  binomialQuantile,
  type QuantileRanks,
  quantileRanks,
  sketchQuantileInterval,
} from './sketch/quantile-interval.js';
export {
  DEFAULT_SKETCH_RELATIVE_ACCURACY,
  QUANTILE_SKETCH_BINS_SCHEMA_VERSION,
  QUANTILE_SKETCH_SCHEMA_VERSION,
  QuantileSketch,
  type QuantileSketchBinsJson,
  type QuantileSketchJson,
  type SketchBucket,
} from './sketch/quantile-sketch.js';
export {
  type Chi2ContingencyOptions,
  type Chi2ContingencyResult,
  chi2Contingency,
  chiSquaredSf,
} from './univariate/chi2-contingency.js';
export {
  type CramerVonMises2SampOptions,
  CVM_MAX_AUTO_EXACT_N,
  CVM_MAX_EXACT_N,
  CVM_MIN_N,
  type CvmMethod,
  cramerVonMises2Samp,
} from './univariate/cramer-von-mises-2samp.js';
export {
  asymptoticKsPValue,
  KS_MAX_AUTO_EXACT_N,
  KS_MAX_EXACT_LATTICE,
  type Ks2SampOptions,
  type Ks2SampResult,
  type KsMethod,
  ks2Samp,
  ks2SampSorted,
} from './univariate/ks-2samp.js';
export type { Alternative, TwoSampleTestResult } from './univariate/two-sample-result.js';
export { weightedMedian } from './univariate/weighted-median.js';
export { weightedPercentiles } from './univariate/weighted-percentiles.js';
