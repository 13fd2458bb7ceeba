/**
 * Retry backoff: the shared full-jitter exponential backoff of `@sightline/errors` under
 * the contract's RetryPolicy, and a sleep that ends early when the call is cancelled.
 */
import { type Cancellation, fullJitterBackoffMs } from '@sightline/errors';
import type { RetrySpec } from '../graph/graph-spec.js';

/** The delay before retry number `attempt` (1 = the first retry), in ms. */
export function backoffMs(retry: RetrySpec, attempt: number, random: () => number = Math.random): number {
  const policy = {
    initialMs: retry.initialBackoffMs,
    maxMs: retry.maxBackoffMs,
    multiplier: retry.backoffMultiplier,
  };
  return fullJitterBackoffMs(attempt - 1, policy, random);
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
