/**
 * Bounded waits for tests that wait on a subprocess (its next line, its exit): one that never
 * comes fails the test with a sentence saying what did not happen, instead of hanging until
 * the test's timeout with no clue which wait it was.
 */

/**
 * `promise`'s value, if it settles within `timeoutMs`.
 * @throws Error `<what>: not within <timeoutMs> ms` and `detail()` (e.g. what the process
 *   wrote to stderr) when it does not; the promise's own rejection when it rejects in time.
 */
export async function within<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  detail: () => string = () => '',
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const more = detail();
      reject(new Error(`${what}: not within ${timeoutMs} ms${more ? ` (${more})` : ''}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
