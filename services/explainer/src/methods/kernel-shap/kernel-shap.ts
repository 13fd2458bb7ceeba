import { InvalidArgumentError } from '@sightline/errors';
import type { LocalMethod, MethodContext, RowEvaluator, RowOutcome, WeightedRows } from '../method.js';
import { solveAttributions } from './attribution-solver.js';
import { type CoalitionPlan, coalitionSpace, planCoalitions, planWeights } from './coalition-plan.js';
import { COALITION_BATCH_ROWS, evaluateCoalitions } from './coalition-values.js';
import { applyLink } from './link.js';
import type { KernelShapParams, KernelShapResult, OutputShap } from './types.js';

/**
 * Kernel SHAP (Lundberg & Lee 2017) as shap's KernelExplainer computes it, over the budgeted
 * black box: coalitions of the varying features planned by the Shapley kernel
 * (coalition-plan.ts), each scored against the weighted background (coalition-values.ts),
 * then per output a weighted least squares with the sum constraint (attribution-solver.ts).
 * When the budget runs out, the coalitions scored so far are solved (complete: false).
 */
export const kernelShap: LocalMethod<KernelShapParams, KernelShapResult> = {
  metaName: 'KernelShap',
  modelAccess: 'black-box',
  explainRow,
};

async function explainRow(
  instance: Float64Array,
  params: KernelShapParams,
  context: MethodContext,
): Promise<RowOutcome<KernelShapResult>> {
  const background = context.background;
  if (background === undefined || background.count === 0) {
    throw new InvalidArgumentError('background: Kernel SHAP needs background rows (rule "background.set")', {
      field: 'background',
    });
  }
  const evaluator = context.evaluator;
  const outputIndices = explainedOutputs(params, evaluator.outputCount);
  // shap explains only the features that differ from the background somewhere: a feature equal
  // to it in every row cannot change any coalition's value, so its Shapley value is 0.
  const varying = varyingFeatures(instance, background);
  const m = varying.length;
  const plan: CoalitionPlan | undefined =
    m >= 2 ? planCoalitions(m, params.nSamples, params, context.random) : undefined;
  const totalCoalitions = plan?.count ?? 0;
  const measured = await evaluateCoalitions(
    evaluator,
    instance,
    background,
    { features: varying, masks: plan?.masks ?? new Uint8Array(0), count: totalCoalitions },
    (done) => context.progress(totalCoalitions === 0 ? 1 : done / totalCoalitions),
    batchRowsFor(evaluator, background.count),
  );
  const complete = measured.stoppedBy === undefined;
  const fractionDone = totalCoalitions === 0 ? (complete ? 1 : 0) : measured.evaluated / totalCoalitions;
  if (measured.instanceOutputs === undefined || measured.expectedOutputs === undefined) {
    return { result: { instance, outputs: [] }, complete: false, fractionDone: 0 };
  }
  const weighting = plan === undefined ? undefined : planWeights(plan, measured.evaluated);
  const used = weighting?.count ?? 0;
  const exact = plan === undefined || (plan.exact && complete);
  const outputCount = evaluator.outputCount;
  const outputs: OutputShap[] = outputIndices.map((o) => {
    const prediction = applyLink(params.link, measured.instanceOutputs![o]!, `the instance (output ${o})`);
    const expectedValue = applyLink(
      params.link,
      measured.expectedOutputs![o]!,
      `the background's mean (output ${o})`,
    );
    const total = prediction - expectedValue;
    const values = new Float64Array(instance.length);
    let stdErrors: Float64Array | undefined;
    if (m === 1) {
      values[varying[0]!] = total;
    } else if (plan !== undefined && weighting !== undefined && used > 0) {
      const adjusted = new Float64Array(used);
      for (let i = 0; i < used; i++) {
        adjusted[i] =
          applyLink(params.link, measured.values[i * outputCount + o]!, `a coalition (output ${o})`) -
          expectedValue;
      }
      const solution = solveAttributions({
        masks: plan.masks.subarray(0, used * m),
        count: used,
        m,
        weights: weighting.weights,
        adjusted,
        total,
        l1Reg: params.l1Reg,
        fractionEvaluated: used / coalitionSpace(m),
        sampling:
          plan.exact || weighting.clusterDraws.length === 0
            ? undefined
            : {
                clusterStart: plan.clusterStart,
                clusterDraws: weighting.clusterDraws,
                perDraw: weighting.perDraw,
              },
      });
      varying.forEach((feature, k) => {
        values[feature] = solution.values[k]!;
      });
      if (solution.stdErrors !== undefined) {
        stdErrors = new Float64Array(instance.length);
        varying.forEach((feature, k) => {
          stdErrors![feature] = solution.stdErrors![k]!;
        });
      }
    }
    let sum = 0;
    for (const v of values) sum += v;
    return {
      outputIndex: o,
      prediction,
      expectedValue,
      values,
      stdErrors,
      additivityError: sum - total,
      coalitions: used,
      exact,
    };
  });
  return { result: { instance, outputs }, complete, fractionDone };
}

function explainedOutputs(params: KernelShapParams, outputCount: number): readonly number[] {
  const indices = params.outputIndices ?? Array.from({ length: outputCount }, (_, o) => o);
  indices.forEach((o, t) => {
    if (!(Number.isInteger(o) && o >= 0 && o < outputCount)) {
      throw new InvalidArgumentError(
        `target.target_indices[${t}]: must be below the output's ${outputCount} columns, got ${o}`,
        { field: 'target.target_indices' },
      );
    }
  });
  return indices;
}

/** Features whose instance value differs from at least one background row's (NaN equals NaN). */
export function varyingFeatures(instance: Float64Array, background: WeightedRows): Int32Array {
  const d = background.featureCount;
  const varying: number[] = [];
  for (let j = 0; j < d; j++) {
    const x = instance[j]!;
    for (let b = 0; b < background.count; b++) {
      const v = background.rows[b * d + j]!;
      if (v !== x && !(Number.isNaN(v) && Number.isNaN(x))) {
        varying.push(j);
        break;
      }
    }
  }
  return Int32Array.from(varying);
}

/**
 * Coalition rows per batch: when the evaluator says how many rows one model call takes, no
 * more than that less the first batch's instance and background rows, so that every batch is
 * exactly one call (issue 13: one call per batch) and a budget stop loses no finished call.
 */
function batchRowsFor(evaluator: RowEvaluator, backgroundRows: number): number {
  const perCall = evaluator.maxRowsPerCall;
  if (perCall === undefined) return COALITION_BATCH_ROWS;
  return Math.min(COALITION_BATCH_ROWS, Math.max(1, perCall - backgroundRows - 1));
}
