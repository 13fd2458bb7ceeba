/**
 * `sightline explain --job`: the explanation submitted as a job (StartExplanation) and
 * followed (WatchExplanation) with a progress bar over its units (instance rows), so a long
 * explanation is bounded by its own time budget rather than one call's deadline (design note
 * decision 8). The watch ends with the job in a final state: its result, or the error a
 * synchronous call would have raised.
 */
import { errorFromStatus } from '@sightline/errors';
import type { Explanation, ExplanationJob, GlobalExplanation } from '@sightline/sdk';
import type { ProgressBar } from '../frame/progress.js';

const FINAL = new Set(['succeeded', 'partial', 'failed', 'cancelled']);

/**
 * Follows a job's progress messages on `bar` and answers the last one.
 * @throws Error when the stream ends before the job is final.
 */
export async function followJob(
  jobs: AsyncIterable<ExplanationJob>,
  bar: ProgressBar,
): Promise<ExplanationJob> {
  let last: ExplanationJob | undefined;
  for await (const job of jobs) {
    last = job;
    if (job.progress.total > 0) bar.setTotal(job.progress.total);
    bar.update(job.progress.done);
  }
  if (last === undefined || !FINAL.has(last.state)) {
    throw new Error(
      `the explainer ended the watch of job ${last?.id ?? '(unknown)'} while it was ${last?.state ?? 'unseen'}`,
    );
  }
  return last;
}

/**
 * A final job's explanation: its result when it succeeded, ran out of budget (partial) or was
 * cancelled (the partial result kept).
 * @throws the error a synchronous Explain would have raised, for a failed job.
 */
export function jobExplanation(job: ExplanationJob): Explanation {
  if (job.state === 'failed')
    throw errorFromStatus(job.error?.code ?? 13, job.error?.message ?? `job ${job.id} failed`);
  if (job.result === undefined) throw new Error(`job ${job.id} ended ${job.state} without a result`);
  return job.result;
}

/**
 * A final global job's explanation, as {@link jobExplanation} a local one's.
 * @throws the job's error (its gRPC status and sentence) for a failed job.
 */
export function jobGlobalExplanation(job: ExplanationJob): GlobalExplanation {
  if (job.state === 'failed')
    throw errorFromStatus(job.error?.code ?? 13, job.error?.message ?? `job ${job.id} failed`);
  if (job.globalResult === undefined) throw new Error(`job ${job.id} ended ${job.state} without a result`);
  return job.globalResult;
}
