/**
 * The methods this explainer runs, keyed by the ExplainRequest `method` oneof member.
 *
 * Registering a method is one entry here, from its LocalMethod (src/methods/<method>/index.ts)
 * and its contract mapping (src/contract/methods/<method>.ts): what it needs (background,
 * gradients, image rows, every output column) and how its params and results map to messages.
 * README "Adding a method" lists every method's entry.
 */
import type { commonV1, explainerV1 } from '@sightline/contracts';
import { decodeTensorMessages, encodeTensorMessages } from '@sightline/tensor';
import type {
  AnyMethodEntry,
  MethodEntry,
  MethodRegistry,
  MethodSetup,
} from '../data-plane/method-registry.js';
import { type AnchorResult, type AnchorsParams, anchors } from '../methods/anchors/index.js';
import {
  type CounterfactualParams,
  type CounterfactualResult,
  counterfactual,
} from '../methods/counterfactual/index.js';
import type { ImageInputSpec } from '../methods/image/image-input.js';
import {
  type IntegratedGradientsParams,
  type IntegratedGradientsResult,
  integratedGradients,
} from '../methods/integrated-gradients/index.js';
import { type KernelShapParams, type KernelShapResult, kernelShap } from '../methods/kernel-shap/index.js';
import type { LocalMethod } from '../methods/method.js';
import { type OcclusionParams, type OcclusionResult, occlusion } from '../methods/occlusion/index.js';
import { type GradientModelFiles, gradientModelFiles, withGradientModel } from './gradient-models.js';
import { readImageInput } from './image-messages.js';
import { anchorsParamsMessage, anchorsResultMessage, readAnchorsParams } from './methods/anchors.js';
import {
  counterfactualParamsMessage,
  counterfactualResultMessage,
  readCounterfactualParams,
} from './methods/counterfactual.js';
import {
  integratedGradientsParamsMessage,
  integratedGradientsResultMessage,
  readIntegratedGradientsParams,
} from './methods/integrated-gradients.js';
import {
  kernelShapParamsMessage,
  kernelShapResultMessage,
  readKernelShapParams,
} from './methods/kernel-shap.js';
import { occlusionParamsMessage, occlusionResultMessage, readOcclusionParams } from './methods/occlusion.js';

/** Types one entry (its params and result tied to its method) for the registry. */
export function defineMethod<P, R>(entry: MethodEntry<P, R>): MethodEntry<P, R> {
  return entry;
}

/** A registry of `entries` by oneof key (`kernelShap`, `anchors`, ...). */
export function methodRegistry(entries: Readonly<Record<string, AnyMethodEntry>>): MethodRegistry {
  return new Map(Object.entries(entries));
}

/** A row's result with the instance and params it came from, for mappings that need them (occlusion). */
export interface WithInput<P, R> {
  readonly result: R;
  readonly instance: Float64Array;
  readonly params: P;
}

/** `method` answering its result together with its instance and params (same meta name and access). */
export function keepingInput<P, R>(method: LocalMethod<P, R>): LocalMethod<P, WithInput<P, R>> {
  return {
    metaName: method.metaName,
    modelAccess: method.modelAccess,
    async explainRow(instance, params, context) {
      const outcome = await method.explainRow(instance, params, context);
      return { ...outcome, result: { result: outcome.result, instance, params } };
    },
  };
}

/** Rows as tensor messages like the instances (counterfactuals, anchors' examples). */
export function tensorMessages(setup: MethodSetup): (rows: Float64Array, count: number) => commonV1.Tensor[] {
  return (rows, count) => encodeTensorMessages(setup.toTensors(rows, count), 'raw');
}

/** Kernel SHAP: the evaluator answers the target's columns; the result's output index maps back to them. */
export const kernelShapEntry = defineMethod<KernelShapParams, KernelShapResult>({
  field: 'kernel_shap',
  method: kernelShap,
  needsBackground: () => true,
  needsGradients: () => false,
  image: false,
  allOutputs: false,
  // shap's advice: ~100 background rows (k-means or a sample) keep the cost linear and small.
  defaultBackgroundSize: 100,
  readParams: (message, setup) =>
    readKernelShapParams(message as explainerV1.KernelShapParams | undefined, setup.space),
  paramsMessage: kernelShapParamsMessage,
  attributionsOf: (result, setup) =>
    result.outputs.map((output) => ({
      column: setup.outputColumns[output.outputIndex] ?? output.outputIndex,
      values: output.values,
    })),
  resultMessage: (result, setup) => {
    const { attributions } = kernelShapResultMessage(result, setup.space);
    return {
      attributions: {
        outputs: attributions.outputs.map((output) => ({
          ...output,
          targetIndex: setup.outputColumns[output.targetIndex] ?? output.targetIndex,
        })),
      },
    };
  },
});

