/**
 * The messages between the drift service's event loop and its scoring threads, and the two
 * conversions they need: a fitted state whose arrays live in shared memory (so a thread
 * receives a version's reference once, by reference, not a copy per window), and errors as
 * plain data (a thread's INVALID_ARGUMENT arrives as the same class and sentence).
 */
import type { DriftResult, FeatureTable, FittedState } from '@sightline/detect';
import {
  type ErrorCode,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  isSightlineError,
  NotFoundError,
  ResourceExhaustedError,
  SightlineError,
  UnavailableError,
} from '@sightline/errors';

/** Where a scoring thread imports the statistical kernels from: a module and its export. */
export interface KernelsModule {
  /** A package specifier (`@sightline/detect`) or a file URL. */
  readonly module: string;
  /** The export that is a `DriftKernels` (`STATS_KERNELS`). */
  readonly exportName: string;
}

/** libs/stats's kernels, as libs/detect exports them: what the service scores with. */
export const STATS_KERNELS_MODULE: KernelsModule = {
  module: '@sightline/detect',
  exportName: 'STATS_KERNELS',
};

/** What a scoring thread starts with (`workerData`). */
export interface ScoringThreadInit {
  readonly kernels: KernelsModule;
}

/** An error as data. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly field?: string;
}

/** Event loop -> scoring thread. */
export type ToScoringThread =
  | {
      readonly type: 'score';
      readonly id: number;
      /** The fitted version's cache key (detector, version and load). */
      readonly key: string;
      /** The version's kind and state: sent only when the thread does not hold `key` yet. */
      readonly fitted?: { readonly kind: string; readonly state: FittedState };
      /**
       * Whether the thread keeps `fitted` for later scores: false for a version already evicted
       * (a window of the old version scored after a refit), which is used once and dropped.
       */
      readonly keep?: boolean;
      readonly table: FeatureTable;
    }
  | { readonly type: 'evict'; readonly key: string };

/** Scoring thread -> event loop. */
export type FromScoringThread =
  | { readonly type: 'ready' }
  | { readonly type: 'scored'; readonly id: number; readonly result: DriftResult }
  | { readonly type: 'failed'; readonly id: number; readonly error: WireError };

/** `state` with every array copied once into shared memory (posting it then shares, not copies). */
export function sharedState(state: FittedState): FittedState {
  const arrays: Record<string, Float64Array> = {};
  for (const [name, array] of Object.entries(state.arrays)) {
    const shared = new Float64Array(new SharedArrayBuffer(array.byteLength));
    shared.set(array);
    arrays[name] = shared;
  }
  return { ...state, arrays };
}

/** An error thrown in a scoring thread, as data. */
export function toWireError(error: unknown): WireError {
  if (isSightlineError(error)) {
    return { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

const ERROR_CLASSES: Partial<
  Record<ErrorCode, new (message: string, options?: { field?: string }) => SightlineError>
> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  FAILED_PRECONDITION: FailedPreconditionError,
  NOT_FOUND: NotFoundError,
  RESOURCE_EXHAUSTED: ResourceExhaustedError,
  UNAVAILABLE: UnavailableError,
  INTERNAL: InternalError,
};

/** The error a scoring thread sent, as the class it was thrown as (by code). */
export function fromWireError(error: WireError): SightlineError {
  const options = error.field === undefined ? undefined : { field: error.field };
  const known = ERROR_CLASSES[error.code];
  return known ? new known(error.message, options) : new SightlineError(error.code, error.message, options);
}
