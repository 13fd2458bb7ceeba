/**
 * Retries a store write while the store is UNAVAILABLE (PostgreSQL down or restarting, a disk
 * error). The event queue already answered 202 for the events being written and remembers
 * their ids, so a sender's redelivery would be dropped as a duplicate: the events must wait
 * here, not be dropped. While they wait the queue fills and POST /events answers 429, which is
 * the backpressure a sender understands. On stop the waiting ends: the write is tried once
 * more (a graceful stop with a healthy store loses nothing), and once that fails the batches
 * still queued fail at once instead of each waiting out a connection timeout.
 */
import { fullJitterBackoffMs, isSightlineError } from '@sightline/errors';

/** First retry's backoff ceiling, in ms (doubling each try). */
export const STORE_RETRY_INITIAL_MS = 100;
/** Longest backoff between two tries of one write, in ms. */
export const STORE_RETRY_MAX_MS = 5_000;

const isUnavailable = (error: unknown) => isSightlineError(error) && error.code === 'UNAVAILABLE';

/** One per service: the retries of every write, ended together on stop. */
export class StoreOutageRetry {
  #stopping = false;
  #downWhileStopping: unknown;
  readonly #wake = new Set<() => void>();

  constructor(
    private readonly options: {
      /** Told of each failed try before its backoff (a log line). */
      readonly onRetry?: (error: unknown, attempt: number) => void;
      readonly random?: () => number;
    } = {},
  ) {}

  /** Runs `work`, trying again after a backoff while it fails UNAVAILABLE and the service runs. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#downWhileStopping !== undefined) throw this.#downWhileStopping;
      try {
        return await work();
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        if (this.#stopping) {
          this.#downWhileStopping = error;
          throw error;
        }
        this.options.onRetry?.(error, attempt);
        await this.#sleep(
          fullJitterBackoffMs(
            attempt,
            { initialMs: STORE_RETRY_INITIAL_MS, maxMs: STORE_RETRY_MAX_MS },
            this.options.random,
          ),
        );
      }
    }
  }

  /** Ends the waiting: each write is tried once more, and none after one fails UNAVAILABLE. */
  stop(): void {
    this.#stopping = true;
    for (const wake of this.#wake) wake();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake.add(done);
    });
  }
}
