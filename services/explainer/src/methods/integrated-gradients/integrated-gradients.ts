import { FailedPreconditionError, InvalidArgumentError } from '@sightline/errors';
import type { GradientModel } from '../gradient-model.js';
import { BudgetExhaustedError, type LocalMethod, type MethodContext, type RowOutcome } from '../method.js';
import { finiteDifferenceModel } from './finite-differences.js';
import { type IntegratedGradientsParams, MAX_BATCH_ELEMENTS } from './params.js';
import { quadrature } from './quadrature.js';

/** One explained output column's attributions. */
export interface IntegratedGradientsOutput {
  /** The output column explained. */
  readonly target: number;
  /** f(x) for this column. */
  readonly prediction: number;
  /** f(baseline) for this column: OutputAttributions.expected_value. */
  readonly baselinePrediction: number;
  /** Per feature: (x − baseline) × the weighted mean gradient along the path. */
  readonly attributions: Float64Array;
  /** The completeness error: Σ attributions − (prediction − baselinePrediction); large means too few steps (or a partial result). */
  readonly additivityError: number;
  /** Path points integrated for this column (n_steps when complete). */
  readonly stepsDone: number;
}

/** Integrated Gradients' answer for one row. */
export interface IntegratedGradientsResult {
  /** One per explained column, in the order of the targets (the predicted column when none was named). */
  readonly outputs: readonly IntegratedGradientsOutput[];
  /** The instance row (for FeatureAttribution.feature_value and heatmaps). */
  readonly instance: Float64Array;
  /** The baseline row used. */
  readonly baseline: Float64Array;
  /** Where the gradients came from: the TF.js backend label, or "finite-differences". */
  readonly backend: string;
}

/**
 * Integrated Gradients (Sundararajan et al. 2017) as Alibi's `IntegratedGradients`: for each
 * explained column t, attribution_i = (x_i − b_i) · Σ_k w_k ∂f_t/∂x_i (b + α_k (x − b)),
 * with the points α_k and weights w_k of the integration rule, evaluated `internalBatchSize`
 * points per gradient call. Completeness (Σ attributions = f_t(x) − f_t(b)) is reported as
 * the additivity error. When the budget's time runs out between batches, the integral so far
 * is returned (complete false) with its error, which then shows how much is missing.
 */
export const integratedGradients: LocalMethod<IntegratedGradientsParams, IntegratedGradientsResult> = {
  metaName: 'IntegratedGradients',
  modelAccess: 'white-box',
  explainRow,
};

async function explainRow(
  instance: Float64Array,
  params: IntegratedGradientsParams,
  context: MethodContext,
): Promise<RowOutcome<IntegratedGradientsResult>> {
  const model = gradientModelFor(params, context);
  const featureCount = model.featureCount;
  if (instance.length !== featureCount) {
    throw new InvalidArgumentError(
      `instances: the model takes ${featureCount} values per row, got ${instance.length} (rule "instances.metadata")`,
    );
  }
  const baseline = baselineRow(params, context, featureCount);
  const both = new Float64Array(2 * featureCount);
  both.set(instance);
  both.set(baseline, featureCount);
  const predictions = await model.predict(both);
  const outputCount = model.outputCount;
  const targets = params.targets.length > 0 ? params.targets : [argmax(predictions, 0, outputCount)];
  for (const target of targets) {
    if (!Number.isInteger(target) || target < 0 || target >= outputCount) {
      throw new InvalidArgumentError(
        `target.target_indices: ${target} is past the output's ${outputCount} columns (rule "target.target_indices")`,
      );
    }
  }

  const { alphas, stepSizes } = quadrature(params.method, params.nSteps);
  const steps = params.nSteps;
  const batchSize = Math.max(
    1,
    Math.min(params.internalBatchSize, Math.floor(MAX_BATCH_ELEMENTS / featureCount)),
  );
  const difference = new Float64Array(featureCount);
  for (let i = 0; i < featureCount; i++) difference[i] = instance[i]! - baseline[i]!;
  const totalWork = targets.length * steps;
  let workDone = 0;
  let stopped = false;
  const outputs: IntegratedGradientsOutput[] = [];

  for (const target of targets) {
    // Σ_k w_k ∇f_t(path_k), accumulated in float64 whatever precision the model computes in.
    const weightedGradient = new Float64Array(featureCount);
    let stepsDone = 0;
    for (let start = 0; start < steps && !stopped; start += batchSize) {
      if (context.evaluator.exhausted() !== undefined) {
        stopped = true;
        break;
      }
      const count = Math.min(batchSize, steps - start);
      const path = new Float64Array(count * featureCount);
      for (let k = 0; k < count; k++) {
        const alpha = alphas[start + k]!;
        const offset = k * featureCount;
        for (let i = 0; i < featureCount; i++) path[offset + i] = baseline[i]! + alpha * difference[i]!;
      }
      let gradients: Float64Array;
      try {
        gradients = await model.gradients(path, target);
      } catch (error) {
        if (!(error instanceof BudgetExhaustedError)) throw error;
        stopped = true;
        break;
      }
      for (let k = 0; k < count; k++) {
        const weight = stepSizes[start + k]!;
        const offset = k * featureCount;
        for (let i = 0; i < featureCount; i++)
          weightedGradient[i] = weightedGradient[i]! + weight * gradients[offset + i]!;
      }
      stepsDone += count;
      workDone += count;
      context.progress(workDone / totalWork);
    }
    const attributions = new Float64Array(featureCount);
    let sum = 0;
    for (let i = 0; i < featureCount; i++) {
      attributions[i] = difference[i]! * weightedGradient[i]!;
      sum += attributions[i]!;
    }
    const prediction = predictions[target]!;
    const baselinePrediction = predictions[outputCount + target]!;
    outputs.push({
      target,
      prediction,
      baselinePrediction,
      attributions,
      additivityError: sum - (prediction - baselinePrediction),
      stepsDone,
    });
  }
  const fractionDone = totalWork === 0 ? 1 : workDone / totalWork;
  return {
    result: { outputs, instance: instance.slice(), baseline, backend: model.backend },
    // Usage.backend names a TF.js backend; differences through the black box have none.
    ...(params.gradientSource === 'finite-differences' ? {} : { backend: model.backend }),
    complete: workDone === totalWork,
    fractionDone,
  };
}

