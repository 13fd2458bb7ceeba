/**
 * A service's durable log of result records (DriftEvents, OutlierEvents): one JSON line
 * each, `{"schemaVersion": N, "event": record}`, appended with group commit. Appends that
 * arrive while a write is on disk wait and go together in the next one (one write and one
 * fdatasync for up to `commitBatch` records), and each resolves once its records are on
 * disk, so a record a caller has seen acknowledged survives a kill -9. At open the file is
 * read once: a torn last line (a crash mid-write, never acknowledged) is cut off, a line that
 * is not a record is skipped and reported, the rest indexed in memory (offset, length and the
 * fields the service filters on), so a page reads only its own lines.
 */
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';

/** A problem found while opening a log (reported, never fatal). */
export interface RecordLogProblem {
  readonly line: number;
  readonly reason: string;
}

/** Options of {@link JsonlRecordLog.open}. */
export interface JsonlRecordLogOptions<TRecord, TEntry> {
  readonly directory: string;
  readonly fileName: string;
  /** The line format's version; lines of another are skipped and reported. */
  readonly schemaVersion: number;
  /** Most records written by one group commit. */
  readonly commitBatch: number;
  /** Prefix of this log's page tokens (a token of another log is refused). */
  readonly tokenPrefix: string;
  /** The fields a page filters on, kept in memory per record. */
  readonly entryOf: (record: TRecord) => TEntry;
  /** Whether a parsed line's `event` is a record (else it is skipped as `not <what>`). */
  readonly isRecord: (value: unknown) => value is TRecord;
  /** What a record is, for the reason of a skipped line (`a drift event record`). */
  readonly what: string;
  readonly onProblem?: (problem: RecordLogProblem) => void;
}

interface IndexEntry<TEntry> {
  readonly offset: number;
  readonly length: number;
  readonly fields: TEntry;
}

interface PendingAppend<TRecord> {
  readonly records: readonly TRecord[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** An append-only, group-committed JSONL log of records. */
export class JsonlRecordLog<TRecord, TEntry> {
  private readonly index: IndexEntry<TEntry>[] = [];
  private size = 0;
  private readonly pending: PendingAppend<TRecord>[] = [];
  private writing: Promise<void> | undefined;
  /** Group commits done (tests). */
  commits = 0;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly options: JsonlRecordLogOptions<TRecord, TEntry>,
  ) {}

  /** Opens (creating) the log; `options.onProblem` hears of each skipped line and of a cut torn tail. */
  static async open<TRecord, TEntry>(
    options: JsonlRecordLogOptions<TRecord, TEntry>,
  ): Promise<JsonlRecordLog<TRecord, TEntry>> {
    await mkdir(options.directory, { recursive: true });
    const file = path.join(options.directory, options.fileName);
    const onProblem = options.onProblem ?? (() => {});
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return Buffer.alloc(0);
      throw error;
    });
    const complete = bytes.lastIndexOf(0x0a) + 1;
    if (complete < bytes.length) {
      await truncate(file, complete);
      onProblem({ line: countLines(bytes, complete) + 1, reason: 'torn last line removed' });
    }
    const log = new JsonlRecordLog(file, await open(file, 'a+'), options);
    let start = 0;
    let line = 0;
    while (start < complete) {
      const end = bytes.indexOf(0x0a, start);
      line++;
      const record = log.parse(bytes.subarray(start, end).toString('utf8'));
      if (typeof record === 'string') onProblem({ line, reason: record });
      else log.index.push({ offset: start, length: end - start, fields: options.entryOf(record) });
      start = end + 1;
    }
    log.size = complete;
    return log;
  }

  /** Records in the log. */
  get count(): number {
    return this.index.length;
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
   * position `pageToken` names (empty: the newest).
   * @throws InvalidArgumentError for a token not issued by this log.
   */
  async page(
    pageSize: number,
    pageToken: string,
    matches: (entry: TEntry) => boolean,
  ): Promise<{ records: TRecord[]; nextPageToken: string }> {
    let position = (pageToken ? this.decodeToken(pageToken) : this.index.length) - 1;
    const picked: IndexEntry<TEntry>[] = [];
    for (; position >= 0 && picked.length < pageSize; position--) {
      const entry = this.index[position]!;
      if (matches(entry.fields)) picked.push(entry);
    }
    const records = await Promise.all(picked.map((entry) => this.read(entry)));
    const more = position >= 0 && picked.length === pageSize;
    return { records, nextPageToken: more ? this.encodeToken(position + 1) : '' };
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
      const entries: IndexEntry<TEntry>[] = [];
      let offset = this.size;
      for (const append of group) {
        for (const record of append.records) {
          const line = JSON.stringify({ schemaVersion: this.options.schemaVersion, event: record });
          const length = Buffer.byteLength(line, 'utf8');
          entries.push({ offset, length, fields: this.options.entryOf(record) });
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

  private async read(entry: IndexEntry<TEntry>): Promise<TRecord> {
    const buffer = Buffer.alloc(entry.length);
    await this.handle.read(buffer, 0, entry.length, entry.offset);
    const record = this.parse(buffer.toString('utf8'));
    if (typeof record === 'string') throw new Error(`${this.file} at byte ${entry.offset}: ${record}`);
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

  private decodeToken(token: string): number {
    const refused = () =>
      new InvalidArgumentError(
        `page_token: ${JSON.stringify(token.slice(0, 64))} was not issued by this service`,
      );
    if (!token.startsWith(this.options.tokenPrefix)) throw refused();
    const text = Buffer.from(token.slice(this.options.tokenPrefix.length), 'base64url').toString('utf8');
    if (!/^\d{1,15}$/.test(text)) throw refused();
    const before = Number(text);
    if (before > this.index.length) throw refused();
    return before;
  }
}

function countLines(bytes: Buffer, end: number): number {
  let lines = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === 0x0a) lines++;
  return lines;
}
