import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelledError,
  FailedPreconditionError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnavailableError,
} from '@sightline/errors';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { SinkWriteError } from '../event-sink.js';
import { FileEventStore } from '../file-store/file-event-store.js';
import { FileStoreSink } from '../file-store/file-store-sink.js';
import type { InferenceEvent } from '../inference-event.js';
import { RecordingEventLogger, sampleEvent } from '../testing/sample-events.js';
import { EventHistory, type TailItem } from './event-history.js';
import { compareOldestFirst } from './event-query.js';
import type { EventReader } from './event-reader.js';
import { FileStoreEventReader } from './file-store-event-reader.js';
import { FeedingSink, StoredEventFeed } from './stored-event-feed.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A file store written through a feeding sink, and the history over both. */
async function setup(limits: ConstructorParameters<typeof EventHistory>[0]['limits'] = {}) {
  const directory = await mkdtemp(join(tmpdir(), 'sightline-history-'));
  dirs.push(directory);
  const store = await FileEventStore.open({
    directory,
    logger: new RecordingEventLogger(),
    retentionCheckIntervalMs: 0,
  });
  const feed = new StoredEventFeed();
  const sink = new FeedingSink(new FileStoreSink(store), feed);
  const history = new EventHistory({
    reader: new FileStoreEventReader(store, directory),
    feed,
    limits,
    settingNames: { maxTails: '--max-event-tails', tailBufferEvents: '--event-tail-buffer' },
  });
  return { store, feed, sink, history };
}

/** A cancellation the test triggers. */
function cancellable() {
  let listener: ((reason: Error) => void) | undefined;
  let reason: Error | undefined;
  return {
    cancellation: {
      get cancelReason() {
        return reason;
      },
      onCancel(l: (reason: Error) => void) {
        listener = l;
        return () => {
          listener = undefined;
        };
      },
    },
    cancel(r: Error) {
      reason = r;
      listener?.(r);
    },
  };
}

const ids = (items: readonly TailItem[]) =>
  items.map((i) => (i.kind === 'event' ? i.event.eventId : `caught-up:${i.storedEvents}`));

