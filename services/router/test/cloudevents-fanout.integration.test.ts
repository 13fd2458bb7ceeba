/**
 * One router, several CloudEvents receivers (`--events-cloudevents-url a,b,c`), each its
 * own sink: a receiver on 127.0.0.1 that answers, one that takes requests and holds them
 * unanswered, and a port nothing listens on. Every request is answered, the answering
 * receiver gets every event while the other two are stuck, each URL has its own counters
 * (`sink` label), and the held receiver gets every event too once it answers again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { inference } from '@sightline/contracts';
import { memoryLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudEventsSinkName } from '../src/events/cloud-events-sink-name.js';
import { type RouterHandle, startRouter } from '../src/router.js';
import { type ChildService, startChildService } from './helpers/child-service.js';
import { closedPort } from './helpers/closed-port.js';
import { oneHopGraphsDir } from './helpers/one-hop-graphs.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, inferenceClient, irisRequest } from './helpers/v2-calls.js';

/** Requests sent while two of the three receivers are stuck. */
const REQUESTS = 200;
/** Requests in flight at once while sending them. */
const CONCURRENCY = 16;

/** A CloudEvents receiver on 127.0.0.1 that records each event's request id; it can hold its answers. */
class Receiver {
  readonly requestIds: string[] = [];
  private readonly held: ServerResponse[] = [];
  private holding = false;
  private readonly server: Server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      if (this.holding) {
        this.held.push(res);
        return;
      }
      this.requestIds.push(String(req.headers['ce-requestid']));
      res.writeHead(202).end();
    });
  });

  /** Takes requests and answers none of them until {@link release}. */
  hold(): void {
    this.holding = true;
  }

  /** Answers from now on; the held requests are answered 503, so the router sends them again. */
  release(): void {
    this.holding = false;
    for (const res of this.held.splice(0)) res.writeHead(503).end();
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/events`;
  }

  async stop(): Promise<void> {
    this.release();
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.server.closeAllConnections();
    await closed;
  }

  /** Distinct request ids received, and whether any came twice. */
  summary(): { distinct: number; repeated: number } {
    const distinct = new Set(this.requestIds).size;
    return { distinct, repeated: this.requestIds.length - distinct };
  }
}

let modelServer: ChildService;
let router: RouterHandle;
let client: inference.GRPCInferenceServiceClient;
let dataDir: string;
const live = new Receiver();
const slow = new Receiver();
let urls: { live: string; slow: string; dead: string };
const log = memoryLogger('info');

beforeAll(async () => {
  const [server, liveUrl, slowUrl, deadPort] = await Promise.all([
    startChildService('model-server', ['--repository', 'examples/models']),
    live.start(),
    slow.start(),
    closedPort(),
  ]);
  modelServer = server;
  urls = { live: liveUrl, slow: slowUrl, dead: `http://127.0.0.1:${deadPort}/events` };
  slow.hold();
  dataDir = await mkdtemp(path.join(tmpdir(), 'router-cloudevents-fanout-'));
  router = await startRouter(
    testRouterConfig({
      graphs: oneHopGraphsDir(),
      defaultModelServer: modelServer.address,
      dataDir,
      eventsFileStore: 'false',
      eventsCloudeventsUrl: `${urls.dead}, ${urls.slow},${urls.live}`,
      eventBatchLingerMs: '0',
    }),
    { logger: log.logger, env: { MODEL_SERVER_ADDRESS: modelServer.address } },
  );
  client = inferenceClient(router.grpcAddress);
}, 90_000);

afterAll(async () => {
  client?.close();
  await live.stop();
  await slow.stop();
  await router?.shutdown();
  await modelServer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Sends an iris request per id, `CONCURRENCY` at a time; returns the outcomes. */
async function sendAll(ids: readonly string[]): Promise<string[]> {
  const outcomes: string[] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const i = next++;
      outcomes[i] = await call(
        client,
        client.modelInfer,
        irisRequest('iris', [[5.1, 3.5, 1.4, 0.2]], ids[i]!),
      ).then(
        () => 'OK',
        (e: { details?: string }) => `error: ${e.details}`,
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

/** The router's backlog gauges of one sink: memory queue, spill bytes and spilling. */
async function backlog(sink: string): Promise<{ queue: number; spillBytes: number; spilling: number }> {
  const text = await (await fetch(`http://127.0.0.1:${router.httpPort}/metrics`)).text();
  const gauge = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`sink="${sink}"`));
    return line === undefined ? Number.NaN : Number(line.split(' ').pop());
  };
  return {
    queue: gauge('sightline_router_event_queue_depth'),
    spillBytes: gauge('sightline_router_event_spill_bytes'),
    spilling: gauge('sightline_router_event_spilling'),
  };
}

/** The router's `sightline_router_events_total` values, by sink then counter. */
async function eventCounters(): Promise<Map<string, Record<string, number>>> {
  const text = await (await fetch(`http://127.0.0.1:${router.httpPort}/metrics`)).text();
  const bySink = new Map<string, Record<string, number>>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('sightline_router_events_total{')) continue;
    const sink = /sink="([^"]*)"/.exec(line)?.[1] ?? '';
    const counter = /counter="([^"]*)"/.exec(line)?.[1] ?? '';
    const counters = bySink.get(sink) ?? {};
    counters[counter] = Number(line.split(' ').pop());
    bySink.set(sink, counters);
  }
  return bySink;
}

