/** Jobs ↔ messages: JobView → ExplanationJob, JobState ↔ enum. */
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { JobState, JobView } from '../data-plane/explanation-jobs.js';
import { explainResponseToMessage, usageToMessage } from './explain-response.js';
import { globalResponseToMessage } from './global-response.js';

const STATE_TO_MESSAGE: Readonly<Record<JobState, explainerV1.JobState>> = {
  queued: explainerV1.JobState.JOB_STATE_QUEUED,
  running: explainerV1.JobState.JOB_STATE_RUNNING,
  succeeded: explainerV1.JobState.JOB_STATE_SUCCEEDED,
  partial: explainerV1.JobState.JOB_STATE_PARTIAL,
  failed: explainerV1.JobState.JOB_STATE_FAILED,
  cancelled: explainerV1.JobState.JOB_STATE_CANCELLED,
};

/** A state filter (UNSPECIFIED: any); an unknown number is INVALID_ARGUMENT. */
export function stateFilterFromMessage(state: explainerV1.JobState): JobState | undefined {
  if (state === explainerV1.JobState.JOB_STATE_UNSPECIFIED) return undefined;
  const found = (Object.entries(STATE_TO_MESSAGE) as [JobState, number][]).find(([, n]) => n === state);
  if (!found) throw new InvalidArgumentError(`state: unknown value ${state}`);
  return found[0];
}

/** A job as ExplanationJob (its result when the view carries one). */
export function jobToMessage(job: JobView): explainerV1.ExplanationJob {
  return {
    id: job.id,
    state: STATE_TO_MESSAGE[job.state],
    progress: {
      fraction: job.progress.fraction,
      done: BigInt(job.progress.done),
      total: BigInt(job.progress.total),
      unit: job.progress.unit,
      ...(job.progress.usage ? { usage: usageToMessage(job.progress.usage) } : {}),
      ...(job.progress.remainingMs === undefined
        ? {}
        : { remainingMs: Math.min(job.progress.remainingMs, 0xffffffff) }),
    },
    createTime: new Date(job.createMs),
    ...(job.startMs === undefined ? {} : { startTime: new Date(job.startMs) }),
    ...(job.endMs === undefined ? {} : { endTime: new Date(job.endMs) }),
    ...(job.error ? { error: job.error } : {}),
    ...(job.result ? { local: explainResponseToMessage(job.result) } : {}),
    ...(job.globalResult ? { global: globalResponseToMessage(job.globalResult) } : {}),
    idempotencyKey: job.idempotencyKey,
  };
}
