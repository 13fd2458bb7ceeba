/**
 * Re-attaching a detector with another window takes effect at once: the window opened under
 * the old settings is dropped (counted, reason `replaced`) and the next closes on the new
 * row count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

const DETECTOR = 'iris-ks';

describe('re-attach', () => {
  let drift: TestDrift;

  beforeAll(async () => {
    drift = await startTestDrift();
    await drift.client.createDetector({ name: DETECTOR, config: { ks: {} } });
    await drift.client.fit({ name: DETECTOR, data: tensorMessages(irisTensor(300, 1)) });
  });

  afterAll(async () => {
    await drift?.stop();
  });

  async function send(from: number, count: number): Promise<void> {
    drift.service.dataPlane.ingest(Array.from({ length: count }, (_, i) => irisEvent(from + i)));
    await drift.service.idle();
  }

  async function windows(): Promise<number> {
    return (await drift.client.listDriftEvents({ name: DETECTOR })).events.length;
  }

  it('applies a new window at once and counts the replaced open window', async () => {
    const selector = { modelName: 'iris', tensors: ['input'] };
    await drift.client.attachDetector({ name: DETECTOR, selector, window: { maxRows: 500, minRows: 5 } });
    await send(0, 500);
    expect(await windows()).toBe(1);
    await send(500, 50);
    await drift.client.attachDetector({ name: DETECTOR, selector, window: { maxRows: 100, minRows: 5 } });
    expect((await drift.client.getDetector({ name: DETECTOR })).detector?.liveWindow?.maxRows).toBe(100);
    await send(1000, 100);
    expect(await windows()).toBe(2);
    const latest = (await drift.client.listDriftEvents({ name: DETECTOR })).events[0];
    expect(latest?.rows).toBe(100n);
    const metrics = await (await fetch(`${drift.httpBase}/metrics`)).text();
    expect(metrics).toMatch(
      /sightline_drift_windows_dropped_total\{detector="iris-ks",reason="replaced"[^}]*\} 1/,
    );
    // The same attachment again keeps the open window.
    await send(2000, 60);
    await drift.client.attachDetector({ name: DETECTOR, selector, window: { maxRows: 100, minRows: 5 } });
    await send(3000, 40);
    expect(await windows()).toBe(3);
  });
});
