/** Detector kinds: the contract, the drift kinds and their results. */
export * from './detector-kind.js';
export * from './drift-kinds.js';
export * from './drift-result.js';
export {
  FEATURE_TEST_MIN_REFERENCE_ROWS,
  type FeatureTestKindName,
  featureTestKind,
  type UnseenCategoryPolicy,
} from './feature-test-kinds.js';
export * from './multivariate-kinds.js';
export * from './quality-kind.js';
export {
  DEFAULT_CORRECTION,
  DEFAULT_P_VAL,
  DEFAULT_PERMUTATIONS,
  MAX_PERMUTATIONS,
} from './reference-profile.js';
