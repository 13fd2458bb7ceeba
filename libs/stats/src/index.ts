/**
 * @sightline/stats: statistical kernels shared by the detectors (drift, outlier), the
 * metrics service and the explainer. Plain TypeScript over Float64Array columns; p-values
 * follow scipy's definitions so users can compare (fidelity tests run scipy itself).
 */
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
