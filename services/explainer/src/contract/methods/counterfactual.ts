/**
 * CounterfactualParams / Counterfactuals (explainer.proto) <-> the counterfactual method's plain
 * types. The contract's rules are checked here, naming `counterfactual.<field>` (the ExplainRequest
 * oneof field) and the rule; the rules that need the instance's prediction or the background
 * (target_class_differs, an instance outside its range) are checked by the method per row.
 */
import type { commonV1 } from '@sightline/contracts';
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type {
  CounterfactualDistance,
  CounterfactualGoal,
  CounterfactualParams,
  CounterfactualResult,
  Interval,
} from '../../methods/counterfactual/index.js';
import type { FeatureSpace } from '../../methods/method.js';

/** Counterfactuals per row at most (contract). */
export const MAX_COUNTERFACTUALS = 10;
/** Counterfactuals per row when unset (contract). */
export const DEFAULT_COUNTERFACTUALS = 1;
/** The target class's score when unset (contract; Alibi's target_proba default). */
export const DEFAULT_TARGET_PROBABILITY = 0.5;

/** Rows of a flattened feature matrix back to tensors like the instances (provided by the service). */
export type RowsToTensors = (rows: Float64Array, count: number) => commonV1.Tensor[];

const FIELD = 'counterfactual';

function invalid(field: string, text: string, rule: string): InvalidArgumentError {
  return new InvalidArgumentError(`${FIELD}.${field}: ${text} (rule "${rule}")`, {
    field: `${FIELD}.${field}`,
  });
}

const DISTANCES: ReadonlyMap<explainerV1.Distance, CounterfactualDistance> = new Map([
  [explainerV1.Distance.DISTANCE_UNSPECIFIED, 'l1-mad'],
  [explainerV1.Distance.DISTANCE_L1_MAD, 'l1-mad'],
  [explainerV1.Distance.DISTANCE_L1_RANGE, 'l1-range'],
  [explainerV1.Distance.DISTANCE_L2_STD, 'l2-std'],
]);

const DISTANCE_ENUMS: Readonly<Record<CounterfactualDistance, explainerV1.Distance>> = {
  'l1-mad': explainerV1.Distance.DISTANCE_L1_MAD,
  'l1-range': explainerV1.Distance.DISTANCE_L1_RANGE,
  'l2-std': explainerV1.Distance.DISTANCE_L2_STD,
};

/** A ValueRange as an interval (an unset end unbounded); rule "value_range". */
function readRange(range: explainerV1.ValueRange | undefined, field: string): Interval {
  if (!range || (range.min === undefined && range.max === undefined)) {
    throw invalid(field, 'set min, max or both', 'value_range');
  }
  for (const end of ['min', 'max'] as const) {
    const value = range[end];
    if (value !== undefined && !Number.isFinite(value)) {
      throw invalid(`${field}.${end}`, `must be finite, got ${value}`, 'value_range');
    }
  }
  const min = range.min ?? Number.NEGATIVE_INFINITY;
  const max = range.max ?? Number.POSITIVE_INFINITY;
  if (min > max) throw invalid(field, `min must be <= max, got [${min}, ${max}]`, 'value_range');
  return { min, max };
}

function readGoal(message: explainerV1.CounterfactualParams, outputCount: number): CounterfactualGoal {
  const set = [
    message.otherClass === undefined ? undefined : 'other_class',
    message.targetClass === undefined ? undefined : 'target_class',
    message.targetValue === undefined ? undefined : 'target_value',
  ].filter((name) => name !== undefined);
  if (set.length > 1) {
    throw invalid(set.join(' and '), 'set at most one goal', 'counterfactual.goal');
  }
  if (message.targetValue !== undefined) {
    if (outputCount !== 1) {
      throw invalid(
        'target_value',
        `a value goal needs one explained output column (choose it with target.target_indices), got ${outputCount}`,
        'counterfactual.goal',
      );
    }
    return { kind: 'target-value', range: readRange(message.targetValue, 'target_value') };
  }
  const field = message.targetClass === undefined ? 'other_class' : 'target_class';
  if (outputCount < 2) {
    throw invalid(
      field,
      `a class goal needs the scores of at least 2 classes, got ${outputCount} output column (use target_value for a regressor)`,
      'counterfactual.goal',
    );
  }
  if (message.targetClass === undefined) return { kind: 'other-class' };
  const targetClass = message.targetClass;
  if (!(Number.isInteger(targetClass) && targetClass >= 0 && targetClass < outputCount)) {
    throw invalid(
      'target_class',
      `must be below the class count ${outputCount}, got ${targetClass}`,
      'counterfactual.goal',
    );
  }
  return { kind: 'target-class', targetClass };
}

function featureIndex(value: number, space: FeatureSpace, field: string, rule: string): number {
  if (!(Number.isInteger(value) && value >= 0 && value < space.featureCount)) {
    throw invalid(field, `must be a feature index below ${space.featureCount}, got ${value}`, rule);
  }
  return value;
}

