/**
 * How work hears that its caller gave up: the reason once cancelled, and a listener
 * registration. The service-kit's CallContext is one; `cancellationOf` adapts an
 * AbortSignal. Not AbortSignal itself on the request path: Node builds and dispatches it as
 * an EventTarget, a measurable cost for every request that waits in a queue or calls
 * upstream (see docs/architecture.md).
 */
import { CancelledError, DeadlineExceededError, isSightlineError } from './sightline-error.js';

export interface Cancellation {
  /** The error the work is answered with once cancelled; undefined while live. */
  readonly cancelReason: Error | undefined;
  /**
   * Calls `listener` once on cancel (at once when already cancelled); returns a function
   * that removes it.
   */
  onCancel(listener: (reason: Error) => void): () => void;
}

const noop = () => {};

/** Work no caller can cancel (off-path calls such as shadow mirrors run to their own deadline). */
export const NEVER_CANCELLED: Cancellation = Object.freeze({
  cancelReason: undefined,
  onCancel: () => noop,
});

/**
 * Adapts `signal`; its reason becomes the error: a Sightline error as it is, a TimeoutError
 * (AbortSignal.timeout) as DEADLINE_EXCEEDED, anything else as CANCELLED. `what` names the
 * work in those messages.
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
        return noop;
      }
      const onAbort = () => listener(reasonOf());
      signal.addEventListener('abort', onAbort, { once: true });
      return () => signal.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * A Cancellation its owner fires: a job's (CancelExplanation, shutdown) or a shared upstream
 * call's (cancelled once none of its callers waits). Listeners run once, in order.
 */
export class CancellationSource implements Cancellation {
  private reason: Error | undefined;
  private listeners: ((reason: Error) => void)[] = [];

  get cancelReason(): Error | undefined {
    return this.reason;
  }

  onCancel(listener: (reason: Error) => void): () => void {
    if (this.reason) {
      listener(this.reason);
      return noop;
    }
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** Cancels with `reason` (a second call does nothing). */
  cancel(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener(reason);
  }
}
