/**
 * Explanation jobs (decision 8): submitted local and global explanations run at most --max-running-
 * explanations at a time, at most --max-queued-explanations wait, each is kept --job-ttl-ms
 * after it ends, in memory only. A job's result is its partial answer while it runs and
 * after a cancel, its final one when it ends. Watchers hear each state change at once and
 * progress at most 4 times a second.
 */
import { randomUUID } from 'node:crypto';
import {
  CancellationSource,
  CancelledError,
  type ErrorCode,
  GRPC_STATUS_NAMES,
  InvalidArgumentError,
  isSightlineError,
  NotFoundError,
  quoteName,
  ResourceExhaustedError,
  UnimplementedError,
} from '@sightline/errors';
import type { GlobalExplainer } from '../global/global-explainer.js';
import type { GlobalInput, GlobalOutcome } from '../global/global-types.js';
import type { ExplainInput, ExplainOutcome, ExplainUsage } from './explain-types.js';
import type { ExplainerDataPlane } from './explainer-data-plane.js';

/** A job's state. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'partial' | 'failed' | 'cancelled';

/** What a client sees of a job. */
export interface JobView {
  readonly id: string;
  readonly state: JobState;
  readonly progress: {
    readonly fraction: number;
    readonly done: number;
    readonly total: number;
    readonly unit: string;
    readonly usage: ExplainUsage | undefined;
    readonly remainingMs: number | undefined;
  };
  readonly createMs: number;
  readonly startMs: number | undefined;
  readonly endMs: number | undefined;
  /** For failed: the gRPC status number and sentence. */
  readonly error: { readonly code: number; readonly message: string } | undefined;
  /** A local job's result. */
  readonly result: ExplainOutcome | undefined;
  /** A global job's result. */
  readonly globalResult: GlobalOutcome | undefined;
  readonly idempotencyKey: string;
}

/** What a job runs: a local explanation (instances) or a global one (stored events). */
export type JobWork =
  | { readonly kind: 'local'; readonly input: ExplainInput }
  | {
      readonly kind: 'global';
      readonly input: GlobalInput;
      /** The submitter's W3C trace headers: the run's reads and model calls join its trace. */
      readonly traceHeaders?: Readonly<Record<string, string>>;
    };

/** A job's (partial or final) answer. */
type JobResult =
  | { readonly kind: 'local'; readonly outcome: ExplainOutcome }
  | { readonly kind: 'global'; readonly outcome: GlobalOutcome };

/** Progress of either kind: units done (instances or event rows) and the answer so far. */
interface JobProgressNow {
  readonly rowsDone: number;
  readonly rows: number;
  readonly fraction: number;
  readonly usage: ExplainUsage;
  readonly snapshot: () => JobResult;
}

/** The unit of each kind's progress (contract: JobProgress.unit). */
const UNITS = { local: 'instances', global: 'event rows' } as const;

/** Most messages a watcher gets per second (contract). */
export const WATCH_MESSAGES_PER_SECOND = 4;
/** Longest idempotency key, in characters (contract). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256;
/**
 * Most jobs held at once, ended ones included: past it the oldest ended jobs are dropped
 * before their TTL, so memory stays bounded however fast jobs are submitted.
 */
export const MAX_HELD_JOBS = 10_000;
/** Default and largest ListExplanations page (house rule). */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1_000;

const FINAL: ReadonlySet<JobState> = new Set(['succeeded', 'partial', 'failed', 'cancelled']);

/** Whether `state` is final. */
export function isFinal(state: JobState): boolean {
  return FINAL.has(state);
}

interface Job {
  readonly id: string;
  readonly work: JobWork;
  readonly fingerprint: string;
  readonly idempotencyKey: string;
  readonly createMs: number;
  readonly cancellation: CancellationSource;
  state: JobState;
  startMs?: number;
  endMs?: number;
  progress?: JobProgressNow;
  result?: JobResult;
  error?: { code: number; message: string };
  readonly watchers: Set<(view: JobView) => void>;
}

export interface ExplanationJobsOptions {
  readonly plane: ExplainerDataPlane;
  /** Runs global jobs; undefined: a global job is refused as the explainer cannot run one. */
  readonly global?: GlobalExplainer;
  readonly maxRunning: number;
  readonly maxQueued: number;
  readonly ttlMs: number;
  readonly now?: () => number;
  readonly onError?: (message: string, error: unknown) => void;
  /** Told of each job refused because the queue was full (metrics). */
  readonly onRefused?: (reason: 'queue_full') => void;
}

