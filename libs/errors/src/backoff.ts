/**
 * Retry backoff shared by every retry loop (the router's upstream calls, the event
 * pipeline's sink retries): exponential with a cap and full jitter, i.e. a delay drawn
 * uniformly from [0, ceiling). Full jitter spreads the retries of many replicas (or many
 * requests) over the whole window, so a recovering dependency is not hit in lockstep;
 * the expected delay is half the ceiling.
 */

/** Largest exponent applied, so a long outage's attempt count cannot overflow to Infinity or NaN. */
const MAX_EXPONENT = 64;

/** The shape of a backoff: first ceiling, cap, and growth per attempt. */
export interface BackoffPolicy {
  /** Ceiling of the first delay (attempt 0), in ms. */
  readonly initialMs: number;
  /** Largest ceiling, in ms. */
  readonly maxMs: number;
  /** Growth of the ceiling per attempt; at least 1. Default 2. */
  readonly multiplier?: number;
}

/** The ceiling of the delay before retry `attempt` (0-based): `min(maxMs, initialMs * multiplier^attempt)`. */
export function backoffCeilingMs(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.min(Math.max(0, attempt), MAX_EXPONENT);
  const ceiling = policy.initialMs * (policy.multiplier ?? 2) ** exponent;
  return Math.max(0, Math.min(policy.maxMs, ceiling));
}

/**
 * The delay before retry `attempt` (0-based), in ms: uniform in [0, ceiling) (rounding
 * may reach the ceiling itself for a draw next to 1). `random`
 * returns a number in [0, 1) (tests inject a fixed one for deterministic delays).
 */
export function fullJitterBackoffMs(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  return random() * backoffCeilingMs(attempt, policy);
}
