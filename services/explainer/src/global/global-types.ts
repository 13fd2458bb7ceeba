/** A global explanation's request and answer in domain terms (no generated types). */
import type { BudgetRequest } from '../data-plane/budget.js';
import type {
  BackgroundRequest,
  ExplainOutcome,
  ExplainUsage,
  TargetRequest,
} from '../data-plane/explain-types.js';
import type { MethodEntry } from '../data-plane/method-registry.js';
import type { ColumnImportance } from './attribution-aggregate.js';

/** Rows explained when max_rows is unset, and the most a request may ask for (contract). */
export const DEFAULT_GLOBAL_MAX_ROWS = 1_000;
export const MAX_GLOBAL_MAX_ROWS = 100_000;
/** Matching events a range may hold at most (contract): more is RESOURCE_EXHAUSTED. */
export const MAX_GLOBAL_MATCHING_EVENTS = 1_000_000;
/** The methods a global explanation takes, by oneof key → field (contract). */
export const GLOBAL_METHODS: Readonly<Record<string, string>> = {
  kernelShap: 'kernel_shap',
  integratedGradients: 'integrated_gradients',
};

/** The events read: the REQUEST side of the router's InferenceEvents. */
export interface GlobalSelector {
  /** '' means the target's model (MODEL targets). */
  readonly modelName: string;
  /** '' means every version. */
  readonly modelVersion: string;
  /** '' means the target's graph (GRAPH targets), else any. */
  readonly graph: string;
  /** The tensors explained, in order; empty means each event's request tensors as stored. */
  readonly tensors: readonly string[];
}

/** A GlobalExplainRequest. */
export interface GlobalInput {
  readonly target: TargetRequest | undefined;
  readonly selector: GlobalSelector;
  /** Undefined when the request has none (rule "range.set"). */
  readonly range: { readonly fromUnixMs: number; readonly toUnixMs: number } | undefined;
  /** Rows explained at most (1..100,000). */
  readonly maxRows: number;
  /** The method oneof (kernel_shap or integrated_gradients). */
  readonly method: { readonly key: string; readonly message: unknown } | undefined;
  readonly background: BackgroundRequest | undefined;
  readonly featureNames: readonly string[];
  readonly budget: BudgetRequest;
  readonly seed: bigint;
}

/** One model version's aggregate. */
export interface GlobalGroup {
  readonly modelName: string;
  readonly modelVersion: string;
  /** Rows whose complete local explanation was aggregated. */
  readonly rows: number;
  /** Per explained output column. */
  readonly columns: readonly ColumnImportance[];
  /** Empty when explained; else why the group's rows could not be (the others are explained). */
  readonly unavailableReason: string;
}

/** A global explanation's answer (final or partial). */
export interface GlobalOutcome {
  readonly entry: MethodEntry<unknown, unknown>;
  /** One local answer of the run (its params, feature names, resolved target), for meta; undefined when no row was explained. */
  readonly sample: ExplainOutcome | undefined;
  readonly target: TargetRequest;
  readonly seed: bigint;
  /** In model name then version order. */
  readonly groups: readonly GlobalGroup[];
  readonly usage: ExplainUsage;
  /** Events of the range that matched the selector. */
  readonly eventsMatched: number;
}

/** How far a global explanation is, in event rows. */
export interface GlobalProgress {
  /** Sampled rows done (explained, or skipped with their group). */
  readonly rowsDone: number;
  /** Sampled rows to explain (0 while the events are read). */
  readonly rows: number;
  /** Of the rows' work, in [0, 1]. */
  readonly fraction: number;
  readonly usage: ExplainUsage;
  /** The answer so far, built only when called. */
  readonly snapshot: () => GlobalOutcome;
}
