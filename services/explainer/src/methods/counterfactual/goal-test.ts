/**
 * Whether a row's scores reach the counterfactual goal, and what the row's prediction is. The
 * classification goals read scores as probabilities (as Alibi's target_proba does): the reached
 * class must be the argmax and score at least the target probability.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { CounterfactualGoal } from './counterfactual-types.js';

/** A row's prediction as the result reports it. */
export interface ScoredPrediction {
  /** The class index (argmax) or the regression value. */
  readonly prediction: number;
  /** Classification: the score of the class that counts (the predicted one). */
  readonly probability: number | undefined;
}

/** The goal bound to the instance's own prediction. */
export interface GoalTest {
  /** The instance's prediction. */
  readonly original: ScoredPrediction;
  /** Whether the scores (outputCount values at `offset`) reach the goal. */
  reached(scores: Float64Array, offset: number): boolean;
  /** The prediction for scores at `offset`. */
  predictionOf(scores: Float64Array, offset: number): ScoredPrediction;
  /**
   * How near the scores at `offset` are to the goal, larger nearer (a class's lead over the
   * best other class, or minus the value's distance to the range): the search's estimate of
   * which features move a row toward the goal.
   */
  margin(scores: Float64Array, offset: number): number;
}

function argmax(scores: Float64Array, offset: number, count: number): number {
  let best = 0;
  for (let c = 1; c < count; c++) if (scores[offset + c]! > scores[offset + best]!) best = c;
  return best;
}

/**
 * Binds the goal to the instance's scores.
 * @throws InvalidArgumentError (rule "counterfactual.target_class_differs") when the target
 * class is already the instance's prediction, or (rule "counterfactual.goal") when the
 * instance's value already lies in the target range: there is nothing to explain.
 */
export function goalTest(
  goal: CounterfactualGoal,
  targetProbability: number,
  instanceScores: Float64Array,
  outputCount: number,
): GoalTest {
  if (goal.kind === 'target-value') {
    const { min, max } = goal.range;
    const value = instanceScores[0]!;
    if (value >= min && value <= max) {
      throw new InvalidArgumentError(
        `counterfactual.target_value: the instance's prediction ${value} already lies in [${min}, ${max}] (rule "counterfactual.goal")`,
        { field: 'counterfactual.target_value' },
      );
    }
    return {
      original: { prediction: value, probability: undefined },
      reached: (scores, offset) => scores[offset]! >= min && scores[offset]! <= max,
      predictionOf: (scores, offset) => ({ prediction: scores[offset]!, probability: undefined }),
      margin: (scores, offset) => {
        const value = scores[offset]!;
        return value < min ? value - min : value > max ? max - value : 0;
      },
    };
  }
  const originalClass = argmax(instanceScores, 0, outputCount);
  if (goal.kind === 'target-class' && goal.targetClass === originalClass) {
    throw new InvalidArgumentError(
      `counterfactual.target_class: must differ from the instance's predicted class, got ${goal.targetClass} (rule "counterfactual.target_class_differs")`,
      { field: 'counterfactual.target_class' },
    );
  }
  const predictionOf = (scores: Float64Array, offset: number): ScoredPrediction => {
    const predicted = argmax(scores, offset, outputCount);
    return { prediction: predicted, probability: scores[offset + predicted]! };
  };
  const wanted = (predicted: number) =>
    goal.kind === 'target-class' ? predicted === goal.targetClass : predicted !== originalClass;
  /**
   * The lead of `leader` over the best other class, in log scores when both are positive: far
   * from the boundary probabilities saturate (1 - 1e-20 is 1) and their difference stops
   * moving, while their logarithms still do.
   */
  const lead = (scores: Float64Array, offset: number, leader: number): number => {
    let rival = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < outputCount; c++) if (c !== leader) rival = Math.max(rival, scores[offset + c]!);
    const own = scores[offset + leader]!;
    return own > 0 && rival > 0 ? Math.log(own) - Math.log(rival) : own - rival;
  };
  return {
    original: predictionOf(instanceScores, 0),
    margin: (scores, offset) =>
      goal.kind === 'target-class'
        ? lead(scores, offset, goal.targetClass)
        : -lead(scores, offset, originalClass),
    reached: (scores, offset) => {
      const predicted = argmax(scores, offset, outputCount);
      return wanted(predicted) && scores[offset + predicted]! >= targetProbability;
    },
    predictionOf,
  };
}
