/**
 * A service's durable log of result records (DriftEvents, OutlierEvents): one JSON line
 * each, `{"schemaVersion": N, "event": record}`, appended with group commit. Appends that
 * arrive while a write is on disk wait and go together in the next one (one write and one
 * fdatasync for up to `commitBatch` records), and each resolves once its records are on
 * disk, so a record a caller has seen acknowledged survives a kill -9.
 *
 * The log is a series of **segment** files: the first is `fileName` itself (so a log written
 * before segments existed is read as its first segment), each later one
 * `<stem>.<first record number, 15 digits><ext>` (`outlier-events.000000000012345.jsonl`).
 * A group commit that would take the segment being written past `segmentBytes` goes to a new
 * segment. After each commit (and at open) the oldest segments are deleted while the log holds
 * more than `retentionBytes`, or while the oldest one's last write is older than `retentionMs`;
 * the segment being written is never deleted, so the log holds at most `retentionBytes` plus
 * that segment.
 *
 * At open every segment is read once: a torn last line (a crash mid-write, never
 * acknowledged) is cut off, a line that is not a record is skipped and reported, the rest
 * indexed in memory (segment, offset, length and the fields the service filters on), so a page
 * reads only its own lines. Records are numbered from the log's start across segments, and a
 * page token names a number, so tokens stay valid across a roll and a restart; a token whose
 * position lies in a deleted segment ends the listing (every record it would continue with was
 * older, so deleted): an empty page without a next token, not an error.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readdir, readFile, stat, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';

/** Default size at which a new segment is started, in bytes (64 MiB). */
export const DEFAULT_RECORD_LOG_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Default bytes a log keeps before its oldest segments are deleted (1 GiB). */
export const DEFAULT_RECORD_LOG_RETENTION_BYTES = 1024 * 1024 * 1024;
/** Digits of the record number in a later segment's file name. */
const SEGMENT_NUMBER_DIGITS = 15;

/** A problem found while opening a log (reported, never fatal). */
export interface RecordLogProblem {
  /** The segment file. */
  readonly file?: string;
  readonly line: number;
  readonly reason: string;
}

/** Options of {@link JsonlRecordLog.open}. */
export interface JsonlRecordLogOptions<TRecord, TEntry> {
  readonly directory: string;
  /** The first segment's file name; later segments insert their first record number before its extension. */
  readonly fileName: string;
  /** The line format's version; lines of another are skipped and reported. */
  readonly schemaVersion: number;
  /** Most records written by one group commit. */
  readonly commitBatch: number;
  /** Size past which no group commit is added to a segment (a new one starts), in bytes; default {@link DEFAULT_RECORD_LOG_SEGMENT_BYTES}. */
  readonly segmentBytes?: number;
  /** Bytes kept before the oldest segments are deleted; 0 keeps all; default {@link DEFAULT_RECORD_LOG_RETENTION_BYTES}. */
  readonly retentionBytes?: number;
  /** Age (since its last write) past which a segment is deleted, in ms; 0 (default) keeps any age. */
  readonly retentionMs?: number;
  /** Prefix of this log's page tokens (a token of another log is refused). */
  readonly tokenPrefix: string;
  /** The fields a page filters on, kept in memory per record. */
  readonly entryOf: (record: TRecord) => TEntry;
  /** Whether a parsed line's `event` is a record (else it is skipped as `not <what>`). */
  readonly isRecord: (value: unknown) => value is TRecord;
  /** What a record is, for the reason of a skipped line (`a drift event record`). */
  readonly what: string;
  readonly onProblem?: (problem: RecordLogProblem) => void;
  /** Hears of each segment deleted by retention. */
  readonly onSegmentDeleted?: (segment: { file: string; bytes: number; records: number }) => void;
  /** The clock of age retention (tests). */
  readonly now?: () => number;
}

interface IndexEntry<TEntry> {
  readonly offset: number;
  readonly length: number;
  readonly fields: TEntry;
}

interface Segment<TEntry> {
  readonly file: string;
  /** Number of its first record, counted from the log's start. */
  readonly first: number;
  readonly handle: FileHandle;
  size: number;
  readonly entries: IndexEntry<TEntry>[];
  lastWriteMs: number;
}

