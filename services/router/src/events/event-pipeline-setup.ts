/**
 * Builds the router's event pipeline from its settings: the file store under the data
 * directory by default, plus one CloudEvents sink per URL and an Elasticsearch sink when set;
 * and the event history EventService reads, over the store the router writes.
 */
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import {
  CloudEventsSink,
  ElasticsearchEventReader,
  ElasticsearchSink,
  EventHistory,
  type EventHistoryLimits,
  type EventHistorySettingNames,
  type EventLogger,
  EventPipeline,
  type EventReader,
  type EventSink,
  FeedingSink,
  FileEventStore,
  FileStoreEventReader,
  FileStoreSink,
  type PipelineMetricsRecorder,
  StoredEventFeed,
} from '@sightline/events';
import type { Logger } from '@sightline/service-kit';
import { cloudEventsSinkName } from './cloud-events-sink-name.js';

/** Which sinks to build, and the bounds of reading them back. */
export interface EventSinkSettings {
  readonly dataDir: string;
  readonly fileStore: boolean;
  /**
   * CloudEvents receivers; each is its own sink (queue, spill, retries, counters under
   * {@link cloudEventsSinkName}), so a slow or down one holds back no other.
   */
  readonly cloudEventsUrls: readonly string[];
  readonly elasticsearchUrl?: string;
  readonly queueCapacity: number;
  /** Longest wait of a partial batch before it is written, ms. */
  readonly batchLingerMs: number;
  /** Bounds of EventService's reads. */
  readonly historyLimits: EventHistoryLimits;
  /** The flags behind those bounds, named in refusals. */
  readonly historySettingNames: EventHistorySettingNames;
}

/** The started pipeline and, when the router stores events, their history. */
export interface RouterEvents {
  readonly pipeline: EventPipeline;
  /** Absent when no sink stores events (only CloudEvents, or no sink). */
  readonly history: EventHistory | undefined;
}

/** The pino logger as the pipeline's logger. */
export function eventLogger(logger: Logger): EventLogger {
  return {
    warn: (message, fields) => logger.warn({ ...fields }, message),
    error: (message, fields) => logger.error({ ...fields }, message),
  };
}

/**
 * Opens the sinks and starts the pipeline (replaying what an earlier run spilled). The
 * history reads Elasticsearch when the router indexes events there (the production
 * history, shared by replicas), else the file store. Its sink is wrapped to publish what
 * it stored on a feed, so tails follow new events without polling: the feed runs in the
 * sink's delivery loop, off every request's path, and costs nothing while no tail listens.
 */
export async function startEventPipeline(
  settings: EventSinkSettings,
  logger: Logger,
  metrics: PipelineMetricsRecorder,
): Promise<RouterEvents> {
  const log = eventLogger(logger);
  const feed = new StoredEventFeed();
  const sinks: EventSink[] = [];
  let reader: EventReader | undefined;
  const feeding = (sink: EventSink, read: EventReader): EventSink => {
    reader = read;
    return new FeedingSink(sink, feed);
  };
  const elasticsearch = settings.elasticsearchUrl
    ? new Client({ node: settings.elasticsearchUrl })
    : undefined;
  if (settings.fileStore) {
    const directory = path.join(settings.dataDir, 'events');
    const store = await FileEventStore.open({ directory, logger: log });
    const sink = new FileStoreSink(store);
    sinks.push(
      elasticsearch
        ? sink
        : feeding(
            sink,
            new FileStoreEventReader(store, directory, {
              maxEventsScanned: settings.historyLimits.maxEventsScannedPerQuery,
              ...(settings.historySettingNames.maxEventsScannedPerQuery !== undefined && {
                maxEventsScannedSetting: settings.historySettingNames.maxEventsScannedPerQuery,
              }),
            }),
          ),
    );
  }
  for (const url of settings.cloudEventsUrls) {
    const name = cloudEventsSinkName(url, settings.cloudEventsUrls.length);
    sinks.push(new CloudEventsSink({ url, name }));
    // The sink's name is its metric label and spill directory; this line says which URL it
    // is (origin and path only: a URL's credentials stay out of the log).
    const { origin, pathname } = new URL(url);
    logger.info({ sink: name, url: `${origin}${pathname}` }, 'event pipeline: CloudEvents sink');
  }
  if (elasticsearch) {
    sinks.push(
      feeding(
        new ElasticsearchSink({ client: elasticsearch }),
        new ElasticsearchEventReader({ client: elasticsearch }),
      ),
    );
  }
  const pipeline = await EventPipeline.start({
    sinks,
    spillDirectory: path.join(settings.dataDir, 'spill'),
    logger: log,
    metrics,
    queueCapacity: settings.queueCapacity,
    batchLingerMs: settings.batchLingerMs,
  });
  const history = reader
    ? new EventHistory({
        reader,
        feed,
        limits: settings.historyLimits,
        settingNames: settings.historySettingNames,
      })
    : undefined;
  return { pipeline, history };
}
