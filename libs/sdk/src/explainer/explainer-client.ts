/**
 * The explainer (`sightline.explainer.v1.ExplainerService`, port 8005 in the local stack):
 * explanations of a served model's or graph's predictions, synchronous (`explain`) or as
 * jobs with progress (`startExplanation`, `watchExplanation`, ...), in plain types.
 *
 * Retried on UNAVAILABLE: `explain` (the same request answers the same explanation; a
 * cached one when it was complete), `getExplanation`, `listExplanations`, `cancelExplanation`
 * (cancelling twice leaves the same state). `startExplanation` is retried only with an
 * idempotency key (the service answers the same job for it).
 */
import { explainerV1 } from '@sightline/contracts';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';
import { pageSizeOf } from '../data/page-size.js';
import {
  type ExplainInput,
  explainRequestOf,
  type GlobalExplainInput,
  globalExplainRequestOf,
} from './explainer-requests.js';
import {
  type Explanation,
  type ExplanationJob,
  type ExplanationJobState,
  explanationOf,
  jobOf,
  jobStateNumber,
} from './explainer-results.js';

const service = explainerV1.ExplainerServiceService;

/** A page of jobs and the token of the next one ('' after the last). */
export interface ExplanationJobPage {
  readonly jobs: readonly ExplanationJob[];
  readonly nextPageToken: string;
}

/** ExplainerService calls on one address. */
export class ExplainerClient {
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /**
   * Explains each instance row (Explain) within the call's deadline and the budget.
   *
   * @throws NotFoundError for an unknown model; FailedPreconditionError for a gradient method
   *   on a model without gradients (naming the black-box alternative); InvalidArgumentError
   *   naming the field and rule; DeadlineExceededError stating the progress; UnavailableError
   *   when the target went away.
   */
  async explain(input: ExplainInput, options: CallOptions = {}): Promise<Explanation> {
    const response = await this.caller.unary(
      this.address,
      service.explain,
      explainRequestOf(input),
      options,
      'idempotent',
    );
    return explanationOf(response);
  }

  /** Submits `input` as a job and answers it at once (StartExplanation). */
  async startExplanation(
    input: ExplainInput,
    options: CallOptions & { readonly idempotencyKey?: string } = {},
  ): Promise<ExplanationJob> {
    const response = await this.caller.unary(
      this.address,
      service.startExplanation,
      { local: explainRequestOf(input), idempotencyKey: options.idempotencyKey ?? '' },
      options,
      options.idempotencyKey ? 'idempotent' : 'not-idempotent',
    );
    return jobOf(response.job);
  }

  /**
   * Submits a global explanation (StartExplanation with `global`): the stored events of the
   * range explained per model version; watch it with {@link watchExplanation}, its result is
   * the job's `globalResult`. Progress counts event rows.
   */
  async startGlobalExplanation(
    input: GlobalExplainInput,
    options: CallOptions & { readonly idempotencyKey?: string } = {},
  ): Promise<ExplanationJob> {
    const response = await this.caller.unary(
      this.address,
      service.startExplanation,
      { global: globalExplainRequestOf(input), idempotencyKey: options.idempotencyKey ?? '' },
      options,
      options.idempotencyKey ? 'idempotent' : 'not-idempotent',
    );
    return jobOf(response.job);
  }

  /** A job with its progress and its result so far (GetExplanation). @throws NotFoundError for an unknown or expired id. */
  async getExplanation(id: string, options: CallOptions = {}): Promise<ExplanationJob> {
    return jobOf(
      (await this.caller.unary(this.address, service.getExplanation, { id }, options, 'idempotent')).job,
    );
  }

  /**
   * The job's progress as it runs (WatchExplanation): at most 4 a second and on each state
   * change, ending with the job in a final state and its result. Results ride on progress
   * messages only with `partialResults`.
   */
  async *watchExplanation(
    id: string,
    options: CallOptions & { readonly partialResults?: boolean } = {},
  ): AsyncGenerator<ExplanationJob, void, undefined> {
    for await (const message of this.caller.serverStream(
      this.address,
      service.watchExplanation,
      { id, partialResults: options.partialResults ?? false },
      options,
    )) {
      yield jobOf(message.job);
    }
  }

  /** Stops a job, keeping its partial result (CancelExplanation). */
  async cancelExplanation(id: string, options: CallOptions = {}): Promise<ExplanationJob> {
    return jobOf(
      (await this.caller.unary(this.address, service.cancelExplanation, { id }, options, 'idempotent')).job,
    );
  }

  /** Jobs held, newest first, without results (ListExplanations). */
  async listExplanations(
    options: CallOptions & {
      readonly pageSize?: number;
      readonly pageToken?: string;
      readonly state?: ExplanationJobState;
    } = {},
  ): Promise<ExplanationJobPage> {
    const response = await this.caller.unary(
      this.address,
      service.listExplanations,
      {
        pageSize: pageSizeOf(options.pageSize),
        pageToken: options.pageToken ?? '',
        state: options.state ? jobStateNumber(options.state) : explainerV1.JobState.JOB_STATE_UNSPECIFIED,
      },
      options,
      'idempotent',
    );
    return { jobs: response.jobs.map(jobOf), nextPageToken: response.nextPageToken };
  }
}
