/**
 * @sightline/stats: statistical kernels shared by the detectors (drift, outlier), the
 * metrics service and the explainer. Plain TypeScript over Float64Array columns; p-values
 * follow scipy's definitions so users can compare (fidelity tests run scipy itself).
 */

// Multivariate kernels, effect sizes, sketches and PCA (stats-multi).
export {
  checkTwoSamples,
  DEFAULT_MAX_POOLED_ROWS,
  DEFAULT_P_VAL,
  DEFAULT_PERMUTATIONS,
  MIN_KERNEL_SAMPLE_ROWS,
} from './kernel/kernel-limits.js';
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
export {
  assertFiniteMatrix,
  type DenseMatrix,
  denseMatrix,
  matrixColumn,
  matrixFromColumns,
  matrixFromRows,
  matrixRow,
} from './matrix.js';
export { type SeededRandom, seededRandom } from './random/seeded-random.js';
