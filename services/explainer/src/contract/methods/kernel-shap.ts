/**
 * KernelShapParams and Kernel SHAP's attributions <-> the method's plain types
 * (src/methods/kernel-shap). The contract's ranges and defaults are applied here, naming the
 * contract's fields (docs/design/explainer-contract.md, decisions 1 and 6).
 */
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type {
  KernelShapParams,
  KernelShapResult,
  L1Selection,
  ShapLink,
} from '../../methods/kernel-shap/index.js';
import type { FeatureSpace } from '../../methods/method.js';

/** The most coalitions one row may ask for (contract: n_samples 1-100,000). */
export const MAX_KERNEL_SHAP_SAMPLES = 100_000;

/** shap's "auto" number of coalitions for M features: 2·M + 2048. */
export function defaultKernelShapSamples(featureCount: number): number {
  return 2 * featureCount + 2048;
}

/**
 * Reads the method's message with defaults filled.
 * @throws InvalidArgumentError naming `kernel_shap.<field>` and the contract's rule.
 */
export function readKernelShapParams(
  message: explainerV1.KernelShapParams | undefined,
  space: FeatureSpace,
): KernelShapParams {
  const nSamples = message?.nSamples ?? defaultKernelShapSamples(space.featureCount);
  if (!(Number.isInteger(nSamples) && nSamples >= 1 && nSamples <= MAX_KERNEL_SHAP_SAMPLES)) {
    throw new InvalidArgumentError(
      `kernel_shap.n_samples: must be between 1 and ${MAX_KERNEL_SHAP_SAMPLES}, got ${nSamples}`,
      { field: 'kernel_shap.n_samples' },
    );
  }
  return {
    nSamples,
    l1Reg: readL1(message, space.featureCount),
    link: readLink(message?.link ?? explainerV1.Link.LINK_UNSPECIFIED),
    pairedSampling: message?.pairedSampling ?? true,
    enumerateSizes: message?.enumerateSizes ?? true,
  };
}

function readL1(message: explainerV1.KernelShapParams | undefined, featureCount: number): L1Selection {
  const L1 = explainerV1.L1Reg;
  const value = message?.l1Reg ?? L1.L1_REG_UNSPECIFIED;
  switch (value) {
    case L1.L1_REG_UNSPECIFIED:
    case L1.L1_REG_AUTO:
      return { kind: 'auto' };
    case L1.L1_REG_NONE:
      return { kind: 'none' };
    case L1.L1_REG_AIC:
      return { kind: 'aic' };
    case L1.L1_REG_BIC:
      return { kind: 'bic' };
    case L1.L1_REG_NUM_FEATURES: {
      const count = message?.l1NumFeatures ?? 0;
      if (!(Number.isInteger(count) && count >= 1 && count <= featureCount)) {
        throw new InvalidArgumentError(
          `kernel_shap.l1_num_features: must be between 1 and the ${featureCount} features with L1_REG_NUM_FEATURES (rule "kernel_shap.l1_num_features"), got ${count}`,
          { field: 'kernel_shap.l1_num_features' },
        );
      }
      return { kind: 'num-features', count };
    }
    default:
      throw new InvalidArgumentError(`kernel_shap.l1_reg: must be one of the L1Reg values, got ${value}`, {
        field: 'kernel_shap.l1_reg',
      });
  }
}

function readLink(value: explainerV1.Link): ShapLink {
  switch (value) {
    case explainerV1.Link.LINK_UNSPECIFIED:
    case explainerV1.Link.LINK_IDENTITY:
      return 'identity';
    case explainerV1.Link.LINK_LOGIT:
      return 'logit';
    default:
      throw new InvalidArgumentError(`kernel_shap.link: must be one of the Link values, got ${value}`, {
        field: 'kernel_shap.link',
      });
  }
}

const L1_MESSAGE: Record<L1Selection['kind'], explainerV1.L1Reg> = {
  auto: explainerV1.L1Reg.L1_REG_AUTO,
  none: explainerV1.L1Reg.L1_REG_NONE,
  aic: explainerV1.L1Reg.L1_REG_AIC,
  bic: explainerV1.L1Reg.L1_REG_BIC,
  'num-features': explainerV1.L1Reg.L1_REG_NUM_FEATURES,
};

/** The settings with every default filled, for ExplanationMeta.params. */
export function kernelShapParamsMessage(params: KernelShapParams): explainerV1.KernelShapParams {
  return {
    nSamples: params.nSamples,
    l1Reg: L1_MESSAGE[params.l1Reg.kind],
    l1NumFeatures: params.l1Reg.kind === 'num-features' ? params.l1Reg.count : 0,
    link: params.link === 'logit' ? explainerV1.Link.LINK_LOGIT : explainerV1.Link.LINK_IDENTITY,
    pairedSampling: params.pairedSampling,
    enumerateSizes: params.enumerateSizes,
  };
}

/**
 * A row's result as InstanceExplanation's `attributions` (ts-proto here writes the `result`
 * oneof as optional fields; spread this into the InstanceExplanation). `targetIndex` is the
 * evaluator's output column; the service maps it when its evaluator selects columns.
 */
export function kernelShapResultMessage(
  result: KernelShapResult,
  space: FeatureSpace,
): { attributions: explainerV1.Attributions } {
  return {
    attributions: {
      outputs: result.outputs.map((output) => ({
        targetIndex: output.outputIndex,
        prediction: output.prediction,
        expectedValue: output.expectedValue,
        features: Array.from(output.values, (value, index) => {
          const stdError = output.stdErrors?.[index];
          return {
            index,
            name: space.featureNames[index] ?? `feature[${index}]`,
            value,
            featureValue: result.instance[index]!,
            // Unset when exact (no std errors) or not estimable (NaN: dropped by L1).
            ...(stdError === undefined || Number.isNaN(stdError) ? {} : { stdError }),
          };
        }),
        additivityError: output.additivityError,
        coalitions: output.coalitions,
        exact: output.exact,
      })),
    },
  };
}
