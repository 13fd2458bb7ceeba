import { describe, expect, it } from 'vitest';
import { UpstreamReadiness, type UpstreamState } from './upstream-readiness.js';

describe('UpstreamReadiness', () => {
  it('is not reached until a check answers ready, then stays reached; changes are reported once each', async () => {
    const answers: (boolean | Error)[] = [
      new Error('connect ECONNREFUSED'),
      false,
      true,
      new Error('down'),
      true,
    ];
    const changes: [UpstreamState, string | undefined][] = [];
    const watch = new UpstreamReadiness({
      address: 'model-server:8001',
      intervalMs: 1000,
      probe: async () => {
        const answer = answers.shift()!;
        if (answer instanceof Error) throw answer;
        return answer;
      },
      onChange: (state, reason) => changes.push([state, reason]),
    });
    expect(watch.reachedOnce).toBe(false);
    await watch.check();
    await watch.check();
    expect(watch.reachedOnce).toBe(false);
    await watch.check();
    expect(watch.reachedOnce).toBe(true);
    await watch.check();
    expect(watch.state).toBe('not-ready');
    expect(watch.reachedOnce).toBe(true);
    await watch.check();
    expect(changes).toEqual([
      ['not-ready', 'connect ECONNREFUSED'],
      ['ready', undefined],
      ['not-ready', 'down'],
      ['ready', undefined],
    ]);
  });

  it('runs one check at a time and gives each the interval as its deadline', async () => {
    let release: (ready: boolean) => void = () => {};
    const deadlines: number[] = [];
    const watch = new UpstreamReadiness({
      address: 'm:1',
      intervalMs: 250,
      now: () => 1000,
      probe: (deadlineMs) => {
        deadlines.push(deadlineMs);
        return new Promise((resolve) => {
          release = resolve;
        });
      },
      onChange: () => {},
    });
    const first = watch.check();
    await watch.check();
    release(true);
    await first;
    expect(deadlines).toEqual([1250]);
    expect(watch.reachedOnce).toBe(true);
  });

  it('reports nothing from a check that ends after stop (the channels close next at shutdown)', async () => {
    let fail!: (error: Error) => void;
    const changes: UpstreamState[] = [];
    const watch = new UpstreamReadiness({
      address: 'model-server:8001',
      intervalMs: 1000,
      probe: () =>
        new Promise<boolean>((_, reject) => {
          fail = reject;
        }),
      onChange: (state) => changes.push(state),
    });
    const inFlight = watch.check();
    watch.stop();
    fail(new Error('14 UNAVAILABLE: Channel closed before call started'));
    await inFlight;
    expect(changes).toEqual([]);
    expect(watch.state).toBe('unknown');
  });
});
