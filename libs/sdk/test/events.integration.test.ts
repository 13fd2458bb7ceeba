/**
 * The events sub-client against a real router (examples/graphs) in front of a real
 * model-server, both child processes on 127.0.0.1 ephemeral ports: a following tail sees
 * a request made through the SDK as it is stored, queries find it by request id, model
 * and time range, and bad input is the family's InvalidArgumentError naming the field.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventTailItem, InvalidArgumentError, Sightline } from '../src/index.js';
import { type ChildService, startModelServer, startRouter } from './helpers/child-service.js';

let modelServer: ChildService;
let router: ChildService;
let dataDir: string;
let sightline: Sightline;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'sdk-events-'));
  modelServer = await startModelServer();
  router = await startRouter(modelServer.address, dataDir, ['--max-events-per-query', '20']);
  sightline = new Sightline({ addresses: { router: router.address, modelServer: modelServer.address } });
});

afterAll(async () => {
  sightline?.close();
  await router?.stop();
  await modelServer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('events', () => {
  it('tails a new request as it is stored, then finds it by request id, model and time range', async () => {
    const before = Date.now();
    const controller = new AbortController();
    const tail = sightline.events.tail({ follow: true, graph: 'iris', signal: controller.signal });
    const first = await tail.next();
    expect(first.value).toEqual({ kind: 'caught-up', storedEvents: 0 });

    await sightline.inference.infer('iris', { input: [[5.1, 3.5, 1.4, 0.2]] }, { id: 'sdk-event-1' });
    const seen = (await tail.next()).value as EventTailItem;
    expect(seen.kind).toBe('event');
    const event = (seen as Extract<EventTailItem, { kind: 'event' }>).event;
    expect(event).toMatchObject({
      requestId: 'sdk-event-1',
      graph: 'iris',
      modelName: 'iris',
      statusCode: 'OK',
    });
    await tail.return(undefined);

    // Stored before the tail heard of it, so every query sees it now.
    const [byId] = await sightline.events.query({ requestId: 'sdk-event-1' });
    expect(byId?.eventId).toBe(event.eventId);
    expect(byId?.outputs.map((o) => o.name)).toEqual(['probabilities']);
    await sightline.inference.infer('iris', { input: [[6.9, 3.1, 5.4, 2.1]] }, { id: 'sdk-event-2' });
    const after = Date.now() + 1;
    let inRange: Awaited<ReturnType<typeof sightline.events.query>> = [];
    // The second event is stored shortly after its answer: ask until it is there.
    for (let attempt = 0; attempt < 200 && inRange.length < 2; attempt++) {
      inRange = await sightline.events.query({ from: before, to: after, modelName: 'iris' });
      if (inRange.length < 2) await new Promise((r) => setTimeout(r, 10));
    }
    expect(inRange.map((e) => e.requestId)).toEqual(['sdk-event-1', 'sdk-event-2']);
    const newest = await sightline.events.query({ from: new Date(before), order: 'newest-first', limit: 1 });
    expect(newest.map((e) => e.requestId)).toEqual(['sdk-event-2']);
  });

  it('without follow, the tail ends after the newest stored events', async () => {
    const items: EventTailItem[] = [];
    for await (const item of sightline.events.tail({ last: 1 })) items.push(item);
    expect(items).toHaveLength(1);
    expect(items[0]?.kind).toBe('event');
  });

  it('throws the family error naming the field for bad input', async () => {
    const backwards = await sightline.events.query({ from: 2000, to: 1000 }).catch((e: unknown) => e);
    expect(backwards).toBeInstanceOf(InvalidArgumentError);
    expect((backwards as InvalidArgumentError).field).toBe('to_time');
    const tooMany = await sightline.events.query({ limit: 21 }).catch((e: unknown) => e);
    expect(tooMany).toBeInstanceOf(InvalidArgumentError);
    expect((tooMany as InvalidArgumentError).message).toBe(
      'limit: at most 20 events (set by --max-events-per-query); got 21',
    );
    const tail = sightline.events.tail({ last: 21 });
    await expect(tail.next()).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses before any call what the request cannot carry, naming the field (not INTERNAL "serialization failure")', async () => {
    const refused = async (call: () => Promise<unknown>): Promise<InvalidArgumentError> => {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      return error as InvalidArgumentError;
    };
    for (const limit of [2 ** 32, -1, 1.5, Number.NaN]) {
      expect((await refused(() => sightline.events.query({ limit }))).field).toBe('limit');
    }
    for (const from of [Number.NaN, new Date(Number.NaN), 8.64e15 + 1, 1e20]) {
      expect((await refused(() => sightline.events.query({ from }))).field).toBe('from');
    }
    expect((await refused(() => sightline.events.query({ to: Number.POSITIVE_INFINITY }))).field).toBe('to');
    const order = 'sideways' as 'oldest-first';
    expect((await refused(() => sightline.events.query({ order }))).field).toBe('order');
    expect((await refused(() => sightline.events.tail({ last: 2 ** 32 }).next())).field).toBe('last');
  });
});
