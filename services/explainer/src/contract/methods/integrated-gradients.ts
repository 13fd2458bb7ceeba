/**
 * The contract's IntegratedGradientsParams and attributions, mapped to and from the domain's
 * (src/methods/integrated-gradients). Rules and defaults are the contract's
 * (proto/sightline/explainer/v1/explainer.proto, docs/design/explainer-contract.md).
 */
import type { commonV1 } from '@sightline/contracts';
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { heatmapOf } from '../../methods/image/heatmap.js';
import type { ImageInputSpec } from '../../methods/image/image-input.js';
import {
  type GradientSourceKind,
  INTEGRATED_GRADIENTS_DEFAULTS,
  INTEGRATED_GRADIENTS_LIMITS,
  type IntegratedGradientsBaseline,
  type IntegratedGradientsParams,
  type IntegratedGradientsResult,
  type IntegrationRule,
  minimumSteps,
} from '../../methods/integrated-gradients/index.js';
import type { FeatureSpace } from '../../methods/method.js';
import { heatmapMessage } from '../image-messages.js';

const { IntegrationMethod, GradientSource, BaselineKind, integrationMethodToJSON, baselineKindToJSON } =
  explainerV1;

/** What reading the parameters needs from the request besides the message. */
export interface IntegratedGradientsRequestContext {
  /** The request's instance rows (rule "integrated_gradients.baselines_rows": one baseline row, or one per instance). */
  readonly instanceRows: number;
  /** Target.target_indices as the service checked them; empty means the predicted column. */
  readonly targetIndices: readonly number[];
  /**
   * The service's reading of tensors shaped like the instances (names, datatypes, per-row
   * shapes checked; rows flattened as the instances are), throwing InvalidArgumentError
   * naming `field`.
   */
  readonly rowsOf: (
    tensors: readonly commonV1.Tensor[],
    field: string,
  ) => { readonly rows: Float64Array; readonly count: number };
}

const RULES: Readonly<Record<number, IntegrationRule>> = {
  [IntegrationMethod.INTEGRATION_METHOD_UNSPECIFIED]: 'gauss-legendre',
  [IntegrationMethod.INTEGRATION_METHOD_GAUSS_LEGENDRE]: 'gauss-legendre',
  [IntegrationMethod.INTEGRATION_METHOD_RIEMANN_LEFT]: 'riemann-left',
  [IntegrationMethod.INTEGRATION_METHOD_RIEMANN_RIGHT]: 'riemann-right',
  [IntegrationMethod.INTEGRATION_METHOD_RIEMANN_MIDDLE]: 'riemann-middle',
  [IntegrationMethod.INTEGRATION_METHOD_RIEMANN_TRAPEZOID]: 'riemann-trapezoid',
};

const RULE_ENUMS: Readonly<Record<IntegrationRule, explainerV1.IntegrationMethod>> = {
  'gauss-legendre': IntegrationMethod.INTEGRATION_METHOD_GAUSS_LEGENDRE,
  'riemann-left': IntegrationMethod.INTEGRATION_METHOD_RIEMANN_LEFT,
  'riemann-right': IntegrationMethod.INTEGRATION_METHOD_RIEMANN_RIGHT,
  'riemann-middle': IntegrationMethod.INTEGRATION_METHOD_RIEMANN_MIDDLE,
  'riemann-trapezoid': IntegrationMethod.INTEGRATION_METHOD_RIEMANN_TRAPEZOID,
};

/**
 * Reads the method's message with defaults filled (n_steps 50, Gauss-Legendre,
 * internal_batch_size 100, ZEROS or GIVEN when baselines are set, the model's gradients).
 *
 * @throws InvalidArgumentError naming `integrated_gradients.<field>` and the contract's rule.
 */
export function readIntegratedGradientsParams(
  message: explainerV1.IntegratedGradientsParams | undefined,
  space: FeatureSpace,
  request: IntegratedGradientsRequestContext,
): IntegratedGradientsParams {
  const method = RULES[message?.method ?? 0];
  if (method === undefined) {
    throw new InvalidArgumentError(
      `integrated_gradients.method: unknown value ${message?.method}; expected one of ${Object.keys(RULE_ENUMS).length} integration rules (rule "integrated_gradients.method")`,
    );
  }
  const nSteps = message?.nSteps ?? INTEGRATED_GRADIENTS_DEFAULTS.nSteps;
  const fewest = minimumSteps(method);
  if (!Number.isInteger(nSteps) || nSteps < fewest || nSteps > INTEGRATED_GRADIENTS_LIMITS.maxSteps) {
    throw new InvalidArgumentError(
      `integrated_gradients.n_steps: must be between ${fewest} and ${INTEGRATED_GRADIENTS_LIMITS.maxSteps}${fewest > 1 ? ` for ${integrationMethodToJSON(RULE_ENUMS[method])}` : ''}, got ${nSteps} (rule "integrated_gradients.n_steps")`,
    );
  }
  const internalBatchSize = message?.internalBatchSize ?? INTEGRATED_GRADIENTS_DEFAULTS.internalBatchSize;
  if (
    !Number.isInteger(internalBatchSize) ||
    internalBatchSize < 1 ||
    internalBatchSize > INTEGRATED_GRADIENTS_LIMITS.maxInternalBatchSize
  ) {
    throw new InvalidArgumentError(
      `integrated_gradients.internal_batch_size: must be between 1 and ${INTEGRATED_GRADIENTS_LIMITS.maxInternalBatchSize}, got ${internalBatchSize} (rule "integrated_gradients.internal_batch_size")`,
    );
  }
  return {
    nSteps,
    method,
    internalBatchSize,
    baseline: readBaseline(message, space, request),
    gradientSource: readGradientSource(message?.gradients ?? GradientSource.GRADIENT_SOURCE_UNSPECIFIED),
    targets: [...request.targetIndices],
  };
}

