/**
 * A timer for an absolute deadline. A Node timer waits at most 2^31 - 1 ms (a longer delay
 * fires after 1 ms), so a later deadline re-arms in steps until it has passed.
 */

/** Longest a Node timer may wait, in ms. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `onPassed` once `deadlineMs` (epoch ms) has passed: at once when it already has.
 * Returns a function that cancels the timer.
 */
export function atDeadline(
  deadlineMs: number,
  onPassed: () => void,
  now: () => number = Date.now,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = deadlineMs - now();
    if (left > 0) {
      timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
      return;
    }
    timer = undefined;
    onPassed();
  };
  arm();
  return () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
}
