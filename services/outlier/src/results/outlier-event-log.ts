/**
 * The durable log of OutlierEvents: one JSON line each, appended to
 * `<data-dir>/outlier-events/outlier-events.jsonl` with group commit. Appends that arrive
 * while a write is on disk wait and go together in the next one (one write and one
 * fdatasync for up to --outlier-events-commit-batch events), and each resolves once its
 * events are on disk, so 20,000 live events a second cost a few hundred syncs, and an event
 * a caller has seen acknowledged survives a kill -9. At open the file is read once: a torn
 * last line (a crash mid-write, never acknowledged) is cut off, a line that is not a record is
 * skipped and reported, the rest indexed in memory (offset, length and the fields
 * ListOutlierEvents filters on), so a page reads only its own lines.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';
import type { OutlierEventRecord } from '../data-plane/outlier-types.js';

/** The version of a log line's format. */
export const OUTLIER_EVENT_LOG_SCHEMA_VERSION = 1;
/** ListOutlierEvents' page size when the call sets none (contract). */
export const DEFAULT_OUTLIER_EVENTS_PAGE_SIZE = 100;
/** ListOutlierEvents' largest page (contract). */
export const MAX_OUTLIER_EVENTS_PAGE_SIZE = 1000;
/** The log's file name inside its folder. */
export const OUTLIER_EVENT_LOG_FILE = 'outlier-events.jsonl';

const TOKEN_PREFIX = 'oe1.';

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

interface IndexEntry {
  readonly offset: number;
  readonly length: number;
  readonly detector: string;
  readonly requestId: string;
  readonly isOutlier: boolean;
  readonly timeUnixMs: number;
}

/** A problem found while opening the log (reported, never fatal). */
export interface LogProblem {
  readonly line: number;
  readonly reason: string;
}

