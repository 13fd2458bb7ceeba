/**
 * An AbortSignal as a Cancellation, for callers that hold a signal rather than a
 * service-kit call (tests, in-process callers).
 */
import { CancelledError, DeadlineExceededError, isSightlineError } from '@sightline/errors';
import type { Cancellation } from './types.js';

/**
 * Adapts `signal`; its reason becomes the request's error: a Sightline error as it is, a
 * TimeoutError (AbortSignal.timeout) as DEADLINE_EXCEEDED, anything else as CANCELLED.
 * `what` names the request in those messages.
 */
export function cancellationOf(signal: AbortSignal, what = 'the request'): Cancellation {
  const reasonOf = (): Error => {
    const reason: unknown = signal.reason;
    if (isSightlineError(reason)) return reason;
    if (reason instanceof Error && reason.name === 'TimeoutError') {
      return new DeadlineExceededError(`${what}: the deadline passed`);
    }
    return new CancelledError(`${what}: the caller cancelled`);
  };
  return {
    get cancelReason() {
      return signal.aborted ? reasonOf() : undefined;
    },
    onCancel(listener) {
      if (signal.aborted) {
        listener(reasonOf());
        return () => {};
      }
      const onAbort = () => listener(reasonOf());
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
  };
}