/** The model's gradients, or central differences through the black box when asked for explicitly (never a silent fallback). */
function gradientModelFor(params: IntegratedGradientsParams, context: MethodContext): GradientModel {
  if (params.gradientSource === 'finite-differences') return finiteDifferenceModel(context.evaluator);
  if (context.gradients === undefined) {
    throw new FailedPreconditionError(
      'method integrated_gradients: the target has no gradients (not a TF.js model of the repository); use kernel_shap or occlusion',
    );
  }
  return context.gradients;
}

function baselineRow(
  params: IntegratedGradientsParams,
  context: MethodContext,
  featureCount: number,
): Float64Array {
  const baseline = params.baseline;
  switch (baseline.kind) {
    case 'zeros':
      return new Float64Array(featureCount);
    case 'given': {
      const row = baseline.count === 1 ? 0 : (context.rowIndex ?? 0);
      if (row >= baseline.count || baseline.rows.length !== baseline.count * featureCount) {
        throw new InvalidArgumentError(
          `integrated_gradients.baselines: ${baseline.count} row(s) of ${baseline.rows.length / Math.max(1, baseline.count)} values do not give row ${row} of ${featureCount} values (rule "integrated_gradients.baselines_rows")`,
        );
      }
      return baseline.rows.slice(row * featureCount, (row + 1) * featureCount);
    }
    case 'background-mean':
      return backgroundMean(context, featureCount);
  }
}

/** The background's weighted mean row. */
function backgroundMean(context: MethodContext, featureCount: number): Float64Array {
  const background = context.background;
  if (background === undefined || background.count === 0) {
    throw new InvalidArgumentError(
      'background: required by integrated_gradients.baseline BASELINE_KIND_BACKGROUND_MEAN (rule "background.set")',
    );
  }
  if (background.featureCount !== featureCount) {
    throw new InvalidArgumentError(
      `background: rows of ${background.featureCount} values, the model takes ${featureCount} (rule "instances.metadata")`,
    );
  }
  const mean = new Float64Array(featureCount);
  let total = 0;
  for (let r = 0; r < background.count; r++) {
    const weight = background.weights[r]!;
    total += weight;
    const offset = r * featureCount;
    for (let i = 0; i < featureCount; i++) mean[i] = mean[i]! + weight * background.rows[offset + i]!;
  }
  for (let i = 0; i < featureCount; i++) mean[i] = mean[i]! / total;
  return mean;
}

function argmax(values: Float64Array, offset: number, count: number): number {
  let best = 0;
  for (let j = 1; j < count; j++) if (values[offset + j]! > values[offset + best]!) best = j;
  return best;
}
