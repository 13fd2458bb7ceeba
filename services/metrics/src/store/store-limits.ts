/**
 * The store's explicit limits. Each is a constructor option with the default below, so a
 * deployment can raise one knowingly; docs/store.md lists them.
 */
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';

export interface StoreLimits {
  /** Items (predictions or feedback) in one write call: one call is one transaction. */
  readonly maxItemsPerCall: number;
  /** Rows in one prediction (a request's batch). */
  readonly maxRowsPerPrediction: number;
  /** Characters in a request id, event id, model name, version, node or document id. */
  readonly maxIdLength: number;
  /** Characters in a summary's series key (model, version, node and segment together). */
  readonly maxSeriesKeyLength: number;
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
  maxItemsPerCall: 10_000,
  maxRowsPerPrediction: 4_096,
  maxIdLength: 256,
  maxSeriesKeyLength: 1_024,
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
