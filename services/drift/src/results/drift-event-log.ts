/**
 * The drift service's durable results log: one JSON line per DriftEvent, appended to
 * `<data-dir>/drift-events/drift-events.jsonl` through libs/events' JsonlRecordLog (group
 * commit). An append resolves once the line is written and fdatasync'ed, so an event a
 * caller has seen in ListDriftEvents survives a kill -9.
 * At open the file is read once: a torn last line (a crash mid-write) is cut off, a line
 * that is not a valid record is skipped and reported, the rest is indexed in memory (offset,
 * length and the fields ListDriftEvents filters on), so a page reads only its own lines.
 */

import { InvalidArgumentError } from '@sightline/errors';
import { JsonlRecordLog, type RecordLogProblem } from '@sightline/events';
import type { ResultLogLimits } from '@sightline/service-kit';
import type { DriftEventRecord } from './drift-event.js';

/** The version of a log line's format. */
export const DRIFT_EVENT_LOG_SCHEMA_VERSION = 1;
/** ListDriftEvents' page size when the call sets none (contract). */
export const DEFAULT_DRIFT_EVENTS_PAGE_SIZE = 100;
/** ListDriftEvents' largest page (contract). */
export const MAX_DRIFT_EVENTS_PAGE_SIZE = 1000;
/** The log's file name inside its folder. */
export const DRIFT_EVENT_LOG_FILE = 'drift-events.jsonl';
/** Most DriftEvents one group commit writes (windows close a few at a time; this only bounds a burst). */
export const DRIFT_EVENT_LOG_COMMIT_BATCH = 1024;

const TOKEN_PREFIX = 'de1.';

/** What ListDriftEvents selects. */
export interface DriftEventQuery {
  /** Only this detector's events; empty or absent means all. */
  readonly detector?: string;
  /** Only windows ending at or after this instant (ms since the epoch). */
  readonly fromUnixMs?: number;
  /** Only windows ending before this instant. */
  readonly toUnixMs?: number;
  readonly driftOnly?: boolean;
  /** 0 or absent means {@link DEFAULT_DRIFT_EVENTS_PAGE_SIZE}. */
  readonly pageSize?: number;
  readonly pageToken?: string;
  /**
   * When a detector's events start to be listed (ms since the epoch, compared with the
   * time each event was stored), or undefined for a detector whose events are not listed:
   * a deleted detector's, and a re-created name's predecessor's. Absent: every event.
   */
  readonly listedSince?: (detector: string) => number | undefined;
}

/** One page, newest first. */
export interface DriftEventPage {
  readonly events: DriftEventRecord[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

interface IndexEntry {
  readonly detector: string;
  readonly isDrift: boolean;
  readonly windowEndUnixMs: number;
  readonly timeUnixMs: number;
}

/** A problem found while opening the log (reported, never fatal). */
export type LogProblem = RecordLogProblem;

/** The append-only log of DriftEvents. */
export class DriftEventLog {
  private constructor(private readonly log: JsonlRecordLog<DriftEventRecord, IndexEntry>) {}

  /** The log's file. */
  get file(): string {
    return this.log.file;
  }

  /**
   * Opens (creating) the log in `directory`; `onProblem` hears of each skipped line and of a
   * cut torn tail.
   */
  static async open(
    directory: string,
    onProblem: (problem: LogProblem) => void = () => {},
    limits: Partial<ResultLogLimits> = {},
  ): Promise<DriftEventLog> {
    return new DriftEventLog(
      await JsonlRecordLog.open({
        directory,
        fileName: DRIFT_EVENT_LOG_FILE,
        schemaVersion: DRIFT_EVENT_LOG_SCHEMA_VERSION,
        commitBatch: DRIFT_EVENT_LOG_COMMIT_BATCH,
        ...limits,
        tokenPrefix: TOKEN_PREFIX,
        entryOf,
        isRecord: isDriftEvent,
        what: 'a drift event record',
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

  /** Appends `record`; resolves once it is on disk. Appends are written in call order. */
  append(record: DriftEventRecord): Promise<void> {
    return this.log.append([record]);
  }

  /**
   * A page of events matching `query`, newest (last appended) first.
   * @throws InvalidArgumentError for a page size over the maximum or a token not issued here.
   */
  async list(query: DriftEventQuery): Promise<DriftEventPage> {
    const pageSize = query.pageSize || DEFAULT_DRIFT_EVENTS_PAGE_SIZE;
    if (pageSize > MAX_DRIFT_EVENTS_PAGE_SIZE) {
      throw new InvalidArgumentError(`page_size: ${pageSize}; at most ${MAX_DRIFT_EVENTS_PAGE_SIZE}`);
    }
    const page = await this.log.page(pageSize, query.pageToken ?? '', (entry) => {
      if (query.detector && entry.detector !== query.detector) return false;
      if (query.driftOnly && !entry.isDrift) return false;
      if (query.fromUnixMs !== undefined && entry.windowEndUnixMs < query.fromUnixMs) return false;
      if (query.toUnixMs !== undefined && entry.windowEndUnixMs >= query.toUnixMs) return false;
      if (query.listedSince) {
        const since = query.listedSince(entry.detector);
        if (since === undefined || entry.timeUnixMs < since) return false;
      }
      return true;
    });
    return { events: page.records, nextPageToken: page.nextPageToken };
  }

  /** Waits for pending appends and closes the file. */
  close(): Promise<void> {
    return this.log.close();
  }
}

function entryOf(record: DriftEventRecord): IndexEntry {
  return {
    detector: record.detector,
    isDrift: record.verdict.isDrift,
    windowEndUnixMs: record.windowEndUnixMs,
    timeUnixMs: typeof record.timeUnixMs === 'number' ? record.timeUnixMs : 0,
  };
}

function isDriftEvent(value: unknown): value is DriftEventRecord {
  const event = value as Partial<DriftEventRecord> | null;
  return (
    typeof event?.eventId === 'string' &&
    typeof event.detector === 'string' &&
    typeof event.windowEndUnixMs === 'number' &&
    typeof event.verdict?.isDrift === 'boolean'
  );
}
