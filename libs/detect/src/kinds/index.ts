/** Detector kinds: the contract, the drift kinds and their results. */
export * from './detector-kind.js';
export * from './drift-kinds.js';
export * from './drift-result.js';
export {
  FEATURE_TEST_MIN_REFERENCE_ROWS,
  FEATURE_TEST_MIN_SCORE_ROWS,
  type FeatureTestKindName,
  featureTestKind,
  type UnseenCategoryPolicy,
} from './feature-test-kinds.js';
export * from './multivariate-kinds.js';
export * from './online-kinds.js';
export { ParamReader } from './param-reader.js';
export * from './quality-kind.js';
// The defaults, and the checks a new kind family (the outlier service's) builds on.
export {
  DEFAULT_CORRECTION,
  DEFAULT_P_VAL,
  DEFAULT_PERMUTATIONS,
  fittedState,
  MAX_PERMUTATIONS,
  requireNumeric,
  requireReferenceRows,
  requireScorable,
} from './reference-profile.js';
export * from './summarised-table.js';
