import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledError, ResourceExhaustedError } from '@sightline/errors';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FileEventStore } from '../file-store/file-event-store.js';
import type { InferenceEvent } from '../inference-event.js';
import { RecordingEventLogger, sampleEvent } from '../testing/sample-events.js';
import { compareOldestFirst, type EventQuery, matchesEventFilter } from './event-query.js';
import { FileStoreEventReader } from './file-store-event-reader.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function store(options: { segmentMaxBytes?: number } = {}) {
  const directory = await mkdtemp(join(tmpdir(), 'sightline-query-'));
  dirs.push(directory);
  const logger = new RecordingEventLogger();
  const writer = await FileEventStore.open({
    directory,
    logger,
    retentionCheckIntervalMs: 0,
    ...options,
  });
  return { directory, writer, logger };
}

/** The answer by definition: distinct matching events, sorted, the first `limit`. */
function expected(appended: readonly InferenceEvent[], query: EventQuery): string[] {
  const byId = new Map(appended.map((e) => [e.eventId, e]));
  const sorted = [...byId.values()].filter((e) => matchesEventFilter(e, query)).sort(compareOldestFirst);
  if (query.order === 'newest-first') sorted.reverse();
  return sorted.slice(0, query.limit).map((e) => e.eventId);
}

const BASE_MS = 1_764_000_000_000;
const MODELS = ['iris', 'wine'];
const GRAPHS = ['', 'iris', 'ab'];
const STATUSES = ['OK', 'UNAVAILABLE'];

/** Events with few distinct times (ties), models, graphs, statuses and request ids (shadows). */
const eventArb = fc.record({
  time: fc.integer({ min: 0, max: 12 }),
  model: fc.constantFrom(...MODELS),
  graph: fc.constantFrom(...GRAPHS),
  request: fc.integer({ min: 0, max: 15 }),
  status: fc.constantFrom(...STATUSES),
  // Ids that do not follow append order, so ties in time are broken across segments.
  idKey: fc.integer({ min: 100, max: 999 }),
});

const queryArb = fc.record(
  {
    fromUnixMs: fc.integer({ min: -2, max: 14 }).map((t) => BASE_MS + t),
    span: fc.integer({ min: 0, max: 16 }),
    modelName: fc.constantFrom(...MODELS),
    graph: fc.constantFrom(...GRAPHS),
    requestId: fc.integer({ min: 0, max: 16 }).map((r) => `req-${r}`),
    statusCode: fc.constantFrom(...STATUSES),
    limit: fc.integer({ min: 1, max: 30 }),
    order: fc.constantFrom('oldest-first' as const, 'newest-first' as const),
  },
  { requiredKeys: ['limit', 'order'] },
);

