/**
 * The annotation queues' explicit limits, each with a documented default
 * (docs/annotation.md lists them and the CLI flags that set them).
 */
import { InvalidArgumentError } from '@sightline/errors';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface AnnotationOptions {
  /** Bytes of sliced inputs kept per item (--max-annotation-input-bytes); larger inputs are left out. */
  readonly maxInputBytes: number;
  /** Queues (one per model) kept at most (--max-annotation-queues). */
  readonly maxQueues: number;
  /** Answered and skipped items kept per queue for listing; the oldest go first (their feedback stays). */
  readonly maxClosedItemsPerQueue: number;
  /**
   * Per queue: sampled prediction rows held while they wait for their outlier score or their
   * shadow's row, and outlier scores or shadow rows held while they wait for the prediction.
   * The oldest go first when full (counted).
   */
  readonly maxPendingPerQueue: number;
  /** Bytes of inputs held by the waiting rows of one queue; the oldest go first when over. */
  readonly maxPendingInputBytesPerQueue: number;
  /** How long a waiting row, score or shadow row is held for its partner. */
  readonly pendingTtlMs: number;
  /** The longest item_ttl a queue may set (the store's retention). */
  readonly maxItemTtlMs: number;
  /** item_ttl when a queue sets none. */
  readonly defaultItemTtlMs: number;
  /** A lease when the caller sets none. */
  readonly defaultLeaseMs: number;
  /** The longest lease. */
  readonly maxLeaseMs: number;
  /** Salt of the row-sampling hash: every replica and restart must use the same one. */
  readonly samplingSeed: string;
}

export const DEFAULT_ANNOTATION_OPTIONS: AnnotationOptions = Object.freeze({
  maxInputBytes: 64 * 1024,
  maxQueues: 1_000,
  maxClosedItemsPerQueue: 10_000,
  maxPendingPerQueue: 10_000,
  maxPendingInputBytesPerQueue: 64 * 1024 * 1024,
  pendingTtlMs: 10 * 60_000,
  maxItemTtlMs: 30 * DAY_MS,
  defaultItemTtlMs: 7 * DAY_MS,
  defaultLeaseMs: 10 * 60_000,
  maxLeaseMs: 24 * HOUR_MS,
  samplingSeed: 'sightline-annotation',
});

/** A document holds at most 1 MiB of JSON; base64 inputs take 4/3 of their bytes. */
const MAX_INPUT_BYTES_CEILING = 512 * 1024;

/** The defaults overridden by `partial`, each checked. */
export function resolveAnnotationOptions(partial: Partial<AnnotationOptions> = {}): AnnotationOptions {
  const options = { ...DEFAULT_ANNOTATION_OPTIONS, ...partial };
  for (const [name, value] of Object.entries(options)) {
    if (name === 'samplingSeed') continue;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0)
      throw new InvalidArgumentError(`annotation option ${name}: must be a positive integer, got ${value}`);
  }
  if (options.maxInputBytes > MAX_INPUT_BYTES_CEILING)
    throw new InvalidArgumentError(
      `annotation option maxInputBytes: must be at most ${MAX_INPUT_BYTES_CEILING} (an item is one stored document), got ${options.maxInputBytes}`,
    );
  if (options.defaultItemTtlMs > options.maxItemTtlMs)
    throw new InvalidArgumentError(
      `annotation option defaultItemTtlMs: must be at most maxItemTtlMs (${options.maxItemTtlMs}), got ${options.defaultItemTtlMs}`,
    );
  if (options.defaultLeaseMs > options.maxLeaseMs)
    throw new InvalidArgumentError(
      `annotation option defaultLeaseMs: must be at most maxLeaseMs (${options.maxLeaseMs}), got ${options.defaultLeaseMs}`,
    );
  return options;
}
