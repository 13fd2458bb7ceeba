import type { Client } from '@elastic/elasticsearch';
import { eventToJson } from '../event-codec.js';
import { type EventSink, SinkWriteError } from '../event-sink.js';
import type { InferenceEvent } from '../inference-event.js';
import {
  DEFAULT_DATA_STREAM,
  DEFAULT_ILM_POLICY,
  ilmPolicy,
  indexTemplate,
} from './elasticsearch-resources.js';

/** Default sink name. */
export const ELASTICSEARCH_SINK_NAME = 'elasticsearch';

/** Options of {@link ElasticsearchSink}. */
export interface ElasticsearchSinkOptions {
  /** A client built by the service (node URL, auth, TLS, `maxRetries`, `requestTimeout`). */
  readonly client: Client;
  /** The data stream to write. Default `sightline-events`. */
  readonly dataStream?: string;
  /** The ILM policy to create and attach. Default `sightline-events`. */
  readonly ilmPolicy?: string;
  /** Install the ILM policy and index template before the first write. Default true. */
  readonly installResources?: boolean;
  /** The sink's name (counter label, spill directory). Default `elasticsearch`. */
  readonly name?: string;
}

/**
 * Writes events to an Elasticsearch data stream with `_bulk` `create` operations whose
 * `_id` is the event id, so a retried event answers 409 and is not stored twice (409 is
 * success here). Per item, 429 and 5xx are retried (returned to the pipeline, which
 * spills and backs off), other failures are refused for good. A request that fails as a
 * whole (cluster down; the client's own retries spent) retries the whole batch.
 * Before the first write the sink installs its ILM policy and index template (PUT is
 * idempotent); if that fails, the write fails and is retried.
 */
export class ElasticsearchSink implements EventSink {
  readonly name: string;
  readonly dataStream: string;
  private readonly policy: string;
  private readonly client: Client;
  private installed: boolean;

  constructor(options: ElasticsearchSinkOptions) {
    this.client = options.client;
    this.name = options.name ?? ELASTICSEARCH_SINK_NAME;
    this.dataStream = options.dataStream ?? DEFAULT_DATA_STREAM;
    this.policy = options.ilmPolicy ?? DEFAULT_ILM_POLICY;
    this.installed = options.installResources === false;
  }

  /** Installs the ILM policy and the index template (idempotent: PUT replaces). */
  async installResources(): Promise<void> {
    await this.client.ilm.putLifecycle({ name: this.policy, ...ilmPolicy() });
    await this.client.indices.putIndexTemplate({
      name: this.dataStream,
      ...indexTemplate(this.dataStream, this.policy),
    });
    this.installed = true;
  }

  async write(events: readonly InferenceEvent[]): Promise<void> {
    if (!this.installed) await this.installResources();
    const operations: unknown[] = [];
    for (const event of events) {
      operations.push({ create: { _index: this.dataStream, _id: event.eventId } });
      operations.push({ '@timestamp': new Date(event.timeUnixMs).toISOString(), ...eventToJson(event) });
    }
    const response = await this.client.bulk({ operations });
    if (!response.errors) return;
    const retryable: InferenceEvent[] = [];
    const rejected: InferenceEvent[] = [];
    let firstReason = '';
    response.items.forEach((item, i) => {
      const result = item.create;
      const status = result?.status ?? 0;
      if ((status >= 200 && status < 300) || status === 409) return;
      firstReason ||= `${status} ${result?.error?.type ?? ''}: ${result?.error?.reason ?? ''}`;
      if (status === 429 || status >= 500) retryable.push(events[i]!);
      else rejected.push(events[i]!);
    });
    if (retryable.length > 0 || rejected.length > 0) {
      throw new SinkWriteError(
        `Elasticsearch bulk into "${this.dataStream}": ${retryable.length} to retry, ${rejected.length} refused (first: ${firstReason})`,
        retryable,
        rejected,
      );
    }
  }

  /** The client belongs to the service; closing it is the service's job. */
  async close(): Promise<void> {}
}
