/**
 * kill -9: a child process writes predictions and joining feedback through the store and
 * prints each acknowledged batch; the test SIGKILLs it mid-stream, reopens the store and
 * finds every acknowledged item joined, intact. SQLite: the file in a temp directory;
 * PostgreSQL: the writer is killed, the server keeps running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JoinedPair } from '../../src/domain/records.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { BACKENDS, newStoreLocation, type StoreLocation } from '../helpers/store-backends.js';

const WRITER = fileURLToPath(new URL('./fixtures/store-writer.mjs', import.meta.url));
const BUILT_PACKAGE = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
/** Items per call; the kill comes once this many batches are acknowledged (not at a fixed time). */
const BATCH_SIZE = 20;
const ACKED_BEFORE_KILL = 60 * BATCH_SIZE;
/** A loaded machine may take this long to start the writer and reach the mark. */
const WAIT_LIMIT_MS = 30_000;

let postgres: TestPostgres;
beforeAll(async () => {
  if (!existsSync(BUILT_PACKAGE))
    throw new Error(`build @sightline/metrics first (npx tsc -b): the writer imports ${BUILT_PACKAGE}`);
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

class Writer {
  acknowledged = 0;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private stderr = '';

  constructor(backend: string, address: string) {
    this.child = spawn(process.execPath, [WRITER, backend, address, String(BATCH_SIZE)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) this.acknowledged = Math.max(this.acknowledged, Number(line));
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  async waitForAcknowledged(count: number): Promise<void> {
    const giveUpAt = Date.now() + WAIT_LIMIT_MS;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => {
      exitCode = code;
    });
    while (this.acknowledged < count) {
      if (exitCode !== undefined) throw new Error(`the writer exited (${exitCode}): ${this.stderr}`);
      if (Date.now() > giveUpAt)
        throw new Error(
          `the writer acknowledged ${this.acknowledged} of ${count} items in ${WAIT_LIMIT_MS} ms`,
        );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async killHard(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

describe.each(BACKENDS)('kill -9 of a writer on %s', (backend) => {
  let location: StoreLocation;
  let writer: Writer | undefined;
  afterEach(async () => {
    await writer?.killHard();
    await location?.cleanup();
  });

  it('loses no acknowledged prediction, feedback or join', async () => {
    location = await newStoreLocation(backend, () => postgres);
    // Create the schema first, so the writer's start is only the writes.
    await (await location.open()).close();
    writer = new Writer(backend, location.address);
    await writer.waitForAcknowledged(ACKED_BEFORE_KILL);
    await writer.killHard();
    const acknowledged = writer.acknowledged;
    writer = undefined;

    const store = await location.open();
    try {
      const pairs: JoinedPair[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.joinedPairs({
          modelName: 'iris',
          fromMs: 0,
          toMs: Number.MAX_SAFE_INTEGER,
          ...(cursor ? { cursor } : {}),
        });
        pairs.push(...page.pairs);
        cursor = page.next;
      } while (cursor);
      // Everything acknowledged is there, joined with its own truth; the batch in flight may be too.
      expect(pairs.length).toBeGreaterThanOrEqual(acknowledged);
      for (let i = 0; i < acknowledged; i++) {
        const pair = pairs[i]!;
        expect(pair.eventId).toBe(`e${String(i).padStart(8, '0')}`);
        expect(pair.requestId).toBe(`r${i}`);
        expect(pair.truth).toEqual({ kind: 'label', label: i % 2 === 0 ? 'even' : 'odd' });
      }
      const counts = await store.counts({ modelName: 'iris', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
      expect(counts.predictedRows).toBeGreaterThanOrEqual(acknowledged);
      // The store still takes writes after the crash.
      const again = await store.recordPredictions([], Date.now());
      expect(again.recorded).toBe(0);
    } finally {
      await store.close();
    }
  });
});
