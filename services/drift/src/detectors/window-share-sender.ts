/**
 * Delivers a replica's window shares to the merging replica's MergeWindowShare, each with
 * retries and a doubling backoff up to a bound; a share that cannot be delivered (the merger
 * down longer than the retries last, or too many shares waiting) is dropped and counted, so a
 * dead merger never holds this replica's memory.
 */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { driftV1 } from '@sightline/contracts';
import type { WindowShare } from '@sightline/detect';
import type { Logger } from '@sightline/service-kit';
import { windowShareToMessage } from '../contract/drift-messages.js';

/** First wait before a retry, in ms; each further wait doubles. */
export const SHARE_RETRY_BASE_MS = 200;
/** Deadline of one MergeWindowShare call, in ms. */
export const SHARE_CALL_DEADLINE_MS = 5_000;
/** Most shares waiting for delivery at once; a further one is dropped and counted. */
export const MAX_PENDING_SHARES = 1_000;
/**
 * gRPC codes worth a retry: the merger down, slow or full (UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED). Any other answer refuses the share itself and will not change.
 */
export const RETRIED_SHARE_CODES: ReadonlySet<number> = new Set([14, 4, 8]);
/** Distinct drop reasons logged (each once); past them drops are only counted. */
export const MAX_LOGGED_DROP_REASONS = 100;

/** Options of {@link WindowShareSender}. */
export interface WindowShareSenderOptions {
  /** The merger's gRPC address, HOST:PORT (--merge-into). */
  readonly address: string;
  /** Tries per share (--merge-retries). */
  readonly retries: number;
  readonly logger: Logger;
  /** Called for each share dropped undelivered. */
  readonly onDropped: (share: WindowShare, reason: string) => void;
  /** Waits (tests pass a fast one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Sends window shares to the merger. */
export class WindowShareSender {
  private readonly client: driftV1.DriftServiceClient;
  private readonly pending = new Set<Promise<void>>();
  private readonly sleep: (ms: number) => Promise<void>;
  private closed = false;
  /** Drop reasons already logged. */
  private readonly logged = new Set<string>();

  constructor(private readonly options: WindowShareSenderOptions) {
    this.client = new driftV1.DriftServiceClient(options.address, credentials.createInsecure());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()));
  }

  /** Starts delivering `share` (never throws; the outcome is logged or counted). */
  send(share: WindowShare): void {
    if (this.closed || this.pending.size >= MAX_PENDING_SHARES) {
      this.options.onDropped(share, this.closed ? 'stopping' : 'too many pending');
      return;
    }
    const delivery = this.deliver(share).finally(() => this.pending.delete(delivery));
    this.pending.add(delivery);
  }

  /** Resolves once every share started so far is delivered or dropped. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  /** Stops: the shares in flight finish their current try, no new ones start. */
  close(): void {
    this.closed = true;
    this.client.close();
  }

  private async deliver(share: WindowShare): Promise<void> {
    const request = windowShareToMessage(share);
    let lastError = '';
    for (let attempt = 0; attempt < this.options.retries && !this.closed; attempt++) {
      if (attempt > 0) await this.sleep(SHARE_RETRY_BASE_MS * 2 ** (attempt - 1));
      try {
        const outcome = await this.call(request);
        if (outcome !== 'merged') {
          this.options.logger.info(
            { detector: share.detector, outcome },
            `window share ${outcome} at the merger`,
          );
        }
        return;
      } catch (error) {
        lastError = (error as Error).message;
        // A refusal of the share itself (wrong version, unknown detector...) will not change on a retry.
        const code = (error as Partial<ServiceError>).code;
        if (code === undefined || !RETRIED_SHARE_CODES.has(code)) break;
      }
    }
    if (!this.logged.has(lastError) && this.logged.size < MAX_LOGGED_DROP_REASONS) {
      this.logged.add(lastError);
      this.options.logger.warn(
        { detector: share.detector, merger: this.options.address, error: lastError },
        'window share dropped undelivered (further drops for this reason are only counted)',
      );
    }
    this.options.onDropped(share, lastError);
  }

  private call(request: driftV1.MergeWindowShareRequest): Promise<string> {
    return new Promise((resolve, reject) => {
      this.client.mergeWindowShare(
        request,
        new Metadata(),
        { deadline: Date.now() + SHARE_CALL_DEADLINE_MS },
        (error: ServiceError | null, response?: driftV1.MergeWindowShareResponse) =>
          error ? reject(error) : resolve(response?.outcome ?? ''),
      );
    });
  }
}
