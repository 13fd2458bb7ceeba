/**
 * Anchors' settings and answer as plain types (Alibi's AnchorTabular `explain` arguments and
 * `raw` result). The contract mapping (src/contract/methods/anchors.ts) reads AnchorsParams
 * from the request and writes AnchorResult into InstanceExplanation.anchor.
 */

/** Anchors' defaults: Alibi's AnchorTabular.explain / fit defaults (ANCHORS.md). */
export const ANCHORS_DEFAULTS = {
  threshold: 0.95,
  delta: 0.1,
  tau: 0.15,
  batchSize: 100,
  coverageSamples: 10_000,
  beamSize: 1,
  stopOnFirst: false,
  minSamplesStart: 100,
  discPerc: [25, 50, 75] as readonly number[],
  examples: 10,
} as const;

/** The contract's upper limits (explainer-contract.md, "Limits named by the contract"). */
export const ANCHORS_LIMITS = {
  batchSize: 10_000,
  coverageSamples: 100_000,
  beamSize: 100,
  minSamplesStart: 10_000,
  examples: 100,
} as const;

/**
 * Alibi's `epsilon_stop` (anchor_beam's default, which AnchorTabular does not expose): an
 * anchor is valid when its precision is at least the threshold and its lower bound is above
 * threshold − 0.05, and the search samples a candidate until its bounds settle on one side of
 * threshold ± 0.05.
 */
export const ANCHORS_EPSILON_STOP = 0.05;

/** Anchors' settings, every default filled (ExplanationMeta.params). */
export interface AnchorsParams {
  /** The precision an anchor must reach, in (0, 1]. */
  readonly threshold: number;
  /** The significance of the precision bounds, in (0, 1). */
  readonly delta: number;
  /** KL-LUCB's tolerance when it picks the best candidates of a round, in (0, 1). */
  readonly tau: number;
  /** Perturbed rows drawn per candidate per bandit step. */
  readonly batchSize: number;
  /** Background draws the coverage is estimated on. */
  readonly coverageSamples: number;
  /** Candidates kept per round. */
  readonly beamSize: number;
  /** Stop at the first valid anchor instead of looking for a wider one. */
  readonly stopOnFirst: boolean;
  /** The most predicates in an anchor; undefined means no limit (the number of candidate predicates). */
  readonly maxAnchorSize: number | undefined;
  /** Rows drawn for the empty anchor before the search starts. */
  readonly minSamplesStart: number;
  /** Percentiles of the background that bin numeric features, strictly ascending in (0, 100). */
  readonly discPerc: readonly number[];
  /** Examples kept of each kind (covered_true, covered_false). */
  readonly examples: number;
}

/** One predicate of an anchor, with the anchor's quality once it was added. */
export interface AnchorPredicateResult {
  readonly featureIndex: number;
  readonly featureName: string;
  /**
   * As Alibi writes it: "petal width (cm) <= 0.80", "0.80 < petal width (cm) <= 1.30",
   * "colour = red". A second predicate on a feature already in the anchor reads as the
   * feature's interval so far (Alibi writes one text per feature, the last one).
   */
  readonly text: string;
  /**
   * What the text says, for programs: the values of the feature the anchor allows once this
   * predicate was added, `above < x <= atMost` (±Infinity where open), or one category index.
   */
  readonly allowed: { readonly above: number; readonly atMost: number } | { readonly category: number };
  /** The anchor's precision after this predicate was added. */
  readonly precision: number;
  /** The anchor's coverage after this predicate was added. */
  readonly coverage: number;
}

/** The anchor found for one row. */
export interface AnchorResult {
  /** In the order they were added; empty when the prediction holds without any. */
  readonly predicates: readonly AnchorPredicateResult[];
  /** Perturbed rows satisfying the anchor that get the instance's prediction, as a fraction. */
  readonly precision: number;
  /** The fraction of background draws the anchor applies to. */
  readonly coverage: number;
  /** KL-LUCB's lower bound of the precision at 1 − delta (over the beam's candidates). */
  readonly precisionLowerBound: number;
  /**
   * The predicted class: the argmax of the outputs (the first on ties, as numpy), or a single
   * output's value rounded to the nearest integer (a label output). Undefined only when the
   * budget ran out before the model answered for the instance.
   */
  readonly prediction: number | undefined;
  /** Whether this anchor passed Alibi's test (precision ≥ threshold, lower bound > threshold − 0.05). */
  readonly thresholdMet: boolean;
  /** Perturbed rows evaluated by the model for this row. */
  readonly samples: number;
  /** Perturbed rows satisfying the anchor with the same prediction: `coveredTrueCount` flat rows. */
  readonly coveredTrue: Float64Array;
  readonly coveredTrueCount: number;
  /** Perturbed rows satisfying the anchor with another prediction: `coveredFalseCount` flat rows. */
  readonly coveredFalse: Float64Array;
  readonly coveredFalseCount: number;
}
