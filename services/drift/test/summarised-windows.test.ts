/**
 * Windows too large to hold: a window that grows past its exact_rows is summarised and
 * scored approximately, and its DriftEvent says so, with each KS statistic's error bound.
 * Two KS detectors see the same 1,500-row windows (more distinct values than a summary
 * counts exactly), one exact and one summarised past 100 rows: the verdicts agree and each
 * summarised statistic lies within its bound of the exact one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { irisEvent, postEvents } from './helpers/cloud-events.js';
import { irisTensor, startTestDrift, type TestDrift, tensorMessages } from './helpers/drift-test-service.js';

const selector = { modelName: 'iris', tensors: ['input'] };

describe('summarised live windows', () => {
  let drift: TestDrift;

  beforeAll(async () => {
    drift = await startTestDrift({ flags: { maxExactWindowRows: 2000 } });
    for (const [name, exactRows] of [
      ['exact', 1500],
      ['sketched', 100],
    ] as const) {
      await drift.client.createDetector({ name, config: { ks: {} } });
      await drift.client.fit({ name, data: tensorMessages(irisTensor(500, 1)) });
      await drift.client.attachDetector({ name, selector, window: { maxRows: 1500, minRows: 5, exactRows } });
    }
  });

  afterAll(async () => {
    await drift?.stop();
  });

  it('scores a window past exact_rows from its summary, within the stated bound of the exact window', async () => {
    const url = `${drift.httpBase}/events`;
    for (const [offset, shift] of [
      [0, 0],
      [2000, 0.3],
    ] as const) {
      const events = Array.from({ length: 1500 }, (_, i) => irisEvent(offset + i, { shift }));
      expect((await postEvents(url, events, 'batch')).status).toBe(202);
      await drift.service.idle();
    }
    const exact = (await drift.client.listDriftEvents({ name: 'exact' })).events;
    const sketched = (await drift.client.listDriftEvents({ name: 'sketched' })).events;
    expect(exact).toHaveLength(2);
    expect(sketched).toHaveLength(2);
    expect(sketched.map((e) => e.data?.isDrift)).toEqual([true, false]);
    sketched.forEach((event, w) => {
      const reference = exact[w]!;
      expect(event).toMatchObject({ rows: 1500n, events: 1500n, requestIdCount: 1500n, closedBy: 'rows' });
      expect(reference.data?.approximation).toBeUndefined();
      expect(event.data?.isDrift).toBe(reference.data?.isDrift);
      const approximation = event.data?.approximation;
      expect(approximation).toMatchObject({ windowRows: 1500n, relativeAccuracy: 0.001, sampledRows: 0n });
      expect(approximation?.note).toMatch(/KS against quantile sketches/);
      event.data!.features.forEach((feature, c) => {
        const bound = feature.statisticErrorBound!;
        expect(bound).toBeLessThanOrEqual(approximation!.maxStatisticErrorBound);
        expect(Math.abs(feature.distance - reference.data!.features[c]!.distance)).toBeLessThanOrEqual(
          bound + 1e-9,
        );
        expect(feature.pValLow!).toBeLessThanOrEqual(feature.pValHigh!);
      });
    });
  });

  it('refuses exact_rows over --max-exact-window-rows and under min_rows, naming them', async () => {
    await expect(
      drift.client.attachDetector({ name: 'exact', selector, window: { maxRows: 400, exactRows: 2001 } }),
    ).rejects.toMatchObject({
      message: /window\.exact_rows: 2001; at most 2000 \(--max-exact-window-rows\)/,
    });
    await expect(
      drift.client.attachDetector({
        name: 'exact',
        selector,
        window: { maxRows: 400, minRows: 50, exactRows: 10 },
      }),
    ).rejects.toMatchObject({ message: /window\.exact_rows: 10; must be at least min_rows \(50\)/ });
  });
});
