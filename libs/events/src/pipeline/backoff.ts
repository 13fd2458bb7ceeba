/**
 * Exponential backoff with a cap and "equal jitter": the delay for attempt n (0-based) is
 * half of min(cap, initial * 2^n) plus a random part up to the other half, so retries from
 * many replicas do not hit a recovering sink in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
