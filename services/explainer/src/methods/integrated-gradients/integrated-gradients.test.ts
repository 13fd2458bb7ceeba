import { FailedPreconditionError, InvalidArgumentError } from '@sightline/errors';
import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import type { GradientModel } from '../gradient-model.js';
import {
  BudgetExhaustedError,
  type ExhaustedReason,
  type MethodContext,
  type RowEvaluator,
  type WeightedRows,
} from '../method.js';
import { integratedGradients } from './integrated-gradients.js';
import { INTEGRATED_GRADIENTS_DEFAULTS, type IntegratedGradientsParams } from './params.js';
import type { IntegrationRule } from './quadrature.js';

/** A model given by a function per row and its gradient per row (known in closed form). */
interface PlainModel {
  readonly featureCount: number;
  readonly outputCount: number;
  readonly f: (x: Float64Array) => number[];
  readonly grad: (x: Float64Array, output: number) => number[];
}

/** f0 = Σ a_i x_i² (IG from a zero baseline is exactly a_i x_i²); f1 = tanh(x0 · x1) + x2 (nonlinear, with interactions). */
const quadraticAndTanh: PlainModel = {
  featureCount: 3,
  outputCount: 2,
  f: (x) => [1 * x[0]! ** 2 + 2 * x[1]! ** 2 + 3 * x[2]! ** 2, Math.tanh(x[0]! * x[1]!) + x[2]!],
  grad: (x, output) => {
    if (output === 0) return [2 * x[0]!, 4 * x[1]!, 6 * x[2]!];
    const s = 1 - Math.tanh(x[0]! * x[1]!) ** 2;
    return [s * x[1]!, s * x[0]!, 1];
  },
};

/** The plain model as a GradientModel, counting its gradient calls. */
function plainGradientModel(model: PlainModel): GradientModel & { gradientCalls: number[] } {
  const { featureCount, outputCount } = model;
  const rowsOf = (rows: Float64Array) =>
    Array.from({ length: rows.length / featureCount }, (_, r) =>
      rows.subarray(r * featureCount, (r + 1) * featureCount),
    );
  const gradientCalls: number[] = [];
  return {
    featureCount,
    outputCount,
    backend: 'plain',
    gradientCalls,
    predict: async (rows) => Float64Array.from(rowsOf(rows).flatMap((row) => model.f(row))),
    gradients: async (rows, output) => {
      gradientCalls.push(rows.length / featureCount);
      return Float64Array.from(rowsOf(rows).flatMap((row) => model.grad(row, output)));
    },
  };
}

/** A RowEvaluator over the plain model (local to this file; exp-shap owns the shared one), stopping when `stopAfterCalls` is reached. */
function plainRowEvaluator(
  model: PlainModel,
  options: { stopAfterChecks?: number; maxRows?: number } = {},
): RowEvaluator & { rowsEvaluated: number } {
  let checks = 0;
  const evaluator = {
    featureCount: model.featureCount,
    outputCount: model.outputCount,
    rowsEvaluated: 0,
    async evaluate(rows: Float64Array) {
      const count = rows.length / model.featureCount;
      if (options.maxRows !== undefined && evaluator.rowsEvaluated + count > options.maxRows) {
        throw new BudgetExhaustedError('rows', 'rows: budget spent');
      }
      evaluator.rowsEvaluated += count;
      const out: number[] = [];
      for (let r = 0; r < count; r++)
        out.push(...model.f(rows.subarray(r * model.featureCount, (r + 1) * model.featureCount)));
      return Float64Array.from(out);
    },
    exhausted(): ExhaustedReason | undefined {
      checks++;
      return options.stopAfterChecks !== undefined && checks > options.stopAfterChecks ? 'time' : undefined;
    },
  };
  return evaluator;
}

function context(
  model: PlainModel,
  extra: Partial<MethodContext> & { evaluator?: RowEvaluator } = {},
): MethodContext & { fractions: number[] } {
  const fractions: number[] = [];
  return {
    evaluator: plainRowEvaluator(model),
    space: {
      featureCount: model.featureCount,
      featureNames: Array.from({ length: model.featureCount }, (_, i) => `x[${i}]`),
      categorical: new Map(),
    },
    background: undefined,
    random: seededRandom(0),
    progress: (fraction) => fractions.push(fraction),
    gradients: plainGradientModel(model),
    fractions,
    ...extra,
  };
}

