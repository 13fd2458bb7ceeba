/**
 * Counterfactuals' parameters and result as plain TypeScript (contract:
 * CounterfactualParams / Counterfactuals, docs/design/explainer-contract.md decision 12).
 */

/** A closed interval; an unbounded end is ±Infinity. */
export interface Interval {
  readonly min: number;
  readonly max: number;
}

/** What a counterfactual must reach. */
export type CounterfactualGoal =
  /** Any class other than the instance's predicted one (Alibi's target_class "other"). */
  | { readonly kind: 'other-class' }
  /** This class (output column), which must differ from the instance's prediction. */
  | { readonly kind: 'target-class'; readonly targetClass: number }
  /** Regression: the single output within this interval. */
  | { readonly kind: 'target-value'; readonly range: Interval };

/** The distance minimised, each over features scaled by a background statistic. */
export type CounterfactualDistance = 'l1-mad' | 'l1-range' | 'l2-std';

/** Counterfactual search settings, every default filled. */
export interface CounterfactualParams {
  readonly goal: CounterfactualGoal;
  /** Classification goals: the score the reached class must have (and be the argmax); in (0, 1]. */
  readonly targetProbability: number;
  readonly distance: CounterfactualDistance;
  /** Allowed values per feature index; a feature not here ranges over the background's min..max. */
  readonly featureRanges: ReadonlyMap<number, Interval>;
  /** Feature indices never changed. */
  readonly immutableFeatures: readonly number[];
  /** The most features a counterfactual changes; undefined means no bound. */
  readonly maxChangedFeatures: number | undefined;
  /** Distinct counterfactuals returned, nearest first; 1-10. */
  readonly count: number;
}

/** One changed feature of a counterfactual. */
export interface CounterfactualChange {
  readonly index: number;
  readonly original: number;
  readonly counterfactual: number;
}

/** One counterfactual: a row the model assigns to the goal, as the model scored it. */
export interface FoundCounterfactual {
  readonly values: Float64Array;
  /** The changed features, in feature order. */
  readonly changes: readonly CounterfactualChange[];
  /** The class index (argmax) or the regression value. */
  readonly prediction: number;
  /** Classification: the reached class's score. */
  readonly probability: number | undefined;
  /** Distance to the instance (the chosen distance). */
  readonly distance: number;
  /** Number of features changed (sparsity). */
  readonly changedFeatures: number;
}

/** The counterfactuals of one instance row. */
export interface CounterfactualResult {
  /** The instance's class index or value; NaN when the budget ran out before it was scored. */
  readonly originalPrediction: number;
  /** Classification: the instance's predicted class's score. */
  readonly originalProbability: number | undefined;
  /** Nearest first; empty when none was reached within the search and the budget. */
  readonly found: readonly FoundCounterfactual[];
}
