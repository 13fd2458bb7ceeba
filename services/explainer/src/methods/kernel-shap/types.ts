/** Kernel SHAP's settings and answer as plain TypeScript (the contract mapping is src/contract/methods/kernel-shap.ts). */

/** Feature selection before the regression (shap's `l1_reg`). */
export type L1Selection =
  /** AIC when fewer than 20% of the coalitions were evaluated, else none (shap's "auto"). */
  | { readonly kind: 'auto' }
  | { readonly kind: 'none' }
  | { readonly kind: 'aic' }
  | { readonly kind: 'bic' }
  /** The first `count` features to enter the least-angle path (shap: `num_features(count)`). */
  | { readonly kind: 'num-features'; readonly count: number };

/** Between the model's output and the attributions: identity, or log-odds for probabilities. */
export type ShapLink = 'identity' | 'logit';

export interface KernelShapParams {
  /**
   * Coalitions drawn or enumerated (a paired draw counts 2; a coalition drawn twice is
   * evaluated once and weighs twice). At least 2^M − 2 with `enumerateSizes` enumerates them
   * all: exact Shapley values.
   */
  readonly nSamples: number;
  readonly l1Reg: L1Selection;
  readonly link: ShapLink;
  /** Draw each coalition with its complement (shap always does). */
  readonly pairedSampling: boolean;
  /** Enumerate whole coalition sizes where they fit (shap always does); false samples every coalition. */
  readonly enumerateSizes: boolean;
  /**
   * The evaluator's output columns explained, one attribution set each; all when absent. Not
   * a KernelShapParams field of the contract: the service fills it from Target.target_indices.
   */
  readonly outputIndices?: readonly number[];
}

/** The attributions for one output column. */
export interface OutputShap {
  /** The evaluator's output column. */
  readonly outputIndex: number;
  /** The model's output for the instance, after the link. */
  readonly prediction: number;
  /** The background's weighted mean output, after the link (shap's `expected_value`). */
  readonly expectedValue: number;
  /** One attribution per feature, in feature order (0 for features equal to the whole background, or dropped by L1). */
  readonly values: Float64Array;
  /**
   * Per feature, the attribution's estimated standard error (sandwich estimate over the
   * sampled coalitions); NaN where not estimable (dropped by L1). Undefined when every
   * coalition used was enumerated (nothing random).
   */
  readonly stdErrors: Float64Array | undefined;
  /** Σ values − (prediction − expectedValue): a numerical check, as the regression enforces the sum. */
  readonly additivityError: number;
  /** Distinct coalitions evaluated. */
  readonly coalitions: number;
  /** Whether every coalition of the varying features was enumerated (the values are exact Shapley values). */
  readonly exact: boolean;
}

export interface KernelShapResult {
  /** The explained row (feature values for the result message). */
  readonly instance: Float64Array;
  /** One per explained output column; empty when the budget ran out before the instance itself was scored. */
  readonly outputs: readonly OutputShap[];
}
