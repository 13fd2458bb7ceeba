/**
 * @sightline/stats: statistical kernels shared by the detectors (drift, outlier), the
 * metrics service and the explainer. Plain TypeScript over Float64Array columns; p-values
 * follow scipy's definitions so users can compare (fidelity tests run scipy itself).
 */

export { type CorrectedVerdicts, type Correction, correctPValues } from './corrections/correct-p-values.js';
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
  KS_MAX_AUTO_EXACT_N,
  KS_MAX_EXACT_LATTICE,
  type Ks2SampOptions,
  type Ks2SampResult,
  type KsMethod,
  ks2Samp,
  ks2SampSorted,
} from './univariate/ks-2samp.js';
export type { Alternative, TwoSampleTestResult } from './univariate/two-sample-result.js';
