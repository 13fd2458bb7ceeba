import type { IntegrationRule } from './quadrature.js';

/** Where the path integral starts. */
export type IntegratedGradientsBaseline =
  /** All zeros (a black image). */
  | { readonly kind: 'zeros' }
  /** Given rows: one for every instance (count 1) or one per instance row (count = instance rows, picked by MethodContext.rowIndex). */
  | { readonly kind: 'given'; readonly rows: Float64Array; readonly count: number }
  /** The background's weighted mean row (k-means centres weighted by their cluster's size). */
  | { readonly kind: 'background-mean' };

/** Where the gradients come from. */
export type GradientSourceKind =
  /** The model's own gradients (MethodContext.gradients: a TF.js model loaded from the repository). */
  | 'model'
  /** Central finite differences through the black box (MethodContext.evaluator): 2 × features rows per step. */
  | 'finite-differences';

/** Integrated Gradients' settings, every default filled (src/contract/methods/integrated-gradients.ts reads them). */
export interface IntegratedGradientsParams {
  /** Integration steps (Alibi's n_steps): 1-10,000, at least 2 for the Riemann rules; default 50. */
  readonly nSteps: number;
  /** The integration rule (Alibi's method); default Gauss-Legendre. */
  readonly method: IntegrationRule;
  /** Path points per gradient batch (Alibi's internal_batch_size): 1-10,000, default 100; fewer when a batch would pass {@link MAX_BATCH_ELEMENTS}. */
  readonly internalBatchSize: number;
  readonly baseline: IntegratedGradientsBaseline;
  readonly gradientSource: GradientSourceKind;
  /** The output columns explained, from Target.target_indices; empty means the predicted (argmax) column. */
  readonly targets: readonly number[];
}

/** Alibi's defaults. */
export const INTEGRATED_GRADIENTS_DEFAULTS = Object.freeze({
  nSteps: 50,
  method: 'gauss-legendre' as IntegrationRule,
  internalBatchSize: 100,
});

/** The contract's bounds on n_steps and internal_batch_size. */
export const INTEGRATED_GRADIENTS_LIMITS = Object.freeze({ maxSteps: 10_000, maxInternalBatchSize: 10_000 });

/**
 * The most feature values in one gradient batch (path points × features): 8,388,608, i.e.
 * 64 MiB of float64 path rows (and as much again for their gradients). An image of
 * 224 × 224 × 3 then takes 55 points a batch; a tabular row takes internal_batch_size.
 */
export const MAX_BATCH_ELEMENTS = 8_388_608;