describe('FileStoreEventReader', () => {
  it('answers exactly the sorted, distinct, matching events, the first `limit` of them (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(eventArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.array(queryArb, { minLength: 1, maxLength: 6 }),
        async (batches, duplicates, queries) => {
          // Small segments: a handful of events each, so queries span sealed and live segments.
          const { directory, writer } = await store({ segmentMaxBytes: 4096 });
          const appended: InferenceEvent[] = [];
          let n = 0;
          for (const batch of batches) {
            const events = batch.map((r) =>
              sampleEvent(n++, {
                timeUnixMs: BASE_MS + r.time,
                modelName: r.model,
                graph: r.graph,
                requestId: `req-${r.request}`,
                statusCode: r.status,
                eventId: `evt-${r.idKey}-${n}`,
              }),
            );
            await writer.append(events);
            appended.push(...events);
          }
          // A sink retry appends some events a second time.
          const again = duplicates.map((d) => appended[d % appended.length]!);
          if (again.length > 0) await writer.append(again);
          const readers = [
            new FileStoreEventReader(writer, directory),
            // Another process's view: lists the directory, reads unindexed live segments whole.
            new FileStoreEventReader(
              await FileEventStore.open({ directory, logger: new RecordingEventLogger(), readOnly: true }),
              directory,
            ),
          ];
          for (const q of queries) {
            const { span, ...rest } = q;
            const query: EventQuery = {
              ...rest,
              ...(span !== undefined && { toUnixMs: (q.fromUnixMs ?? BASE_MS) + span }),
            };
            for (const reader of readers) {
              const answer = await reader.query(query);
              expect(answer.map((e) => e.eventId)).toEqual(expected(appended, query));
              // A scan holds every match once (no limit), in store order.
              const scanned: string[] = [];
              const { limit: _limit, order: _order, ...filter } = query;
              const range = {
                fromUnixMs: query.fromUnixMs ?? 0,
                toUnixMs: query.toUnixMs ?? BASE_MS + 1_000,
              };
              for await (const batch of reader.scan({ ...filter, ...range, batchEvents: 3 })) {
                expect(batch.length).toBeLessThanOrEqual(3);
                scanned.push(...batch.map((e) => e.eventId));
              }
              const all = { ...query, ...range, limit: appended.length + 1, order: 'oldest-first' as const };
              expect(scanned.sort()).toEqual(expected(appended, all).sort());
            }
          }
          await writer.close();
          await rm(directory, { recursive: true, force: true });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('opens only segments whose time span overlaps the range, and stops once the answer is complete', async () => {
    const { directory, writer } = await store({ segmentMaxBytes: 2048 });
    const events = Array.from({ length: 40 }, (_, i) => sampleEvent(i));
    for (const event of events) await writer.append([event]);
    const opened: string[] = [];
    const spy = Object.create(writer) as FileEventStore;
    spy.readSegmentEvents = (segment) => {
      opened.push(segment.path);
      return writer.readSegmentEvents(segment);
    };
    const reader = new FileStoreEventReader(spy, directory);
    const segments = await writer.listSegments();
    expect(segments.length).toBeGreaterThan(4);

    const first = await reader.query({ limit: 2, order: 'oldest-first' });
    expect(first.map((e) => e.eventId)).toEqual([events[0]!.eventId, events[1]!.eventId]);
    expect(opened.length).toBeLessThan(segments.length);

    opened.length = 0;
    const last = await reader.query({ limit: 1, order: 'newest-first' });
    expect(last.map((e) => e.eventId)).toEqual([events[39]!.eventId]);
    expect(opened).toEqual([segments[segments.length - 1]!.path]);

    opened.length = 0;
    const t = events[20]!.timeUnixMs;
    const one = await reader.query({ fromUnixMs: t, toUnixMs: t + 1, limit: 10, order: 'oldest-first' });
    expect(one.map((e) => e.eventId)).toEqual([events[20]!.eventId]);
    expect(opened).toHaveLength(1);
  });

  it('scans a range reading each overlapping segment once', async () => {
    const { directory, writer } = await store({ segmentMaxBytes: 2048 });
    const events = Array.from({ length: 40 }, (_, i) => sampleEvent(i));
    for (const event of events) await writer.append([event]);
    const opened: string[] = [];
    const spy = Object.create(writer) as FileEventStore;
    spy.readSegmentEvents = (segment) => {
      opened.push(segment.path);
      return writer.readSegmentEvents(segment);
    };
    const reader = new FileStoreEventReader(spy, directory);
    const from = events[5]!.timeUnixMs;
    const to = events[35]!.timeUnixMs;
    const ids: string[] = [];
    for await (const batch of reader.scan({ fromUnixMs: from, toUnixMs: to, batchEvents: 4 })) {
      ids.push(...batch.map((e) => e.eventId));
    }
    expect(ids).toEqual(events.slice(5, 35).map((e) => e.eventId));
    expect(new Set(opened).size).toBe(opened.length);
    expect(opened.length).toBeLessThan((await writer.listSegments()).length);
  });

  it('breaks ties in time by event id across segments, from either end', async () => {
    // One segment per append: the second segment's first event ties with the first's last.
    const { directory, writer } = await store({ segmentMaxBytes: 1 });
    const at = (t: number, id: string) => sampleEvent(0, { timeUnixMs: BASE_MS + t, eventId: id });
    await writer.append([at(5, 'b'), at(1, 'z')]);
    await writer.append([at(5, 'a'), at(9, 'c')]);
    await writer.append([at(5, 'd'), at(0, 'y')]);
    expect((await writer.listSegments()).length).toBe(3);
    const reader = new FileStoreEventReader(writer, directory);
    const oldest = await reader.query({ limit: 3, order: 'oldest-first' });
    expect(oldest.map((e) => e.eventId)).toEqual(['y', 'z', 'a']);
    const newest = await reader.query({ limit: 3, order: 'newest-first' });
    expect(newest.map((e) => e.eventId)).toEqual(['c', 'd', 'b']);
  });

  it('reads only the segments whose request-id filter may hold the id', async () => {
    const { directory, writer } = await store({ segmentMaxBytes: 2048 });
    for (let i = 0; i < 40; i++) await writer.append([sampleEvent(i)]);
    await writer.close();
    const reader = await FileEventStore.open({
      directory,
      logger: new RecordingEventLogger(),
      readOnly: true,
    });
    const opened: string[] = [];
    const spy = Object.create(reader) as FileEventStore;
    spy.readSegmentEvents = (segment) => {
      opened.push(segment.path);
      return reader.readSegmentEvents(segment);
    };
    const answer = await new FileStoreEventReader(spy, directory).query({
      requestId: sampleEvent(7).requestId,
      limit: 10,
      order: 'oldest-first',
    });
    expect(answer.map((e) => e.eventId)).toEqual([sampleEvent(7).eventId]);
    // A Bloom filter may say "maybe" for another segment, rarely: a few at most.
    expect(opened.length).toBeLessThanOrEqual(3);
  });

  it('refuses a query that reads more stored events than allowed, naming the setting', async () => {
    const { directory, writer } = await store();
    await writer.append(Array.from({ length: 20 }, (_, i) => sampleEvent(i)));
    const reader = new FileStoreEventReader(writer, directory, {
      maxEventsScanned: 10,
      maxEventsScannedSetting: '--max-events-scanned-per-query',
    });
    const error = await reader.query({ modelName: 'none', limit: 5, order: 'oldest-first' }).catch((e) => e);
    expect(error).toBeInstanceOf(ResourceExhaustedError);
    expect((error as Error).message).toBe(
      'query: read 10 stored events (set by --max-events-scanned-per-query) without finishing; narrow from_time and to_time',
    );
  });

  it('stops with the cancellation reason once the caller gives up', async () => {
    const { directory, writer } = await store();
    await writer.append(Array.from({ length: 5 }, (_, i) => sampleEvent(i)));
    const reason = new CancelledError('QueryEvents: cancelled by the caller');
    const cancelled = { cancelReason: reason, onCancel: () => () => {} };
    await expect(
      new FileStoreEventReader(writer, directory).query({ limit: 5, order: 'oldest-first' }, cancelled),
    ).rejects.toBe(reason);
  });

  it('answers nothing for an empty range or an empty store', async () => {
    const { directory, writer } = await store();
    const reader = new FileStoreEventReader(writer, directory);
    expect(await reader.query({ limit: 5, order: 'oldest-first' })).toEqual([]);
    await writer.append([sampleEvent(1)]);
    const t = sampleEvent(1).timeUnixMs;
    expect(await reader.query({ fromUnixMs: t, toUnixMs: t, limit: 5, order: 'oldest-first' })).toEqual([]);
  });
});