function readFeatureRanges(ranges: explainerV1.FeatureRange[], space: FeatureSpace): Map<number, Interval> {
  const rule = 'counterfactual.feature_ranges';
  const read = new Map<number, Interval>();
  ranges.forEach((entry, i) => {
    const field = `feature_ranges[${i}]`;
    const index = featureIndex(entry.index, space, `${field}.index`, rule);
    if (read.has(index)) throw invalid(`${field}.index`, `feature ${index} has a range already`, rule);
    let range: Interval;
    try {
      range = readRange(entry.range, `${field}.range`);
    } catch (error) {
      // One rule name for every feature range fault, as the contract names it.
      if (!(error instanceof InvalidArgumentError)) throw error;
      throw new InvalidArgumentError(error.message.replace('(rule "value_range")', `(rule "${rule}")`), {
        field: `${FIELD}.${field}.range`,
      });
    }
    const categories = space.categorical.get(index);
    if (
      categories &&
      !(Math.max(0, Math.ceil(range.min)) <= Math.min(categories.length - 1, Math.floor(range.max)))
    ) {
      throw invalid(
        `${field}.range`,
        `feature ${index} is categorical with indices 0..${categories.length - 1}, and [${range.min}, ${range.max}] holds none`,
        rule,
      );
    }
    read.set(index, range);
  });
  return read;
}

/**
 * Reads the counterfactual parameters with defaults filled.
 * @param outputCount the explained output columns (classes of a classifier, 1 for a regressor).
 * @throws InvalidArgumentError naming `counterfactual.<field>` and the contract's rule.
 */
export function readCounterfactualParams(
  message: explainerV1.CounterfactualParams | undefined,
  space: FeatureSpace,
  outputCount: number,
): CounterfactualParams {
  const params = message ?? explainerV1.CounterfactualParams.fromPartial({});
  const goal = readGoal(params, outputCount);
  const targetProbability = params.targetProbability ?? DEFAULT_TARGET_PROBABILITY;
  if (!(targetProbability > 0 && targetProbability <= 1)) {
    throw invalid(
      'target_probability',
      `must be in (0, 1], got ${targetProbability}`,
      'counterfactual.target_probability',
    );
  }
  const distance = DISTANCES.get(params.distance);
  if (distance === undefined) {
    throw invalid('distance', `unknown value ${params.distance}`, 'counterfactual.distance');
  }
  const featureRanges = readFeatureRanges(params.featureRanges, space);
  const immutable = new Set(
    params.immutableFeatures.map((f, i) =>
      featureIndex(f, space, `immutable_features[${i}]`, 'counterfactual.immutable_features'),
    ),
  );
  if (immutable.size === space.featureCount) {
    throw invalid('immutable_features', 'leaves no feature to change', 'counterfactual.immutable_features');
  }
  const maxChangedFeatures = params.maxChangedFeatures;
  if (maxChangedFeatures !== undefined && !(maxChangedFeatures >= 1)) {
    throw invalid(
      'max_changed_features',
      `must be at least 1, got ${maxChangedFeatures}`,
      'counterfactual.max_changed_features',
    );
  }
  const count = params.count ?? DEFAULT_COUNTERFACTUALS;
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_COUNTERFACTUALS)) {
    throw invalid('count', `must be in 1-${MAX_COUNTERFACTUALS}, got ${count}`, 'counterfactual.count');
  }
  return {
    goal,
    targetProbability,
    distance,
    featureRanges,
    immutableFeatures: [...immutable].sort((a, b) => a - b),
    maxChangedFeatures,
    count,
  };
}

function rangeMessage(range: Interval): explainerV1.ValueRange {
  return {
    min: Number.isFinite(range.min) ? range.min : undefined,
    max: Number.isFinite(range.max) ? range.max : undefined,
  };
}

/** The settings with every default filled, for ExplanationMeta.params. */
export function counterfactualParamsMessage(params: CounterfactualParams): explainerV1.CounterfactualParams {
  const { goal } = params;
  return {
    otherClass: goal.kind === 'other-class' ? true : undefined,
    targetClass: goal.kind === 'target-class' ? goal.targetClass : undefined,
    targetValue: goal.kind === 'target-value' ? rangeMessage(goal.range) : undefined,
    targetProbability: params.targetProbability,
    distance: DISTANCE_ENUMS[params.distance],
    featureRanges: [...params.featureRanges]
      .sort(([a], [b]) => a - b)
      .map(([index, range]) => ({ index, range: rangeMessage(range) })),
    immutableFeatures: [...params.immutableFeatures],
    maxChangedFeatures: params.maxChangedFeatures,
    count: params.count,
  };
}

/**
 * A row's counterfactuals as InstanceExplanation's result field (spread it into the message).
 * @param toTensors turns each counterfactual's row into tensors like the instances.
 */
export function counterfactualResultMessage(
  result: CounterfactualResult,
  space: FeatureSpace,
  toTensors: RowsToTensors,
): Pick<explainerV1.InstanceExplanation, 'counterfactuals'> {
  return {
    counterfactuals: {
      originalPrediction: result.originalPrediction,
      originalProbability: result.originalProbability,
      found: result.found.map((found) => ({
        values: Array.from(found.values),
        changes: found.changes.map((change) => ({
          index: change.index,
          name: space.featureNames[change.index] ?? String(change.index),
          original: change.original,
          counterfactual: change.counterfactual,
        })),
        prediction: found.prediction,
        probability: found.probability,
        distance: found.distance,
        changedFeatures: found.changedFeatures,
        tensors: toTensors(found.values, 1),
      })),
    },
  };
}