function params(overrides: Partial<IntegratedGradientsParams> = {}): IntegratedGradientsParams {
  return {
    ...INTEGRATED_GRADIENTS_DEFAULTS,
    baseline: { kind: 'zeros' },
    gradientSource: 'model',
    targets: [],
    ...overrides,
  };
}

const x = Float64Array.from([0.7, -1.2, 0.4]);

describe('integratedGradients', () => {
  it('gives a_i x_i² for Σ a_i x_i² from a zero baseline, complete, explaining the argmax column by default', async () => {
    const ctx = context(quadraticAndTanh);
    const outcome = await integratedGradients.explainRow(x, params(), ctx);
    expect(outcome.complete).toBe(true);
    expect(outcome.fractionDone).toBe(1);
    const [output] = outcome.result.outputs;
    // f0 = 0.49 + 2.88 + 0.48 = 3.85 > f1, so column 0 is explained.
    expect(output!.target).toBe(0);
    expect(output!.prediction).toBeCloseTo(3.85, 12);
    expect(output!.baselinePrediction).toBe(0);
    expect(Array.from(output!.attributions).map((v) => Number(v.toFixed(12)))).toEqual([0.49, 2.88, 0.48]);
    expect(Math.abs(output!.additivityError)).toBeLessThan(1e-12);
    expect(output!.stepsDone).toBe(50);
    expect(outcome.result.backend).toBe('plain');
    expect(ctx.fractions.at(-1)).toBe(1);
  });

  it('holds completeness on a nonlinear column with every rule, and Riemann rules converge to Gauss-Legendre', async () => {
    const ctx = context(quadraticAndTanh);
    const explain = async (method: IntegrationRule, nSteps: number) =>
      (await integratedGradients.explainRow(x, params({ method, nSteps, targets: [1] }), ctx)).result
        .outputs[0]!;
    const reference = await explain('gauss-legendre', 50);
    expect(Math.abs(reference.additivityError)).toBeLessThan(1e-10);
    for (const method of ['riemann-left', 'riemann-right', 'riemann-middle', 'riemann-trapezoid'] as const) {
      const distances: number[] = [];
      for (const steps of [4, 40, 400]) {
        const riemann = await explain(method, steps);
        distances.push(
          Math.max(...riemann.attributions.map((v, i) => Math.abs(v - reference.attributions[i]!))),
        );
      }
      expect(distances[1]).toBeLessThan(distances[0]!);
      expect(distances[2]).toBeLessThan(distances[1]!);
      expect(distances[2]).toBeLessThan(1e-2);
      const fine = await explain(method, 400);
      expect(Math.abs(fine.additivityError)).toBeLessThan(1e-2);
    }
  });

  it('takes gradients internal_batch_size points at a time, and one output set per named target', async () => {
    const ctx = context(quadraticAndTanh);
    const model = ctx.gradients as ReturnType<typeof plainGradientModel>;
    const outcome = await integratedGradients.explainRow(
      x,
      params({ nSteps: 25, internalBatchSize: 10, targets: [1, 0] }),
      ctx,
    );
    expect(model.gradientCalls).toEqual([10, 10, 5, 10, 10, 5]);
    expect(outcome.result.outputs.map((o) => o.target)).toEqual([1, 0]);
  });

  it('starts from given baselines (one for all rows, or the row own) and from the background weighted mean', async () => {
    const perRow = Float64Array.from([0, 0, 0, 1, 1, 1]);
    const second = await integratedGradients.explainRow(
      x,
      params({ baseline: { kind: 'given', rows: perRow, count: 2 } }),
      context(quadraticAndTanh, { rowIndex: 1 }),
    );
    expect(Array.from(second.result.baseline)).toEqual([1, 1, 1]);
    const out = second.result.outputs[0]!;
    expect(out.baselinePrediction).toBeCloseTo(6, 12);
    // Σ a_i (x_i² − b_i²) for a quadratic: (0.49 − 1) + 2 (1.44 − 1) + 3 (0.16 − 1).
    expect(out.attributions.reduce((a, b) => a + b, 0)).toBeCloseTo(-0.51 + 0.88 - 2.52, 10);

    const background: WeightedRows = {
      featureCount: 3,
      count: 2,
      rows: Float64Array.from([0, 0, 0, 3, 3, 3]),
      weights: Float64Array.from([2, 1]),
    };
    const mean = await integratedGradients.explainRow(
      x,
      params({ baseline: { kind: 'background-mean' } }),
      context(quadraticAndTanh, { background }),
    );
    expect(Array.from(mean.result.baseline)).toEqual([1, 1, 1]);
    await expect(
      integratedGradients.explainRow(
        x,
        params({ baseline: { kind: 'background-mean' } }),
        context(quadraticAndTanh),
      ),
    ).rejects.toThrow(/rule "background.set"/);
  });

  it('returns the integral so far, marked partial, when the budget time runs out between batches', async () => {
    const ctx = context(quadraticAndTanh, {
      evaluator: plainRowEvaluator(quadraticAndTanh, { stopAfterChecks: 2 }),
    });
    const outcome = await integratedGradients.explainRow(
      x,
      params({ nSteps: 50, internalBatchSize: 10 }),
      ctx,
    );
    expect(outcome.complete).toBe(false);
    expect(outcome.fractionDone).toBeCloseTo(20 / 50, 12);
    const output = outcome.result.outputs[0]!;
    expect(output.stepsDone).toBe(20);
    // Gauss-Legendre's first 20 of 50 points cover the start of the path only: the error says so.
    expect(Math.abs(output.additivityError)).toBeGreaterThan(0.1);
  });

  it('takes central differences through the black box when asked, close to the true gradients, and stops at the row budget', async () => {
    const evaluator = plainRowEvaluator(quadraticAndTanh);
    const ctx = context(quadraticAndTanh, { evaluator, gradients: undefined });
    const byDifferences = await integratedGradients.explainRow(
      x,
      params({ gradientSource: 'finite-differences', targets: [1], nSteps: 20 }),
      ctx,
    );
    const byModel = await integratedGradients.explainRow(
      x,
      params({ targets: [1], nSteps: 20 }),
      context(quadraticAndTanh),
    );
    expect(byDifferences.result.backend).toBe('finite-differences');
    for (const [i, value] of byDifferences.result.outputs[0]!.attributions.entries()) {
      expect(value).toBeCloseTo(byModel.result.outputs[0]!.attributions[i]!, 5);
    }
    // 2 rows for f(x), f(b), then 2 · 3 features rows per point.
    expect(evaluator.rowsEvaluated).toBe(2 + 20 * 6);

    const limited = context(quadraticAndTanh, {
      evaluator: plainRowEvaluator(quadraticAndTanh, { maxRows: 2 + 60 }),
      gradients: undefined,
    });
    const partial = await integratedGradients.explainRow(
      x,
      params({ gradientSource: 'finite-differences', nSteps: 20, internalBatchSize: 5 }),
      limited,
    );
    expect(partial.complete).toBe(false);
    expect(partial.result.outputs[0]!.stepsDone).toBe(10);
  });

  it('answers FAILED_PRECONDITION naming the black-box alternatives when the target has no gradients', async () => {
    const run = integratedGradients.explainRow(
      x,
      params(),
      context(quadraticAndTanh, { gradients: undefined }),
    );
    await expect(run).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(run).rejects.toThrow(/use kernel_shap or occlusion/);
  });

  it('refuses a target past the outputs and an instance of the wrong size, naming the rule', async () => {
    const past = integratedGradients.explainRow(x, params({ targets: [2] }), context(quadraticAndTanh));
    await expect(past).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(past).rejects.toThrow(/rule "target.target_indices"/);
    await expect(
      integratedGradients.explainRow(Float64Array.from([1, 2]), params(), context(quadraticAndTanh)),
    ).rejects.toThrow(/rule "instances.metadata"/);
  });
});
