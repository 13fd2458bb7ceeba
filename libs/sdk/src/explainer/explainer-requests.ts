/** What the explainer client takes, in plain types, and its ExplainRequest. */
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
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
  /** Seed of every random draw, 0 to 2^64 - 1 (a bigint past 2^53). */
  readonly seed?: number | bigint;
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
const ON_EXHAUSTED = {
  partial: explainerV1.OnExhausted.ON_EXHAUSTED_PARTIAL,
  fail: explainerV1.OnExhausted.ON_EXHAUSTED_FAIL,
} as const;
const CACHE = {
  use: explainerV1.CachePolicy.CACHE_POLICY_USE,
  refresh: explainerV1.CachePolicy.CACHE_POLICY_REFRESH,
  bypass: explainerV1.CachePolicy.CACHE_POLICY_BYPASS,
} as const;

const UINT32_MAX = 2 ** 32 - 1;

/**
 * `value` when it is a whole number the contract's uint32 field holds; else an
 * InvalidArgumentError naming the field (the encoder would fail later as an INTERNAL
 * "serialization failure" that names nothing).
 */
function uint32(field: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new InvalidArgumentError(`${field}: must be a whole number from 0 to ${UINT32_MAX}, got ${value}`);
  }
  return value;
}

/** `table[key]`, or an InvalidArgumentError naming the field and the names it takes. */
function named<T>(field: string, key: string, table: Readonly<Record<string, T>>): T {
  if (!Object.hasOwn(table, key)) {
    throw new InvalidArgumentError(
      `${field}: must be one of ${Object.keys(table).join(', ')}, got ${JSON.stringify(key)}`,
    );
  }
  return table[key]!;
}

/** The seed as the contract's uint64. */
function seedOf(seed: number | bigint): bigint {
  const valid = typeof seed === 'bigint' || Number.isSafeInteger(seed);
  const value = valid ? BigInt(seed) : -1n;
  if (value < 0n || value > 2n ** 64n - 1n) {
    throw new InvalidArgumentError(`seed: must be a whole number from 0 to 2^64 - 1, got ${seed}`);
  }
  return value;
}

/** The contract's Background of given rows. */
function backgroundOf(background: NonNullable<ExplainInput['background']>): explainerV1.Background {
  return explainerV1.Background.fromPartial({
    rows: { tensors: encodeTensorMessages(background.rows, 'raw') },
    reduction: named('background.reduction', background.reduction ?? 'sample', REDUCTIONS),
    ...(background.size === undefined ? {} : { size: uint32('background.size', background.size) }),
  });
}

/** The contract's Budget (unset fields: the service's defaults). */
function budgetOf(budget: NonNullable<ExplainInput['budget']>): explainerV1.Budget {
  return {
    maxModelCalls: uint32('budget.maxModelCalls', budget.maxModelCalls),
    maxRowsPerCall: uint32('budget.maxRowsPerCall', budget.maxRowsPerCall),
    timeoutMs: uint32('budget.timeoutMs', budget.timeoutMs),
    onExhausted: named('budget.onExhausted', budget.onExhausted ?? 'partial', ON_EXHAUSTED),
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
  readonly seed?: number | bigint;
}

/** The contract's Target of a local or global input, at `modelVersion` ('' the server's choice). */
function targetOf(
  input: Pick<ExplainInput, 'model' | 'graph' | 'address' | 'outputName' | 'targetIndices'>,
  modelVersion: string,
): explainerV1.DeepPartial<explainerV1.Target> {
  return {
    kind: input.graph ? explainerV1.TargetKind.TARGET_KIND_GRAPH : explainerV1.TargetKind.TARGET_KIND_MODEL,
    address: input.address ?? '',
    modelName: input.model,
    modelVersion,
    outputName: input.outputName ?? '',
    targetIndices: (input.targetIndices ?? []).map((index, i) => uint32(`targetIndices[${i}]`, index)),
  };
}

/** The GlobalExplainRequest of `input`. */
export function globalExplainRequestOf(input: GlobalExplainInput): explainerV1.GlobalExplainRequest {
  return explainerV1.GlobalExplainRequest.fromPartial({
    // The version selects events; each group is called at its own version (contract decision 14).
    target: targetOf(input, ''),
    selector: {
      modelName: input.eventsModel ?? '',
      modelVersion: input.version ?? '',
      tensors: [...(input.tensors ?? [])],
    },
    range: { startTime: input.from, ...(input.to ? { endTime: input.to } : {}) },
    ...(input.maxRows === undefined ? {} : { maxRows: uint32('maxRows', input.maxRows) }),
    ...input.method,
    ...(input.background ? { background: backgroundOf(input.background) } : {}),
    featureNames: [...(input.featureNames ?? [])],
    ...(input.budget ? { budget: budgetOf(input.budget) } : {}),
    ...(input.seed === undefined ? {} : { seed: seedOf(input.seed) }),
  });
}

/**
 * The ExplainRequest of `input`.
 * @throws InvalidArgumentError naming the field for a number the contract cannot carry or an unknown name.
 */
export function explainRequestOf(input: ExplainInput): explainerV1.ExplainRequest {
  return explainerV1.ExplainRequest.fromPartial({
    target: targetOf(input, input.version ?? ''),
    instances: encodeTensorMessages(input.instances, 'raw'),
    ...(input.background ? { background: backgroundOf(input.background) } : {}),
    featureNames: [...(input.featureNames ?? [])],
    categoricalFeatures: Object.fromEntries(
      Object.entries(input.categoricalFeatures ?? {}).map(([index, names]) => [index, { names: [...names] }]),
    ),
    ...(input.image ? { image: input.image } : {}),
    ...input.method,
    ...(input.budget ? { budget: budgetOf(input.budget) } : {}),
    ...(input.seed === undefined ? {} : { seed: seedOf(input.seed) }),
    cache: named('cache', input.cache ?? 'use', CACHE),
    ...(input.storeFor
      ? {
          event: {
            store: true,
            requestId: input.storeFor.requestId,
            predictionRows: (input.storeFor.predictionRows ?? []).map((row, i) =>
              uint32(`storeFor.predictionRows[${i}]`, row),
            ),
            traceparent: input.storeFor.traceparent ?? '',
          },
        }
      : {}),
  });
}
