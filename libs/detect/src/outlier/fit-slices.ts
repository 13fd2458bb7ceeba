/**
 * Long synchronous fits (a large isolation forest, a robust covariance) cut into slices with
 * a turn of the event loop between them, so a service keeps answering /healthz, RPCs and
 * the live stream while it fits.
 */
import { DeadlineExceededError } from '@sightline/errors';
import type { OnlineBudget } from '../kernels.js';

/**
 * Longest a slice of fitting runs before it yields (milliseconds): far under a liveness
 * probe's 1 s timeout and a human's notice, yet long enough that yielding costs nothing.
 */
export const FIT_SLICE_MS = 20;

/** Resolves after the event loop has run its pending I/O and timers. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Throws when `budget` is spent: its cancellation's reason, or DeadlineExceededError saying
 * what was done (`progress`) and that nothing is saved.
 */
export function checkFitBudget(budget: OnlineBudget | undefined, what: string, progress: string): void {
  const reason = budget?.cancellation?.cancelReason;
  if (reason) throw reason;
  if (budget?.deadlineMs !== undefined && Date.now() > budget.deadlineMs) {
    throw new DeadlineExceededError(`${what}: the fit's deadline passed with ${progress}; nothing is saved`);
  }
}

/**
 * Runs `step(count)` (which does up to `count` units of work and returns how many it did)
 * until `done()`, in slices of about {@link FIT_SLICE_MS}, yielding between slices and
 * checking `budget`. The units per slice adapt to the measured cost of one unit.
 */
export async function runInSlices(
  step: (count: number) => number,
  done: () => boolean,
  budget: OnlineBudget | undefined,
  describe: () => { readonly what: string; readonly progress: string },
): Promise<void> {
  let perSlice = 1;
  while (!done()) {
    const { what, progress } = describe();
    checkFitBudget(budget, what, progress);
    const started = performance.now();
    const did = step(perSlice);
    const spent = performance.now() - started;
    // Aim the next slice at FIT_SLICE_MS from this one's cost per unit (never below one unit).
    const perUnit = did > 0 ? spent / did : spent;
    perSlice = Math.max(1, Math.floor(perUnit > 0 ? FIT_SLICE_MS / perUnit : perSlice * 2));
    await yieldToEventLoop();
  }
}
