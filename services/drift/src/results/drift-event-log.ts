/**
 * The drift service's durable results log: one JSON line per DriftEvent, appended to
 * `<data-dir>/drift-events/drift-events.jsonl`. An append resolves once the line is written
 * and fdatasync'ed, so an event a caller has seen in ListDriftEvents survives a kill -9.
 * At open the file is read once: a torn last line (a crash mid-write) is cut off, a line
 * that is not a valid record is skipped and reported, the rest is indexed in memory (offset,
 * length and the fields ListDriftEvents filters on), so a page reads only its own lines.
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';
import type { DriftEventRecord } from './drift-event.js';

/** The version of a log line's format. */
export const DRIFT_EVENT_LOG_SCHEMA_VERSION = 1;
/** ListDriftEvents' page size when the call sets none (contract). */
export const DEFAULT_DRIFT_EVENTS_PAGE_SIZE = 100;
/** ListDriftEvents' largest page (contract). */
export const MAX_DRIFT_EVENTS_PAGE_SIZE = 1000;
/** The log's file name inside its folder. */
export const DRIFT_EVENT_LOG_FILE = 'drift-events.jsonl';

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
  readonly offset: number;
  readonly length: number;
  readonly detector: string;
  readonly isDrift: boolean;
  readonly windowEndUnixMs: number;
  readonly timeUnixMs: number;
}

/** A problem found while opening the log (reported, never fatal). */
export interface LogProblem {
  readonly line: number;
  readonly reason: string;
}

/** The append-only log of DriftEvents. */
export class DriftEventLog {
  private readonly index: IndexEntry[] = [];
  private size = 0;
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  /**
   * Opens (creating) the log in `directory`; `onProblem` hears of each skipped line and of a
   * cut torn tail.
   */
  static async open(
    directory: string,
    onProblem: (problem: LogProblem) => void = () => {},
  ): Promise<DriftEventLog> {
    await mkdir(directory, { recursive: true });
    const file = path.join(directory, DRIFT_EVENT_LOG_FILE);
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    const lastNewline = bytes.lastIndexOf(0x0a);
    const complete = lastNewline + 1;
    if (complete < bytes.length) {
      // A crash mid-append leaves a line without its newline: it was never acknowledged.
      await truncate(file, complete);
      onProblem({ line: countLines(bytes, complete) + 1, reason: 'torn last line removed' });
    }
    const handle = await open(file, 'a+');
    const log = new DriftEventLog(file, handle);
    let start = 0;
    let line = 0;
    while (start < complete) {
      const end = bytes.indexOf(0x0a, start);
      line++;
      const text = bytes.subarray(start, end).toString('utf8');
      const record = parseLine(text);
      if (typeof record === 'string') onProblem({ line, reason: record });
      else log.index.push(entryOf(record, start, end - start));
      start = end + 1;
    }
    log.size = complete;
    return log;
  }

  /** Events in the log. */
  get count(): number {
    return this.index.length;
  }

  /** Appends `record`; resolves once it is on disk. Appends are written in call order. */
  append(record: DriftEventRecord): Promise<void> {
    const line = Buffer.from(
      `${JSON.stringify({ schemaVersion: DRIFT_EVENT_LOG_SCHEMA_VERSION, event: record })}\n`,
      'utf8',
    );
    const write = this.writes.then(async () => {
      const offset = this.size;
      await this.handle.write(line, 0, line.length, null);
      await this.handle.datasync();
      this.size += line.length;
      this.index.push(entryOf(record, offset, line.length - 1));
    });
    // A failed write fails its caller; later appends still run.
    this.writes = write.catch(() => {});
    return write;
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
    let before = this.index.length;
    if (query.pageToken) before = decodeToken(query.pageToken, this.index.length);
    const picked: IndexEntry[] = [];
    let position = before - 1;
    for (; position >= 0 && picked.length < pageSize; position--) {
      const entry = this.index[position]!;
      if (query.detector && entry.detector !== query.detector) continue;
      if (query.driftOnly && !entry.isDrift) continue;
      if (query.fromUnixMs !== undefined && entry.windowEndUnixMs < query.fromUnixMs) continue;
      if (query.toUnixMs !== undefined && entry.windowEndUnixMs >= query.toUnixMs) continue;
      if (query.listedSince) {
        const since = query.listedSince(entry.detector);
        if (since === undefined || entry.timeUnixMs < since) continue;
      }
      picked.push(entry);
    }
    const events = await Promise.all(picked.map((entry) => this.read(entry)));
    const more = position >= 0 && picked.length === pageSize;
    return { events, nextPageToken: more ? encodeToken(position + 1) : '' };
  }

  /** Waits for pending appends and closes the file. */
  async close(): Promise<void> {
    await this.writes;
    await this.handle.close();
  }

  private async read(entry: IndexEntry): Promise<DriftEventRecord> {
    const buffer = Buffer.alloc(entry.length);
    await this.handle.read(buffer, 0, entry.length, entry.offset);
    const record = parseLine(buffer.toString('utf8'));
    if (typeof record === 'string') throw new Error(`${this.file} at byte ${entry.offset}: ${record}`);
    return record;
  }
}

function entryOf(record: DriftEventRecord, offset: number, length: number): IndexEntry {
  return {
    offset,
    length,
    detector: record.detector,
    isDrift: record.verdict.isDrift,
    windowEndUnixMs: record.windowEndUnixMs,
    timeUnixMs: typeof record.timeUnixMs === 'number' ? record.timeUnixMs : 0,
  };
}

/** The record of a line, or why it is not one. */
function parseLine(text: string): DriftEventRecord | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const value = parsed as { schemaVersion?: unknown; event?: DriftEventRecord };
  if (value?.schemaVersion !== DRIFT_EVENT_LOG_SCHEMA_VERSION) {
    return `schemaVersion ${String(value?.schemaVersion)}; this service reads ${DRIFT_EVENT_LOG_SCHEMA_VERSION}`;
  }
  const event = value.event;
  if (
    typeof event?.eventId !== 'string' ||
    typeof event.detector !== 'string' ||
    typeof event.windowEndUnixMs !== 'number' ||
    typeof event.verdict?.isDrift !== 'boolean'
  ) {
    return 'not a drift event record';
  }
  return event;
}

function countLines(bytes: Buffer, end: number): number {
  let lines = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) lines++;
  return lines;
}

function encodeToken(before: number): string {
  return TOKEN_PREFIX + Buffer.from(String(before), 'utf8').toString('base64url');
}

function decodeToken(token: string, count: number): number {
  const refused = () =>
    new InvalidArgumentError(
      `page_token: ${JSON.stringify(token.slice(0, 64))} was not issued by this service`,
    );
  if (!token.startsWith(TOKEN_PREFIX)) throw refused();
  const text = Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8');
  if (!/^\d{1,15}$/.test(text)) throw refused();
  const before = Number(text);
  if (before > count) throw refused();
  return before;
}
