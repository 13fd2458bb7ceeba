/**
 * The store's explicit limits. Each is a constructor option with the default below, so a
 * deployment can raise one knowingly; docs/store.md lists them.
 */
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { DEFAULT_RECORD_LIMITS, type RecordLimits } from '../domain/record-rules.js';

/** The record limits (src/domain/record-rules.ts: the windows apply the same) and the store's own. */
export interface StoreLimits extends RecordLimits {
  /** Items (predictions or feedback) in one write call: one call is one transaction. */
  readonly maxItemsPerCall: number;
  /**
   * Predictions stored under one request id (a model, its shadows and retries with new event
   * ids); later ones are refused, so a join reads a bounded number of predictions.
   */
  readonly maxPredictionsPerRequest: number;
  /** How far after the call's `nowMs` a feedback's `receivedMs` may be (clocks differ a little). */
  readonly maxClockSkewMs: number;
  /** Characters of JSON in one summary or document. */
  readonly maxJsonLength: number;
  /** Pairs in one `joinedPairs` page (the default page size too). */
  readonly maxPageSize: number;
  /** Documents in one `listDocuments` page (the default page size too). */
  readonly maxDocumentPageSize: number;
  /** Rows one retention transaction deletes before yielding to other work. */
  readonly retentionBatchSize: number;
}

export const DEFAULT_STORE_LIMITS: StoreLimits = Object.freeze({
  ...DEFAULT_RECORD_LIMITS,
  maxItemsPerCall: 10_000,
  maxPredictionsPerRequest: 64,
  maxClockSkewMs: 300_000,
  maxJsonLength: 1_048_576,
  maxPageSize: 10_000,
  maxDocumentPageSize: 1_000,
  retentionBatchSize: 5_000,
});

/** The defaults overridden by `overrides`, each checked to be a positive integer. */
export function resolveStoreLimits(overrides: Partial<StoreLimits> = {}): StoreLimits {
  const limits = { ...DEFAULT_STORE_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new InvalidArgumentError(`store limit ${name}: must be a positive integer, got ${value}.`, {
        field: name,
      });
  }
  return Object.freeze(limits);
}

/** Fails a call with more items than `maxItemsPerCall`. */
export function checkItemCount(what: string, count: number, limits: StoreLimits): void {
  if (count > limits.maxItemsPerCall)
    throw new ResourceExhaustedError(
      `${what}: at most ${limits.maxItemsPerCall} items per call, got ${count}.`,
      { field: what },
    );
}

/** The page size to use: the asked one, or the maximum when none, bounded by the maximum. */
export function pageSizeOf(asked: number | undefined, max: number, field: string): number {
  if (asked === undefined) return max;
  if (!Number.isSafeInteger(asked) || asked < 1)
    throw new InvalidArgumentError(`${field}: must be a positive integer, got ${asked}.`, { field });
  return Math.min(asked, max);
}
