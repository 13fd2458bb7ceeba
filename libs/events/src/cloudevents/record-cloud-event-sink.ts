/**
 * Sends each result record of a service (a DriftEvent, an OutlierEvent) as a CloudEvent 1.0
 * (binary mode, the record as JSON data) to a URL, typically a Knative Broker, so the
 * service can alert through eventing as well as through Prometheus. Off the scoring path:
 * records wait in a bounded queue (full: dropped and counted), are sent one at a time with a
 * timeout, and a failed send is retried with backoff a few times before it is dropped and
 * counted. The service's results log, not this sink, is the durable record.
 */
import { fullJitterBackoffMs } from '@sightline/errors';

/** Tries of one record before it is dropped. */
export const RECORD_SINK_ATTEMPTS = 4;
/** First retry's backoff ceiling, in ms (doubling each try). */
export const RECORD_SINK_BACKOFF_MS = 200;
/** Longest backoff between two tries, in ms. */
export const RECORD_SINK_MAX_BACKOFF_MS = 5_000;

/** How a record becomes a CloudEvent's attributes. */
export interface RecordCloudEventAttributes {
  /** The CloudEvent id (the record's unique id). */
  readonly id: string;
  readonly subject: string;
  /** When the record was made, in ms since the epoch. */
  readonly timeUnixMs: number;
  /** Extension attributes, by name (lower-case a-z0-9), sent as `ce-<name>` headers. */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** Options of {@link RecordCloudEventSink}. */
export interface RecordCloudEventSinkOptions<TRecord> {
  readonly url: string;
  /** The CloudEvent type, e.g. `io.sightline.drift`. */
  readonly type: string;
  readonly source: string;
  readonly timeoutMs: number;
  readonly queueCapacity: number;
  /** The attributes of one record. */
  readonly attributes: (record: TRecord) => RecordCloudEventAttributes;
  readonly onDropped: (reason: 'queue_full' | 'failed', error?: unknown) => void;
  /** The HTTP client (tests pass one; default: the global fetch). */
  readonly fetch?: typeof fetch;
}

/** A bounded, sequential CloudEvents sender of result records. */
export class RecordCloudEventSink<TRecord> {
  private readonly queue: TRecord[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  /** Aborted when close's time is up: the send in flight and every backoff end at once. */
  private readonly abandon = new AbortController();

  constructor(private readonly options: RecordCloudEventSinkOptions<TRecord>) {}

  /** Queues `record` for sending; never throws, never waits. */
  send(record: TRecord): void {
    if (this.closed || this.queue.length >= this.options.queueCapacity) {
      this.options.onDropped('queue_full');
      return;
    }
    this.queue.push(record);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  /**
   * Refuses more and sends what is queued, each send bounded by its timeout and tries. With
   * `timeoutMs`, what is not sent by then (a dead or slow receiver) is dropped and counted as
   * failed, so a stop waits at most that long instead of every queued record's tries.
   */
  async close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.closed = true;
    if (this.running === undefined) return;
    if (options.timeoutMs === undefined) {
      await this.running;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, options.timeoutMs);
    });
    await Promise.race([this.running, timeUp]);
    clearTimeout(timer);
    this.abandon.abort(new Error(`not sent before the sink closed (${options.timeoutMs} ms)`));
    await this.running;
  }

  private async run(): Promise<void> {
    for (let record = this.queue.shift(); record !== undefined; record = this.queue.shift()) {
      if (this.abandon.signal.aborted) this.options.onDropped('failed', this.abandon.signal.reason);
      else await this.deliver(record);
    }
  }

  private async deliver(record: TRecord): Promise<void> {
    const doFetch = this.options.fetch ?? fetch;
    const attributes = this.options.attributes(record);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': attributes.id,
      'ce-type': this.options.type,
      'ce-source': this.options.source,
      'ce-subject': attributes.subject,
      'ce-time': new Date(attributes.timeUnixMs).toISOString(),
    };
    for (const [name, value] of Object.entries(attributes.extensions ?? {})) headers[`ce-${name}`] = value;
    const body = JSON.stringify(record);
    let lastError: unknown;
    for (let attempt = 0; attempt < RECORD_SINK_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        const delay = fullJitterBackoffMs(attempt - 1, {
          initialMs: RECORD_SINK_BACKOFF_MS,
          maxMs: RECORD_SINK_MAX_BACKOFF_MS,
        });
        await abortableDelay(delay, this.abandon.signal);
      }
      if (this.abandon.signal.aborted) {
        lastError = this.abandon.signal.reason;
        break;
      }
      try {
        const response = await doFetch(this.options.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.abandon.signal]),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        lastError = new Error(`HTTP ${response.status} from ${this.options.url}`);
        // A 4xx other than 408/429 will not get better by retrying.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) break;
      } catch (error) {
        lastError = error;
      }
    }
    this.options.onDropped('failed', lastError);
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
