/** What a caller may set on one call, for every sub-client. */
import type { RetryOptions } from './options.js';

/** Per-call settings; each wins over the client's own for this call. */
export interface CallOptions {
  /**
   * The call's whole time budget in ms, retries included; the client's `deadlineMs` when
   * unset; `Infinity` sends none. The remaining budget travels to the server as its deadline
   * (`grpc-timeout`).
   */
  readonly deadlineMs?: number;
  /** Cancels the call (and any retry wait); the call then rejects with a CancelledError. */
  readonly signal?: AbortSignal;
  /**
   * Extra metadata, e.g. headers a switch graph routes on (`x-iris-runtime: tfjs`). Names
   * are lower-cased; gRPC's own (`grpc-*`, `content-type`, ...) are refused.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Retry settings for this call, or `false` for none. Only idempotent calls are ever retried. */
  readonly retry?: RetryOptions | false;
}
