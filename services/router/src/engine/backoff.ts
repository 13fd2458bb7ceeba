/**
 * Retry backoff: exponential with +/-20% jitter (the contract's RetryPolicy), and a sleep
 * that ends early when the call is cancelled.
 */
import type { Cancellation } from '@sightline/errors';
import type { RetrySpec } from '../graph/graph-spec.js';

/** Jitter as a fraction of the delay. */
export const BACKOFF_JITTER = 0.2;

/** The delay before retry number `retry` (1 = the first retry), in ms. */
export function backoffMs(retry: RetrySpec, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(
    retry.maxBackoffMs,
    retry.initialBackoffMs * retry.backoffMultiplier ** (attempt - 1),
  );
  return Math.max(0, base * (1 + BACKOFF_JITTER * (2 * random() - 1)));
}

/** Sleeps `ms`, or until the call is cancelled (then rejects with the reason). */
export function sleep(ms: number, cancellation: Cancellation): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = cancellation.cancelReason;
    if (cancelled) return reject(cancelled);
    const timer = setTimeout(() => {
      stopListening();
      resolve();
    }, ms);
    const stopListening = cancellation.onCancel((reason) => {
      clearTimeout(timer);
      reject(reason);
    });
  });
}
