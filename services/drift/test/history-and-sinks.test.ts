/**
 * Stored and in-process events: Fit from a time range of stored events and ScoreHistory over
 * another (windows streamed with progress, each stored as a DriftEvent), read from a real
 * file store; live events from the in-process bus (the local stack); and every DriftEvent
 * delivered as a CloudEvent `io.sightline.drift` to a receiver on loopback.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { FileEventStore, InProcessEventBus, silentEventLogger } from '@sightline/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent } from './helpers/cloud-events.js';
import { startTestDrift, type TestDrift } from './helpers/drift-test-service.js';

const T0 = 1_790_000_000_000;

describe('stored events, the in-process bus and the drift event sink', () => {
  let eventsDir: string;
  let drift: TestDrift;
  let receiver: Server;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const bus = new InProcessEventBus(silentEventLogger);

  beforeAll(async () => {
    eventsDir = await mkdtemp(path.join(tmpdir(), 'sightline-drift-events-'));
    const store = await FileEventStore.open({ directory: eventsDir, logger: silentEventLogger });
    // An hour of reference events, then an hour whose second half drifted.
    const reference = Array.from({ length: 200 }, (_, i) => irisEvent(i, { timeUnixMs: T0 + i * 1000 }));
    const later = Array.from({ length: 120 }, (_, i) =>
      irisEvent(1000 + i, { timeUnixMs: T0 + 3_600_000 + i * 1000, shift: i >= 60 ? 2 : 0 }),
    );
    await store.append([...reference, ...later]);
    await store.close();
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        response.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as { port: number }).port;
    drift = await startTestDrift({
      eventSource: bus,
      flags: { eventsDir, driftEventSinkUrl: `http://127.0.0.1:${port}/broker` },
    });
  });

  afterAll(async () => {
    await drift?.stop();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
    if (eventsDir) await rm(eventsDir, { recursive: true, force: true });
  });

  it('fits on stored events and scores a stored range window by window', async () => {
    const { client } = drift;
    await client.createDetector({ name: 'from-events', config: { ks: {} } });
    const selector = { modelName: 'iris', tensors: ['input'], columnNames: ['sl', 'sw', 'pl', 'pw'] };
    const fitted = await client.fit({
      name: 'from-events',
      referenceEvents: { range: { startTime: new Date(T0), endTime: new Date(T0 + 3_600_000) }, selector },
    });
    expect(fitted.detector?.referenceRows).toBe(200n);
    expect(fitted.detector?.lineage?.featureNames).toEqual(['sl', 'sw', 'pl', 'pw']);
    expect(fitted.detector?.lineage?.referenceSource).toMatch(/^events of "iris" from /);

    const items = await client.scoreHistory({
      name: 'from-events',
      range: { startTime: new Date(T0 + 3_600_000), endTime: new Date(T0 + 7_200_000) },
      selector,
      window: { maxRows: 60, minRows: 10 },
    });
    const windows = items.filter((item) => item.data);
    expect(windows.map((w) => w.rows)).toEqual([60n, 60n]);
    expect(windows.map((w) => w.data?.isDrift)).toEqual([false, true]);
    // Each window's progress is the scan's when that window closed, not the last page's.
    expect(
      windows.map((w) => [
        w.progress?.windows,
        w.progress?.eventsRead,
        w.progress?.eventsMatched,
        w.progress?.positionTime?.getTime() === w.windowEndTime?.getTime(),
      ]),
    ).toEqual([
      [1, 60n, 60n, true],
      [2, 120n, 120n, true],
    ]);
    const last = items.at(-1)!;
    expect(last.data).toBeUndefined();
    expect(last.progress).toMatchObject({ eventsRead: 120n, eventsMatched: 120n, windows: 2 });

    const stored = await client.listDriftEvents({ name: 'from-events' });
    expect(
      stored.events.map((e) => [e.origin, e.rows, e.data?.isDrift, e.closedBy, e.requestIds.length]),
    ).toEqual([
      ['history', 60n, true, 'rows', 60],
      ['history', 60n, false, 'rows', 60],
    ]);
    // History windows span event time: 60 events one second apart.
    expect(windows[0]!.windowStartTime!.getTime()).toBe(T0 + 3_600_000);
    expect(
      windows[0]!.windowEndTime!.getTime() - windows[0]!.windowStartTime!.getTime(),
    ).toBeGreaterThanOrEqual(59_000);
  });

  it('answers a range without events with progress only, and an unknown detector NOT_FOUND', async () => {
    const items = await drift.client.scoreHistory({
      name: 'from-events',
      range: { startTime: new Date(T0 - 7_200_000), endTime: new Date(T0 - 3_600_000) },
      selector: { modelName: 'iris', tensors: ['input'], columnNames: ['sl', 'sw', 'pl', 'pw'] },
    });
    expect(items.filter((item) => item.data)).toHaveLength(0);
    expect(items.at(-1)?.progress?.eventsRead).toBe(0n);
    await expect(
      drift.client.scoreHistory({
        name: 'nope',
        range: { startTime: new Date(T0), endTime: new Date(T0 + 1) },
        selector: { modelName: 'iris' },
      }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('scores live events from the in-process bus and sends each DriftEvent to the sink', async () => {
    const { client } = drift;
    await client.attachDetector({
      name: 'from-events',
      selector: { modelName: 'iris', tensors: ['input'], columnNames: ['sl', 'sw', 'pl', 'pw'] },
      window: { maxRows: 25, minRows: 5 },
    });
    const before = received.length;
    await bus.write(Array.from({ length: 25 }, (_, i) => irisEvent(5000 + i, { shift: 3 })));
    // An event of another model is not selected; one without the tensor is counted unreadable.
    await bus.write(
      [irisEvent(6000, { id: 'other-model' }), { ...irisEvent(6001), inputs: [] }].map((event, i) =>
        i === 0 ? { ...event, modelName: 'wine', graph: '' } : event,
      ),
    );
    await drift.service.idle();
    const live = (await client.listDriftEvents({ name: 'from-events', pageSize: 1 })).events[0];
    expect(live).toMatchObject({ origin: 'live', rows: 25n, closedBy: 'rows' });
    expect(live?.data?.isDrift).toBe(true);
    await expect.poll(() => received.length - before, { timeout: 10_000 }).toBe(1);
    const delivered = received.at(-1)!;
    expect(delivered.headers['ce-type']).toBe('io.sightline.drift');
    expect(delivered.headers['ce-id']).toBe(live?.eventId);
    expect(delivered.headers['ce-specversion']).toBe('1.0');
    expect(JSON.parse(delivered.body)).toMatchObject({
      detector: 'from-events',
      rows: 25,
      verdict: { isDrift: true },
    });
    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(
      /sightline_drift_events_unreadable_total\{detector="from-events",reason="missing-tensor"[^}]*\} 1/,
    );
  });
});
