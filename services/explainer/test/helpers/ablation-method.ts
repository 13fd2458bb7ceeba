/**
 * A test-only method, registered under a contract key in the tests' registry to drive the
 * pipeline end to end before the real methods merge: "leave one feature out" ablation. Each
 * feature in turn takes the background's weighted mean; its attribution per output is the
 * drop of the score, f(x) - f(x with feature i replaced). All M + 1 rows go in one
 * evaluate() per round; `rounds` repeats that (to spend calls in budget tests), and the
 * last round's answer is the result.
 */
import { BudgetExhaustedError, type LocalMethod } from '../../src/methods/method.js';

export interface AblationParams {
  readonly rounds: number;
  /** Called before each round's evaluate (tests stop a model-server here). */
  readonly beforeRound?: (round: number) => Promise<void> | void;
}

export interface AblationResult {
  /** featureCount × outputCount drops, row-major. */
  readonly drops: Float64Array;
  readonly prediction: Float64Array;
  readonly rounds: number;
}

export const ablation: LocalMethod<AblationParams, AblationResult> = {
  metaName: 'Ablation',
  modelAccess: 'black-box',
  async explainRow(instance, params, context) {
    const { evaluator, background } = context;
    const m = evaluator.featureCount;
    const k = evaluator.outputCount;
    const mean = new Float64Array(m);
    if (background) {
      let total = 0;
      for (let r = 0; r < background.count; r++) {
        const w = background.weights[r]!;
        total += w;
        for (let j = 0; j < m; j++) mean[j]! += w * background.rows[r * m + j]!;
      }
      for (let j = 0; j < m; j++) mean[j]! /= total;
    }
    const rows = new Float64Array((m + 1) * m);
    for (let i = 0; i <= m; i++) {
      rows.set(instance, i * m);
      if (i > 0) rows[i * m + (i - 1)] = mean[i - 1]!;
    }
    let best: AblationResult = { drops: new Float64Array(m * k), prediction: new Float64Array(k), rounds: 0 };
    for (let round = 0; round < params.rounds; round++) {
      await params.beforeRound?.(round);
      let scores: Float64Array;
      try {
        scores = await evaluator.evaluate(rows);
      } catch (error) {
        if (error instanceof BudgetExhaustedError) {
          return { result: best, complete: false, fractionDone: round / params.rounds };
        }
        throw error;
      }
      const drops = new Float64Array(m * k);
      for (let i = 0; i < m; i++)
        for (let o = 0; o < k; o++) drops[i * k + o] = scores[o]! - scores[(i + 1) * k + o]!;
      best = { drops, prediction: scores.slice(0, k), rounds: round + 1 };
      context.progress((round + 1) / params.rounds);
    }
    return { result: best, complete: true, fractionDone: 1 };
  },
};
