import { NotFoundError } from '@sightline/errors';
import type { ExplanationJob } from '@sightline/sdk';
import { describe, expect, it } from 'vitest';
import { followJob, jobExplanation } from './explain-job.js';

function job(
  state: ExplanationJob['state'],
  done: number,
  extra: Partial<ExplanationJob> = {},
): ExplanationJob {
  return {
    id: 'j1',
    state,
    progress: { fraction: done / 3, done, total: 3, unit: 'instances' },
    idempotencyKey: '',
    ...extra,
  };
}

async function* stream(...jobs: ExplanationJob[]) {
  yield* jobs;
}

function recordingBar() {
  const calls: string[] = [];
  return {
    calls,
    bar: {
      update: (n: number) => calls.push(`update ${n}`),
      increment: () => calls.push('increment'),
      setTotal: (n: number) => calls.push(`total ${n}`),
      stop: () => calls.push('stop'),
    },
  };
}

describe('followJob', () => {
  it('moves the bar with each progress message and answers the final job', async () => {
    const { bar, calls } = recordingBar();
    const final = await followJob(stream(job('queued', 0), job('running', 1), job('succeeded', 3)), bar);
    expect(final.state).toBe('succeeded');
    expect(calls).toEqual(['total 3', 'update 0', 'total 3', 'update 1', 'total 3', 'update 3']);
  });

  it('refuses a stream that ends before the job is final', async () => {
    await expect(followJob(stream(job('running', 1)), recordingBar().bar)).rejects.toThrow(
      'the explainer ended the watch of job j1 while it was running',
    );
  });
});

describe('jobExplanation', () => {
  it("raises a failed job's status as the error a synchronous call would have raised", () => {
    expect(() =>
      jobExplanation(job('failed', 0, { error: { code: 5, message: 'model "x": not found' } })),
    ).toThrow(NotFoundError);
    expect(() => jobExplanation(job('cancelled', 1))).toThrow('job j1 ended cancelled without a result');
  });
});
