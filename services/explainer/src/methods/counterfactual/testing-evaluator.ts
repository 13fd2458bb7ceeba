/**
 * Test-only: a RowEvaluator over a plain function or an in-process model, with a call budget
 * like the service's (rows split into calls of at most `maxRowsPerCall`, BudgetExhaustedError
 * before a call the budget cannot afford). Replaced by src/methods/testing/function-evaluator.ts
 * once that is merged.
 */
import { BudgetExhaustedError, type RowEvaluator } from '../method.js';

/** Scores a batch: rows × featureCount values in, rows × outputCount values out. */
export type BatchScorer = (rows: Float64Array, count: number) => Float64Array | Promise<Float64Array>;

/** The evaluator and what it has been asked. */
export interface CountingEvaluator extends RowEvaluator {
  /** Model calls made. */
  readonly calls: number;
  /** Rows scored. */
  readonly rows: number;
}

export function countingEvaluator(
  featureCount: number,
  outputCount: number,
  scorer: BatchScorer,
  options: { maxCalls?: number; maxRowsPerCall?: number } = {},
): CountingEvaluator {
  const maxCalls = options.maxCalls ?? Number.POSITIVE_INFINITY;
  const maxRowsPerCall = options.maxRowsPerCall ?? 1000;
  let calls = 0;
  let rowsScored = 0;
  return {
    featureCount,
    outputCount,
    maxRowsPerCall,
    get calls() {
      return calls;
    },
    get rows() {
      return rowsScored;
    },
    exhausted: () => (calls >= maxCalls ? 'calls' : undefined),
    async evaluate(rows) {
      if (rows.length % featureCount !== 0)
        throw new Error(`evaluate: ${rows.length} values is not whole rows`);
      const count = rows.length / featureCount;
      const needed = Math.ceil(count / maxRowsPerCall);
      if (calls + needed > maxCalls) {
        throw new BudgetExhaustedError('calls', `budget: ${needed} more calls would pass ${maxCalls}`);
      }
      const out = new Float64Array(count * outputCount);
      for (let first = 0; first < count; first += maxRowsPerCall) {
        const last = Math.min(count, first + maxRowsPerCall);
        calls++;
        rowsScored += last - first;
        const scores = await scorer(rows.slice(first * featureCount, last * featureCount), last - first);
        out.set(scores, first * outputCount);
      }
      return out;
    },
  };
}

/** A scorer applying `score` to each row. */
export function rowwise(
  featureCount: number,
  outputCount: number,
  score: (row: Float64Array) => ArrayLike<number>,
): BatchScorer {
  return (rows, count) => {
    const out = new Float64Array(count * outputCount);
    for (let r = 0; r < count; r++)
      out.set(score(rows.subarray(r * featureCount, (r + 1) * featureCount)), r * outputCount);
    return out;
  };
}
