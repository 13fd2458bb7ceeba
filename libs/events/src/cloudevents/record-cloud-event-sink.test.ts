import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { RecordCloudEventSink, type RecordCloudEventSinkOptions } from './record-cloud-event-sink.js';

interface TestRecord {
  readonly eventId: string;
  readonly detector: string;
  readonly timeUnixMs: number;
  readonly isDrift: boolean;
}

const TYPE = 'io.sightline.test';
const record: TestRecord = { eventId: 'e1', detector: 'd1', timeUnixMs: 0, isDrift: true };
const attributes: RecordCloudEventSinkOptions<TestRecord>['attributes'] = (r) => ({
  id: r.eventId,
  subject: r.detector,
  timeUnixMs: r.timeUnixMs,
  extensions: { detector: r.detector, drift: String(r.isDrift) },
});

describe('RecordCloudEventSink', () => {
  it('retries a 503 and delivers once as a binary-mode CloudEvent with its extensions', async () => {
    const statuses = [503, 202];
    const calls: RequestInit[] = [];
    const dropped: string[] = [];
    const sink = new RecordCloudEventSink<TestRecord>({
      url: 'http://broker.test/default',
      type: TYPE,
      attributes,
      source: 'sightline/drift',
      timeoutMs: 1000,
      queueCapacity: 10,
      onDropped: (reason) => dropped.push(reason),
      fetch: async (_url, init) => {
        calls.push(init!);
        return new Response(null, { status: statuses.shift() ?? 202 });
      },
    });
    sink.send(record);
    await sink.close();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.headers).toMatchObject({
      'ce-type': TYPE,
      'ce-id': 'e1',
      'ce-drift': 'true',
      'ce-specversion': '1.0',
    });
    expect(dropped).toEqual([]);
  });

  it('drops and counts events the receiver refuses with 400, and one past the waiting queue', async () => {
    const dropped: string[] = [];
    let calls = 0;
    const sink = new RecordCloudEventSink<TestRecord>({
      url: 'http://broker.test/default',
      type: TYPE,
      attributes,
      source: 'sightline/drift',
      timeoutMs: 1000,
      queueCapacity: 1,
      onDropped: (reason) => dropped.push(reason),
      fetch: async () => {
        calls++;
        return new Response(null, { status: 400 });
      },
    });
    // The first is being sent, the second waits (capacity 1), the third does not fit.
    sink.send(record);
    sink.send(record);
    sink.send(record);
    await sink.close();
    expect(calls).toBe(2);
    expect(dropped.sort()).toEqual(['failed', 'failed', 'queue_full']);
  });

  it.each([
    ['never answers', () => {}],
    ['answers 500', (res: import('node:http').ServerResponse) => res.writeHead(500).end()],
    ['closes the connection', (res: import('node:http').ServerResponse) => res.socket?.destroy()],
  ])('closes within its timeout when the receiver %s, the unsent dropped and counted', async (_, answer) => {
    const server: Server = createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dropped: string[] = [];
    let received = 0;
    server.on('request', () => {
      received++;
    });
    const sink = new RecordCloudEventSink<TestRecord>({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
      type: TYPE,
      attributes,
      source: 'sightline/drift',
      // Without close's bound, a hundred records' tries and backoffs would take minutes (past the
      // test's timeout): a stop of the service would wait that long.
      timeoutMs: 60_000,
      queueCapacity: 100,
      onDropped: (reason) => dropped.push(reason),
    });
    try {
      for (let i = 0; i < 100; i++) sink.send({ ...record, eventId: `e${i}` });
      while (received === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      await sink.close({ timeoutMs: 100 });
      expect(dropped).toEqual(Array(100).fill('failed'));
      sink.send(record);
      expect(dropped).toHaveLength(101);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
