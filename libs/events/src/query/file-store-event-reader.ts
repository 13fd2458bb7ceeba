import { type Cancellation, NEVER_CANCELLED, ResourceExhaustedError } from '@sightline/errors';
import type { FileEventStore } from '../file-store/file-event-store.js';
import type { SegmentView } from '../file-store/segment-listing.js';
import type { InferenceEvent } from '../inference-event.js';
import { DEFAULT_MAX_EVENTS_SCANNED_PER_QUERY } from './event-history-limits.js';
import { EventIdSet } from './event-id-set.js';
import { comparatorOf, type EventQuery, matchesEventFilter } from './event-query.js';
import { DEFAULT_SCAN_BATCH_EVENTS, type EventReader, type EventScan } from './event-reader.js';
import { TopEvents } from './top-events.js';

/** Options of {@link FileStoreEventReader}. */
export interface FileStoreEventReaderOptions {
  /** Most stored events one query reads before it is refused. Default 1,000,000. */
  readonly maxEventsScanned?: number;
  /** The setting behind `maxEventsScanned`, named in the refusal (e.g. a flag). */
  readonly maxEventsScannedSetting?: string;
}

const ascending = (a: number, b: number) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The query planner of the file store. Segments carry their time span and a Bloom filter
 * of their request ids (sealed ones in their index; the live one in the writer's memory),
 * so a query opens only the segments whose span overlaps its range and, with a request id,
 * whose filter may hold it. It reads them in the order that finds the answer first (by
 * oldest event for oldest-first, by newest event for newest-first) and stops as soon as no
 * segment left can hold an event that sorts before the `limit`-th found so far. Events in a
 * segment are not sorted (the pipeline replays old events after new ones), so every event
 * of an opened segment is looked at; memory stays within twice `limit` events.
 */
export class FileStoreEventReader implements EventReader {
  readonly description: string;
  private readonly maxEventsScanned: number;
  private readonly setting: string;

  constructor(
    private readonly store: FileEventStore,
    directory: string,
    options: FileStoreEventReaderOptions = {},
  ) {
    this.description = `file store ${directory}`;
    this.maxEventsScanned = options.maxEventsScanned ?? DEFAULT_MAX_EVENTS_SCANNED_PER_QUERY;
    this.setting = options.maxEventsScannedSetting ? ` (set by ${options.maxEventsScannedSetting})` : '';
  }

  async query(query: EventQuery, cancellation: Cancellation = NEVER_CANCELLED): Promise<InferenceEvent[]> {
    const from = query.fromUnixMs ?? Number.NEGATIVE_INFINITY;
    const to = query.toUnixMs ?? Number.POSITIVE_INFINITY;
    if (from >= to) return [];
    const oldestFirst = query.order === 'oldest-first';
    const segments = this.plan(await this.store.listSegments(), query, from, to, oldestFirst);
    const top = new TopEvents(query.limit, comparatorOf(query.order));
    let scanned = 0;
    for (const segment of segments) {
      const boundary = top.boundary();
      if (
        boundary !== undefined &&
        (oldestFirst
          ? segment.minTimeUnixMs > boundary.timeUnixMs
          : segment.maxTimeUnixMs < boundary.timeUnixMs)
      ) {
        break;
      }
      for await (const event of this.store.readSegmentEvents(segment)) {
        if (cancellation.cancelReason) throw cancellation.cancelReason;
        if (++scanned > this.maxEventsScanned) {
          throw new ResourceExhaustedError(
            `query: read ${this.maxEventsScanned} stored events${this.setting} without finishing; narrow from_time and to_time`,
          );
        }
        if (matchesEventFilter(event, query)) top.offer(event);
      }
    }
    return top.result();
  }

  /**
   * One pass over the segments overlapping the range, oldest first: each is read once (a
   * scan of a million events through `query` pages re-read a 64 MiB segment per page and
   * ran at 600 events/s). Event ids already sent are remembered to drop a sink's replays,
   * in an {@link EventIdSet} (bytes off the collected heap, not a million small strings).
   */
  async *scan(
    scan: EventScan,
    cancellation: Cancellation = NEVER_CANCELLED,
  ): AsyncGenerator<readonly InferenceEvent[]> {
    const { fromUnixMs: from, toUnixMs: to } = scan;
    if (!(from < to)) return;
    const batchEvents = scan.batchEvents ?? DEFAULT_SCAN_BATCH_EVENTS;
    const query: EventQuery = { ...scan, limit: batchEvents, order: 'oldest-first' };
    const seen = new EventIdSet();
    let batch: InferenceEvent[] = [];
    for (const segment of this.plan(await this.store.listSegments(), query, from, to, true)) {
      for await (const event of this.store.readSegmentEvents(segment)) {
        if (cancellation.cancelReason) throw cancellation.cancelReason;
        if (event.timeUnixMs < from || event.timeUnixMs >= to || !matchesEventFilter(event, scan)) continue;
        if (!seen.add(event.eventId)) continue;
        batch.push(event);
        if (batch.length >= batchEvents) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }

  /** The segments that can hold a match, in reading order. */
  private plan(
    segments: readonly SegmentView[],
    query: EventQuery,
    from: number,
    to: number,
    oldestFirst: boolean,
  ): SegmentView[] {
    const { requestId } = query;
    const candidates = segments.filter(
      (s) =>
        s.maxTimeUnixMs >= from &&
        s.minTimeUnixMs < to &&
        (requestId === undefined || s.mayHoldRequest(requestId)),
    );
    return candidates.sort(
      oldestFirst
        ? (a, b) => ascending(a.minTimeUnixMs, b.minTimeUnixMs)
        : (a, b) => ascending(b.maxTimeUnixMs, a.maxTimeUnixMs),
    );
  }
}
