/**
 * The durable log of OutlierEvents, `<data-dir>/outlier-events/outlier-events*.jsonl`: libs/events'
 * group-committed, segmented JSONL record log (one write and one fdatasync per group of up to
 * --outlier-events-commit-batch events; an append resolves once on disk, so an acknowledged
 * event survives a kill -9; segments of --outlier-events-segment-bytes, the oldest deleted
 * past --outlier-events-retention-bytes / -ms), with the filters of ListOutlierEvents.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { JsonlRecordLog, type RecordLogProblem } from '@sightline/events';
import type { ResultLogLimits } from '@sightline/service-kit';
import type { OutlierEventRecord } from '../data-plane/outlier-types.js';

/** The version of a log line's format. */
export const OUTLIER_EVENT_LOG_SCHEMA_VERSION = 1;
/** ListOutlierEvents' page size when the call sets none (contract). */
export const DEFAULT_OUTLIER_EVENTS_PAGE_SIZE = 100;
/** ListOutlierEvents' largest page (contract). */
export const MAX_OUTLIER_EVENTS_PAGE_SIZE = 1000;
/** The log's file name inside its folder. */
export const OUTLIER_EVENT_LOG_FILE = 'outlier-events.jsonl';

/** What ListOutlierEvents selects. */
export interface OutlierEventQuery {
  /** Only this detector's events; empty or absent means all. */
  readonly detector?: string;
  /** Only events scored at or after this instant (ms since the epoch). */
  readonly fromUnixMs?: number;
  /** Only events scored before this instant. */
  readonly toUnixMs?: number;
  readonly outliersOnly?: boolean;
  /** Only this request's events; empty or absent means any. */
  readonly requestId?: string;
  /** 0 or absent means {@link DEFAULT_OUTLIER_EVENTS_PAGE_SIZE}. */
  readonly pageSize?: number;
  readonly pageToken?: string;
}

/** One page, newest first. */
export interface OutlierEventPage {
  readonly events: OutlierEventRecord[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

interface Entry {
  readonly detector: string;
  readonly requestId: string;
  readonly isOutlier: boolean;
  readonly timeUnixMs: number;
}

function isOutlierEvent(value: unknown): value is OutlierEventRecord {
  const event = value as Partial<OutlierEventRecord> | null;
  return (
    typeof event?.eventId === 'string' &&
    typeof event.detector === 'string' &&
    typeof event.timeUnixMs === 'number' &&
    typeof event.isOutlier === 'boolean'
  );
}

/** The append-only, group-committed log of OutlierEvents. */
export class OutlierEventLog {
  private constructor(private readonly log: JsonlRecordLog<OutlierEventRecord, Entry>) {}

  /** Opens (creating) the log in `directory`; `onProblem` hears of each skipped line and of a cut torn tail. */
  static async open(
    directory: string,
    commitBatch: number,
    onProblem: (problem: RecordLogProblem) => void = () => {},
    limits: Partial<ResultLogLimits> = {},
  ): Promise<OutlierEventLog> {
    return new OutlierEventLog(
      await JsonlRecordLog.open({
        directory,
        fileName: OUTLIER_EVENT_LOG_FILE,
        schemaVersion: OUTLIER_EVENT_LOG_SCHEMA_VERSION,
        commitBatch,
        ...limits,
        tokenPrefix: 'oe1.',
        entryOf: (record) => ({
          detector: record.detector,
          requestId: record.requestId,
          isOutlier: record.isOutlier,
          timeUnixMs: record.timeUnixMs,
        }),
        isRecord: isOutlierEvent,
        what: 'an outlier event record',
        onProblem,
      }),
    );
  }

  /** Events in the log. */
  get count(): number {
    return this.log.count;
  }

  /** Bytes of the log's kept segments. */
  get bytes(): number {
    return this.log.bytes;
  }

  /** Segment files kept. */
  get segmentCount(): number {
    return this.log.segmentCount;
  }

  /** Group commits done (tests). */
  get commits(): number {
    return this.log.commits;
  }

  /** Appends `records`; resolves once they are on disk. */
  append(records: readonly OutlierEventRecord[]): Promise<void> {
    return this.log.append(records);
  }

  /**
   * A page of events matching `query`, newest first.
   * @throws InvalidArgumentError for a page size over the maximum or a token not issued here.
   */
  async list(query: OutlierEventQuery): Promise<OutlierEventPage> {
    const pageSize = query.pageSize || DEFAULT_OUTLIER_EVENTS_PAGE_SIZE;
    if (pageSize > MAX_OUTLIER_EVENTS_PAGE_SIZE) {
      throw new InvalidArgumentError(`page_size: ${pageSize}; at most ${MAX_OUTLIER_EVENTS_PAGE_SIZE}`);
    }
    const { fromUnixMs, toUnixMs } = query;
    const page = await this.log.page(
      pageSize,
      query.pageToken ?? '',
      (entry) =>
        (!query.detector || entry.detector === query.detector) &&
        (!query.requestId || entry.requestId === query.requestId) &&
        (!query.outliersOnly || entry.isOutlier) &&
        (fromUnixMs === undefined || entry.timeUnixMs >= fromUnixMs) &&
        (toUnixMs === undefined || entry.timeUnixMs < toUnixMs),
    );
    return { events: page.records, nextPageToken: page.nextPageToken };
  }

  /** Resolves once every append so far is on disk (or failed). */
  flushed(): Promise<void> {
    return this.log.flushed();
  }

  /** Waits for pending appends and closes the file. */
  close(): Promise<void> {
    return this.log.close();
  }
}
