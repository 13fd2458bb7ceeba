import { type Cancellation, DeadlineExceededError, InvalidArgumentError } from '@sightline/errors';

/** Bootstrap simulations of the online MMD thresholds unless told otherwise: Alibi Detect's `MMDDriftOnline` default. */
export const DEFAULT_MMD_ONLINE_BOOTSTRAPS = 1_000;
/** Bootstrap simulations of the online CVM thresholds unless told otherwise: Alibi Detect's `CVMDriftOnline` default. */
export const DEFAULT_CVM_ONLINE_BOOTSTRAPS = 10_000;
/**
 * Most bootstrap simulations accepted: the simulated statistics are held in memory
 * (bootstraps x window size doubles for MMD), 80 MB at 1,000,000 x 10.
 */
export const MAX_ONLINE_BOOTSTRAPS = 1_000_000;
/** How many simulations run between two looks at the deadline and the cancellation. */
export const ONLINE_BUDGET_CHECK_EVERY = 64;

/**
 * What bounds a threshold configuration: an absolute deadline (epoch ms; the loop is
 * synchronous, so timers cannot interrupt it and the clock is read instead) and a caller's
 * cancellation. Either ends the configuration with an error and leaves no result.
 */
export interface OnlineBudget {
  /** Epoch milliseconds after which the configuration stops with DeadlineExceededError. */
  readonly deadlineMs?: number;
  /** Checked between simulations; its reason is thrown once cancelled. */
  readonly cancellation?: Cancellation;
}

/**
 * Throws when the budget is spent: the cancellation's reason, or DeadlineExceededError
 * naming `what` once `deadlineMs` has passed.
 */
export function checkOnlineBudget(budget: OnlineBudget | undefined, what: string): void {
  if (!budget) return;
  const reason = budget.cancellation?.cancelReason;
  if (reason) throw reason;
  if (budget.deadlineMs !== undefined && Date.now() > budget.deadlineMs) {
    throw new DeadlineExceededError(`${what}: the deadline passed before the thresholds were configured`);
  }
}

/**
 * Checks the expected run time and the bootstrap count shared by the online kernels.
 * @throws InvalidArgumentError naming `ert` (rule "online.ert_set": > 0 and finite) or `nBootstraps`.
 */
export function checkOnlineCommon(ert: number, nBootstraps: number, seed: number): void {
  if (!(Number.isFinite(ert) && ert > 1)) {
    throw new InvalidArgumentError(
      `ert: expected a finite expected run time above 1 row (rule "online.ert_set"), got ${ert}`,
    );
  }
  if (!Number.isInteger(nBootstraps) || nBootstraps < 1 || nBootstraps > MAX_ONLINE_BOOTSTRAPS) {
    throw new InvalidArgumentError(
      `nBootstraps: expected an integer in [1, ${MAX_ONLINE_BOOTSTRAPS}], got ${nBootstraps}`,
    );
  }
  if (!Number.isInteger(seed)) throw new InvalidArgumentError(`seed: expected an integer, got ${seed}`);
}

/**
 * The p-quantile of `values` by Hyndman and Fan's type 7 (linear interpolation between order
 * statistics, numpy's default), with Alibi Detect's guard that p lies in [1/N, (N-1)/N]: a
 * (1 - 1/ert) quantile needs at least ert surviving simulations. `values` is sorted in place.
 * @throws InvalidArgumentError naming `nBootstraps` when too few simulations are left at `step`.
 */
export function runTimeQuantile(values: Float64Array, p: number, step: number, nBootstraps: number): number {
  const count = values.length;
  if (count === 0 || p < 1 / count || p > (count - 1) / count) {
    throw new InvalidArgumentError(
      `nBootstraps: ${nBootstraps} simulations leave ${count} streams without a false alarm at step ${step}, ` +
        `too few for the ${p} quantile; raise nBootstraps (Alibi Detect advises an order of magnitude above ert)`,
    );
  }
  values.sort();
  const h = (count - 1) * p + 1;
  const low = Math.floor(h);
  const below = values[low - 1]!;
  return low === h ? below : below + (h - low) * (values[low]! - below);
}
