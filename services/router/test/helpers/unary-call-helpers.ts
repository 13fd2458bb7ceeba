/** Shared pieces of the upstream unary-call tests: a cancellable call, call options, and the failure a call ends in. */
import { type Cancellation, NEVER_CANCELLED } from '@sightline/errors';
import { expect } from 'vitest';
import { UnaryCallError } from '../../src/upstream/grpc-call-status.js';

/** A cancellation the test can fire, as a caller's cancel would. */
export function cancellable(): { cancellation: Cancellation; cancel: () => void } {
  const listeners = new Set<(reason: Error) => void>();
  let reason: Error | undefined;
  return {
    cancellation: {
      get cancelReason() {
        return reason;
      },
      onCancel(listener) {
        if (reason) {
          listener(reason);
          return () => {};
        }
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    cancel: () => {
      reason = new Error('caller cancelled');
      for (const listener of listeners) listener(reason);
    },
  };
}

/** Call options with a deadline `deadlineInMs` from now and no cancel, plus `extra`. */
export function options(deadlineInMs = 5_000, extra: object = {}) {
  return { deadlineMs: Date.now() + deadlineInMs, cancellation: NEVER_CANCELLED, ...extra };
}

/** The UnaryCallError `promise` rejects with (fails the test if it resolves or rejects otherwise). */
export async function failure(promise: Promise<unknown>): Promise<UnaryCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnaryCallError);
  return error as UnaryCallError;
}
