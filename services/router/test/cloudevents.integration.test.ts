/**
 * The CloudEvents sink through the router: a router started with
 * `--events-cloudevents-url` pointing at a real node:http receiver on loopback gets one
 * binary-mode CloudEvent per request; then the fault from the issue: the receiver stops,
 * 1,000 requests are answered as usual, the receiver comes back on the same port, and every
 * one of the 1,000 events arrives exactly once (spilled while it was down, then replayed).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { inference } from '@sightline/contracts';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { type ChildService, startChildService } from './helpers/child-service.js';
import { oneHopGraphsDir } from './helpers/one-hop-graphs.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, inferenceClient, irisRequest } from './helpers/v2-calls.js';

/** Requests sent while the receiver is down (the figure). */
const FAULT_REQUESTS = 1000;
/** Requests in flight at once while sending them. */
const CONCURRENCY = 32;

/** One received CloudEvent: its headers. */
type Received = Record<string, string>;

/** A CloudEvents receiver on 127.0.0.1 that can stop and start again on the same port. */
class Receiver {
  readonly events: Received[] = [];
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const headers: Received = { body: Buffer.concat(chunks).toString('utf8') };
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        this.events.push(headers);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }

  /** Times each request id was received. */
  countsByRequestId(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const e of this.events) {
      const id = e['ce-requestid'] ?? '';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }
}

let modelServer: ChildService;
let router: RouterHandle;
let client: inference.GRPCInferenceServiceClient;
let dataDir: string;
const receiver = new Receiver();

beforeAll(async () => {
  [modelServer] = await Promise.all([
    startChildService('model-server', ['--repository', 'examples/models']),
    receiver.start(),
  ]);
  dataDir = await mkdtemp(path.join(tmpdir(), 'router-cloudevents-'));
  const config = testRouterConfig({
    graphs: oneHopGraphsDir(),
    defaultModelServer: modelServer.address,
    dataDir,
    eventsFileStore: 'false',
    eventsCloudeventsUrl: `http://127.0.0.1:${receiver.port}/`,
  });
  router = await startRouter(config, {
    logger: silentLogger(),
    env: { MODEL_SERVER_ADDRESS: modelServer.address },
  });
  client = inferenceClient(router.grpcAddress);
}, 90_000);

afterAll(async () => {
  client?.close();
  await router?.shutdown();
  await receiver.stop();
  await modelServer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Sends `ids.length` iris requests with those ids, `CONCURRENCY` at a time; returns the status codes. */
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

describe('CloudEvents sink through the router', () => {
  it('sends one binary-mode CloudEvent per request, with the request id', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `ce-ok-${i}`);
    expect(await sendAll(ids)).toEqual(ids.map(() => 'OK'));
    await expect.poll(() => receiver.events.length, { timeout: 10_000 }).toBe(ids.length);
    const byRequest = new Map(receiver.events.map((e) => [e['ce-requestid'], e]));
    expect([...byRequest.keys()].sort()).toEqual([...ids].sort());
    const first = byRequest.get('ce-ok-0')!;
    expect(first).toMatchObject({
      'ce-specversion': '1.0',
      'ce-type': 'io.sightline.inference',
      'ce-source': 'router',
      'ce-subject': 'iris',
      'ce-graph': 'iris',
      'ce-modelname': 'iris',
      'ce-statuscode': 'OK',
      'content-type': expect.stringContaining('application/json'),
    });
    expect(first['ce-id']).toMatch(/\S/);
    expect(new Set(receiver.events.map((e) => e['ce-id'])).size).toBe(ids.length);
    const data = JSON.parse(first.body!) as { requestId: string; graph: string };
    expect(data).toMatchObject({ requestId: 'ce-ok-0', graph: 'iris' });
  });

  it('answers every request while the receiver is down, then delivers all 1,000 events exactly once after it returns', async () => {
    await receiver.stop();
    receiver.events.length = 0;
    const ids = Array.from({ length: FAULT_REQUESTS }, (_, i) => `ce-fault-${i}`);
    const outcomes = await sendAll(ids);
    expect(outcomes.filter((o) => o !== 'OK')).toEqual([]);
    expect(receiver.events).toHaveLength(0);

    await receiver.start();
    await expect
      .poll(() => receiver.countsByRequestId().size, { timeout: 40_000, interval: 250 })
      .toBe(FAULT_REQUESTS);
    // Let any late duplicate arrive before counting.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const counts = receiver.countsByRequestId();
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(receiver.events).toHaveLength(FAULT_REQUESTS);

    // They came back through the spill, and none was dropped.
    const metrics = await (await fetch(`http://127.0.0.1:${router.httpPort}/metrics`)).text();
    const counter = (name: string): number => {
      const line = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith('sightline_router_events_total{') &&
            l.includes(`counter="${name}"`) &&
            !l.includes('sink="file'),
        );
      return line === undefined ? 0 : Number(line.split(' ').pop());
    };
    expect(counter('spilled')).toBeGreaterThan(0);
    expect(counter('replayed')).toBeGreaterThan(0);
    expect(counter('dropped')).toBe(0);
  }, 60_000);
});