/** Occlusion / superpixel masking of an image row; a background only sets the fill value. */
export const occlusionEntry = defineMethod<OcclusionParams, WithInput<OcclusionParams, OcclusionResult>>({
  field: 'occlusion',
  method: keepingInput(occlusion),
  needsBackground: () => false,
  needsGradients: () => false,
  image: true,
  allOutputs: false,
  readParams: (message, setup) =>
    readOcclusionParams(
      message as explainerV1.OcclusionParams | undefined,
      setup.space,
      readImageInput(
        setup.image as explainerV1.ImageInput | undefined,
        setup.layout.slots.map((slot) => ({ name: slot.name, shape: slot.rowShape })),
      ),
    ),
  paramsMessage: occlusionParamsMessage,
  resultMessage: ({ result, instance, params }, setup) =>
    occlusionResultMessage(result, setup.space, params, instance, setup.outputColumns),
});

/** Counterfactuals: the goal (another class, a class, a value range) is read over every output column. */
export const counterfactualEntry = defineMethod<CounterfactualParams, CounterfactualResult>({
  field: 'counterfactual',
  method: counterfactual,
  needsBackground: () => true,
  needsGradients: () => false,
  image: false,
  allOutputs: true,
  readParams: (message, setup) =>
    readCounterfactualParams(
      message as explainerV1.CounterfactualParams | undefined,
      setup.space,
      setup.outputCount,
    ),
  paramsMessage: counterfactualParamsMessage,
  resultMessage: (result, setup) => counterfactualResultMessage(result, setup.space, tensorMessages(setup)),
});

/** IG's params with where the service loads the target's TF.js files from (not part of the contract's params). */
type ServedIgParams = IntegratedGradientsParams & { readonly modelFiles?: GradientModelFiles };

/** Anchors: the rule that holds the predicted class (argmax over every output column). */
export const anchorsEntry = defineMethod<AnchorsParams, AnchorResult>({
  field: 'anchors',
  method: anchors,
  needsBackground: () => true,
  needsGradients: () => false,
  image: false,
  allOutputs: true,
  readParams: (message, setup) =>
    readAnchorsParams(message as explainerV1.AnchorsParams | undefined, setup.space),
  paramsMessage: anchorsParamsMessage,
  resultMessage: (result, setup) => anchorsResultMessage(result, setup.space, tensorMessages(setup)),
});

/**
 * Integrated Gradients: the model's own gradients (a TF.js model of the repository; ONNX and
 * graphs are FAILED_PRECONDITION naming the black-box methods), or central differences through
 * the black box when asked. The method picks its columns (target_indices, else the predicted one).
 */
export const integratedGradientsEntry = defineMethod<
  ServedIgParams,
  WithInput<ServedIgParams, IntegratedGradientsResult>
>({
  field: 'integrated_gradients',
  method: keepingInput(withGradientModel<ServedIgParams, IntegratedGradientsResult>(integratedGradients)),
  needsBackground: (params) => params.baseline.kind === 'background-mean',
  needsGradients: (params) => params.gradientSource === 'model',
  // Image-sized rows (the shapes CNN's 1,024) as well as tabular ones: --max-image-elements.
  image: true,
  allOutputs: true,
  blackBoxAlternative: 'kernel_shap or occlusion',
  readParams: (message, setup) => {
    const params = readIntegratedGradientsParams(
      message as explainerV1.IntegratedGradientsParams | undefined,
      setup.space,
      {
        instanceRows: setup.instanceRows,
        targetIndices: setup.targetIndices,
        rowsOf: (tensors, field) => setup.rowsOf(decodeTensorMessages(tensors), field),
      },
    );
    const modelFiles = gradientModelFiles(setup.repository, setup.metadata);
    return modelFiles ? { ...params, modelFiles } : params;
  },
  paramsMessage: integratedGradientsParamsMessage,
  // The method's columns are the model's own (it is given every column).
  attributionsOf: ({ result }) =>
    result.outputs.map((output) => ({ column: output.target, values: output.attributions })),
  resultMessage: ({ result }, setup) =>
    integratedGradientsResultMessage(result, setup.space, imageView(setup)),
});

/** The request's image, if it names one: IG's heatmap reduces its channels as it says. */
function imageView(setup: MethodSetup): ImageInputSpec | undefined {
  return readImageInput(
    setup.image as explainerV1.ImageInput | undefined,
    setup.layout.slots.map((slot) => ({ name: slot.name, shape: slot.rowShape })),
  );
}

/** The registry of the methods built into this explainer. */
export function builtInMethods(): MethodRegistry {
  return methodRegistry({
    kernelShap: kernelShapEntry,
    occlusion: occlusionEntry,
    counterfactual: counterfactualEntry,
    anchors: anchorsEntry,
    integratedGradients: integratedGradientsEntry,
  });
}
