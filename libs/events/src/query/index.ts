/** Reading stored events back: queries, tails, and the readers of each store. */
export {
  ElasticsearchEventReader,
  type ElasticsearchEventReaderOptions,
} from './elasticsearch-event-reader.js';
export { EventHistory, type EventHistoryOptions, type TailItem } from './event-history.js';
export * from './event-history-limits.js';
export {
  comparatorOf,
  compareOldestFirst,
  type EventFilter,
  type EventOrder,
  type EventQuery,
  matchesEventFilter,
} from './event-query.js';
export { DEFAULT_SCAN_BATCH_EVENTS, type EventReader, type EventScan } from './event-reader.js';
export {
  type EventQueryRequest,
  type EventTail,
  type EventTailRequest,
  resolveEventQuery,
  resolveEventTail,
} from './event-request-rules.js';
export { FileStoreEventReader, type FileStoreEventReaderOptions } from './file-store-event-reader.js';
export { FeedingSink, StoredEventFeed, type StoredEventListener } from './stored-event-feed.js';
export {
  openStoredEventsReader,
  type StoredEventsReader,
  type StoredEventsReaderOptions,
} from './stored-events-reader.js';
