import { BudgetExhaustedError, type RowEvaluator, type WeightedRows } from '../method.js';

/**
 * Rows per evaluator call that Kernel SHAP and the exact reference aim for: a batch holds as
 * many coalitions × background rows as fit (at least one coalition). The evaluator splits a
 * batch into model calls of its own rows-per-call; the batch only bounds memory and how much
 * work one exhausted budget can waste (a batch is all or nothing).
 */
export const COALITION_BATCH_ROWS = 16_384;
/** Values (rows × features) per batch at most, so wide rows keep a batch near 16 MB of float64. */
export const COALITION_BATCH_VALUES = 2_097_152;

/** Whole coalitions per batch for `backgroundRows` rows of `featureCount` features (at least 1). */
export function coalitionsPerBatch(
  backgroundRows: number,
  featureCount: number,
  batchRows = COALITION_BATCH_ROWS,
): number {
  const rows = Math.min(batchRows, Math.floor(COALITION_BATCH_VALUES / Math.max(1, featureCount)));
  return Math.max(1, Math.floor(rows / backgroundRows));
}

/** What {@link evaluateCoalitions} measured. */
export interface CoalitionValues {
  /** The model's outputs for the instance; undefined when the budget ran out before the first batch. */
  readonly instanceOutputs: Float64Array | undefined;
  /** The background's weighted mean outputs (E[f]); undefined likewise. */
  readonly expectedOutputs: Float64Array | undefined;
  /** evaluated × outputCount: per coalition, the weighted mean over the background of the model's outputs. */
  readonly values: Float64Array;
  /** Coalitions evaluated (a prefix of those asked). */
  readonly evaluated: number;
  /** Set when the budget stopped the work. */
  readonly stoppedBy: BudgetExhaustedError | undefined;
}

/** Coalitions over a subset of the features, as 0/1 masks. */
export interface CoalitionMasks {
  /** The features a mask's positions stand for (the others always take the background's value). */
  readonly features: Int32Array;
  /** count × features.length, 1 where the feature takes the instance's value. */
  readonly masks: Uint8Array;
  readonly count: number;
}

/**
 * Evaluates each coalition as shap does: the instance's values on the coalition's features and
 * each background row's elsewhere, the outputs averaged with the background's weights. The
 * instance and the background themselves go in the first batch (f(x) and E[f]). One evaluator
 * call per batch of whole coalitions; the budget running out keeps what was evaluated.
 */
export async function evaluateCoalitions(
  evaluator: RowEvaluator,
  instance: Float64Array,
  background: WeightedRows,
  coalitions: CoalitionMasks,
  onProgress: (evaluated: number) => void,
  batchRows: number = COALITION_BATCH_ROWS,
): Promise<CoalitionValues> {
  const d = background.featureCount;
  const n = background.count;
  const outputs = evaluator.outputCount;
  const m = coalitions.features.length;
  let weightSum = 0;
  for (const w of background.weights) weightSum += w;
  const perBatch = coalitionsPerBatch(n, d, batchRows);
  const values = new Float64Array(coalitions.count * outputs);
  let instanceOutputs: Float64Array | undefined;
  let expectedOutputs: Float64Array | undefined;
  let evaluated = 0;
  const weightedMean = (scores: Float64Array, firstRow: number, into: Float64Array, at: number) => {
    for (let b = 0; b < n; b++) {
      const w = background.weights[b]! / weightSum;
      const base = (firstRow + b) * outputs;
      for (let o = 0; o < outputs; o++) into[at + o]! += w * scores[base + o]!;
    }
  };
  do {
    const reason = evaluator.exhausted();
    if (reason !== undefined) {
      return stopped(
        new BudgetExhaustedError(reason, `budget exhausted (${reason}) after ${evaluated} coalitions`),
      );
    }
    const first = instanceOutputs === undefined;
    const batch = Math.min(perBatch, coalitions.count - evaluated);
    const baseRows = first ? 1 + n : 0;
    const rows = new Float64Array((baseRows + batch * n) * d);
    if (first) {
      rows.set(instance, 0);
      rows.set(background.rows.subarray(0, n * d), d);
    }
    for (let c = 0; c < batch; c++) {
      const mask = coalitions.masks.subarray((evaluated + c) * m, (evaluated + c + 1) * m);
      const block = (baseRows + c * n) * d;
      rows.set(background.rows.subarray(0, n * d), block);
      for (let k = 0; k < m; k++) {
        if (mask[k] === 0) continue;
        const feature = coalitions.features[k]!;
        const value = instance[feature]!;
        for (let b = 0; b < n; b++) rows[block + b * d + feature] = value;
      }
    }
    let scores: Float64Array;
    try {
      scores = await evaluator.evaluate(rows);
    } catch (error) {
      if (error instanceof BudgetExhaustedError) return stopped(error);
      throw error;
    }
    if (first) {
      instanceOutputs = scores.slice(0, outputs);
      expectedOutputs = new Float64Array(outputs);
      weightedMean(scores, 1, expectedOutputs, 0);
    }
    for (let c = 0; c < batch; c++) weightedMean(scores, baseRows + c * n, values, (evaluated + c) * outputs);
    evaluated += batch;
    onProgress(evaluated);
  } while (evaluated < coalitions.count);
  return { instanceOutputs, expectedOutputs, values, evaluated, stoppedBy: undefined };

  function stopped(error: BudgetExhaustedError): CoalitionValues {
    return {
      instanceOutputs,
      expectedOutputs,
      values: values.subarray(0, evaluated * outputs),
      evaluated,
      stoppedBy: error,
    };
  }
}
