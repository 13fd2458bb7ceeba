import { type FileHandle, mkdir, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEvent, serializeEvent } from '../event-codec.js';
import type { InferenceEvent } from '../inference-event.js';
import type { BloomFilter } from './bloom-filter.js';
import {
  type FileEventStoreOptions,
  type ResolvedFileEventStoreOptions,
  resolveFileEventStoreOptions,
} from './file-store-options.js';
import { type ReadSummary, readLines } from './line-reader.js';
import { encodeHeader, encodeRecords, parseHeader, SCHEMA_VERSION } from './record-format.js';
import {
  buildIndex,
  indexPathFor,
  isIndexCurrent,
  readIndex,
  type SegmentIndex,
  writeIndex,
} from './segment-index.js';
import {
  bloomOf,
  type CachedIndex,
  indexedView,
  listSegmentViews,
  SEGMENT_NAME,
  type SegmentView,
} from './segment-listing.js';

const SEGMENT_SUFFIX = '.seg';

/** A sealed segment: immutable, described by its index. */
interface SealedSegment {
  readonly name: string;
  readonly path: string;
  readonly index: SegmentIndex;
  readonly bloom: BloomFilter;
}

/** The segment being appended to. */
interface ActiveSegment {
  readonly name: string;
  readonly path: string;
  readonly fh: FileHandle;
  readonly createdUnixMs: number;
  bytes: number;
  records: number;
  minTimeUnixMs: number;
  maxTimeUnixMs: number;
  readonly requestIds: Set<string>;
}

/** Public facts about a segment, for tools and tests. */
export interface SegmentInfo {
  readonly name: string;
  readonly sealed: boolean;
  readonly bytes: number;
  readonly records: number;
  readonly minTimeUnixMs: number;
  readonly maxTimeUnixMs: number;
}

/** What a retention pass deleted. */
export interface RetentionResult {
  readonly deletedSegments: number;
  readonly deletedBytes: number;
}

/**
 * The embedded event history: append-only segment files in one directory, one
 * CRC-checked JSON line per event (format in README). Appends are batched into one write;
 * the active segment is sealed by size or age, and sealed segments get a sidecar index
 * (time span + request-id Bloom filter) so time-range and request-id reads open only the
 * segments that can match.
 *
 * One process writes a directory; any number read it, in that process or others. Opening
 * writes nothing: a store becomes the writer at its first `append` (or `applyRetention`),
 * and only then recovers what a crash left (a segment without an index, or whose index
 * covers less than the segment holds, is rescanned, a torn last record cut off, and the
 * segment sealed) and starts its retention timer. A store that only reads never writes,
 * and each read lists the directory afresh, so it sees every event committed before the
 * read began, including those in the live segment the writer is still appending to.
 *
 * Duplicates (an event re-sent after a sink retry) are written as they come and removed
 * on read: every read yields each event id at most once.
 */
export class FileEventStore {
  private readonly options: ResolvedFileEventStoreOptions;
  private readonly sealed: SealedSegment[] = [];
  private active: ActiveSegment | undefined;
  private nextSeq = 0;
  /** Set at the first write: recovery of the directory, after which this store is its writer. */
  private writer: Promise<void> | undefined;
  /** Indexes a reader found current, by segment name (see {@link listSegmentViews}). */
  private readonly readerIndexCache = new Map<string, CachedIndex>();
  /** Segments refused for their header, so each is logged once. */
  private readonly refusedSegments = new Set<string>();
  /** Appends, seals and retention passes run one at a time, in call order. */
  private tail: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(options: ResolvedFileEventStoreOptions) {
    this.options = options;
  }

  /**
   * Opens a store on a directory without writing anything: reads work at once (an absent
   * directory reads as empty); the first `append` creates the directory, recovers it and
   * makes this store its writer. With `readOnly`, writing is refused.
   */
  static async open(options: FileEventStoreOptions): Promise<FileEventStore> {
    return new FileEventStore(resolveFileEventStoreOptions(options));
  }

