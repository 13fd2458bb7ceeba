import { InvalidArgumentError, UnavailableError } from '@sightline/errors';
import { expect, it } from 'vitest';
import { StoreOutageRetry } from './store-outage-retry.js';

const down = () => new UnavailableError('metrics store: PostgreSQL cannot be reached now (ECONNREFUSED)');
/** No backoff (random 0), so the retries run without waiting. */
const retry = (onRetry?: (error: unknown, attempt: number) => void) =>
  new StoreOutageRetry({ random: () => 0, ...(onRetry && { onRetry }) });

it('retries a write that fails UNAVAILABLE until it succeeds, telling each failed try', async () => {
  const attempts: number[] = [];
  let calls = 0;
  const result = await retry((_, attempt) => attempts.push(attempt)).run(async () => {
    calls++;
    if (calls < 4) throw down();
    return 'stored';
  });
  expect(result).toBe('stored');
  expect(attempts).toEqual([0, 1, 2]);
});

it('does not retry any other error', async () => {
  let calls = 0;
  const failing = retry().run(async () => {
    calls++;
    throw new InvalidArgumentError('rows: bad');
  });
  await expect(failing).rejects.toThrow('rows: bad');
  expect(calls).toBe(1);
});

it('on stop, ends a waiting retry with one more try, and then fails later writes at once', async () => {
  const retries = retry();
  let firstCalls = 0;
  // The store stays down: the stop during the third try makes that try the last.
  const waiting = retries.run(async (): Promise<string> => {
    firstCalls++;
    if (firstCalls === 3) retries.stop();
    throw down();
  });
  await expect(waiting).rejects.toBeInstanceOf(UnavailableError);
  expect(firstCalls).toBe(3);
  let laterCalls = 0;
  await expect(
    retries.run(async () => {
      laterCalls++;
      return 'stored';
    }),
  ).rejects.toBeInstanceOf(UnavailableError);
  expect(laterCalls).toBe(0);
});

it('on stop with the store up, a write still goes through', async () => {
  const retries = retry();
  retries.stop();
  expect(await retries.run(async () => 'stored')).toBe('stored');
});
