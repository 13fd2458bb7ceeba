import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEvent, serializeEvent } from '../event-codec.js';
import type { EventLogger } from '../event-logger.js';
import { readLines } from '../file-store/line-reader.js';
import { encodeHeader, encodeRecords, SCHEMA_VERSION } from '../file-store/record-format.js';
import type { InferenceEvent } from '../inference-event.js';

const SPILL_NAME = /^(\d{16})-(\d{16})\.spill$/;

/** One spill file: a batch of events with consecutive lane sequence numbers. */
export interface SpillFile {
  readonly name: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly bytes: number;
}

/** What a spill write kept and what it had to drop at the byte limit. */
export interface SpillWriteResult {
  readonly written: number;
  readonly dropped: number;
}

/**
 * One sink's spill directory: batches of events that could not be delivered yet, one
 * file per batch, named by the lane sequence numbers they hold so that sorting the names
 * gives emission order (a failed batch written after newer events still sorts first).
 * Files are written whole (temp file + rename), so a crash leaves a file or none; they
 * use the segment line format, so a damaged record is skipped, not fatal. The total size
 * is capped: events past the cap are dropped and reported to the caller.
 */
export class SpillStore {
  private readonly files: SpillFile[] = [];
  private totalBytes = 0;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly directory: string,
    private readonly maxBytes: number,
    private readonly logger: EventLogger,
  ) {}

  /** Opens a spill directory, picking up files left by an earlier run. */
  static async open(directory: string, maxBytes: number, logger: EventLogger): Promise<SpillStore> {
    const store = new SpillStore(directory, maxBytes, logger);
    await mkdir(directory, { recursive: true });
    for (const name of await readdir(directory)) {
      const match = SPILL_NAME.exec(name);
      if (!match) {
        // A temp file from a write a crash interrupted: its events were never acknowledged as spilled.
        if (name.endsWith('.tmp')) await rm(join(directory, name), { force: true });
        continue;
      }
      const { size } = await stat(join(directory, name));
      store.files.push({ name, firstSeq: Number(match[1]), lastSeq: Number(match[2]), bytes: size });
      store.totalBytes += size;
    }
    store.files.sort((a, b) => a.firstSeq - b.firstSeq);
    return store;
  }

  /** The sequence number after the newest spilled event (0 when empty): where a restarted lane continues. */
  get nextSeq(): number {
    return this.files.reduce((max, f) => Math.max(max, f.lastSeq + 1), 0);
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get fileCount(): number {
    return this.files.length;
  }

  /** The file to replay next, if any. */
  oldest(): SpillFile | undefined {
    return this.files[0];
  }

  /**
   * Writes events (lane sequence numbers `firstSeq`, `firstSeq + 1`, ...) as one file.
   * Events that would take the directory past its byte limit are dropped, newest first.
   */
  write(firstSeq: number, events: readonly InferenceEvent[]): Promise<SpillWriteResult> {
    return this.enqueue(async () => {
      const header = encodeHeader({
        schemaVersion: SCHEMA_VERSION,
        kind: 'spill',
        createdUnixMs: Date.now(),
      });
      const jsons = events.map(serializeEvent);
      let keep = 0;
      let size = header.length;
      for (const json of jsons) {
        const recordBytes = Buffer.byteLength(json, 'utf8') + 10;
        if (this.totalBytes + size + recordBytes > this.maxBytes) break;
        size += recordBytes;
        keep++;
      }
      if (keep === 0) return { written: 0, dropped: events.length };
      const lastSeq = firstSeq + keep - 1;
      const name = `${String(firstSeq).padStart(16, '0')}-${String(lastSeq).padStart(16, '0')}.spill`;
      const path = join(this.directory, name);
      await writeFile(`${path}.tmp`, Buffer.concat([header, encodeRecords(jsons.slice(0, keep))]));
      await rename(`${path}.tmp`, path);
      this.insert({ name, firstSeq, lastSeq, bytes: size });
      return { written: keep, dropped: events.length - keep };
    });
  }

  /** Reads a spill file's events in order, skipping (and logging) damaged records. */
  async read(file: SpillFile): Promise<InferenceEvent[]> {
    const events: InferenceEvent[] = [];
    const path = join(this.directory, file.name);
    for await (const line of readLines(path)) {
      if (line.kind === 'record') events.push(parseEvent(line.json));
      else if (line.kind === 'corrupt') {
        this.logger.error('event pipeline: skipped a spilled record that fails its CRC', {
          file: path,
          offset: line.offset,
        });
      }
    }
    return events;
  }

  /** Deletes a replayed file. */
  remove(file: SpillFile): Promise<void> {
    return this.enqueue(async () => {
      await rm(join(this.directory, file.name), { force: true });
      const i = this.files.indexOf(file);
      if (i >= 0) {
        this.files.splice(i, 1);
        this.totalBytes -= file.bytes;
      }
    });
  }

  /** Replaces a partly delivered file with the events still to deliver (same first sequence number). */
  async replace(file: SpillFile, remaining: readonly InferenceEvent[]): Promise<SpillWriteResult> {
    await this.remove(file);
    return this.write(file.firstSeq, remaining);
  }

  private insert(file: SpillFile): void {
    let i = this.files.length;
    while (i > 0 && this.files[i - 1]!.firstSeq > file.firstSeq) i--;
    this.files.splice(i, 0, file);
    this.totalBytes += file.bytes;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.tail.then(task, task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
