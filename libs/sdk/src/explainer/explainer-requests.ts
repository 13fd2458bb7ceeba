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

/** The contract's Background of given rows. */
function backgroundOf(background: NonNullable<ExplainInput['background']>): explainerV1.Background {
  return explainerV1.Background.fromPartial({
    rows: { tensors: encodeTensorMessages(background.rows, 'raw') },
    reduction: REDUCTIONS[background.reduction ?? 'sample'],
    ...(background.size === undefined ? {} : { size: background.size }),
  });
}

/** The contract's Budget (unset fields: the service's defaults). */
function budgetOf(budget: NonNullable<ExplainInput['budget']>): explainerV1.Budget {
  return {
    maxModelCalls: budget.maxModelCalls ?? 0,
    maxRowsPerCall: budget.maxRowsPerCall ?? 0,
    timeoutMs: budget.timeoutMs ?? 0,
    onExhausted:
      budget.onExhausted === 'fail'
        ? explainerV1.OnExhausted.ON_EXHAUSTED_FAIL
        : explainerV1.OnExhausted.ON_EXHAUSTED_PARTIAL,
  };
}

/** A global explanation to run: the stored events of a time range, explained and aggregated per model version. */
export interface GlobalExplainInput {
  /** The model (on the model-server) or, with `graph: true`, the graph (on the router). */
  readonly model: string;
  readonly graph?: boolean;
  /** Only events of this version (unset: every version, one group each). */
  readonly version?: string;
  /** With `graph`: only the graph's events answered by this model (unset: every event of the graph). */
  readonly eventsModel?: string;
  readonly address?: string;
  readonly outputName?: string;
  readonly targetIndices?: readonly number[];
  /** The events' time range: from (included) to (excluded; unset: now). */
  readonly from: Date;
  readonly to?: Date;
  /** Rows explained at most (a seeded uniform sample when more); unset: 1,000. */
  readonly maxRows?: number;
  readonly method:
    | { readonly kernelShap: explainerV1.DeepPartial<explainerV1.KernelShapParams> }
    | { readonly integratedGradients: explainerV1.DeepPartial<explainerV1.IntegratedGradientsParams> };
  /** Background rows (required for Kernel SHAP). */
  readonly background?: ExplainInput['background'];
  readonly featureNames?: readonly string[];
  /** The events' tensors explained, in order (unset: each event's request tensors). */
  readonly tensors?: readonly string[];
  readonly budget?: ExplainInput['budget'];
  readonly seed?: number;
}

/** The GlobalExplainRequest of `input`. */
export function globalExplainRequestOf(input: GlobalExplainInput): explainerV1.GlobalExplainRequest {
  return explainerV1.GlobalExplainRequest.fromPartial({
    target: {
      kind: input.graph ? explainerV1.TargetKind.TARGET_KIND_GRAPH : explainerV1.TargetKind.TARGET_KIND_MODEL,
      address: input.address ?? '',
      modelName: input.model,
      outputName: input.outputName ?? '',
      targetIndices: [...(input.targetIndices ?? [])],
    },
    selector: {
      modelName: input.eventsModel ?? '',
      modelVersion: input.version ?? '',
      tensors: [...(input.tensors ?? [])],
    },
    range: { startTime: input.from, ...(input.to ? { endTime: input.to } : {}) },
    ...(input.maxRows === undefined ? {} : { maxRows: input.maxRows }),
    ...input.method,
    ...(input.background ? { background: backgroundOf(input.background) } : {}),
    featureNames: [...(input.featureNames ?? [])],
    ...(input.budget ? { budget: budgetOf(input.budget) } : {}),
    ...(input.seed === undefined ? {} : { seed: BigInt(input.seed) }),
  });
}

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
    ...(input.background ? { background: backgroundOf(input.background) } : {}),
    featureNames: [...(input.featureNames ?? [])],
    categoricalFeatures: Object.fromEntries(
      Object.entries(input.categoricalFeatures ?? {}).map(([index, names]) => [index, { names: [...names] }]),
    ),
    ...(input.image ? { image: input.image } : {}),
    ...input.method,
    ...(input.budget ? { budget: budgetOf(input.budget) } : {}),
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
