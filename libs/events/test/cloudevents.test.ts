import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudEventsEventSource,
  CloudEventsSink,
  createCloudEventsHandler,
  EventPipeline,
  eventToJson,
  type InferenceEvent,
} from '../src/index.js';
import { RecordingEventLogger, sampleEvent } from '../src/testing/index.js';

/** A real CloudEvents receiver on loopback: records raw requests and decoded events. */
class Receiver {
  readonly requests: { headers: IncomingHttpHeaders; body: string }[] = [];
  readonly events: InferenceEvent[] = [];
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    const handler = createCloudEventsHandler((events) => {
      this.events.push(...events);
    });
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () =>
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
      handler(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }
}

function post(url: string, headers: Record<string, string>, body: string, method = 'POST') {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

let receiver: Receiver;
let dir: string;
beforeEach(async () => {
  receiver = new Receiver();
  await receiver.start();
  dir = await mkdtemp(join(tmpdir(), 'sightline-ce-'));
});
afterEach(async () => {
  await receiver.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('CloudEvents sink and receiver over real HTTP', () => {
  it('binary mode: ce-* headers carry the attributes and extensions, the body is the event JSON', async () => {
    const sink = new CloudEventsSink({ url: receiver.url, mode: 'binary' });
    const event = sampleEvent(1);
    await sink.write([event]);
    await sink.close();
    const [{ headers, body }] = receiver.requests as [{ headers: IncomingHttpHeaders; body: string }];
    expect(headers).toMatchObject({
      'ce-specversion': '1.0',
      'ce-id': event.eventId,
      'ce-type': 'io.sightline.inference',
      'ce-source': 'router',
      'ce-subject': 'iris',
      'ce-time': new Date(event.timeUnixMs).toISOString(),
      'ce-requestid': event.requestId,
      'ce-modelname': 'iris',
      'ce-modelversion': '1',
      'ce-graph': 'iris',
      'ce-statuscode': 'OK',
      'ce-traceparent': event.trace!.traceparent,
      'ce-tracestate': event.trace!.tracestate,
    });
    expect(headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(body)).toEqual(JSON.parse(JSON.stringify(eventToJson(event))));
    expect(receiver.events).toEqual([event]);
  });

  it('structured mode: one JSON envelope with attributes, extensions and data', async () => {
    const sink = new CloudEventsSink({ url: receiver.url, mode: 'structured' });
    const event = sampleEvent(2, {
      statusCode: 'UNAVAILABLE',
      errorMessage: 'node "iris-model": upstream down',
      outputs: [],
    });
    await sink.write([event]);
    await sink.close();
    const [{ headers, body }] = receiver.requests as [{ headers: IncomingHttpHeaders; body: string }];
    expect(headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(headers['ce-id']).toBeUndefined();
    const envelope = JSON.parse(body);
    expect(envelope).toMatchObject({
      specversion: '1.0',
      id: event.eventId,
      type: 'io.sightline.inference',
      source: 'router',
      requestid: event.requestId,
      statuscode: 'UNAVAILABLE',
      traceparent: event.trace!.traceparent,
      datacontenttype: 'application/json',
    });
    expect(envelope.data.errorMessage).toBe('node "iris-model": upstream down');
    expect(receiver.events).toEqual([event]);
  });

  it('the handler answers 400 with a sentence for bad events, 405, 413 and 503', async () => {
    const binaryHeaders = {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': 'evt-1',
      'ce-source': 'router',
    };
    const wrongType = await post(receiver.url, { ...binaryHeaders, 'ce-type': 'com.example.other' }, '{}');
    expect(wrongType.status).toBe(400);
    expect(wrongType.text).toMatch(/type: expected "io.sightline.inference", got "com.example.other"/);
    const badData = JSON.stringify({ ...eventToJson(sampleEvent(1)), eventId: 'evt-1', timings: {} });
    const invalid = await post(
      receiver.url,
      { ...binaryHeaders, 'ce-type': 'io.sightline.inference' },
      badData,
    );
    expect(invalid).toEqual({
      status: 400,
      text: 'invalid CloudEvent: event.timings.totalMs: expected a non-negative number of milliseconds\n',
    });
    const notCloudEvent = await post(receiver.url, { 'content-type': 'application/json' }, '{"hello":1}');
    expect(notCloudEvent.status).toBe(400);
    expect((await post(receiver.url, {}, '', 'GET')).status).toBe(405);

    const failing = createCloudEventsHandler(
      () => {
        throw new Error('detector not ready');
      },
      { maxBodyBytes: 64_000 },
    );
    const server = createServer(failing).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const good = JSON.stringify(eventToJson(sampleEvent(1)));
    const ok = { ...binaryHeaders, 'ce-type': 'io.sightline.inference', 'ce-id': sampleEvent(1).eventId };
    expect(await post(url, ok, good)).toEqual({
      status: 503,
      text: 'events not accepted, retry later: detector not ready\n',
    });
    expect((await post(url, ok, 'x'.repeat(70_000))).status).toBe(413);
    server.close();
  });

  it('CloudEventsEventSource fans events out to subscribers', async () => {
    const source = new CloudEventsEventSource();
    const a: string[] = [];
    const b: string[] = [];
    source.subscribe((events) => {
      a.push(...events.map((e) => e.eventId));
    });
    const sub = source.subscribe((events) => {
      b.push(...events.map((e) => e.eventId));
    });
    const server = createServer(source.handler).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const sink = new CloudEventsSink({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
    await sink.write([sampleEvent(1), sampleEvent(2)]);
    sub.unsubscribe();
    await sink.write([sampleEvent(3)]);
    await sink.close();
    server.close();
    expect(a.sort()).toEqual([sampleEvent(1), sampleEvent(2), sampleEvent(3)].map((e) => e.eventId));
    expect(b.sort()).toEqual([sampleEvent(1), sampleEvent(2)].map((e) => e.eventId));
  });

  it('THE FAULT TEST: receiver down, 1,000 events emitted, receiver back on the same port: all arrive exactly once', async () => {
    const port = receiver.port;
    await receiver.stop();
    const logger = new RecordingEventLogger();
    const pipeline = await EventPipeline.start({
      sinks: [new CloudEventsSink({ url: `http://127.0.0.1:${port}/`, requestTimeoutMs: 2000 })],
      spillDirectory: dir,
      logger,
      retryInitialMs: 20,
      retryMaxMs: 200,
    });
    try {
      for (let i = 0; i < 1000; i++) {
        pipeline.emit(sampleEvent(i));
        if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
      // Every event is on disk, none delivered, none lost.
      await expect.poll(() => pipeline.stats().cloudevents!.counters.spilled, { timeout: 10_000 }).toBe(1000);
      expect(pipeline.stats().cloudevents!.counters.delivered).toBe(0);

      const back = new Receiver();
      await back.start(port);
      receiver = back;
      expect(await pipeline.flush(20_000)).toBe(true);

      const arrivals = new Map<string, number>();
      for (const e of back.events) arrivals.set(e.eventId, (arrivals.get(e.eventId) ?? 0) + 1);
      expect(arrivals.size).toBe(1000);
      expect([...arrivals.values()].every((n) => n === 1)).toBe(true);
      expect(back.requests.length).toBe(1000); // not a single duplicate request
      expect(back.events.map((e) => e.eventId).sort()).toEqual(
        Array.from({ length: 1000 }, (_, i) => sampleEvent(i).eventId).sort(),
      );
      expect(pipeline.stats().cloudevents!.counters).toEqual({
        emitted: 1000,
        delivered: 1000,
        spilled: 1000,
        replayed: 1000,
        dropped: 0,
        rejected: 0,
      });
      expect(logger.lines.some((l) => l.message.includes('recovered'))).toBe(true);
    } finally {
      await pipeline.close();
    }
  });
});