interface PendingAppend {
  readonly records: readonly OutlierEventRecord[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** The append-only, group-committed log of OutlierEvents. */
export class OutlierEventLog {
  private readonly index: IndexEntry[] = [];
  private size = 0;
  private pending: PendingAppend[] = [];
  private writing: Promise<void> | undefined;
  /** Group commits done (tests and the README's figures). */
  commits = 0;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly commitBatch: number,
  ) {}

  /**
   * Opens (creating) the log in `directory`; `onProblem` hears of each skipped line and of a
   * cut torn tail. `commitBatch` bounds the events of one group commit.
   */
  static async open(
    directory: string,
    commitBatch: number,
    onProblem: (problem: LogProblem) => void = () => {},
  ): Promise<OutlierEventLog> {
    await mkdir(directory, { recursive: true });
    const file = path.join(directory, OUTLIER_EVENT_LOG_FILE);
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    const complete = bytes.lastIndexOf(0x0a) + 1;
    if (complete < bytes.length) {
      await truncate(file, complete);
      onProblem({ line: countLines(bytes, complete) + 1, reason: 'torn last line removed' });
    }
    const handle = await open(file, 'a+');
    const log = new OutlierEventLog(file, handle, commitBatch);
    let start = 0;
    let line = 0;
    while (start < complete) {
      const end = bytes.indexOf(0x0a, start);
      line++;
      const record = parseLine(bytes.subarray(start, end).toString('utf8'));
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

  /** Appends `records`; resolves once they are on disk (with the appends grouped with them). */
  append(records: readonly OutlierEventRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.writing ??= this.drain().finally(() => {
        this.writing = undefined;
      });
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group: PendingAppend[] = [];
      let events = 0;
      while (
        this.pending.length > 0 &&
        (group.length === 0 || events + this.pending[0]!.records.length <= this.commitBatch)
      ) {
        const next = this.pending.shift()!;
        group.push(next);
        events += next.records.length;
      }
      // One string and one encoding for the whole group: a Buffer per line costs more than the write.
      let text = '';
      const entries: IndexEntry[] = [];
      let offset = this.size;
      for (const append of group) {
        for (const record of append.records) {
          const line = JSON.stringify({ schemaVersion: OUTLIER_EVENT_LOG_SCHEMA_VERSION, event: record });
          const length = Buffer.byteLength(line, 'utf8');
          entries.push(entryOf(record, offset, length));
          text += `${line}\n`;
          offset += length + 1;
        }
      }
      const buffer = Buffer.from(text, 'utf8');
      try {
        await this.handle.write(buffer, 0, buffer.length, null);
        await this.handle.datasync();
        this.commits++;
      } catch (error) {
        // The file may hold part of the group: later lines start after it, and the part is
        // skipped as not JSON (or cut as a torn tail) at the next open.
        const stat = await this.handle.stat().catch(() => undefined);
        if (stat) this.size = stat.size;
        for (const append of group) append.reject(error);
        continue;
      }
      this.size = offset;
      for (const entry of entries) this.index.push(entry);
      for (const append of group) append.resolve();
    }
  }

  /**
   * A page of events matching `query`, newest (last appended) first.
   * @throws InvalidArgumentError for a page size over the maximum or a token not issued here.
   */
  async list(query: OutlierEventQuery): Promise<OutlierEventPage> {
    const pageSize = query.pageSize || DEFAULT_OUTLIER_EVENTS_PAGE_SIZE;
    if (pageSize > MAX_OUTLIER_EVENTS_PAGE_SIZE) {
      throw new InvalidArgumentError(`page_size: ${pageSize}; at most ${MAX_OUTLIER_EVENTS_PAGE_SIZE}`);
    }
    let before = this.index.length;
    if (query.pageToken) before = decodeToken(query.pageToken, this.index.length);
    const picked: IndexEntry[] = [];
    let position = before - 1;
    for (; position >= 0 && picked.length < pageSize; position--) {
      const entry = this.index[position]!;
      if (query.detector && entry.detector !== query.detector) continue;
      if (query.requestId && entry.requestId !== query.requestId) continue;
      if (query.outliersOnly && !entry.isOutlier) continue;
      if (query.fromUnixMs !== undefined && entry.timeUnixMs < query.fromUnixMs) continue;
      if (query.toUnixMs !== undefined && entry.timeUnixMs >= query.toUnixMs) continue;
      picked.push(entry);
    }
    const events = await Promise.all(picked.map((entry) => this.read(entry)));
    const more = position >= 0 && picked.length === pageSize;
    return { events, nextPageToken: more ? encodeToken(position + 1) : '' };
  }

  /** Resolves once every append so far is on disk (or failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Waits for pending appends and closes the file. */
  async close(): Promise<void> {
    await this.flushed();
    await this.handle.close();
  }

  private async read(entry: IndexEntry): Promise<OutlierEventRecord> {
    const buffer = Buffer.alloc(entry.length);
    await this.handle.read(buffer, 0, entry.length, entry.offset);
    const record = parseLine(buffer.toString('utf8'));
    if (typeof record === 'string') throw new Error(`${this.file} at byte ${entry.offset}: ${record}`);
    return record;
  }
}

function entryOf(record: OutlierEventRecord, offset: number, length: number): IndexEntry {
  return {
    offset,
    length,
    detector: record.detector,
    requestId: record.requestId,
    isOutlier: record.isOutlier,
    timeUnixMs: record.timeUnixMs,
  };
}

/** The record of a line, or why it is not one. */
function parseLine(text: string): OutlierEventRecord | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const value = parsed as { schemaVersion?: unknown; event?: OutlierEventRecord };
  if (value?.schemaVersion !== OUTLIER_EVENT_LOG_SCHEMA_VERSION) {
    return `schemaVersion ${String(value?.schemaVersion)}; this service reads ${OUTLIER_EVENT_LOG_SCHEMA_VERSION}`;
  }
  const event = value.event;
  if (
    typeof event?.eventId !== 'string' ||
    typeof event.detector !== 'string' ||
    typeof event.timeUnixMs !== 'number' ||
    typeof event.isOutlier !== 'boolean'
  ) {
    return 'not an outlier event record';
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
