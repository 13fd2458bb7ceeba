import { NotFoundError, ResourceExhaustedError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import type { ExplainInput, ExplainOutcome } from './explain-types.js';
import type { ExplainerDataPlane } from './explainer-data-plane.js';
import { ExplanationJobs } from './explanation-jobs.js';

const INPUT = { instances: [], method: { key: 'k', message: {} } } as unknown as ExplainInput;

/** A data plane whose explanations end when the test says. */
function gatedPlane() {
  const gates: (() => void)[] = [];
  const plane = {
    methodEntry: () => ({}),
    explain: () =>
      new Promise<ExplainOutcome>((resolve) =>
        gates.push(() => resolve({ rows: [], usage: { complete: true } } as unknown as ExplainOutcome)),
      ),
  } as unknown as ExplainerDataPlane;
  return { plane, release: () => gates.shift()?.() };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ExplanationJobs', () => {
  it('runs at most maxRunning, queues at most maxQueued, and refuses more', async () => {
    const { plane, release } = gatedPlane();
    const refused: string[] = [];
    const jobs = new ExplanationJobs({
      plane,
      maxRunning: 1,
      maxQueued: 1,
      ttlMs: 1000,
      onRefused: (reason) => refused.push(reason),
    });
    const a = jobs.start(INPUT, '', 'a');
    const b = jobs.start(INPUT, '', 'b');
    expect(jobs.get(a.id).state).toBe('running');
    expect(jobs.get(b.id).state).toBe('queued');
    expect([jobs.runningCount, jobs.queuedCount]).toEqual([1, 1]);
    expect(refused).toEqual([]);
    expect(() => jobs.start(INPUT, '', 'c')).toThrow(ResourceExhaustedError);
    expect(refused).toEqual(['queue_full']);
    release();
    await settle();
    expect(jobs.get(a.id).state).toBe('succeeded');
    expect(jobs.get(b.id).state).toBe('running');
    expect([jobs.runningCount, jobs.queuedCount]).toEqual([1, 0]);
    release();
    await settle();
    expect(jobs.get(b.id).state).toBe('succeeded');
    expect([jobs.runningCount, jobs.queuedCount]).toEqual([0, 0]);
  });

  it('forgets a job --job-ttl-ms after it ended, and its idempotency key with it', async () => {
    const { plane, release } = gatedPlane();
    let now = 0;
    const jobs = new ExplanationJobs({ plane, maxRunning: 1, maxQueued: 1, ttlMs: 1000, now: () => now });
    const job = jobs.start(INPUT, 'key', 'a');
    release();
    await settle();
    now = 1000;
    expect(jobs.get(job.id).state).toBe('succeeded');
    expect(jobs.start(INPUT, 'key', 'a').id).toBe(job.id);
    now = 1001;
    expect(() => jobs.get(job.id)).toThrow(NotFoundError);
    expect(jobs.start(INPUT, 'key', 'a').id).not.toBe(job.id);
  });

  it('cancels a queued job at once', () => {
    const { plane } = gatedPlane();
    const jobs = new ExplanationJobs({ plane, maxRunning: 1, maxQueued: 2, ttlMs: 1000 });
    jobs.start(INPUT, '', 'a');
    const queued = jobs.start(INPUT, '', 'b');
    expect(jobs.cancel(queued.id).state).toBe('cancelled');
    expect(jobs.list(0, '', 'cancelled').jobs.map((j) => j.id)).toEqual([queued.id]);
  });
});