describe('EventHistory.query', () => {
  it('checks the request, then answers from the reader', async () => {
    const { sink, history } = await setup();
    await sink.write([sampleEvent(1), sampleEvent(2, { modelName: 'wine' }), sampleEvent(3)]);
    const answer = await history.query({ modelName: 'iris', order: 'newest-first' });
    expect(answer.map((e) => e.eventId)).toEqual([sampleEvent(3).eventId, sampleEvent(1).eventId]);
    await expect(history.query({ limit: 1001 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses more concurrent queries than allowed, and takes the next once one ended', async () => {
    let release: () => void = () => {};
    const slow: EventReader = {
      description: 'slow',
      query: () =>
        new Promise<InferenceEvent[]>((resolve) => {
          release = () => resolve([]);
        }),
    };
    const history = new EventHistory({
      reader: slow,
      limits: { maxConcurrentQueries: 1 },
      settingNames: { maxConcurrentQueries: '--max-event-queries' },
    });
    const first = history.query({});
    await expect(history.query({})).rejects.toThrow(
      new ResourceExhaustedError(
        'QueryEvents: 1 event queries are running, the most allowed (set by --max-event-queries); try again shortly',
      ),
    );
    release();
    await first;
    const second = history.query({});
    release();
    await expect(second).resolves.toEqual([]);
  });
});

describe('EventHistory.tail', () => {
  it('sends the newest `last` stored events oldest first, and ends without follow', async () => {
    const { sink, history } = await setup();
    await sink.write([1, 2, 3, 4].map((i) => sampleEvent(i)));
    const items: TailItem[] = [];
    for await (const item of history.tail({ last: 2 })) items.push(item);
    expect(ids(items)).toEqual([sampleEvent(3).eventId, sampleEvent(4).eventId]);
    expect(history.openTails).toBe(0);
  });

  it('follows: stored events, the caught-up marker, then each matching event as it is stored, once', async () => {
    const { sink, history, feed } = await setup();
    await sink.write([sampleEvent(1), sampleEvent(2, { graph: 'other' })]);
    const { cancellation, cancel } = cancellable();
    const tail = history.tail({ last: 5, follow: true, graph: 'iris' }, cancellation);
    const items: TailItem[] = [];
    items.push((await tail.next()).value as TailItem);
    items.push((await tail.next()).value as TailItem);
    expect(feed.listenerCount).toBe(1);
    // Stored while the tail is open: the other graph's event is not sent; a re-sent stored
    // event (told again by the feed) is not sent twice.
    await sink.write([sampleEvent(3, { graph: 'other' }), sampleEvent(1), sampleEvent(4)]);
    items.push((await tail.next()).value as TailItem);
    await sink.write([sampleEvent(5)]);
    items.push((await tail.next()).value as TailItem);
    expect(ids(items)).toEqual([
      sampleEvent(1).eventId,
      'caught-up:1',
      sampleEvent(4).eventId,
      sampleEvent(5).eventId,
    ]);
    const pending = tail.next();
    const reason = new CancelledError('TailEvents: cancelled by the caller');
    cancel(reason);
    await expect(pending).rejects.toBe(reason);
    expect(feed.listenerCount).toBe(0);
    expect(history.openTails).toBe(0);
  });

  it('sends the newest `last` stored matches, then every match stored later, each once (property)', async () => {
    const eventArb = fc.record({ time: fc.integer({ min: 0, max: 20 }), graph: fc.constantFrom('a', 'b') });
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { maxLength: 15 }),
        fc.array(eventArb, { maxLength: 15 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom('a', 'b'),
        async (before, after, resent, last, graph) => {
          const { sink, history } = await setup();
          let n = 0;
          const make = (r: { time: number; graph: string }) =>
            sampleEvent(n++, { timeUnixMs: 1_764_000_000_000 + r.time, graph: r.graph });
          const stored = before.map(make);
          if (stored.length > 0) await sink.write(stored);
          const tail = history.tail({ last, follow: true, graph });
          const items: TailItem[] = [];
          for (;;) {
            const item = (await tail.next()).value as TailItem;
            items.push(item);
            if (item.kind === 'caught-up') break;
          }
          // Stored later: new events, and some stored ones again (the feed tells of them twice).
          const later = [
            ...after.map(make),
            ...resent.map((i) => stored[i % Math.max(1, stored.length)]!).filter(Boolean),
          ];
          if (later.length > 0) await sink.write(later);
          const matching = stored.filter((e) => e.graph === graph).sort(compareOldestFirst);
          const expectedStored = matching.slice(-last);
          const sentIds = new Set(expectedStored.map((e) => e.eventId));
          const expectedLater = later.filter((e) => e.graph === graph && !sentIds.has(e.eventId));
          for (let i = 0; i < expectedLater.length; i++) items.push((await tail.next()).value as TailItem);
          expect(ids(items)).toEqual([
            ...expectedStored.map((e) => e.eventId),
            `caught-up:${expectedStored.length}`,
            ...expectedLater.map((e) => e.eventId),
          ]);
          // Nothing more was waiting: the next item is the end.
          history.close();
          await expect(tail.next()).rejects.toBeInstanceOf(UnavailableError);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('publishes only what a partly failed write stored', async () => {
    const feed = new StoredEventFeed();
    const told: string[] = [];
    feed.subscribe((events) => told.push(...events.map((e) => e.eventId)));
    const failing = {
      name: 'es',
      write: async (events: readonly InferenceEvent[]) => {
        throw new SinkWriteError('partial', [events[0]!], [events[1]!]);
      },
      close: async () => {},
    };
    const sink = new FeedingSink(failing, feed);
    await expect(sink.write([sampleEvent(1), sampleEvent(2), sampleEvent(3)])).rejects.toBeInstanceOf(
      SinkWriteError,
    );
    expect(told).toEqual([sampleEvent(3).eventId]);
    expect(sink.name).toBe('es');
  });

  it('refuses more tails than allowed, naming the setting', async () => {
    const { history } = await setup({ maxTails: 1 });
    const open = history.tail({ follow: true });
    expect(((await open.next()).value as TailItem).kind).toBe('caught-up');
    await expect(history.tail({}).next()).rejects.toThrow(
      new ResourceExhaustedError(
        'TailEvents: 1 tails are open, the most allowed (set by --max-event-tails); try again later',
      ),
    );
    await open.return(undefined);
    expect(history.openTails).toBe(0);
  });

  it('ends a tail whose caller reads slower than events are stored, naming the setting', async () => {
    const { history, sink } = await setup({ tailBufferEvents: 2 });
    const tail = history.tail({ follow: true });
    await tail.next();
    await sink.write([1, 2, 3].map((i) => sampleEvent(i)));
    await expect(tail.next()).rejects.toThrow(
      new ResourceExhaustedError(
        'TailEvents: more than 2 events (set by --event-tail-buffer) waited to be sent to this caller, which reads slower than events are stored; tail again',
      ),
    );
  });

  it('counts the events taken but not yet sent in the buffer: a stalled caller holds at most the one being sent and tailBufferEvents more', async () => {
    const { history, sink } = await setup({ tailBufferEvents: 2 });
    const tail = history.tail({ follow: true });
    await tail.next();
    await sink.write([1, 2].map((i) => sampleEvent(i)));
    // The caller takes one event (its send now waits on a slow reader) and reads no further.
    expect(((await tail.next()).value as TailItem & { kind: 'event' }).event.eventId).toBe(
      sampleEvent(1).eventId,
    );
    // Event 2 still waits, so 3 and 4 make three waiting behind the one being sent: one too many.
    await sink.write([3, 4].map((i) => sampleEvent(i)));
    await expect(tail.next()).rejects.toThrow(
      new ResourceExhaustedError(
        'TailEvents: more than 2 events (set by --event-tail-buffer) waited to be sent to this caller, which reads slower than events are stored; tail again',
      ),
    );
  });

  it('ends open tails with UNAVAILABLE on close, and refuses new ones', async () => {
    const { history } = await setup();
    const tail = history.tail({ follow: true });
    await tail.next();
    const pending = tail.next();
    history.close('the router is shutting down');
    await expect(pending).rejects.toThrow(
      new UnavailableError('TailEvents: the router is shutting down; tail again'),
    );
    await expect(history.tail({}).next()).rejects.toBeInstanceOf(UnavailableError);
  });

  it('cannot follow a store another process writes', async () => {
    const history = new EventHistory({ reader: { description: 'file store /x', query: async () => [] } });
    await expect(history.tail({ follow: true }).next()).rejects.toThrow(
      new FailedPreconditionError(
        'follow: file store /x is not written by this process, so new events cannot be followed',
      ),
    );
    const items: TailItem[] = [];
    for await (const item of history.tail({})) items.push(item);
    expect(items).toEqual([]);
  });
});