function readGradientSource(source: explainerV1.GradientSource): GradientSourceKind {
  switch (source) {
    case GradientSource.GRADIENT_SOURCE_UNSPECIFIED:
    case GradientSource.GRADIENT_SOURCE_MODEL:
      return 'model';
    case GradientSource.GRADIENT_SOURCE_FINITE_DIFFERENCES:
      return 'finite-differences';
    default:
      throw new InvalidArgumentError(
        `integrated_gradients.gradients: unknown value ${source}; expected GRADIENT_SOURCE_MODEL or GRADIENT_SOURCE_FINITE_DIFFERENCES (rule "integrated_gradients.gradients")`,
      );
  }
}

function readBaseline(
  message: explainerV1.IntegratedGradientsParams | undefined,
  space: FeatureSpace,
  request: IntegratedGradientsRequestContext,
): IntegratedGradientsBaseline {
  const given = message?.baselines ?? [];
  const kind = message?.baseline ?? BaselineKind.BASELINE_KIND_UNSPECIFIED;
  switch (kind) {
    case BaselineKind.BASELINE_KIND_UNSPECIFIED:
      return given.length > 0 ? readGivenBaselines(given, space, request) : { kind: 'zeros' };
    case BaselineKind.BASELINE_KIND_GIVEN:
      if (given.length === 0) {
        throw new InvalidArgumentError(
          'integrated_gradients.baselines: required by baseline BASELINE_KIND_GIVEN, got none (rule "integrated_gradients.baselines_rows")',
        );
      }
      return readGivenBaselines(given, space, request);
    case BaselineKind.BASELINE_KIND_ZEROS:
    case BaselineKind.BASELINE_KIND_BACKGROUND_MEAN:
      if (given.length > 0) {
        throw new InvalidArgumentError(
          `integrated_gradients.baselines: given, but baseline is ${baselineKindToJSON(kind)}; set BASELINE_KIND_GIVEN or leave the baselines out (rule "integrated_gradients.baselines_rows")`,
        );
      }
      return kind === BaselineKind.BASELINE_KIND_ZEROS ? { kind: 'zeros' } : { kind: 'background-mean' };
    default:
      throw new InvalidArgumentError(
        `integrated_gradients.baseline: unknown value ${kind} (rule "integrated_gradients.baseline")`,
      );
  }
}

function readGivenBaselines(
  tensors: readonly commonV1.Tensor[],
  space: FeatureSpace,
  request: IntegratedGradientsRequestContext,
): IntegratedGradientsBaseline {
  const { rows, count } = request.rowsOf(tensors, 'integrated_gradients.baselines');
  if (count !== 1 && count !== request.instanceRows) {
    throw new InvalidArgumentError(
      `integrated_gradients.baselines: must have 1 row or one per instance (${request.instanceRows}), got ${count} (rule "integrated_gradients.baselines_rows")`,
    );
  }
  if (rows.length !== count * space.featureCount) {
    throw new InvalidArgumentError(
      `integrated_gradients.baselines: expected ${space.featureCount} values per row, got ${rows.length / count} (rule "integrated_gradients.baselines_rows")`,
    );
  }
  return { kind: 'given', rows, count };
}

/** The settings with every default filled, for ExplanationMeta.params (given baselines are stated by the kind, not repeated). */
export function integratedGradientsParamsMessage(
  params: IntegratedGradientsParams,
): explainerV1.IntegratedGradientsParams {
  return {
    nSteps: params.nSteps,
    method: RULE_ENUMS[params.method],
    internalBatchSize: params.internalBatchSize,
    baselines: [],
    gradients:
      params.gradientSource === 'model'
        ? GradientSource.GRADIENT_SOURCE_MODEL
        : GradientSource.GRADIENT_SOURCE_FINITE_DIFFERENCES,
    baseline:
      params.baseline.kind === 'zeros'
        ? BaselineKind.BASELINE_KIND_ZEROS
        : params.baseline.kind === 'given'
          ? BaselineKind.BASELINE_KIND_GIVEN
          : BaselineKind.BASELINE_KIND_BACKGROUND_MEAN,
  };
}

/**
 * A row's result as InstanceExplanation's `attributions`: per explained column the
 * prediction, the baseline's output as expected_value, the completeness error as
 * additivity_error, and the attributions per feature, or, for an image, a heatmap the size
 * of the image (its channels reduced as the request's ImageInput says) with the per-element
 * attributions only when include_feature_attributions asks.
 */
export function integratedGradientsResultMessage(
  result: IntegratedGradientsResult,
  space: FeatureSpace,
  image?: ImageInputSpec,
): Pick<explainerV1.InstanceExplanation, 'attributions'> {
  const withFeatures = image === undefined || image.includeFeatureAttributions;
  return {
    attributions: {
      outputs: result.outputs.map((output) => {
        const heatmap =
          image === undefined ? undefined : heatmapOf(output.attributions, image.geometry, image.reduction);
        return {
          targetIndex: output.target,
          prediction: output.prediction,
          expectedValue: output.baselinePrediction,
          features: withFeatures
            ? Array.from(output.attributions, (value, index) => ({
                index,
                name: space.featureNames[index] ?? `feature[${index}]`,
                value,
                featureValue: result.instance[index]!,
              }))
            : [],
          additivityError: output.additivityError,
          coalitions: 0,
          exact: false,
          heatmap: heatmap === undefined ? undefined : heatmapMessage(heatmap),
        };
      }),
    },
  };
}
