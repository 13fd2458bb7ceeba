import { Agent, request } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { HTTP } from 'cloudevents';
import { type EventSink, SinkWriteError } from '../event-sink.js';
import type { InferenceEvent } from '../inference-event.js';
import { toCloudEvent } from './cloud-event-mapping.js';

/** Default sink name. */
export const CLOUD_EVENTS_SINK_NAME = 'cloudevents';
/** Default requests in flight per sink: 16. */
export const DEFAULT_CLOUD_EVENTS_MAX_CONCURRENT_REQUESTS = 16;
/** Default time limit of one POST, in ms: 10 s. */
export const DEFAULT_CLOUD_EVENTS_REQUEST_TIMEOUT_MS = 10_000;

/** Options of {@link CloudEventsSink}. */
export interface CloudEventsSinkOptions {
  /** Where to POST: a Knative Broker ingress URL, or any CloudEvents HTTP receiver. */
  readonly url: string;
  /** `binary` (ce-* headers, data as the body; the default, what Knative prefers) or `structured` (one JSON envelope). */
  readonly mode?: 'binary' | 'structured';
  /** Requests in flight at once. Default 16. */
  readonly maxConcurrentRequests?: number;
  /** Time limit of one POST, in ms; a timeout is retried. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** The sink's name (counter label, spill directory). Default `cloudevents`. */
  readonly name?: string;
}

/** The outcome of one POST. */
type Outcome = 'ok' | 'retry' | 'reject';

/**
 * Sends each event as a CloudEvents 1.0 HTTP request (one event per request: Knative
 * brokers take no batches). 2xx is success; network errors, timeouts, 408, 429 and 5xx
 * are retried (through the pipeline's spill); other 4xx mean the receiver refuses the
 * event for good. Receivers deduplicate on `id` (the event id).
 */
export class CloudEventsSink implements EventSink {
  readonly name: string;
  private readonly url: URL;
  private readonly mode: 'binary' | 'structured';
  private readonly maxConcurrent: number;
  private readonly timeoutMs: number;
  private readonly agent: Agent;

  constructor(options: CloudEventsSinkOptions) {
    this.url = new URL(options.url);
    this.name = options.name ?? CLOUD_EVENTS_SINK_NAME;
    this.mode = options.mode ?? 'binary';
    this.maxConcurrent = options.maxConcurrentRequests ?? DEFAULT_CLOUD_EVENTS_MAX_CONCURRENT_REQUESTS;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_CLOUD_EVENTS_REQUEST_TIMEOUT_MS;
    const agentOptions = { keepAlive: true, maxSockets: this.maxConcurrent };
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent(agentOptions) : new Agent(agentOptions);
  }

  async write(events: readonly InferenceEvent[]): Promise<void> {
    const outcomes = new Array<Outcome>(events.length);
    let lastError = '';
    let next = 0;
    const worker = async () => {
      while (next < events.length) {
        const i = next++;
        try {
          outcomes[i] = await this.send(events[i]!);
        } catch (error) {
          lastError = error instanceof Error ? error.message : String(error);
          outcomes[i] = 'retry';
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxConcurrent, events.length) }, worker));
    const retryable = events.filter((_, i) => outcomes[i] === 'retry');
    const rejected = events.filter((_, i) => outcomes[i] === 'reject');
    if (retryable.length > 0 || rejected.length > 0) {
      throw new SinkWriteError(
        `CloudEvents sink ${this.url.origin}: ${retryable.length} events to retry, ${rejected.length} refused${lastError ? ` (${lastError})` : ''}`,
        retryable,
        rejected,
      );
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private send(event: InferenceEvent): Promise<Outcome> {
    const ce = toCloudEvent(event);
    const message = this.mode === 'binary' ? HTTP.binary(ce) : HTTP.structured(ce);
    const body = typeof message.body === 'string' ? message.body : JSON.stringify(message.body);
    const send = this.url.protocol === 'https:' ? httpsRequest : request;
    return new Promise<Outcome>((resolve, reject) => {
      const req = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: { ...message.headers, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve('ok');
            else if (status === 408 || status === 429 || status >= 500) resolve('retry');
            else resolve('reject');
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
