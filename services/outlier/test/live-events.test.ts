/**
 * Live scoring: an attached detector scores every matching event that arrives by POST
 * /events (binary, structured, batched) or the in-process bus; each scored request becomes
 * an OutlierEvent (request and trace id, max row score, verdict, detector version), listed
 * newest first with filters and pages, counted in Prometheus, and sent to the CloudEvents
 * sink. A full queue answers 429 with Retry-After.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InProcessEventBus, silentEventLogger } from '@sightline/events';
import { postEvents } from '@sightline/events/testing';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent } from './helpers/iris-events.js';
import {
  irisTensor,
  startTestOutlier,
  type TestOutlier,
  tensorMessages,
} from './helpers/outlier-test-service.js';

async function ready(t: TestOutlier, name: string, model = 'iris') {
  await t.client.createDetector({
    name,
    config: { iforest: { seed: 5n }, thresholdPercentile: 99 },
    labels: { team: 'fraud' },
  });
  await t.client.fit({ name, data: tensorMessages(irisTensor(300, 1)) });
  await t.client.attachDetector({ name, selector: { modelName: model } });
}

describe('live events', () => {
  const received: IncomingHttpHeaders[] = [];
  const sink = createServer((request, response) => {
    received.push(request.headers);
    request.resume();
    request.on('end', () => response.writeHead(202).end());
  });
  let t: TestOutlier;
  const bus = new InProcessEventBus(silentEventLogger);

  beforeAll(async () => {
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    t = await startTestOutlier({
      eventSource: bus,
      flags: { outlierEventSinkUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/broker` },
    });
    await ready(t, 'live');
  });
  afterAll(async () => {
    await t.stop();
    await new Promise((resolve) => sink.close(resolve));
  });

  it('scores events from POST /events in every mode into OutlierEvents', async () => {
    const url = `${t.httpBase}/events`;
    const inliers = Array.from({ length: 6 }, (_, i) => irisEvent(i));
    const outlier = irisEvent(100, { shift: 25, rows: 2 });
    expect((await postEvents(url, inliers.slice(0, 2), 'binary')).status).toBe(202);
    expect((await postEvents(url, inliers.slice(2, 4), 'structured')).status).toBe(202);
    expect(
      (await postEvents(url, [...inliers.slice(4), outlier, irisEvent(7, { modelName: 'other' })], 'batch'))
        .status,
    ).toBe(202);
    // A redelivery is harmless.
    expect((await postEvents(url, [outlier], 'binary')).status).toBe(202);
    await t.service.idle();

    const page = await t.client.listOutlierEvents({ name: 'live' });
    expect(page.events).toHaveLength(7);
    const flagged = page.events.find((e) => e.requestId === outlier.requestId)!;
    expect(flagged).toMatchObject({
      detector: 'live',
      detectorVersion: 1,
      isOutlier: true,
      modelName: 'iris',
      modelVersion: '1',
      graph: 'iris',
      traceId: outlier.trace!.traceparent.split('-')[1],
      rowIsOutlier: [true, true],
    });
    expect(flagged.score).toBe(Math.max(...flagged.rowScore));
    expect(flagged.score).toBeGreaterThan(flagged.threshold);
    expect(page.events.filter((e) => e.isOutlier)).toHaveLength(1);

    const only = await t.client.listOutlierEvents({ name: 'live', outliersOnly: true });
    expect(only.events.map((e) => e.requestId)).toEqual([outlier.requestId]);
    const byRequest = await t.client.listOutlierEvents({ requestId: inliers[0]!.requestId });
    expect(byRequest.events).toHaveLength(1);
    const first = await t.client.listOutlierEvents({ name: 'live', pageSize: 4 });
    const rest = await t.client.listOutlierEvents({
      name: 'live',
      pageSize: 4,
      pageToken: first.nextPageToken,
    });
    expect([...first.events, ...rest.events].map((e) => e.eventId)).toEqual(
      page.events.map((e) => e.eventId),
    );
    expect(rest.nextPageToken).toBe('');

    const metrics = await (await fetch(`${t.httpBase}/metrics`)).text();
    expect(metrics).toMatch(/sightline_outlier_scored_total\{detector="live",model="iris"[^}]*\} 7/);
    expect(metrics).toMatch(/sightline_outlier_flagged_total\{detector="live",model="iris"[^}]*\} 1/);
    expect(metrics).toMatch(/sightline_outlier_score_count\{[^}]*detector="live",model="iris"[^}]*\} 7/);
    expect(metrics).toMatch(/sightline_outlier_events_duplicate_total\{[^}]*\} 1/);
    // Every event scored: nothing waits, so scoring lags by nothing.
    expect(metrics).toMatch(/sightline_outlier_event_queue_age_seconds(\{[^}]*\})? 0\n/);
    // The OutlierEvent log's size: 7 lines in its one segment.
    expect(metrics).toMatch(/sightline_outlier_events_log_segments(\{[^}]*\})? 1\n/);
    expect(
      Number(/sightline_outlier_events_log_bytes(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThan(7 * 100);
    expect(metrics).toMatch(
      /sightline_outlier_detector_info\{[^}]*label_team="fraud"[^}]*detector="live"[^}]*\} 1/,
    );

    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(7);
    expect(received.find((h) => h['ce-outlier'] === 'true')).toMatchObject({
      'ce-type': 'io.sightline.outlier',
      'ce-subject': 'live',
      'ce-detector': 'live',
    });
  });

  it('scores events of the in-process bus, and counts the ones it cannot read', async () => {
    await bus.write([irisEvent(200), irisEvent(201, { shift: 30 })]);
    const unreadable = irisEvent(202);
    await bus.write([
      { ...unreadable, inputs: [createTensor('input', 'FP32', [1, 3], new Float32Array(3))] },
    ]);
    await t.service.idle();
    const page = await t.client.listOutlierEvents({ name: 'live', pageSize: 2 });
    expect(page.events.map((e) => [e.requestId, e.isOutlier])).toEqual([
      [irisEvent(201).requestId, true],
      [irisEvent(200).requestId, false],
    ]);
    const metrics = await (await fetch(`${t.httpBase}/metrics`)).text();
    expect(metrics).toMatch(
      /sightline_outlier_events_unreadable_total\{detector="live",reason="width"[^}]*\} 1/,
    );
  });

  it('stops scoring once detached', async () => {
    await t.client.detachDetector({ name: 'live' });
    await bus.write([irisEvent(300)]);
    await t.service.idle();
    const page = await t.client.listOutlierEvents({ requestId: irisEvent(300).requestId });
    expect(page.events).toEqual([]);
  });

  it('answers 429 with Retry-After when the queue cannot take a request', async () => {
    const small = await startTestOutlier({ flags: { eventQueueCapacity: 2 } });
    try {
      const answer = await postEvents(
        `${small.httpBase}/events`,
        [irisEvent(1), irisEvent(2), irisEvent(3)],
        'batch',
      );
      expect(answer.status).toBe(429);
      expect(answer.headers.get('retry-after')).toBe('1');
    } finally {
      await small.stop();
    }
  });
});
