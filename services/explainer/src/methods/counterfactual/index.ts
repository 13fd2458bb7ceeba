/**
 * Counterfactuals for tabular models (black box): the nearest rows, by a distance over scaled
 * features, that the model assigns to another class, a given class or a target value range,
 * within feature ranges, without touching immutable features, with sparsity reported.
 * The search is described in counterfactual-search.ts.
 */
import { BudgetExhaustedError, type LocalMethod, type RowOutcome } from '../method.js';
import { CounterfactualSearch } from './counterfactual-search.js';
import type { CounterfactualParams, CounterfactualResult } from './counterfactual-types.js';
import { goalTest } from './goal-test.js';
import { buildSearchSpace } from './search-space.js';

export type * from './counterfactual-types.js';

/** The counterfactual method; Alibi's name for its black-box-capable explainer is "Counterfactual". */
export const counterfactual: LocalMethod<CounterfactualParams, CounterfactualResult> = {
  metaName: 'Counterfactual',
  modelAccess: 'black-box',
  async explainRow(instance, params, context): Promise<RowOutcome<CounterfactualResult>> {
    const { evaluator, background, random, progress } = context;
    const space = buildSearchSpace(instance, params, context.space, background);
    let instanceScores: Float64Array;
    try {
      instanceScores = await evaluator.evaluate(instance.slice());
    } catch (error) {
      if (!(error instanceof BudgetExhaustedError)) throw error;
      return {
        result: { originalPrediction: Number.NaN, originalProbability: undefined, found: [] },
        complete: false,
        fractionDone: 0,
      };
    }
    const goal = goalTest(params.goal, params.targetProbability, instanceScores, evaluator.outputCount);
    let fractionDone = 0.02;
    const search = new CounterfactualSearch({
      space,
      goal,
      evaluator,
      // buildSearchSpace has checked it is there.
      background: background!,
      random,
      maxChangedFeatures: params.maxChangedFeatures,
      count: params.count,
      // Reported fractions only grow (stage estimates may overlap by a rounding).
      progress: (fraction) => {
        if (fraction <= fractionDone) return;
        fractionDone = fraction;
        progress(fraction);
      },
    });
    progress(fractionDone);
    let complete = true;
    try {
      await search.run();
    } catch (error) {
      if (!(error instanceof BudgetExhaustedError)) throw error;
      complete = false;
    }
    const result: CounterfactualResult = {
      originalPrediction: goal.original.prediction,
      originalProbability: goal.original.probability,
      found: search.found(),
    };
    return { result, complete, fractionDone: complete ? 1 : fractionDone };
  },
};