  /**
   * Appends events as one write; resolves when the bytes are in the file (and fsynced if
   * configured): from then on every reader sees them. The first call recovers the directory.
   */
  append(events: readonly InferenceEvent[]): Promise<void> {
    const refused = this.refuseWrite('append');
    if (refused) return refused;
    if (events.length === 0) return Promise.resolve();
    return this.enqueue(async () => {
      await this.becomeWriter();
      await this.appendNow(events);
    });
  }

  /**
   * Yields the events with `fromUnixMs <= time < toUnixMs`, in append order (replayed
   * events may be older than their neighbours), each event id once.
   */
  async *readRange(fromUnixMs: number, toUnixMs: number): AsyncGenerator<InferenceEvent> {
    const seen = new Set<string>();
    for (const segment of await this.views()) {
      if (segment.maxTimeUnixMs < fromUnixMs || segment.minTimeUnixMs >= toUnixMs) continue;
      for await (const event of this.readSegment(segment)) {
        if (event.timeUnixMs < fromUnixMs || event.timeUnixMs >= toUnixMs || seen.has(event.eventId))
          continue;
        seen.add(event.eventId);
        yield event;
      }
    }
  }

  /** The events logged for a request (several when shadow nodes answered), each event id once. */
  async findByRequestId(requestId: string): Promise<InferenceEvent[]> {
    const found: InferenceEvent[] = [];
    const seen = new Set<string>();
    for (const segment of await this.views()) {
      if (!segment.mayHoldRequest(requestId)) continue;
      for await (const event of this.readSegment(segment)) {
        if (event.requestId !== requestId || seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        found.push(event);
      }
    }
    return found;
  }

  /**
   * The segments a read would open now, oldest first by creation, each with its time span
   * and request-id filter (a segment without a current index spans every time and may hold
   * every request): for query planners that choose and order segments themselves and read
   * them with {@link readSegmentEvents}.
   */
  listSegments(): Promise<readonly SegmentView[]> {
    return this.views();
  }

  /**
   * The events of one segment from {@link listSegments}, in append order, up to the bytes
   * committed when it was listed. Not deduplicated: an event appended twice (a sink retry)
   * is yielded twice, with the same id. A segment deleted since it was listed yields nothing.
   */
  readSegmentEvents(segment: SegmentView): AsyncGenerator<InferenceEvent> {
    return this.readSegment(segment);
  }

  /** The segments this store writes, oldest first (empty until its first write: readers list nothing). */
  segments(): SegmentInfo[] {
    const out: SegmentInfo[] = this.sealed.map((s) => ({
      name: s.name,
      sealed: true,
      bytes: s.index.bytes,
      records: s.index.records,
      minTimeUnixMs: s.index.minTimeUnixMs,
      maxTimeUnixMs: s.index.maxTimeUnixMs,
    }));
    const a = this.active;
    if (a) {
      out.push({
        name: a.name,
        sealed: false,
        bytes: a.bytes,
        records: a.records,
        minTimeUnixMs: a.minTimeUnixMs,
        maxTimeUnixMs: a.maxTimeUnixMs,
      });
    }
    return out;
  }

  /**
   * Seals the active segment if it is too old, then deletes sealed segments past the
   * age limit and, oldest first, past the byte limit. Runs on the writer's timer; callable
   * directly (it makes this store the writer, as `append` does).
   */
  applyRetention(): Promise<RetentionResult> {
    const refused = this.refuseWrite('applyRetention');
    if (refused) return refused;
    return this.enqueue(async () => {
      await this.becomeWriter();
      const now = this.options.now();
      if (this.active && now - this.active.createdUnixMs >= this.options.segmentMaxAgeMs) await this.seal();
      let total = this.sealed.reduce((sum, s) => sum + s.index.bytes, 0) + (this.active?.bytes ?? 0);
      let deletedSegments = 0;
      let deletedBytes = 0;
      while (this.sealed.length > 0) {
        const oldest = this.sealed[0]!;
        const expired = oldest.index.maxTimeUnixMs < now - this.options.retentionMaxAgeMs;
        if (!expired && total <= this.options.retentionMaxBytes) break;
        this.sealed.shift();
        await rm(oldest.path, { force: true });
        await rm(indexPathFor(oldest.path), { force: true });
        total -= oldest.index.bytes;
        deletedSegments++;
        deletedBytes += oldest.index.bytes;
      }
      return { deletedSegments, deletedBytes };
    });
  }

  /** Waits for pending appends, seals the active segment and stops the retention timer; a reader just stops. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.enqueue(() => this.seal());
  }

  private refuseWrite(operation: string): Promise<never> | undefined {
    if (this.closed) return Promise.reject(new Error('event store: closed'));
    if (this.options.readOnly) {
      return Promise.reject(new Error(`event store: ${operation} refused, the store was opened read-only`));
    }
    return undefined;
  }

  /** Runs recovery once, on the first write; a failed recovery is retried by the next write. */
  private becomeWriter(): Promise<void> {
    this.writer ??= this.load().then(
      () => this.startRetentionTimer(),
      (error: unknown) => {
        this.writer = undefined;
        throw error;
      },
    );
    return this.writer;
  }

  private startRetentionTimer(): void {
    const interval = this.options.retentionCheckIntervalMs;
    if (interval <= 0 || this.closed) return;
    this.timer = setInterval(() => {
      this.applyRetention().catch((cause: unknown) => {
        this.options.logger.error('event store: retention pass failed', { cause: String(cause) });
      });
    }, interval);
    this.timer.unref();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async appendNow(events: readonly InferenceEvent[]): Promise<void> {
    const jsons = new Array<string>(events.length);
    for (let i = 0; i < events.length; i++) jsons[i] = serializeEvent(events[i]!);
    const bytes = encodeRecords(jsons);
    const now = this.options.now();
    let active = this.active;
    if (
      active &&
      active.records > 0 &&
      (active.bytes + bytes.length > this.options.segmentMaxBytes ||
        now - active.createdUnixMs >= this.options.segmentMaxAgeMs)
    ) {
      await this.seal();
      active = undefined;
    }
    active ??= await this.startSegment(now);
    await active.fh.write(bytes, 0, bytes.length);
    if (this.options.fsync) await active.fh.datasync();
    active.bytes += bytes.length;
    active.records += events.length;
    for (const event of events) {
      if (event.timeUnixMs < active.minTimeUnixMs) active.minTimeUnixMs = event.timeUnixMs;
      if (event.timeUnixMs > active.maxTimeUnixMs) active.maxTimeUnixMs = event.timeUnixMs;
      active.requestIds.add(event.requestId);
    }
  }

  private async startSegment(now: number): Promise<ActiveSegment> {
    const name = `${String(Math.trunc(now)).padStart(13, '0')}-${String(this.nextSeq++).padStart(6, '0')}${SEGMENT_SUFFIX}`;
    const path = join(this.options.directory, name);
    const fh = await open(path, 'wx');
    const header = encodeHeader({ schemaVersion: SCHEMA_VERSION, kind: 'segment', createdUnixMs: now });
    await fh.write(header, 0, header.length);
    this.active = {
      name,
      path,
      fh,
      createdUnixMs: now,
      bytes: header.length,
      records: 0,
      minTimeUnixMs: Number.POSITIVE_INFINITY,
      maxTimeUnixMs: Number.NEGATIVE_INFINITY,
      requestIds: new Set(),
    };
    return this.active;
  }

  private async seal(): Promise<void> {
    const a = this.active;
    if (!a) return;
    this.active = undefined;
    if (this.options.fsync) await a.fh.sync();
    await a.fh.close();
    const index = buildIndex(
      a.requestIds,
      a.requestIds.size,
      a.minTimeUnixMs,
      a.maxTimeUnixMs,
      a.records,
      a.bytes,
    );
    await writeIndex(a.path, index);
    this.sealed.push({ name: a.name, path: a.path, index, bloom: bloomOf(index) });
  }

  /**
   * The writer reads from what it knows (it is the only one changing the directory); any
   * other store lists the directory afresh, writing nothing.
   */
  private async views(): Promise<SegmentView[]> {
    const writer = this.writer;
    if (writer) {
      const recovered = await writer.then(
        () => true,
        () => false,
      );
      if (recovered) return this.writerViews();
    }
    return listSegmentViews(this.options.directory, this.readerIndexCache);
  }

  private writerViews(): SegmentView[] {
    const views: SegmentView[] = this.sealed.map((s) => indexedView(s.path, s));
    const a = this.active;
    if (a) {
      // Snapshot the committed size so a concurrent append is never read half-written.
      views.push({
        path: a.path,
        endBytes: a.bytes,
        minTimeUnixMs: a.minTimeUnixMs,
        maxTimeUnixMs: a.maxTimeUnixMs,
        mayHoldRequest: (id: string) => a.requestIds.has(id),
      });
    }
    return views;
  }

  private async *readSegment(segment: SegmentView): AsyncGenerator<InferenceEvent> {
    try {
      for await (const line of readLines(segment.path, undefined, 0, segment.endBytes)) {
        if (line.kind === 'record') yield parseEvent(line.json);
        else if (line.kind === 'header') {
          const header = parseHeader(line.text);
          if (typeof header === 'string') {
            if (!this.refusedSegments.has(segment.path)) {
              this.refusedSegments.add(segment.path);
              this.options.logger.error(`event store: segment ${segment.path} is skipped: ${header}`);
            }
            return;
          }
        } else if (line.kind === 'corrupt') {
          this.options.logger.warn('event store: skipped a record that fails its CRC', {
            segment: segment.path,
            offset: line.offset,
          });
        }
      }
    } catch (error) {
      // Retention may delete a segment between listing and opening it: it is simply gone.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private async load(): Promise<void> {
    const dir = this.options.directory;
    await mkdir(dir, { recursive: true });
    const names = (await readdir(dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    for (const name of names) {
      const seq = Number(SEGMENT_NAME.exec(name)![2]);
      if (seq >= this.nextSeq) this.nextSeq = seq + 1;
      const path = join(dir, name);
      const found = await readIndex(path);
      // An index that covers less (or more) than the segment holds was written while the
      // segment still grew (e.g. by an older reader's snapshot): rebuild it from the records.
      const current = found && isIndexCurrent(found, (await stat(path)).size) ? found : undefined;
      const index = current ?? (await this.recover(path));
      if (index) this.sealed.push({ name, path, index, bloom: bloomOf(index) });
    }
  }

  /**
   * Rebuilds the index of a segment that has none, or one that is not current (the active
   * one at a crash): scans it,
   * cuts off a torn last record, and seals it. Returns undefined for an unreadable file.
   */
  private async recover(path: string): Promise<SegmentIndex | undefined> {
    const summary: ReadSummary = { validEnd: 0, tornBytes: 0 };
    const requestIds = new Set<string>();
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let records = 0;
    let sawHeader = false;
    for await (const line of readLines(path, summary)) {
      if (line.kind === 'header') {
        const header = parseHeader(line.text);
        if (typeof header === 'string') {
          this.options.logger.error(`event store: segment ${path} is skipped: ${header}`);
          return undefined;
        }
        sawHeader = true;
      } else if (line.kind === 'record') {
        const event = parseEvent(line.json);
        records++;
        requestIds.add(event.requestId);
        if (event.timeUnixMs < min) min = event.timeUnixMs;
        if (event.timeUnixMs > max) max = event.timeUnixMs;
      }
    }
    if (!sawHeader) {
      // Torn before its header was complete: nothing in it can be read.
      await rm(path, { force: true });
      return undefined;
    }
    if (summary.tornBytes > 0) {
      this.options.logger.warn('event store: cut off a torn last record left by a crash', {
        segment: path,
        offset: summary.validEnd,
        bytes: summary.tornBytes,
      });
      await truncate(path, summary.validEnd);
    }
    const index = buildIndex(requestIds, requestIds.size, min, max, records, summary.validEnd);
    await writeIndex(path, index);
    return index;
  }
}