const statusNumber = (code: ErrorCode) => Math.max(0, GRPC_STATUS_NAMES.indexOf(code));

/** `result` with `reason` as its usage's incomplete reason unless it already gives one. */
function withIncompleteReason(result: JobResult, reason: string): JobResult {
  const usage = result.outcome.usage;
  if (usage.incompleteReason) return result;
  return {
    ...result,
    outcome: { ...result.outcome, usage: { ...usage, incompleteReason: reason } },
  } as JobResult;
}

/** The jobs held by one explainer. */
export class ExplanationJobs {
  private readonly jobs = new Map<string, Job>();
  private readonly byKey = new Map<string, string>();
  private readonly queue: Job[] = [];
  private running = 0;
  private readonly now: () => number;
  private readonly settledWork = new Set<Promise<void>>();

  constructor(private readonly options: ExplanationJobsOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Jobs running now (at most maxRunning). */
  get runningCount(): number {
    return this.running;
  }

  /** Jobs waiting for a running slot now (at most maxQueued). */
  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Submits `input`. The same key with the same request (`fingerprint`) while the job is
   * held answers that job; with another request it is INVALID_ARGUMENT ("idempotency_key.reused").
   */
  start(input: ExplainInput, idempotencyKey: string, fingerprint: string): JobView {
    return this.submit({ kind: 'local', input }, idempotencyKey, fingerprint);
  }

  /** Submits a global explanation, as {@link start} a local one (its checks run at submit). */
  startGlobal(
    input: GlobalInput,
    idempotencyKey: string,
    fingerprint: string,
    traceHeaders?: Readonly<Record<string, string>>,
  ): JobView {
    return this.submit(
      { kind: 'global', input, ...(traceHeaders ? { traceHeaders } : {}) },
      idempotencyKey,
      fingerprint,
    );
  }

  private submit(work: JobWork, idempotencyKey: string, fingerprint: string): JobView {
    this.purge();
    if (idempotencyKey.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw new InvalidArgumentError(
        `idempotency_key: at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters, got ${idempotencyKey.length}`,
      );
    }
    if (idempotencyKey) {
      const existing = this.jobs.get(this.byKey.get(idempotencyKey) ?? '');
      if (existing) {
        if (existing.fingerprint !== fingerprint) {
          throw new InvalidArgumentError(
            `idempotency_key: ${quoteName(idempotencyKey)} was used for another request (rule "idempotency_key.reused")`,
          );
        }
        return this.view(existing, true);
      }
    }
    // Checked now, so a request the explainer would refuse fails the submit, not the job.
    if (work.kind === 'local') this.options.plane.methodEntry(work.input.method);
    else this.globalExplainer().check(work.input);
    if (this.running >= this.options.maxRunning && this.queue.length >= this.options.maxQueued) {
      this.options.onRefused?.('queue_full');
      throw new ResourceExhaustedError(
        `StartExplanation: ${this.queue.length} jobs are waiting, the most --max-queued-explanations allows; retry later`,
      );
    }
    const job: Job = {
      id: randomUUID(),
      work,
      fingerprint,
      idempotencyKey,
      createMs: this.now(),
      cancellation: new CancellationSource(),
      state: 'queued',
      watchers: new Set(),
    };
    this.jobs.set(job.id, job);
    if (idempotencyKey) this.byKey.set(idempotencyKey, job.id);
    this.queue.push(job);
    this.pump();
    return this.view(job, true);
  }

  /** @throws NotFoundError for an unknown or expired id. */
  get(id: string): JobView {
    return this.view(this.find(id), true);
  }

  /** Stops a queued or running job, keeping its partial result; a final job is returned unchanged. */
  cancel(id: string): JobView {
    const job = this.find(id);
    if (job.state === 'queued') {
      this.queue.splice(this.queue.indexOf(job), 1);
      this.finish(job, 'cancelled');
    } else if (job.state === 'running') {
      job.cancellation.cancel(new CancelledError(`job ${job.id}: cancelled by CancelExplanation`));
      // The contract answers the job after cancelling: CANCELLED now, with the result so far.
      // The work stops at its next model call or budget check and holds its running slot
      // until then; what it finishes after this is not kept (run() leaves a final job alone).
      const partial = job.progress?.snapshot();
      job.result = partial && withIncompleteReason(partial, 'cancelled');
      this.finish(job, 'cancelled');
    }
    return this.view(job, true);
  }

  /** Jobs newest first, without results; `state` undefined means any. */
  list(
    pageSize: number,
    pageToken: string,
    state: JobState | undefined,
  ): { jobs: JobView[]; nextPageToken: string } {
    this.purge();
    if (pageSize > MAX_PAGE_SIZE) {
      throw new InvalidArgumentError(
        `page_size: at most ${MAX_PAGE_SIZE}, got ${pageSize} (rule "page_size")`,
      );
    }
    const size = pageSize || DEFAULT_PAGE_SIZE;
    const offset = pageToken === '' ? 0 : Number.parseInt(pageToken, 10);
    if (!Number.isInteger(offset) || offset < 0 || String(offset) !== pageToken.replace(/^$/, '0')) {
      throw new InvalidArgumentError(
        `page_token: not a token ListExplanations gave, got ${quoteName(pageToken)}`,
      );
    }
    const matching = [...this.jobs.values()]
      .filter((job) => state === undefined || job.state === state)
      .sort((a, b) => b.createMs - a.createMs);
    const page = matching.slice(offset, offset + size).map((job) => this.view(job, false));
    return { jobs: page, nextPageToken: offset + size < matching.length ? String(offset + size) : '' };
  }

  /**
   * Calls `send` with the job now, on each state change, and on progress at most 4 times a
   * second, until the job is final (its last message with the result). Results ride on the
   * progress messages only with `partialResults`. Resolves when the final message is sent,
   * rejects with the watcher's cancel.
   */
  async watch(
    id: string,
    partialResults: boolean,
    send: (view: JobView) => Promise<void>,
    cancelled: { onCancel(listener: (reason: Error) => void): () => void },
  ): Promise<void> {
    const job = this.find(id);
    const interval = 1000 / WATCH_MESSAGES_PER_SECOND;
    let lastSent = 0;
    let lastState: JobState | undefined;
    let timer: NodeJS.Timeout | undefined;
    let chain = Promise.resolve();
    await new Promise<void>((resolve, reject) => {
      const emit = () => {
        const final = isFinal(job.state);
        const view = this.view(job, partialResults || final);
        lastSent = this.now();
        lastState = job.state;
        chain = chain.then(() => send(view));
        if (final) {
          stop();
          chain.then(resolve, reject);
        }
      };
      const onChange = () => {
        if (job.state !== lastState || isFinal(job.state)) {
          clearTimeout(timer);
          timer = undefined;
          emit();
          return;
        }
        if (timer) return;
        const wait = Math.max(0, lastSent + interval - this.now());
        timer = setTimeout(() => {
          timer = undefined;
          if (!isFinal(job.state)) emit();
        }, wait);
      };
      const stopCancel = cancelled.onCancel((reason) => {
        stop();
        reject(reason);
      });
      const stop = () => {
        clearTimeout(timer);
        job.watchers.delete(onChange);
        stopCancel();
      };
      job.watchers.add(onChange);
      emit();
    });
  }

  /** Cancels every job (shutdown) and waits for the running ones to stop. */
  async close(): Promise<void> {
    for (const job of this.queue.splice(0)) this.finish(job, 'cancelled');
    for (const job of this.jobs.values()) {
      if (job.state === 'running')
        job.cancellation.cancel(new CancelledError('the explainer is shutting down'));
    }
    await Promise.all(this.settledWork);
  }

  private find(id: string): Job {
    this.purge();
    const job = this.jobs.get(id);
    if (!job)
      throw new NotFoundError(
        `job ${quoteName(id)} not found: jobs live in this explainer's memory, so an unknown id, one that ended more than --job-ttl-ms ago, or one from before the explainer restarted is gone`,
      );
    return job;
  }

  private pump(): void {
    while (this.running < this.options.maxRunning && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.running += 1;
      const work = this.run(job).finally(() => {
        this.running -= 1;
        this.settledWork.delete(work);
        this.pump();
      });
      this.settledWork.add(work);
    }
  }

  private globalExplainer(): GlobalExplainer {
    if (!this.options.global)
      throw new UnimplementedError('global: global explanations are not available in this explainer');
    return this.options.global;
  }

  /** Runs the job's work, publishing its progress; answers its result. */
  private async work(job: Job): Promise<JobResult> {
    const publish = (progress: JobProgressNow) => {
      if (isFinal(job.state)) return;
      job.progress = progress;
      this.notify(job);
    };
    if (job.work.kind === 'global') {
      const outcome = await this.globalExplainer().explain(job.work.input, {
        cancellation: job.cancellation,
        ...(job.work.traceHeaders ? { traceHeaders: job.work.traceHeaders } : {}),
        onProgress: (progress) =>
          publish({ ...progress, snapshot: () => ({ kind: 'global', outcome: progress.snapshot() }) }),
      });
      return { kind: 'global', outcome };
    }
    const outcome = await this.options.plane.explain(job.work.input, {
      deadlineMs: undefined,
      cancellation: job.cancellation,
      job: true,
      onProgress: (progress) =>
        publish({ ...progress, snapshot: () => ({ kind: 'local', outcome: progress.snapshot() }) }),
    });
    return { kind: 'local', outcome };
  }

  private async run(job: Job): Promise<void> {
    job.state = 'running';
    job.startMs = this.now();
    this.notify(job);
    try {
      const result = await this.work(job);
      // Cancelled meanwhile: the job already answered CANCELLED with its result so far.
      if (isFinal(job.state)) return;
      job.result = result;
      this.finish(job, result.outcome.usage.complete ? 'succeeded' : 'partial');
    } catch (error) {
      if (isFinal(job.state)) return;
      if (job.cancellation.cancelReason) {
        job.result = job.progress?.snapshot();
        this.finish(job, 'cancelled');
        return;
      }
      if (!isSightlineError(error) || error.code === 'INTERNAL')
        this.options.onError?.(`job ${job.id} failed`, error);
      job.error = isSightlineError(error)
        ? { code: statusNumber(error.code), message: error.message }
        : { code: statusNumber('INTERNAL'), message: error instanceof Error ? error.message : String(error) };
      job.result = job.progress?.snapshot();
      this.finish(job, 'failed');
    }
  }

  private finish(job: Job, state: JobState): void {
    job.state = state;
    job.endMs = this.now();
    this.notify(job);
  }

  private notify(job: Job): void {
    for (const watcher of [...job.watchers]) watcher(this.view(job, false));
  }

  /** Drops jobs that ended more than the TTL ago, and the oldest ended ones past {@link MAX_HELD_JOBS}. */
  private purge(): void {
    const cutoff = this.now() - this.options.ttlMs;
    let excess = this.jobs.size - MAX_HELD_JOBS + 1;
    // Map order is submission order, so the first ended jobs met are the oldest.
    for (const [id, job] of this.jobs) {
      if (job.endMs === undefined) continue;
      if (job.endMs < cutoff || excess > 0) {
        excess -= 1;
        this.jobs.delete(id);
        if (job.idempotencyKey && this.byKey.get(job.idempotencyKey) === id)
          this.byKey.delete(job.idempotencyKey);
      }
    }
  }

  private view(job: Job, withResult: boolean): JobView {
    const progress = job.progress;
    const total =
      progress?.rows ?? (job.work.kind === 'local' ? (job.work.input.instances[0]?.shape[0] ?? 0) : 0);
    const fraction =
      isFinal(job.state) && job.state !== 'cancelled' && job.state !== 'failed'
        ? 1
        : (progress?.fraction ?? 0);
    const elapsed = job.startMs === undefined ? 0 : this.now() - job.startMs;
    const remainingMs =
      progress && progress.rowsDone > 0 && !isFinal(job.state)
        ? Math.round((elapsed / progress.fraction) * (1 - progress.fraction))
        : undefined;
    const result = withResult
      ? (job.result ?? (job.state === 'running' ? progress?.snapshot() : undefined))
      : undefined;
    return {
      id: job.id,
      state: job.state,
      progress: {
        fraction,
        done:
          isFinal(job.state) && job.result?.kind === 'local'
            ? job.result.outcome.rows.filter((r) => r.complete).length
            : isFinal(job.state) && job.result?.kind === 'global' && job.result.outcome.usage.complete
              ? total
              : (progress?.rowsDone ?? 0),
        total,
        unit: UNITS[job.work.kind],
        usage: job.result?.outcome.usage ?? progress?.usage,
        remainingMs,
      },
      createMs: job.createMs,
      startMs: job.startMs,
      endMs: job.endMs,
      error: job.error,
      result: result?.kind === 'local' ? result.outcome : undefined,
      globalResult: result?.kind === 'global' ? result.outcome : undefined,
      idempotencyKey: job.idempotencyKey,
    };
  }
}
