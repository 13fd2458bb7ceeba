import type { RowEvaluator, WeightedRows } from '../method.js';
import { evaluateCoalitions } from './coalition-values.js';
import { applyLink } from './link.js';
import type { ShapLink } from './types.js';

/** Features at most: 2^20 coalitions is the most the reference enumerates. */
export const EXACT_SHAPLEY_MAX_FEATURES = 20;

/** Exact interventional Shapley values for one output column. */
export interface ExactShapley {
  readonly outputIndex: number;
  /** g(f(x)). */
  readonly prediction: number;
  /** g(E[f]) over the weighted background. */
  readonly expectedValue: number;
  readonly values: Float64Array;
}

/**
 * Exact interventional Shapley values by enumerating all 2^M subsets — the reference Kernel
 * SHAP is tested and benchmarked against. The game is v(S) = g(E_b[f(x_S, b_rest)]) over the
 * weighted background (the value Kernel SHAP's regression fits), and
 * φ_i = Σ_{S ∌ i} |S|! (M − |S| − 1)! / M! · (v(S ∪ {i}) − v(S)). Every feature is a player,
 * varying or not, so this shares nothing with Kernel SHAP but the row construction.
 *
 * @throws RangeError for more than {@link EXACT_SHAPLEY_MAX_FEATURES} features; the budget's
 *   BudgetExhaustedError passes through (a reference is all or nothing).
 */
export async function exactInterventionalShapley(
  evaluator: RowEvaluator,
  instance: Float64Array,
  background: WeightedRows,
  link: ShapLink = 'identity',
): Promise<ExactShapley[]> {
  const m = instance.length;
  if (m > EXACT_SHAPLEY_MAX_FEATURES) {
    throw new RangeError(
      `exactInterventionalShapley: at most ${EXACT_SHAPLEY_MAX_FEATURES} features, got ${m}`,
    );
  }
  const subsets = 2 ** m;
  // Subset s (a bit per feature) is coalition s.
  const masks = new Uint8Array(subsets * m);
  for (let s = 0; s < subsets; s++) for (let j = 0; j < m; j++) masks[s * m + j] = (s >> j) & 1;
  const features = Int32Array.from({ length: m }, (_, j) => j);
  const measured = await evaluateCoalitions(
    evaluator,
    instance,
    background,
    { features, masks, count: subsets },
    () => {},
  );
  if (measured.stoppedBy !== undefined) throw measured.stoppedBy;
  const outputs = evaluator.outputCount;
  // Shapley weight by the size of S (the subset without i): |S|! (M − |S| − 1)! / M!.
  const weightBySize = Array.from({ length: m }, (_, size) => 1 / (m * binomialCoefficient(m - 1, size)));
  const popcount = (s: number) => {
    let bits = 0;
    for (let v = s; v !== 0; v &= v - 1) bits++;
    return bits;
  };
  return Array.from({ length: outputs }, (_, o) => {
    const value = new Float64Array(subsets);
    for (let s = 0; s < subsets; s++)
      value[s] = applyLink(link, measured.values[s * outputs + o]!, `subset ${s}`);
    const phi = new Float64Array(m);
    for (let s = 0; s < subsets; s++) {
      const weight = weightBySize[popcount(s)]!;
      for (let i = 0; i < m; i++) {
        if ((s >> i) & 1) continue;
        phi[i]! += weight * (value[s | (1 << i)]! - value[s]!);
      }
    }
    return {
      outputIndex: o,
      prediction: applyLink(link, measured.instanceOutputs![o]!, 'the instance'),
      expectedValue: applyLink(link, measured.expectedOutputs![o]!, "the background's mean"),
      values: phi,
    };
  });
}

function binomialCoefficient(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return Math.round(result);
}
