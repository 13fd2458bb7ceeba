/**
 * EventService over real gRPC against a router started in the test's process, in front of
 * a real model-server child process: routed requests are found again by QueryEvents (by
 * request id, model, graph, time range), a following TailEvents sees a new request, bad
 * input gets INVALID_ARGUMENT naming the field, and the bounds are RESOURCE_EXHAUSTED
 * naming their flag. No assertion is timed: the test waits for the pipeline to flush.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { eventsV1, type inference } from '@sightline/contracts';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { type ChildService, startChildService } from './helpers/child-service.js';
import { collect, eventClient, queryEvents, reader } from './helpers/event-calls.js';
import { oneHopGraphsDir } from './helpers/one-hop-graphs.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, inferenceClient, irisRequest } from './helpers/v2-calls.js';

const MAX_EVENTS_PER_QUERY = 50;

let modelServer: ChildService;
let router: RouterHandle;
let infer: inference.GRPCInferenceServiceClient;
let events: eventsV1.EventServiceClient;
const cleanups: (() => Promise<void> | void)[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startTestRouter(flags: Record<string, unknown>): Promise<RouterHandle> {
  const handle = await startRouter(
    testRouterConfig({
      graphs: oneHopGraphsDir(),
      defaultModelServer: modelServer.address,
      dataDir: await tempDir('router-events-'),
      maxEventsPerQuery: String(MAX_EVENTS_PER_QUERY),
      ...flags,
    }),
    { logger: silentLogger(), env: { MODEL_SERVER_ADDRESS: modelServer.address } },
  );
  cleanups.push(() => handle.shutdown());
  return handle;
}

beforeAll(async () => {
  modelServer = await startChildService('model-server', ['--repository', 'examples/models']);
  router = await startTestRouter({});
  infer = inferenceClient(router.grpcAddress);
  events = eventClient(router.grpcAddress);
}, 120_000);

afterAll(async () => {
  infer?.close();
  events?.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await modelServer?.stop();
});

/** Sends an iris request through the graph `model` with request id `id`. */
function send(model: string, id: string, rows = [[5.1, 3.5, 1.4, 0.2]]) {
  return call(infer, infer.modelInfer, irisRequest(model, rows, id));
}

/** The events of `request`, once the pipeline has stored `count` of them. */
async function stored(request: Partial<eventsV1.QueryEventsRequest>, count: number) {
  for (let attempt = 0; attempt < 200; attempt++) {
    await router.pipeline!.flush();
    const found = await queryEvents(events, request);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`QueryEvents ${JSON.stringify(request)}: fewer than ${count} events stored`);
}

describe('QueryEvents', () => {
  it('finds routed requests by request id, graph, model and time range', async () => {
    const before = new Date();
    const ids = ['q-1', 'q-2', 'q-3'].map((id) => `${id}-${Date.now()}`);
    for (const id of ids) await send('iris', id, [[5.1, 3.5, 1.4, 0.2]]);
    await send('iris-switch', `other-${Date.now()}`);

    const [byId] = await stored({ requestId: ids[1]! }, 1);
    expect(byId).toMatchObject({
      requestId: ids[1],
      graph: 'iris',
      modelName: 'iris',
      source: 'router',
      statusCode: 'OK',
      errorMessage: '',
    });
    expect(byId!.inputs).toEqual([
      expect.objectContaining({
        name: 'input',
        datatype: 'FP32',
        shape: [1n, 4n],
        contents: expect.objectContaining({ fp32Contents: [5.1, 3.5, 1.4, 0.2].map(Math.fround) }),
      }),
    ]);
    expect(byId!.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['probabilities', 'FP32', [1n, 3n]],
    ]);
    expect(byId!.outputs[0]!.contents!.fp32Contents).toHaveLength(3);
    expect(byId!.trace!.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(byId!.time!.getTime()).toBeGreaterThanOrEqual(before.getTime());

    const after = new Date(Date.now() + 1);
    const range = { fromTime: before, toTime: after, graph: 'iris' };
    const oldest = await stored(range, 3);
    expect(oldest.map((e) => e.requestId).sort()).toEqual([...ids].sort());
    const times = oldest.map((e) => e.time!.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const newest = await queryEvents(events, {
      ...range,
      order: eventsV1.EventOrder.EVENT_ORDER_NEWEST_FIRST,
    });
    expect(newest.map((e) => e.eventId)).toEqual(oldest.map((e) => e.eventId).reverse());
    const one = await queryEvents(events, {
      ...range,
      order: eventsV1.EventOrder.EVENT_ORDER_NEWEST_FIRST,
      limit: 1,
    });
    expect(one.map((e) => e.eventId)).toEqual([newest[0]!.eventId]);

    // The model filter sees the graph's and the switch's requests (both end on `iris`).
    const byModel = await queryEvents(events, { fromTime: before, toTime: after, modelName: 'iris' });
    expect(byModel.length).toBeGreaterThanOrEqual(4);
    expect(new Set(byModel.map((e) => e.graph))).toEqual(new Set(['iris', 'iris-switch']));
    // Half-open: a range that ends where the first event starts holds none of them.
    expect(await queryEvents(events, { fromTime: before, toTime: oldest[0]!.time, graph: 'iris' })).toEqual(
      [],
    );
    expect(await queryEvents(events, { requestId: 'no-such-request' })).toEqual([]);
  });
});

describe('TailEvents', () => {
  it('sends the newest stored events, the caught-up marker, then a new request as it is stored', async () => {
    const id = `tail-${Date.now()}`;
    await send('iris', `${id}-old`);
    await stored({ requestId: `${id}-old` }, 1);
    const tail = reader(
      events.tailEvents(eventsV1.TailEventsRequest.fromPartial({ last: 1, follow: true, graph: 'iris' })),
    );
    const first = await tail.next();
    expect(first.event?.requestId).toBe(`${id}-old`);
    expect(await tail.next()).toEqual({ caughtUp: { storedEvents: 1 } });
    expect(await router.registry.getSingleMetricAsString('sightline_router_event_tails_open')).toMatch(
      /^sightline_router_event_tails_open(\{[^}]*\})? 1$/m,
    );
    await send('iris-switch', `${id}-other-graph`);
    await send('iris', `${id}-new`);
    const next = await tail.next();
    expect(next.event?.requestId).toBe(`${id}-new`);
    tail.cancel();
    expect((await tail.end())?.code).toBe(status.CANCELLED);
    // The server hears of the cancel a moment later: wait for it, then the gauge says so.
    while (router.events!.openTails > 0) await new Promise((r) => setTimeout(r, 5));
    expect(await router.registry.getSingleMetricAsString('sightline_router_event_tails_open')).toMatch(
      /^sightline_router_event_tails_open(\{[^}]*\})? 0$/m,
    );
  });

  it('without follow, ends after the stored events', async () => {
    const messages = await collect(events.tailEvents(eventsV1.TailEventsRequest.fromPartial({ last: 2 })));
    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.event !== undefined)).toBe(true);
  });
});