describe('CloudEvents to several URLs', () => {
  it('logs which URL each sink sends to, in the order given', () => {
    const lines = log.lines.filter((line) => line.msg === 'event pipeline: CloudEvents sink');
    expect(lines.map((line) => [line.sink, line.url])).toEqual(
      [urls.dead, urls.slow, urls.live].map((url) => [cloudEventsSinkName(url, 3), url]),
    );
  });

  it('answers every request and delivers every event to the answering receiver while the others are held or down', async () => {
    const ids = Array.from({ length: REQUESTS }, (_, i) => `fanout-${i}`);
    expect((await sendAll(ids)).filter((o) => o !== 'OK')).toEqual([]);

    await expect.poll(() => live.summary().distinct, { timeout: 20_000, interval: 100 }).toBe(REQUESTS);
    expect(live.summary().repeated).toBe(0);
    expect(new Set(live.requestIds)).toEqual(new Set(ids));
    expect(slow.requestIds).toHaveLength(0);

    const counters = await eventCounters();
    const sink = (url: string) => counters.get(cloudEventsSinkName(url, 3)) ?? {};
    expect(sink(urls.live)).toMatchObject({ emitted: REQUESTS, delivered: REQUESTS });
    expect(sink(urls.slow)).toMatchObject({ emitted: REQUESTS });
    expect(sink(urls.slow).delivered ?? 0).toBe(0);
    expect(sink(urls.dead)).toMatchObject({ emitted: REQUESTS });
    expect(sink(urls.dead).delivered ?? 0).toBe(0);
    for (const url of Object.values(urls)) expect(sink(url).dropped ?? 0).toBe(0);
    // The backlog gauges: nothing waits for the answering receiver; the events of the one
    // nothing listens on wait in memory or in the spill (polled: on their way from the queue
    // to the spill file they sit a moment in the spill writer's buffer, counted by neither).
    await expect
      .poll(() => backlog(cloudEventsSinkName(urls.live, 3)), { timeout: 10_000, interval: 100 })
      .toEqual({ queue: 0, spillBytes: 0, spilling: 0 });
    await expect
      .poll(
        async () => {
          const dead = await backlog(cloudEventsSinkName(urls.dead, 3));
          return dead.queue + dead.spillBytes;
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBeGreaterThan(0);
    expect(
      [...counters.keys()].filter((name) => name.startsWith('cloudevents-127.0.0.1-')).sort(),
      'one sink per URL',
    ).toEqual(
      Object.values(urls)
        .map((url) => cloudEventsSinkName(url, 3))
        .sort(),
    );
  }, 60_000);

  it('delivers every event to the held receiver once it answers, through its own retries', async () => {
    slow.release();
    await expect.poll(() => slow.summary().distinct, { timeout: 40_000, interval: 250 }).toBe(REQUESTS);
    const counters = await eventCounters();
    expect(slow.summary().repeated).toBe(0);
    const held = counters.get(cloudEventsSinkName(urls.slow, 3)) ?? {};
    expect(held.delivered).toBe(REQUESTS);
    expect(held.dropped ?? 0).toBe(0);
    expect(counters.get(cloudEventsSinkName(urls.dead, 3))?.delivered ?? 0).toBe(0);
    // Delivered: its backlog is gone (the spill's files are deleted once replayed).
    await expect
      .poll(() => backlog(cloudEventsSinkName(urls.slow, 3)), { timeout: 20_000, interval: 250 })
      .toEqual({ queue: 0, spillBytes: 0, spilling: 0 });
  }, 60_000);
});
