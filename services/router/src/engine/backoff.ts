/**
 * Retry backoff: exponential with +/-20% jitter (the contract's RetryPolicy), and a sleep
 * that ends early when the call is cancelled.
 */
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

/** Sleeps `ms`, or until `signal` aborts (then rejects with its reason). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
