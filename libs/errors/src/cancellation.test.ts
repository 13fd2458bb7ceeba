import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  cancellationOf,
  DeadlineExceededError,
  NEVER_CANCELLED,
  UnavailableError,
} from './index.js';

describe('cancellationOf', () => {
  it('is live until the signal aborts, then tells listeners once with a CANCELLED error', () => {
    const controller = new AbortController();
    const cancellation = cancellationOf(controller.signal, 'model "m"');
    const heard: Error[] = [];
    cancellation.onCancel((reason) => heard.push(reason));
    expect(cancellation.cancelReason).toBeUndefined();
    controller.abort();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toBeInstanceOf(CancelledError);
    expect(heard[0]!.message).toBe('model "m": the caller cancelled');
    expect(cancellation.cancelReason).toBeInstanceOf(CancelledError);
  });

  it('maps AbortSignal.timeout to DEADLINE_EXCEEDED and keeps a Sightline reason as it is', async () => {
    const timedOut = cancellationOf(AbortSignal.timeout(5));
    const reason = await new Promise<Error>((resolve) => timedOut.onCancel(resolve));
    expect(reason).toBeInstanceOf(DeadlineExceededError);
    const ours = new UnavailableError('draining');
    expect(cancellationOf(AbortSignal.abort(ours)).cancelReason).toBe(ours);
  });

  it('calls a listener added after the abort at once, and never one that was removed', () => {
    const controller = new AbortController();
    const cancellation = cancellationOf(controller.signal);
    let removedCalls = 0;
    const remove = cancellation.onCancel(() => {
      removedCalls += 1;
    });
    remove();
    controller.abort();
    expect(removedCalls).toBe(0);
    let late = 0;
    cancellation.onCancel(() => {
      late += 1;
    });
    expect(late).toBe(1);
  });
});

describe('NEVER_CANCELLED', () => {
  it('is never cancelled and never calls a listener', () => {
    let calls = 0;
    NEVER_CANCELLED.onCancel(() => {
      calls += 1;
    })();
    expect(NEVER_CANCELLED.cancelReason).toBeUndefined();
    expect(calls).toBe(0);
  });
});
