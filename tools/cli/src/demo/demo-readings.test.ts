import { describe, expect, it } from 'vitest';
import { msToNextBucket, pollUntil, sleep } from './demo-readings.js';

describe('the demo waits (Ctrl-C ends them)', () => {
  it('sleep resolves after its time, and rejects with the reason as soon as the signal aborts', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    const controller = new AbortController();
    // An hour: only the abort can end it within the test's time.
    const long = sleep(3_600_000, controller.signal);
    controller.abort(new Error('interrupted'));
    await expect(long).rejects.toThrow('interrupted');
    await expect(sleep(1, controller.signal)).rejects.toThrow('interrupted');
  });

  it('pollUntil stops probing once the signal aborts, even with an hour left to wait', async () => {
    const controller = new AbortController();
    let probes = 0;
    const polling = pollUntil(
      async () => {
        probes++;
        if (probes === 2) controller.abort(new Error('interrupted'));
        return probes;
      },
      () => false,
      3_600_000,
      controller.signal,
    );
    await expect(polling).rejects.toThrow('interrupted');
    expect(probes).toBe(2);
  });

  it('pollUntil answers the first accepted value', async () => {
    let probes = 0;
    await expect(
      pollUntil(
        async () => ++probes,
        (n) => n === 3,
        3_600_000,
      ),
    ).resolves.toBe(3);
  });
});

describe('the next metrics minute', () => {
  it('is the time to the next whole minute, never 0 (a replay started on a boundary with earlier rows in it still moves on)', () => {
    expect(msToNextBucket(Date.UTC(2026, 11, 4, 23, 0, 0))).toBe(60_000);
    expect(msToNextBucket(Date.UTC(2026, 11, 4, 23, 0, 59, 900))).toBe(100);
    expect(msToNextBucket(Date.UTC(2026, 11, 4, 23, 0, 15))).toBe(45_000);
  });
});
