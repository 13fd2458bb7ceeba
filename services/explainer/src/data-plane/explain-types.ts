/** The data plane's view of an explanation request and its answer: plain TypeScript, no generated types. */
import type { Cancellation } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import type { BackgroundReduction } from './background.js';
import type { BudgetRequest } from './budget.js';
import type { MethodEntry, MethodSetup } from './method-registry.js';

/** What Target.model_name names. */
export type TargetKind = 'model' | 'graph';

/** The request's Target (empty strings mean unset, as in the contract). */
export interface TargetRequest {
  readonly kind: TargetKind;
  readonly address: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly outputName: string;
  readonly targetIndices: readonly number[];
}

/** The target as resolved: address filled, the version that answered, the output explained. */
export interface ResolvedTarget extends TargetRequest {
  /** The target's platform from its metadata ("onnxruntime_onnx", "tensorflowjs", "" for a graph). */
  readonly platform: string;
}

/** Background rows from stored events: their REQUEST tensors named as the instances'. */
export interface BackgroundEventsRequest {
  /** The events' model ('' means the target's). */
  readonly modelName: string;
  readonly modelVersion: string;
  readonly graph: string;
  /** The tensors asked for; empty means the instances' (others are rule "background.events.tensors"). */
  readonly tensors: readonly string[];
  readonly fromUnixMs: number;
  readonly toUnixMs: number;
  /** Events read at most, newest first. */
  readonly maxEvents: number;
}

/** The request's Background. */
export interface BackgroundRequest {
  /** Given rows (tensors like the instances). */
  readonly rows?: readonly Tensor[];
  /** Rows sampled from stored events' inputs (the router's EventService). */
  readonly events?: BackgroundEventsRequest;
  readonly reduction: BackgroundReduction;
  readonly size: number | undefined;
}

/** The request's EventLink. */
export interface EventLinkRequest {
  readonly store: boolean;
  readonly requestId: string;
  readonly predictionRows: readonly number[];
  readonly traceparent: string;
}

/** How the cache is used. */
export type CachePolicy = 'use' | 'refresh' | 'bypass';

/** An Explain request (or a local job's). */
export interface ExplainInput {
  readonly target: TargetRequest | undefined;
  readonly instances: readonly Tensor[];
  readonly background: BackgroundRequest | undefined;
  readonly featureNames: readonly string[];
  readonly categorical: ReadonlyMap<number, readonly string[]>;
  /** The ImageInput message, passed to image methods' params mapping. */
  readonly image: unknown;
  /** The method oneof: its key (`kernelShap`) and message; undefined when none is set. */
  readonly method: { readonly key: string; readonly message: unknown } | undefined;
  readonly budget: BudgetRequest;
  readonly seed: bigint;
  readonly cache: CachePolicy;
  readonly event: EventLinkRequest | undefined;
}

/** How far an explanation is. */
export interface ExplainProgress {
  /** Instance rows finished. */
  readonly rowsDone: number;
  readonly rows: number;
  /** Of all rows' work, in [0, 1]. */
  readonly fraction: number;
  readonly usage: ExplainUsage;
  /** The answer so far (rows finished; incomplete), built only when called. */
  readonly snapshot: () => ExplainOutcome;
}

/** One call's circumstances. */
export interface ExplainCall {
  /** The caller's deadline (epoch ms); undefined for none (jobs). */
  readonly deadlineMs: number | undefined;
  readonly cancellation: Cancellation;
  /** The caller's W3C trace headers, passed on to the target. */
  readonly traceHeaders?: Readonly<Record<string, string>>;
  /** A job: its default time budget is --default-job-budget-ms. */
  readonly job?: boolean;
  /** Called as rows progress (cheap to call often; a job throttles what it publishes). */
  readonly onProgress?: (progress: ExplainProgress) => void;
}

/** One row's answer. */
export interface RowExplanation {
  readonly row: number;
  /** The method's result; undefined when the budget ran out before the method had one. */
  readonly result: unknown;
  readonly complete: boolean;
  readonly fractionDone: number;
}

/** The work done. */
export interface ExplainUsage {
  readonly modelCalls: number;
  readonly rowsEvaluated: number;
  readonly elapsedMs: number;
  readonly complete: boolean;
  readonly incompleteReason: string;
  readonly cacheHit: boolean;
  readonly inputHash: string;
  readonly backend: string;
}

/** An explanation's answer, before it becomes an ExplainResponse. */
export interface ExplainOutcome {
  readonly entry: MethodEntry<unknown, unknown>;
  readonly params: unknown;
  readonly setup: MethodSetup;
  readonly target: ResolvedTarget;
  readonly seed: bigint;
  readonly backgroundRows: number;
  readonly rows: readonly RowExplanation[];
  readonly usage: ExplainUsage;
  /** ExplanationEvent ids emitted (one per row) when event.store was set. */
  readonly eventIds: readonly string[];
}
