/**
 * Live drift end to end: a KS detector attached to iris gets events at POST /events
 * (binary, structured and batched CloudEvents; redeliveries harmless; a request that does
 * not fit the queue answered 429 with Retry-After), closes a window on its row count and
 * another on its time limit, and each closed window is a DriftEvent in ListDriftEvents
 * (newest first) and series on /metrics that a real Prometheus scrapes.
 */
import { startTestPrometheus, type TestPrometheus } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent, postEvents } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

const DETECTOR = 'iris-ks';
const MAX_DURATION_MS = 60_000;

describe('live windows from POST /events', () => {
  let drift: TestDrift;
  let clock = 1_800_000_000_000;
  let prometheus: TestPrometheus;

  beforeAll(async () => {
    drift = await startTestDrift({ now: () => clock, flags: { eventQueueCapacity: 100 } });
    await drift.client.createDetector({ name: DETECTOR, config: { ks: {} } });
    await drift.client.fit({ name: DETECTOR, data: tensorMessages(irisTensor(300, 1)) });
    await drift.client.attachDetector({
      name: DETECTOR,
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: 20, minRows: 5, maxDuration: { seconds: BigInt(MAX_DURATION_MS / 1000), nanos: 0 } },
    });
    prometheus = await startTestPrometheus({ drift: [`127.0.0.1:${drift.service.httpPort}`] });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await drift?.stop();
  });

  it('closes a window on its row count and one on its time, stored, exported and scraped', async () => {
    const url = `${drift.httpBase}/events`;
    // 20 rows close the first window on count: half in binary mode, half in structured mode.
    const first = Array.from({ length: 20 }, (_, i) => irisEvent(i));
    expect((await postEvents(url, first.slice(0, 10), 'binary')).status).toBe(202);
    expect((await postEvents(url, first.slice(10), 'structured')).status).toBe(202);
    // A redelivery is accepted and not counted twice.
    expect((await postEvents(url, first.slice(0, 5), 'batch')).status).toBe(202);
    await drift.service.idle();
    let page = await drift.client.listDriftEvents({ name: DETECTOR });
    expect(page.events).toHaveLength(1);
    expect(page.events[0]).toMatchObject({ closedBy: 'rows', rows: 20n, events: 20n, requestIdCount: 20n });
    expect(page.events[0]?.data?.isDrift).toBe(false);

    // 8 drifted rows, then the time limit passes: the window closes on time.
    const second = Array.from({ length: 8 }, (_, i) => irisEvent(100 + i, { shift: 2 }));
    expect((await postEvents(url, second, 'batch')).status).toBe(202);
    await drift.service.idle();
    clock += MAX_DURATION_MS - 1;
    await drift.service.tick();
    expect((await drift.client.listDriftEvents({ name: DETECTOR })).events).toHaveLength(1);
    clock += 1;
    await drift.service.tick();
    await expect
      .poll(async () => (await drift.client.listDriftEvents({ name: DETECTOR })).events.length, {
        timeout: 5000,
      })
      .toBe(2);
    page = await drift.client.listDriftEvents({ name: DETECTOR });
    expect(page.events.map((e) => e.closedBy)).toEqual(['time', 'rows']);
    expect(page.events[0]).toMatchObject({ rows: 8n, detectorVersion: 1, modelName: 'iris' });
    expect(page.events[0]?.data?.isDrift).toBe(true);
    expect((await drift.client.listDriftEvents({ name: DETECTOR, driftOnly: true })).events).toHaveLength(1);

    // Fewer than min_rows when the time is up: carried into the next window, not tested.
    expect((await postEvents(url, [irisEvent(200), irisEvent(201)], 'batch')).status).toBe(202);
    await drift.service.idle();
    clock += MAX_DURATION_MS;
    await drift.service.tick();
    expect((await drift.client.listDriftEvents({ name: DETECTOR })).events).toHaveLength(2);

    // A request larger than the queue can take is refused whole, to be retried.
    const tooMany = Array.from({ length: 101 }, (_, i) => irisEvent(1000 + i));
    const refused = await postEvents(url, tooMany, 'batch');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    const invalid = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(invalid.status).toBe(400);
    const noId = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([{ specversion: '1.0', source: 'router', type: 'io.sightline.inference' }]),
    });
    expect(noId.status).toBe(400);
    expect(await noId.text()).toMatch(/batch\[0\]: attribute id is required/);

    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(
      /sightline_drift_windows_closed_total\{detector="iris-ks",closed_by="time",drift="true"[^}]*\} 1/,
    );
    expect(metrics).toMatch(/sightline_drift_events_duplicate_total\{[^}]*\} 5/);
    // Every event scored: nothing waits, so scoring lags by nothing.
    expect(metrics).toMatch(/sightline_drift_event_queue_age_seconds(\{[^}]*\})? 0\n/);

    await expect
      .poll(async () => (await prometheus.query('up{job="drift"}'))[0]?.value[1], {
        timeout: 30_000,
        interval: 500,
      })
      .toBe('1');
    await expect
      .poll(
        async () =>
          (await prometheus.query(`sum(sightline_drift_windows_closed_total{detector="${DETECTOR}"})`))[0]
            ?.value[1],
        { timeout: 30_000, interval: 500 },
      )
      .toBe('2');
    const pValues = await prometheus.query(`sightline_drift_feature_p_value{detector="${DETECTOR}"}`);
    expect(pValues.map((r) => r.metric.feature).sort()).toEqual([
      'input[0]',
      'input[1]',
      'input[2]',
      'input[3]',
    ]);
    expect(pValues.every((r) => r.metric.test === 'ks' && Number(r.value[1]) < 0.05 / 4)).toBe(true);
    expect((await prometheus.query(`sightline_drift_window_rows{detector="${DETECTOR}"}`))[0]?.value[1]).toBe(
      '8',
    );
    expect((await prometheus.query(`sightline_drift_drift{detector="${DETECTOR}"}`))[0]?.value[1]).toBe('1');
    expect(
      (await prometheus.query(`sightline_drift_feature_effect_size{detector="${DETECTOR}",metric="psi"}`))
        .length,
    ).toBe(4);
    const latency = await prometheus.query(
      `sightline_drift_window_export_seconds_count{detector="${DETECTOR}"}`,
    );
    expect(latency[0]?.value[1]).toBe('2');
  });
});
