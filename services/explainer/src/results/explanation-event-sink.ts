/**
 * ExplanationEvents as CloudEvents (type `io.sightline.explanation`, subject the explained
 * request id) to --events-sink, through libs/events' bounded RecordCloudEventSink: sent
 * after the answer, off its path; a full queue or a failed send drops and counts the event.
 */
import { randomUUID } from 'node:crypto';
import { EXPLANATION_CLOUD_EVENT_TYPE, RecordCloudEventSink } from '@sightline/events';
import { explanationEventJson, explanationEventMessages } from '../contract/explanation-event.js';
import type { ExplainOutcome } from '../data-plane/explain-types.js';
import type { ExplanationEventSink, ExplanationLink } from '../data-plane/explainer-data-plane.js';

/** An ExplanationEvent in the proto3 JSON mapping: the CloudEvent's data, as sent. */
interface EventRecord {
  readonly eventId: string;
  readonly requestId?: string;
  readonly modelName?: string;
  readonly traceId?: string;
  readonly time?: string;
}

export interface CloudExplanationSinkOptions {
  readonly url: string;
  readonly timeoutMs: number;
  readonly queueCapacity: number;
  readonly onDropped: (reason: 'queue_full' | 'failed', error?: unknown) => void;
}

/** The --events-sink sender. */
export class CloudExplanationSink implements ExplanationEventSink {
  private readonly sink: RecordCloudEventSink<EventRecord>;

  constructor(options: CloudExplanationSinkOptions) {
    this.sink = new RecordCloudEventSink<EventRecord>({
      url: options.url,
      type: EXPLANATION_CLOUD_EVENT_TYPE,
      source: 'sightline/explainer',
      timeoutMs: options.timeoutMs,
      queueCapacity: options.queueCapacity,
      attributes: (record) => ({
        id: record.eventId,
        subject: record.requestId ?? '',
        timeUnixMs: record.time ? Date.parse(record.time) : Date.now(),
        extensions: {
          requestid: record.requestId ?? '',
          modelname: record.modelName ?? '',
          ...(record.traceId ? { traceid: record.traceId } : {}),
        },
      }),
      onDropped: options.onDropped,
    });
  }

  emit(outcome: ExplainOutcome, link: ExplanationLink): string[] {
    return explanationEventMessages(outcome, link, randomUUID).map((event) => {
      this.sink.send(explanationEventJson(event) as EventRecord);
      return event.eventId;
    });
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}
