/**
 * What every explanation method sees and returns: plain TypeScript, no gRPC or contract types.
 * The service (data plane) resolves the target, builds a budgeted, batched evaluator over the
 * V2 protocol, reduces the background, and calls a method once per instance row; the method
 * answers a result and how far it got. The contract mapping of each method's parameters and
 * result lives in src/contract/methods/<method>.ts.
 *
 * Feature rows are flattened: the instance's input tensors, in metadata order, each tensor's
 * elements row-major, concatenated. `featureCount` values per row, as float64.
 */
import type { SeededRandom } from '@sightline/stats';
import type { GradientModel } from './gradient-model.js';

/** Why a budget stopped the work. */
export type ExhaustedReason = 'time' | 'calls' | 'rows' | 'cancelled';

/**
 * Thrown by {@link RowEvaluator.evaluate} before it starts a model call the budget cannot
 * afford (or once the budget's time or the caller's cancellation has come). A method catches
 * it and returns what it has as a partial outcome (`complete: false`); it never turns it into
 * another error.
 */
export class BudgetExhaustedError extends Error {
  constructor(
    readonly reason: ExhaustedReason,
    message: string,
  ) {
    super(message);
    this.name = 'BudgetExhaustedError';
  }
}

/**
 * A budgeted, batched black box over flattened feature rows: the only way a black-box method
 * reaches the model. Implemented by the service over V2 ModelInfer (one call per batch of at
 * most the budget's rows per call, never one per sample), and by tests over a plain function.
 */
export interface RowEvaluator {
  /** Values per feature row. */
  readonly featureCount: number;
  /** Scores per row: the target's explained output, flattened per row (classes of a classifier, 1 for a regressor). */
  readonly outputCount: number;
  /**
   * When known, the most rows one model call takes: an `evaluate` of at most this many rows is
   * exactly one call, so a method that sizes its batches by it loses no finished work when the
   * budget stops it between batches. Unset: the method picks its own batch size.
   */
  readonly maxRowsPerCall?: number;
  /**
   * Scores `rows.length / featureCount` rows; answers rows × outputCount values, row-major.
   * `rows` is the caller's again once the promise settles (occlusion refills one buffer batch
   * after batch): an evaluator that keeps rows longer copies them.
   * Throws BudgetExhaustedError when the budget cannot afford the call(s); any other error is
   * the model's failure (UNAVAILABLE, INVALID_ARGUMENT...) and ends the explanation.
   */
  evaluate(rows: Float64Array): Promise<Float64Array>;
  /** Whether the budget's time or the caller's cancellation has come: CPU-only loops (a regression, a search step) check it between steps. */
  exhausted(): ExhaustedReason | undefined;
}

/** Background rows with a weight each (k-means centres weighted by their cluster's size; given or sampled rows weigh 1). */
export interface WeightedRows {
  readonly featureCount: number;
  /** count × featureCount values, row-major. */
  readonly rows: Float64Array;
  /** count weights, each > 0 (not necessarily summing to 1). */
  readonly weights: Float64Array;
  readonly count: number;
}

/** The explained features: names, categories, and how a row becomes tensors again (for examples and counterfactuals). */
export interface FeatureSpace {
  readonly featureCount: number;
  /** One name per feature, as the request gave them or "<tensor>[<flat index>]". */
  readonly featureNames: readonly string[];
  /** Categorical features: index → category names (values 0..n-1 are category indices). */
  readonly categorical: ReadonlyMap<number, readonly string[]>;
}

/** Everything a method needs besides the instance and its own parameters. */
export interface MethodContext {
  readonly evaluator: RowEvaluator;
  readonly space: FeatureSpace;
  /** Required by Kernel SHAP, Anchors and counterfactuals (the service checks, rule "background.set"). */
  readonly background: WeightedRows | undefined;
  /** Seeded once per row from the request's seed, so a row's answer does not depend on the rows before it. */
  readonly random: SeededRandom;
  /** Reports the fraction of this row's work done, in [0, 1]; cheap, call it as often as is natural. */
  readonly progress: (fractionDone: number) => void;
  /**
   * White-box methods (Integrated Gradients): the target's model loaded in process, set by the
   * service when the method needs gradients (it answers FAILED_PRECONDITION when the target
   * has none); black-box methods ignore it.
   */
  readonly gradients?: GradientModel;
  /** The instance row's index in the request, for per-row inputs (IG's given baselines, one row per instance). */
  readonly rowIndex?: number;
}

/** A method's answer for one row. */
export interface RowOutcome<R> {
  readonly result: R;
  /** False when the budget ran out before the method finished; `result` is then the best so far. */
  readonly complete: boolean;
  /** How much of the row's work was done, in [0, 1]. */
  readonly fractionDone: number;
  /** Where a white-box method computed its gradients (the TF.js backend label), for Usage.backend. */
  readonly backend?: string;
}

/** One explanation method over the black box (white-box methods take their gradient model in their params or context extension). */
export interface LocalMethod<P, R> {
  /** As Alibi names the explainer ("KernelShap", "AnchorTabular", ...): ExplanationMeta.name. */
  readonly metaName: string;
  readonly modelAccess: 'black-box' | 'white-box';
  explainRow(instance: Float64Array, params: P, context: MethodContext): Promise<RowOutcome<R>>;
}
