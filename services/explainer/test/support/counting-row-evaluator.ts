/**
 * A RowEvaluator over a plain function for occlusion's tests: counts evaluate calls and rows,
 * splits nothing (each evaluate is one "model call"), and spends a call budget the way the
 * service's evaluator does (BudgetExhaustedError before a call it cannot afford).
 */
import { seededRandom } from '@sightline/stats';
import {
  BudgetExhaustedError,
  type FeatureSpace,
  type MethodContext,
  type RowEvaluator,
  type WeightedRows,
} from '../../src/methods/method.js';

/** Scores `count` rows (count × featureCount values) into count × outputCount values. */
export type BatchModel = (rows: Float64Array, count: number) => Float64Array | Promise<Float64Array>;

export interface CountingRowEvaluator extends RowEvaluator {
  readonly calls: number;
  readonly rows: number;
  /** Rows of each call, in order. */
  readonly callSizes: readonly number[];
}

export function countingRowEvaluator(
  featureCount: number,
  outputCount: number,
  model: BatchModel,
  options: { maxCalls?: number; maxRowsPerCall?: number } = {},
): CountingRowEvaluator {
  const callSizes: number[] = [];
  let rows = 0;
  return {
    featureCount,
    outputCount,
    ...(options.maxRowsPerCall === undefined ? {} : { maxRowsPerCall: options.maxRowsPerCall }),
    get calls() {
      return callSizes.length;
    },
    get rows() {
      return rows;
    },
    callSizes,
    async evaluate(batch: Float64Array): Promise<Float64Array> {
      const count = batch.length / featureCount;
      if (!Number.isInteger(count)) throw new Error(`evaluate: ${batch.length} values are not whole rows`);
      if (options.maxRowsPerCall !== undefined && count > options.maxRowsPerCall) {
        throw new Error(`evaluate: ${count} rows exceed one call's ${options.maxRowsPerCall}`);
      }
      if (options.maxCalls !== undefined && callSizes.length >= options.maxCalls) {
        throw new BudgetExhaustedError('calls', `calls: all ${options.maxCalls} spent`);
      }
      callSizes.push(count);
      rows += count;
      const scores = await model(batch, count);
      if (scores.length !== count * outputCount) throw new Error('model: wrong number of scores');
      return scores;
    },
    exhausted: () => undefined,
  };
}

/** Names "x[i]" and no categories. */
export function plainFeatureSpace(featureCount: number): FeatureSpace {
  return {
    featureCount,
    featureNames: Array.from({ length: featureCount }, (_, i) => `x[${i}]`),
    categorical: new Map(),
  };
}

/** A method context over the evaluator, recording progress reports. */
export function testContext(
  evaluator: RowEvaluator,
  background?: WeightedRows,
): MethodContext & { readonly progressReports: number[] } {
  const progressReports: number[] = [];
  return {
    evaluator,
    space: plainFeatureSpace(evaluator.featureCount),
    background,
    random: seededRandom(7),
    progress: (fraction) => progressReports.push(fraction),
    progressReports,
  };
}
