import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentEventLogger } from '../src/event-logger.js';
import { FileEventStore } from '../src/file-store/file-event-store.js';
import type { InferenceEvent } from '../src/inference-event.js';
import { sampleEvent } from '../src/testing/sample-events.js';

/**
 * A real writer process appends at a steady rate while readers in this process read the
 * same directory the ways a detector would (a long-lived store, a read-only one, and the
 * documented `FileEventStore.open` per read); the writer is killed with SIGKILL mid-stream
 * and restarted. Every event the writer acknowledged before a read began must be in that
 * read, once and intact; at the end, every acknowledged event is found by `readRange` and
 * by `findByRequestId`.
 */

const WRITER_SCRIPT = fileURLToPath(new URL('./fixtures/event-writer-process.mjs', import.meta.url));
const BUILT_LIBRARY = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** Events per append and pause between appends: about 500 events/s. */
const BATCH_SIZE = 5;
const APPEND_INTERVAL_MS = 10;
/** Small segments, so the run seals and starts several while readers read. */
const SEGMENT_MAX_BYTES = 32 * 1024;
/**
 * Each writer life lasts until it has acknowledged this many events and the readers have
 * read this many times since it started (not a fixed time: a loaded CI machine can take
 * longer than a second to start a node process), bounded by LIFE_LIMIT_MS.
 */
const EVENTS_PER_LIFE = 300;
const READS_PER_LIFE = 6;
const LIFE_LIMIT_MS = 20_000;
const READER_LOOPS = 3;
/** Two writer lives at most LIFE_LIMIT_MS each, then the final checks. */
const TEST_TIMEOUT_MS = 2 * LIFE_LIMIT_MS + 30_000;

/** A writer child process and the highest index it acknowledged (exclusive). */
class WriterProcess {
  committed: number;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  constructor(directory: string, start: number) {
    this.committed = start;
    this.child = spawn(
      process.execPath,
      [
        WRITER_SCRIPT,
        directory,
        String(start),
        String(BATCH_SIZE),
        String(APPEND_INTERVAL_MS),
        String(SEGMENT_MAX_BYTES),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.committed = Math.max(this.committed, Number(line));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  async killHard(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

let dir: string;
let writer: WriterProcess | undefined;
beforeEach(async () => {
  if (!existsSync(BUILT_LIBRARY))
    throw new Error(`build @sightline/events first: ${BUILT_LIBRARY} is missing`);
  dir = await mkdtemp(join(tmpdir(), 'sightline-store-crash-'));
});
afterEach(async () => {
  await writer?.killHard();
  writer = undefined;
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `done()` holds, polling; fails naming `what` after LIFE_LIMIT_MS. */
async function waitUntil(done: () => boolean, what: string): Promise<void> {
  const giveUpAt = Date.now() + LIFE_LIMIT_MS;
  while (!done()) {
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${LIFE_LIMIT_MS} ms waiting for ${what}`);
    await sleep(10);
  }
}
const indexOf = (event: InferenceEvent) => Number.parseInt(event.eventId.slice('evt-'.length), 16);

/** Checks one read: intact events, no id twice, every index below `committed` present. */
function checkRead(read: InferenceEvent[], committed: number): void {
  const seen = new Set<number>();
  for (const event of read) {
    const i = indexOf(event);
    expect(seen.has(i), `event ${i} read twice`).toBe(false);
    seen.add(i);
    expect(event.requestId).toBe(sampleEvent(i).requestId);
    expect(event.timeUnixMs).toBe(sampleEvent(i).timeUnixMs);
  }
  for (let i = 0; i < committed; i++) expect(seen.has(i), `committed event ${i} not read`).toBe(true);
  if (read.length > 0) expect(read[read.length - 1]).toEqual(sampleEvent(indexOf(read[read.length - 1]!)));
}

async function readAll(store: FileEventStore): Promise<InferenceEvent[]> {
  const out: InferenceEvent[] = [];
  for await (const event of store.readRange(0, Number.MAX_SAFE_INTEGER)) out.push(event);
  return out;
}

describe('FileEventStore with a live writer process', () => {
  it(
    'readers see every committed event through a kill -9 and restart of the writer',
    async () => {
      let reading = true;
      let reads = 0;
      const longLived = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
      const readOnly = await FileEventStore.open({
        directory: dir,
        logger: silentEventLogger,
        readOnly: true,
      });
      let failure: unknown;
      const readerLoop = async (loop: number) => {
        try {
          await readUntilStopped(loop);
        } catch (error) {
          failure ??= error; // the first failure ends the run; the others stop at their next turn
          reading = false;
        }
      };
      const readUntilStopped = async (loop: number) => {
        while (reading) {
          const committed = writer?.committed ?? 0;
          const perRead =
            loop === 0 ? await FileEventStore.open({ directory: dir, logger: silentEventLogger }) : undefined;
          const store = perRead ?? (loop === 1 ? longLived : readOnly);
          checkRead(await readAll(store), committed);
          if (committed > 0) {
            const last = sampleEvent(committed - 1);
            expect(await store.findByRequestId(last.requestId)).toEqual([last]);
          }
          await perRead?.close();
          reads++;
          await sleep(5);
        }
      };

      /** Lets the current writer live until it wrote and was read enough (or a reader failed). */
      const live = async (start: number) => {
        const readsAtStart = reads;
        await waitUntil(
          () =>
            !reading ||
            (writer!.committed >= start + EVENTS_PER_LIFE && reads >= readsAtStart + READS_PER_LIFE),
          'the writer to acknowledge events and the readers to read them',
        );
      };
      writer = new WriterProcess(dir, 0);
      const loops: Promise<void>[] = Array.from({ length: READER_LOOPS }, (_, k) => readerLoop(k));
      await live(0);
      await writer.killHard(); // mid-stream: the live segment is left unsealed, maybe torn
      const acknowledged = writer.committed;
      expect(acknowledged).toBeGreaterThan(0);
      await sleep(50); // readers read the dead writer's directory as it was left

      // A restarted writer re-sends from what was acknowledged, as the pipeline would.
      writer = new WriterProcess(dir, acknowledged);
      await live(acknowledged);
      await writer.killHard();
      reading = false;
      await Promise.all(loops);
      if (failure) throw failure;
      const committed = writer.committed;
      expect(committed).toBeGreaterThan(acknowledged);
      expect(reads).toBeGreaterThan(READER_LOOPS * 3);

      // Readers wrote nothing: every sidecar belongs to a segment a writer sealed.
      const files = await readdir(dir);
      expect(files.filter((n) => n.endsWith('.tmp'))).toEqual([]);

      // A fresh reader, then a restarted writer (which recovers the unsealed segment), see all.
      const reader = await FileEventStore.open({ directory: dir, logger: silentEventLogger, readOnly: true });
      const restarted = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
      await restarted.append([sampleEvent(committed)]);
      for (const store of [reader, restarted, longLived, readOnly]) {
        checkRead(await readAll(store), committed + 1);
        // checkRead saw every event; findByRequestId is sampled (each lookup lists and opens
        // segments: every event through four stores took 4 s unloaded, over the timeout on CI).
        const stride = store === reader || store === restarted ? 7 : 17;
        for (let i = committed; i >= 0; i -= stride) {
          expect(await store.findByRequestId(sampleEvent(i).requestId), `findByRequestId ${i}`).toEqual([
            sampleEvent(i),
          ]);
        }
      }
      await Promise.all([reader.close(), restarted.close(), longLived.close(), readOnly.close()]);
    },
    TEST_TIMEOUT_MS,
  );
});
