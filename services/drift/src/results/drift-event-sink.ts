/**
 * Sends each DriftEvent as a CloudEvent 1.0 (binary mode, type `io.sightline.drift`) to a
 * URL, typically a Knative Broker, so drift can alert through eventing as well as through
 * Prometheus. Off the window's path: events wait in a bounded queue (full: dropped and
 * counted), are sent one at a time with a timeout, and a failed send is retried with
 * backoff a few times before it is dropped and counted. The results log, not this sink, is
 * the durable record.
 */
import { fullJitterBackoffMs } from '@sightline/errors';
import type { DriftEventRecord } from './drift-event.js';

/** The CloudEvents type of a DriftEvent. */
export const DRIFT_CLOUD_EVENT_TYPE = 'io.sightline.drift';
/** Tries of one event before it is dropped. */
export const DRIFT_EVENT_SINK_ATTEMPTS = 4;
/** First retry's backoff ceiling, in ms (doubling each try). */
export const DRIFT_EVENT_SINK_BACKOFF_MS = 200;

/** Options of {@link DriftEventSink}. */
export interface DriftEventSinkOptions {
  readonly url: string;
  readonly source: string;
  readonly timeoutMs: number;
  readonly queueCapacity: number;
  readonly onDropped: (reason: 'queue_full' | 'failed', error?: unknown) => void;
  /** The HTTP client (tests pass none: the global fetch). */
  readonly fetch?: typeof fetch;
}

/** A bounded, sequential CloudEvents sender of DriftEvents. */
export class DriftEventSink {
  private readonly queue: DriftEventRecord[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: DriftEventSinkOptions) {}

  /** Queues `record` for sending; never throws, never waits. */
  send(record: DriftEventRecord): void {
    if (this.closed || this.queue.length >= this.options.queueCapacity) {
      this.options.onDropped('queue_full');
      return;
    }
    this.queue.push(record);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  /** Sends what is queued (each send bounded by its timeout and tries), then refuses more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
  }

  private async run(): Promise<void> {
    for (let record = this.queue.shift(); record; record = this.queue.shift()) {
      await this.deliver(record);
    }
  }

  private async deliver(record: DriftEventRecord): Promise<void> {
    const doFetch = this.options.fetch ?? fetch;
    let lastError: unknown;
    for (let attempt = 0; attempt < DRIFT_EVENT_SINK_ATTEMPTS; attempt++) {
      if (attempt > 0) {
        const delay = fullJitterBackoffMs(attempt - 1, {
          initialMs: DRIFT_EVENT_SINK_BACKOFF_MS,
          maxMs: 5_000,
        });
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      try {
        const response = await doFetch(this.options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'ce-specversion': '1.0',
            'ce-id': record.eventId,
            'ce-type': DRIFT_CLOUD_EVENT_TYPE,
            'ce-source': this.options.source,
            'ce-subject': record.detector,
            'ce-time': new Date(record.timeUnixMs).toISOString(),
            'ce-detector': record.detector,
            'ce-drift': String(record.verdict.isDrift),
          },
          body: JSON.stringify(record),
          signal: AbortSignal.timeout(this.options.timeoutMs),
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
