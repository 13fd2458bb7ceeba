import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentEventLogger } from '../event-logger.js';
import type { InferenceEvent } from '../inference-event.js';
import { RecordingEventLogger, sampleEvent } from '../testing/sample-events.js';
import { FileEventStore } from './file-event-store.js';
import { buildIndex, isIndexCurrent, readIndex, writeIndex } from './segment-index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sightline-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(it: AsyncIterable<InferenceEvent>): Promise<InferenceEvent[]> {
  const out: InferenceEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const events = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => sampleEvent(from + k));
const segmentFiles = async () => (await readdir(dir)).filter((n) => n.endsWith('.seg')).sort();

describe('FileEventStore', () => {
  it('reads back by time range and request id, from the active and from sealed segments', async () => {
    const store = await FileEventStore.open({
      directory: dir,
      logger: silentEventLogger,
      segmentMaxBytes: 2048,
    });
    for (let i = 0; i < 40; i += 5) await store.append(events(i, i + 5));
    expect(store.segments().filter((s) => s.sealed).length).toBeGreaterThan(1);
    const t0 = sampleEvent(0).timeUnixMs;
    const range = await collect(store.readRange(t0 + 5, t0 + 25));
    expect(range.map((e) => e.eventId)).toEqual(events(5, 25).map((e) => e.eventId));
    expect(range[0]).toEqual(sampleEvent(5));
    expect(await store.findByRequestId(sampleEvent(33).requestId)).toEqual([sampleEvent(33)]);
    expect(await store.findByRequestId('req-unknown')).toEqual([]);
    await store.close();

    // Reopened: the sidecar indexes answer the same reads.
    const again = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    expect((await collect(again.readRange(0, Number.MAX_SAFE_INTEGER))).length).toBe(40);
    expect(await again.findByRequestId(sampleEvent(3).requestId)).toEqual([sampleEvent(3)]);
    await again.close();
  });

  it('names segments so they sort by creation time and writes a versioned header', async () => {
    let now = 1_000;
    const store = await FileEventStore.open({
      directory: dir,
      logger: silentEventLogger,
      segmentMaxAgeMs: 10,
      now: () => now,
    });
    await store.append(events(0, 2));
    now += 20;
    await store.append(events(2, 4)); // older than segmentMaxAgeMs: sealed, a new one started
    await store.close();
    const names = await segmentFiles();
    expect(names).toEqual(['0000000001000-000000.seg', '0000000001020-000001.seg']);
    const first = await readFile(join(dir, names[0]!), 'utf8');
    expect(first.split('\n')[0]).toBe(
      '#sightline-events {"schemaVersion":1,"kind":"segment","createdUnixMs":1000}',
    );
    expect(first.split('\n')[1]).toMatch(/^[0-9a-f]{8} \{"eventId":"evt-00000000"/);
  });

  it('deduplicates retried events on read', async () => {
    const store = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    await store.append(events(0, 5));
    await store.append(events(3, 8)); // a sink retry re-sends 3 and 4
    expect((await collect(store.readRange(0, Number.MAX_SAFE_INTEGER))).map((e) => e.eventId)).toEqual(
      events(0, 8).map((e) => e.eventId),
    );
    expect(await store.findByRequestId(sampleEvent(4).requestId)).toHaveLength(1);
    await store.close();
  });

  it('detects a torn last record after a crash, cuts it off and keeps appending', async () => {
    const store = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    await store.append(events(0, 10));
    // Simulate a crash: no close (no sidecar), then the last record torn mid-line.
    const [name] = await segmentFiles();
    const path = join(dir, name!);
    const { size } = await stat(path);
    await truncate(path, size - 25);
    const logger = new RecordingEventLogger();
    const reopened = await FileEventStore.open({ directory: dir, logger });
    // Before it writes, the store only reads: the torn tail is skipped, not cut off.
    const read = await collect(reopened.readRange(0, Number.MAX_SAFE_INTEGER));
    expect(read.map((e) => e.eventId)).toEqual(events(0, 9).map((e) => e.eventId));
    expect((await stat(path)).size).toBe(size - 25);
    await reopened.append(events(10, 12));
    expect(logger.lines.some((l) => l.message.includes('torn last record'))).toBe(true);
    expect((await collect(reopened.readRange(0, Number.MAX_SAFE_INTEGER))).length).toBe(11);
    expect(await reopened.findByRequestId(sampleEvent(11).requestId)).toHaveLength(1);
    await reopened.close();
    await store.close().catch(() => undefined);
  });

  it('skips a record whose CRC does not match and reads the rest', async () => {
    const store = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    await store.append(events(0, 3));
    await store.close();
    const [name] = await segmentFiles();
    const path = join(dir, name!);
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"evt-00000001"', '"evt-0000000X"'));
    const logger = new RecordingEventLogger();
    const reopened = await FileEventStore.open({ directory: dir, logger });
    const read = await collect(reopened.readRange(0, Number.MAX_SAFE_INTEGER));
    expect(read.map((e) => e.eventId)).toEqual(['evt-00000000', 'evt-00000002']);
    expect(logger.lines.some((l) => l.message.includes('fails its CRC'))).toBe(true);
    await reopened.close();
  });

  it('refuses a segment written by a newer format version', async () => {
    await appendFile(
      join(dir, '0000000000001-000000.seg'),
      '#sightline-events {"schemaVersion":99,"kind":"segment","createdUnixMs":1}\n',
    );
    const logger = new RecordingEventLogger();
    const store = await FileEventStore.open({ directory: dir, logger });
    expect(await collect(store.readRange(0, Number.MAX_SAFE_INTEGER))).toEqual([]);
    expect(logger.lines[0]?.message).toMatch(/schemaVersion 99 is not supported/);
    await store.append(events(0, 1)); // the writer refuses it too, and starts a segment of its own
    expect(store.segments().map((s) => s.records)).toEqual([1]);
    await store.close();
  });

  it('retention deletes segments past the age limit and, oldest first, past the byte limit', async () => {
    let now = sampleEvent(0).timeUnixMs;
    const store = await FileEventStore.open({
      directory: dir,
      logger: silentEventLogger,
      segmentMaxBytes: 2048,
      retentionMaxAgeMs: 60_000,
      retentionMaxBytes: 1_000_000,
      retentionCheckIntervalMs: 0,
      now: () => now,
    });
    for (let i = 0; i < 6; i++) await store.append(events(i * 5, i * 5 + 5));
    const sealedBefore = store.segments().filter((s) => s.sealed);
    expect(sealedBefore.length).toBeGreaterThanOrEqual(3);

    // Nothing is old or over the limit yet.
    expect(await store.applyRetention()).toEqual({ deletedSegments: 0, deletedBytes: 0 });

    // Events from 2 minutes ago: every sealed segment is past the age limit.
    now += 120_000;
    await store.append([sampleEvent(100, { timeUnixMs: now })]);
    const byAge = await store.applyRetention();
    expect(byAge.deletedSegments).toBeGreaterThanOrEqual(sealedBefore.length);
    expect((await collect(store.readRange(0, Number.MAX_SAFE_INTEGER))).map((e) => e.eventId)).toEqual([
      'evt-00000064',
    ]);
    await store.close();

    // Byte limit: keep only what fits, dropping the oldest.
    const limited = await FileEventStore.open({
      directory: dir,
      logger: silentEventLogger,
      segmentMaxBytes: 2048,
      retentionMaxBytes: 5000,
      retentionCheckIntervalMs: 0,
      now: () => now,
    });
    for (let i = 0; i < 8; i++)
      await limited.append(events(200 + i * 5, 205 + i * 5).map((e) => ({ ...e, timeUnixMs: now })));
    await limited.applyRetention();
    const total = limited.segments().reduce((sum, s) => sum + s.bytes, 0);
    expect(total).toBeLessThanOrEqual(5000);
    const left = await collect(limited.readRange(0, Number.MAX_SAFE_INTEGER));
    expect(left.at(-1)!.eventId).toBe(sampleEvent(239).eventId);
    expect(left.some((e) => e.eventId === 'evt-000000c8')).toBe(false); // the oldest (200) went first
    await limited.close();
    const files = await readdir(dir);
    expect(files.filter((n) => n.endsWith('.idx')).length).toBe(
      files.filter((n) => n.endsWith('.seg')).length,
    );
  });

  it('a reader writes nothing and sees every event committed before each read, live segment included', async () => {
    const writer = await FileEventStore.open({
      directory: dir,
      logger: silentEventLogger,
      segmentMaxBytes: 4096,
    });
    await writer.append(events(0, 30)); // several sealed segments and a live one
    const before = await directorySnapshot();
    const reader = await FileEventStore.open({ directory: dir, logger: silentEventLogger, readOnly: true });
    expect((await collect(reader.readRange(0, Number.MAX_SAFE_INTEGER))).map((e) => e.eventId)).toEqual(
      events(0, 30).map((e) => e.eventId),
    );
    expect(await reader.findByRequestId(sampleEvent(29).requestId)).toEqual([sampleEvent(29)]);
    await reader.close();
    expect(await directorySnapshot()).toEqual(before);

    // The live segment grows after the reader's first look: the next read sees the growth.
    const again = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    expect((await collect(again.readRange(0, Number.MAX_SAFE_INTEGER))).length).toBe(30);
    await writer.append(events(30, 33));
    expect((await collect(again.readRange(0, Number.MAX_SAFE_INTEGER))).length).toBe(33);
    expect(await again.findByRequestId(sampleEvent(32).requestId)).toEqual([sampleEvent(32)]);
    await again.close();
    await writer.close();
  });

  it('refuses writes when opened read-only', async () => {
    const reader = await FileEventStore.open({ directory: dir, logger: silentEventLogger, readOnly: true });
    await expect(reader.append(events(0, 1))).rejects.toThrow(/read-only/);
    await expect(reader.applyRetention()).rejects.toThrow(/read-only/);
    expect(await readdir(dir)).toEqual([]);
    await reader.close();
  });

  it('rebuilds an index that covers less than its segment (written while the segment grew), after a crash', async () => {
    const crashed = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    await crashed.append(events(0, 10));
    const [name] = await segmentFiles();
    const path = join(dir, name!);
    // What an older reader did: an index of the live segment as it was then.
    const lagging = buildIndex([sampleEvent(0).requestId], 1, 0, 0, 10, (await stat(path)).size);
    await writeIndex(path, lagging);
    await crashed.append(events(10, 20)); // the writer keeps appending, then dies (no close)

    const reader = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    expect((await collect(reader.readRange(0, Number.MAX_SAFE_INTEGER))).length).toBe(20);
    expect(await reader.findByRequestId(sampleEvent(15).requestId)).toEqual([sampleEvent(15)]);

    const restarted = await FileEventStore.open({ directory: dir, logger: silentEventLogger });
    await restarted.append(events(20, 21));
    expect(restarted.segments()[0]).toMatchObject({ name, sealed: true, records: 20 });
    expect((await collect(restarted.readRange(0, Number.MAX_SAFE_INTEGER))).length).toBe(21);
    expect(await restarted.findByRequestId(sampleEvent(15).requestId)).toEqual([sampleEvent(15)]);
    await restarted.close();
    const rebuilt = await readIndex(path);
    expect(rebuilt && isIndexCurrent(rebuilt, (await stat(path)).size)).toBe(true);
    expect(await reader.findByRequestId(sampleEvent(15).requestId)).toEqual([sampleEvent(15)]);
    await reader.close();
  });
});

async function directorySnapshot(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of (await readdir(dir)).sort()) {
    const info = await stat(join(dir, name));
    out[name] = info.size + info.mtimeMs;
  }
  return out;
}
