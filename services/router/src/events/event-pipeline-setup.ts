/**
 * Builds the router's event pipeline from its settings: the file store under the data
 * directory by default, plus CloudEvents and Elasticsearch sinks when their URLs are set.
 */
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import {
  CloudEventsSink,
  ElasticsearchSink,
  type EventLogger,
  EventPipeline,
  type EventSink,
  FileEventStore,
  FileStoreSink,
  type PipelineMetricsRecorder,
} from '@sightline/events';
import type { Logger } from '@sightline/service-kit';

/** Which sinks to build. */
export interface EventSinkSettings {
  readonly dataDir: string;
  readonly fileStore: boolean;
  readonly cloudEventsUrl?: string;
  readonly elasticsearchUrl?: string;
  readonly queueCapacity: number;
  /** Longest wait of a partial batch before it is written, ms. */
  readonly batchLingerMs: number;
}

/** The pino logger as the pipeline's logger. */
export function eventLogger(logger: Logger): EventLogger {
  return {
    warn: (message, fields) => logger.warn({ ...fields }, message),
    error: (message, fields) => logger.error({ ...fields }, message),
  };
}

/** Opens the sinks and starts the pipeline (replaying what an earlier run spilled). */
export async function startEventPipeline(
  settings: EventSinkSettings,
  logger: Logger,
  metrics: PipelineMetricsRecorder,
): Promise<EventPipeline> {
  const log = eventLogger(logger);
  const sinks: EventSink[] = [];
  if (settings.fileStore) {
    sinks.push(
      new FileStoreSink(
        await FileEventStore.open({ directory: path.join(settings.dataDir, 'events'), logger: log }),
      ),
    );
  }
  if (settings.cloudEventsUrl) sinks.push(new CloudEventsSink({ url: settings.cloudEventsUrl }));
  if (settings.elasticsearchUrl) {
    sinks.push(new ElasticsearchSink({ client: new Client({ node: settings.elasticsearchUrl }) }));
  }
  return EventPipeline.start({
    sinks,
    spillDirectory: path.join(settings.dataDir, 'spill'),
    logger: log,
    metrics,
    queueCapacity: settings.queueCapacity,
    batchLingerMs: settings.batchLingerMs,
  });
}