interface PendingAppend<TRecord> {
  readonly records: readonly TRecord[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** An append-only, group-committed, segmented JSONL log of records. */
export class JsonlRecordLog<TRecord, TEntry> {
  private readonly segments: Segment<TEntry>[] = [];
  private totalBytes = 0;
  private readonly pending: PendingAppend<TRecord>[] = [];
  private writing: Promise<void> | undefined;
  /** Pages reading now: a deleted segment's handle is closed only when none is. */
  private readers = 0;
  private readonly closeWhenIdle: FileHandle[] = [];
  private readonly segmentBytes: number;
  private readonly retentionBytes: number;
  private readonly retentionMs: number;
  private readonly now: () => number;
  /** Group commits done (tests). */
  commits = 0;

  private constructor(private readonly options: JsonlRecordLogOptions<TRecord, TEntry>) {
    this.segmentBytes = options.segmentBytes ?? DEFAULT_RECORD_LOG_SEGMENT_BYTES;
    this.retentionBytes = options.retentionBytes ?? DEFAULT_RECORD_LOG_RETENTION_BYTES;
    this.retentionMs = options.retentionMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  /**
   * Opens (creating) the log; `options.onProblem` hears of each skipped line and of a cut
   * torn tail, `options.onSegmentDeleted` of segments past retention.
   * @throws InvalidArgumentError for a segment size that is not a positive integer.
   */
  static async open<TRecord, TEntry>(
    options: JsonlRecordLogOptions<TRecord, TEntry>,
  ): Promise<JsonlRecordLog<TRecord, TEntry>> {
    const log = new JsonlRecordLog(options);
    if (!Number.isSafeInteger(log.segmentBytes) || log.segmentBytes <= 0) {
      throw new InvalidArgumentError(`segmentBytes: ${log.segmentBytes}; must be a positive integer`);
    }
    await mkdir(options.directory, { recursive: true });
    const found = await log.segmentFiles();
    if (found.length === 0) found.push({ file: path.join(options.directory, options.fileName), first: 0 });
    let next = 0;
    for (const { file, first } of found) {
      // A later segment starts at least where the one before ended (lines skipped at this open may leave a gap).
      const segment = await log.readSegment(file, Math.max(first, next));
      log.segments.push(segment);
      log.totalBytes += segment.size;
      next = segment.first + segment.entries.length;
    }
    await log.enforceRetention();
    return log;
  }

  /** The segment being written. */
  get file(): string {
    return this.active.file;
  }

  /** Records in the log (its kept segments). */
  get count(): number {
    let count = 0;
    for (const segment of this.segments) count += segment.entries.length;
    return count;
  }

  /** Bytes of the log's kept segments. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Segment files kept. */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Appends `records`; resolves once they are on disk (with the appends grouped with them). */
  append(records: readonly TRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ records, resolve, reject });
      this.startWriting();
    });
  }

  /**
   * Starts the writer unless it runs. An append made while the writer finishes (after its
   * last check of the queue, before it is marked done) is picked up by a new writer.
   */
  private startWriting(): void {
    if (this.writing) return;
    this.writing = this.drain().finally(() => {
      this.writing = undefined;
      if (this.pending.length > 0) this.startWriting();
    });
  }

  /**
   * Up to `pageSize` records whose entry `matches`, newest (last appended) first, from the
   * position `pageToken` names (empty: the newest). A token whose position was deleted by
   * retention gets an empty page and no next token.
   * @throws InvalidArgumentError for a token not issued by this log.
   */
  async page(
    pageSize: number,
    pageToken: string,
    matches: (entry: TEntry) => boolean,
  ): Promise<{ records: TRecord[]; nextPageToken: string }> {
    const end = this.active.first + this.active.entries.length;
    const before = pageToken ? this.decodeToken(pageToken, end) : end;
    const picked: { segment: Segment<TEntry>; entry: IndexEntry<TEntry> }[] = [];
    let lastPicked = -1;
    for (let s = this.segments.length - 1; s >= 0 && picked.length < pageSize; s--) {
      const segment = this.segments[s]!;
      if (segment.first >= before) continue;
      const { entries } = segment;
      for (let i = Math.min(entries.length, before - segment.first) - 1; i >= 0; i--) {
        const entry = entries[i]!;
        if (!matches(entry.fields)) continue;
        picked.push({ segment, entry });
        if (picked.length === pageSize) {
          lastPicked = segment.first + i;
          break;
        }
      }
    }
    this.readers++;
    let records: TRecord[];
    try {
      records = await Promise.all(picked.map(({ segment, entry }) => this.read(segment, entry)));
    } finally {
      this.readers--;
      if (this.readers === 0) await this.closeDeleted();
    }
    const oldest = this.segments[0]!.first;
    return { records, nextPageToken: lastPicked > oldest ? this.encodeToken(lastPicked) : '' };
  }

  /** Resolves once every append so far is on disk (or failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Waits for pending appends and closes the files. */
  async close(): Promise<void> {
    await this.flushed();
    for (const segment of this.segments) await segment.handle.close();
    await this.closeDeleted();
  }

  private get active(): Segment<TEntry> {
    return this.segments[this.segments.length - 1]!;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const group: PendingAppend<TRecord>[] = [];
      let count = 0;
      while (
        this.pending.length > 0 &&
        (group.length === 0 || count + this.pending[0]!.records.length <= this.options.commitBatch)
      ) {
        const next = this.pending.shift()!;
        group.push(next);
        count += next.records.length;
      }
      // One string and one encoding for the whole group: a Buffer per line costs more than the write.
      let text = '';
      const lengths: number[] = [];
      const fields: TEntry[] = [];
      for (const append of group) {
        for (const record of append.records) {
          const line = JSON.stringify({ schemaVersion: this.options.schemaVersion, event: record });
          lengths.push(Buffer.byteLength(line, 'utf8'));
          fields.push(this.options.entryOf(record));
          text += `${line}\n`;
        }
      }
      const buffer = Buffer.from(text, 'utf8');
      let segment: Segment<TEntry>;
      try {
        if (this.active.size > 0 && this.active.size + buffer.length > this.segmentBytes) await this.roll();
        segment = this.active;
        await segment.handle.write(buffer, 0, buffer.length, null);
        await segment.handle.datasync();
        this.commits++;
      } catch (error) {
        // The file may hold part of the group: later lines start after it, and the part is
        // skipped as not JSON (or cut as a torn tail) at the next open.
        const active = this.active;
        const stat = await active.handle.stat().catch(() => undefined);
        if (stat) {
          this.totalBytes += stat.size - active.size;
          active.size = stat.size;
        }
        for (const append of group) append.reject(error);
        continue;
      }
      let offset = segment.size;
      for (let i = 0; i < lengths.length; i++) {
        segment.entries.push({ offset, length: lengths[i]!, fields: fields[i]! });
        offset += lengths[i]! + 1;
      }
      segment.size = offset;
      segment.lastWriteMs = this.now();
      this.totalBytes += buffer.length;
      // Retention is housekeeping: the records are on disk, so its failure does not fail the appends.
      await this.enforceRetention().catch((error: unknown) =>
        this.options.onProblem?.({ file: this.active.file, line: 0, reason: `retention: ${String(error)}` }),
      );
      for (const append of group) append.resolve();
    }
  }

  /** Starts a new segment after the one being written (whose records are all on disk). */
  private async roll(): Promise<void> {
    const first = this.active.first + this.active.entries.length;
    const { name, ext } = path.parse(this.options.fileName);
    const file = path.join(
      this.options.directory,
      `${name}.${String(first).padStart(SEGMENT_NUMBER_DIGITS, '0')}${ext}`,
    );
    const handle = await open(file, 'a+');
    // The new file's directory entry must survive a crash as its records do.
    await syncDirectory(this.options.directory);
    this.segments.push({ file, first, handle, size: 0, entries: [], lastWriteMs: this.now() });
  }

  /** Deletes the oldest segments past the byte or age limit, never the one being written. */
  private async enforceRetention(): Promise<void> {
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const overBytes = this.retentionBytes > 0 && this.totalBytes > this.retentionBytes;
      const overAge = this.retentionMs > 0 && this.now() - oldest.lastWriteMs > this.retentionMs;
      if (!overBytes && !overAge) return;
      this.segments.shift();
      this.totalBytes -= oldest.size;
      // A page reading now keeps the handle until it is done (the unlinked file stays readable).
      this.closeWhenIdle.push(oldest.handle);
      await unlink(oldest.file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      this.options.onSegmentDeleted?.({
        file: oldest.file,
        bytes: oldest.size,
        records: oldest.entries.length,
      });
    }
    if (this.readers === 0) await this.closeDeleted();
  }

  private async closeDeleted(): Promise<void> {
    for (const handle of this.closeWhenIdle.splice(0)) await handle.close().catch(() => {});
  }

  /** The directory's segment files, oldest first. */
  private async segmentFiles(): Promise<{ file: string; first: number }[]> {
    const { name, ext } = path.parse(this.options.fileName);
    const later = new RegExp(`^${escapeRegExp(name)}\\.(\\d{${SEGMENT_NUMBER_DIGITS}})${escapeRegExp(ext)}$`);
    const found: { file: string; first: number }[] = [];
    for (const entry of await readdir(this.options.directory)) {
      if (entry === this.options.fileName)
        found.push({ file: path.join(this.options.directory, entry), first: -1 });
      const match = later.exec(entry);
      if (match) found.push({ file: path.join(this.options.directory, entry), first: Number(match[1]) });
    }
    return found
      .sort((a, b) => a.first - b.first)
      .map((f) => ({ file: f.file, first: Math.max(f.first, 0) }));
  }

  /** Reads (creating) one segment: a torn tail cut, bad lines reported, the rest indexed. */
  private async readSegment(file: string, first: number): Promise<Segment<TEntry>> {
    const onProblem = this.options.onProblem ?? (() => {});
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    const complete = bytes.lastIndexOf(0x0a) + 1;
    if (complete < bytes.length) {
      await truncate(file, complete);
      onProblem({ file, line: countLines(bytes, complete) + 1, reason: 'torn last line removed' });
    }
    const handle = await open(file, 'a+');
    const entries: IndexEntry<TEntry>[] = [];
    let start = 0;
    let line = 0;
    while (start < complete) {
      const end = bytes.indexOf(0x0a, start);
      line++;
      const record = this.parse(bytes.subarray(start, end).toString('utf8'));
      if (typeof record === 'string') onProblem({ file, line, reason: record });
      else entries.push({ offset: start, length: end - start, fields: this.options.entryOf(record) });
      start = end + 1;
    }
    const { mtimeMs } = await stat(file);
    return { file, first, handle, size: complete, entries, lastWriteMs: mtimeMs };
  }

  private async read(segment: Segment<TEntry>, entry: IndexEntry<TEntry>): Promise<TRecord> {
    const buffer = Buffer.alloc(entry.length);
    await segment.handle.read(buffer, 0, entry.length, entry.offset);
    const record = this.parse(buffer.toString('utf8'));
    if (typeof record === 'string') throw new Error(`${segment.file} at byte ${entry.offset}: ${record}`);
    return record;
  }

  /** The record of a line, or why it is not one. */
  private parse(text: string): TRecord | string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return 'not JSON';
    }
    const value = parsed as { schemaVersion?: unknown; event?: unknown };
    if (value?.schemaVersion !== this.options.schemaVersion) {
      return `schemaVersion ${String(value?.schemaVersion)}; this service reads ${this.options.schemaVersion}`;
    }
    return this.options.isRecord(value.event) ? value.event : `not ${this.options.what}`;
  }

  private encodeToken(before: number): string {
    return this.options.tokenPrefix + Buffer.from(String(before), 'utf8').toString('base64url');
  }

  private decodeToken(token: string, end: number): number {
    const refused = () =>
      new InvalidArgumentError(
        `page_token: ${JSON.stringify(token.slice(0, 64))} was not issued by this service`,
      );
    if (!token.startsWith(this.options.tokenPrefix)) throw refused();
    const text = Buffer.from(token.slice(this.options.tokenPrefix.length), 'base64url').toString('utf8');
    if (!/^\d{1,15}$/.test(text)) throw refused();
    const before = Number(text);
    if (before > end) throw refused();
    return before;
  }
}

function countLines(bytes: Buffer, end: number): number {
  let lines = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) lines++;
  return lines;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** fsyncs a directory, so that a file created in it survives a crash. */
async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
