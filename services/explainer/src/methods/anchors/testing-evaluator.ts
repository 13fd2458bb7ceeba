/**
 * Test-only: a RowEvaluator over a plain function, with a budget of calls, counting calls and
 * rows (exp-shap's src/methods/testing/function-evaluator.ts replaces it once merged).
 */
import { BudgetExhaustedError, type ExhaustedReason, type RowEvaluator } from '../method.js';

export interface CountingEvaluator extends RowEvaluator {
  readonly calls: number;
  readonly rows: number;
}

/**
 * @param score answers `outputCount` scores for one row.
 * @param maxCalls calls allowed; the next one throws BudgetExhaustedError('calls').
 */
export function anchorsTestEvaluator(
  featureCount: number,
  outputCount: number,
  score: (row: Float64Array) => ArrayLike<number>,
  maxCalls = Number.POSITIVE_INFINITY,
): CountingEvaluator {
  let calls = 0;
  let rows = 0;
  return {
    featureCount,
    outputCount,
    get calls() {
      return calls;
    },
    get rows() {
      return rows;
    },
    async evaluate(input: Float64Array): Promise<Float64Array> {
      if (calls >= maxCalls)
        throw new BudgetExhaustedError('calls', `model calls: budget of ${maxCalls} spent`);
      calls += 1;
      const count = input.length / featureCount;
      rows += count;
      const out = new Float64Array(count * outputCount);
      for (let i = 0; i < count; i++)
        out.set(score(input.subarray(i * featureCount, (i + 1) * featureCount)), i * outputCount);
      return out;
    },
    exhausted(): ExhaustedReason | undefined {
      return calls >= maxCalls ? 'calls' : undefined;
    },
  };
}