describe('bad input', () => {
  const T = new Date('2026-12-03T12:00:00.000Z');
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'to_time before from_time',
      () => queryEvents(events, { fromTime: T, toTime: new Date(T.getTime() - 1) }),
      /^to_time: must not be before from_time \(2026-12-03T11:59:59\.999Z < 2026-12-03T12:00:00\.000Z\)$/,
    ],
    [
      'limit over the maximum',
      () => queryEvents(events, { limit: MAX_EVENTS_PER_QUERY + 1 }),
      /^limit: at most 50 events \(set by --max-events-per-query\); got 51$/,
    ],
    [
      'an unknown order',
      () => queryEvents(events, { order: 7 as eventsV1.EventOrder }),
      /^order: 7 is no EventOrder value; use EVENT_ORDER_OLDEST_FIRST \(1\) or EVENT_ORDER_NEWEST_FIRST \(2\)$/,
    ],
    [
      'an unknown status code',
      () => queryEvents(events, { statusCode: 'ok' }),
      /^status_code: "ok" is no gRPC status code name; use one of OK, /,
    ],
    [
      'a model name over 1,024 characters',
      () => queryEvents(events, { modelName: 'm'.repeat(1025) }),
      /^model_name: at most 1024 characters; got 1025$/,
    ],
    [
      'a tail asking for more than the maximum',
      () => collect(events.tailEvents(eventsV1.TailEventsRequest.fromPartial({ last: 51 }))),
      /^last: at most 50 events \(set by --max-events-per-query\); got 51$/,
    ],
  ];
  it.each(cases)('%s is INVALID_ARGUMENT naming the field and the rule', async (_, run, details) => {
    const error = (await run().then(
      () => undefined,
      (e: unknown) => e,
    )) as ServiceError;
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(details);
  });

  it('bytes that are no request are INVALID_ARGUMENT naming the message', async () => {
    const raw = new Client(router.grpcAddress, credentials.createInsecure());
    cleanups.push(() => raw.close());
    const stream = raw.makeServerStreamRequest(
      '/sightline.events.v1.EventService/QueryEvents',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from([0x0a, 0x05, 0x01]),
      new Metadata(),
    );
    const error = (await collect(stream).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toMatch(/^QueryEventsRequest: malformed protobuf: /);
  });
});

describe('bounds and lifecycle', () => {
  it('refuses a tail over --max-event-tails, and ends open tails with UNAVAILABLE at shutdown', async () => {
    const small = await startTestRouter({ maxEventTails: '1' });
    const client = eventClient(small.grpcAddress);
    cleanups.push(() => client.close());
    const open = reader(client.tailEvents(eventsV1.TailEventsRequest.fromPartial({ follow: true })));
    expect(await open.next()).toEqual({ caughtUp: { storedEvents: 0 } });
    const refused = (await collect(client.tailEvents(eventsV1.TailEventsRequest.fromPartial({}))).catch(
      (e: unknown) => e,
    )) as ServiceError;
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refused.details).toBe(
      'TailEvents: 1 tails are open, the most allowed (set by --max-event-tails); try again later',
    );
    await small.shutdown();
    const ended = await open.end();
    expect(ended?.code).toBe(status.UNAVAILABLE);
    expect(ended?.details).toBe('TailEvents: the router is shutting down; tail again');
  });

  it('a router that stores no events answers FAILED_PRECONDITION naming the flags', async () => {
    const off = await startTestRouter({ events: 'false' });
    const client = eventClient(off.grpcAddress);
    cleanups.push(() => client.close());
    const error = (await queryEvents(client, {}).catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    expect(error.details).toBe(
      'QueryEvents: this router stores no events: start it with --events=true and --events-file-store=true or --events-elasticsearch-url',
    );
  });
});
