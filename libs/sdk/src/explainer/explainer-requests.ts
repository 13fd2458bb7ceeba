/** What the explainer client takes, in plain types, and its ExplainRequest. */
import { explainerV1 } from '@sightline/contracts';
import { encodeTensorMessages, type Tensor } from '@sightline/tensor';

/** The method and its settings (the contract's messages; unset fields take Alibi's defaults). */
export type ExplainMethod =
  | { readonly kernelShap: explainerV1.DeepPartial<explainerV1.KernelShapParams> }
  | { readonly anchors: explainerV1.DeepPartial<explainerV1.AnchorsParams> }
  | { readonly integratedGradients: explainerV1.DeepPartial<explainerV1.IntegratedGradientsParams> }
  | { readonly counterfactual: explainerV1.DeepPartial<explainerV1.CounterfactualParams> }
  | { readonly occlusion: explainerV1.DeepPartial<explainerV1.OcclusionParams> };

/** An explanation to run. */
export interface ExplainInput {
  /** The model (on the model-server) or, with `graph: true`, the graph (on the router). */
  readonly model: string;
  readonly graph?: boolean;
  readonly version?: string;
  /** Another V2 server's address (must be in the explainer's --allowed-targets). */
  readonly address?: string;
  /** The output explained; unset: the first. */
  readonly outputName?: string;
  /** The output columns explained; unset: the method's default. */
  readonly targetIndices?: readonly number[];
  /** The rows to explain: tensors named as the model's inputs, first dimension the rows. */
  readonly instances: readonly Tensor[];
  /** Background rows like the instances, reduced as asked (unset reduction: a seeded sample). */
  readonly background?: {
    readonly rows: readonly Tensor[];
    readonly reduction?: 'none' | 'sample' | 'kmeans';
    readonly size?: number;
  };
  readonly method: ExplainMethod;
  readonly featureNames?: readonly string[];
  readonly categoricalFeatures?: Readonly<Record<number, readonly string[]>>;
  readonly budget?: {
    readonly maxModelCalls?: number;
    readonly maxRowsPerCall?: number;
    readonly timeoutMs?: number;
    readonly onExhausted?: 'partial' | 'fail';
  };
  readonly seed?: number;
  readonly cache?: 'use' | 'refresh' | 'bypass';
  /** Store each row's explanation as an event beside the prediction `requestId` names. */
  readonly storeFor?: {
    readonly requestId: string;
    readonly predictionRows?: readonly number[];
    readonly traceparent?: string;
  };
  /** The contract's ImageInput, for image methods. */
  readonly image?: explainerV1.DeepPartial<explainerV1.ImageInput>;
}

const REDUCTIONS = {
  none: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE,
  sample: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_SAMPLE,
  kmeans: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_KMEANS,
} as const;
const CACHE = {
  use: explainerV1.CachePolicy.CACHE_POLICY_USE,
  refresh: explainerV1.CachePolicy.CACHE_POLICY_REFRESH,
  bypass: explainerV1.CachePolicy.CACHE_POLICY_BYPASS,
} as const;

/** The ExplainRequest of `input`. */
export function explainRequestOf(input: ExplainInput): explainerV1.ExplainRequest {
  return explainerV1.ExplainRequest.fromPartial({
    target: {
      kind: input.graph ? explainerV1.TargetKind.TARGET_KIND_GRAPH : explainerV1.TargetKind.TARGET_KIND_MODEL,
      address: input.address ?? '',
      modelName: input.model,
      modelVersion: input.version ?? '',
      outputName: input.outputName ?? '',
      targetIndices: [...(input.targetIndices ?? [])],
    },
    instances: encodeTensorMessages(input.instances, 'raw'),
    ...(input.background
      ? {
          background: {
            rows: { tensors: encodeTensorMessages(input.background.rows, 'raw') },
            reduction: REDUCTIONS[input.background.reduction ?? 'sample'],
            ...(input.background.size === undefined ? {} : { size: input.background.size }),
          },
        }
      : {}),
    featureNames: [...(input.featureNames ?? [])],
    categoricalFeatures: Object.fromEntries(
      Object.entries(input.categoricalFeatures ?? {}).map(([index, names]) => [index, { names: [...names] }]),
    ),
    ...(input.image ? { image: input.image } : {}),
    ...input.method,
    ...(input.budget
      ? {
          budget: {
            maxModelCalls: input.budget.maxModelCalls ?? 0,
            maxRowsPerCall: input.budget.maxRowsPerCall ?? 0,
            timeoutMs: input.budget.timeoutMs ?? 0,
            onExhausted:
              input.budget.onExhausted === 'fail'
                ? explainerV1.OnExhausted.ON_EXHAUSTED_FAIL
                : explainerV1.OnExhausted.ON_EXHAUSTED_PARTIAL,
          },
        }
      : {}),
    ...(input.seed === undefined ? {} : { seed: BigInt(input.seed) }),
    cache: CACHE[input.cache ?? 'use'],
    ...(input.storeFor
      ? {
          event: {
            store: true,
            requestId: input.storeFor.requestId,
            predictionRows: [...(input.storeFor.predictionRows ?? [])],
            traceparent: input.storeFor.traceparent ?? '',
          },
        }
      : {}),
  });
}
