/**
 * Rules and alert states survive a restart on both store backends: a firing alert stays
 * firing without a second FIRING event, and its RESOLVED event names the first firing.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AlertEngine, type AlertEventRecord } from '../../src/alerts/alert-engine.js';
import { resolveAlertOptions } from '../../src/alerts/alert-options.js';
import type { AlertReadings } from '../../src/alerts/alert-readings.js';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { BACKENDS, newStoreLocation, type StoreLocation } from '../helpers/store-backends.js';

const MINUTE = 60_000;
const LIMITS = { bucketWidthMs: MINUTE, retentionMs: 86_400_000, segmentNames: [] };

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

describe.each(BACKENDS)('alert rules and states on %s', (backend) => {
  let location: StoreLocation;
  let store: MetricsStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    await location?.cleanup();
  });

  it('keep a firing alert firing across a restart, with one FIRING and one RESOLVED event', async () => {
    location = await newStoreLocation(backend, () => postgres);
    let pending = 50;
    const events: AlertEventRecord[] = [];
    const readings: AlertReadings = {
      windowMetrics: async () => undefined,
      segmentValues: async () => [],
      pendingFeedback: async () => pending,
      expiredFeedbackTotal: async () => 0,
      conceptDrift: async () => ({ states: [], pairsSeen: 0 }),
    };
    const open = async () => {
      store = await location.open();
      const engine = new AlertEngine({
        store,
        readings,
        sink: { emit: (e) => void events.push(e) },
        limits: LIMITS,
        options: resolveAlertOptions(),
      });
      await engine.load();
      return engine;
    };
    const first = await open();
    await first.putRule({
      name: 'held',
      series: { modelName: 'iris' },
      metric: 'pending_feedback',
      comparison: 'gt',
      threshold: 10,
      forMs: 2 * MINUTE,
      labels: { team: 'ml' },
    });
    await first.evaluate(MINUTE);
    await first.evaluate(3 * MINUTE);
    expect(events.map((e) => e.transition)).toEqual(['firing']);
    await store!.close();

    const second = await open();
    expect(second.listRules(0, '').rules[0]).toMatchObject({
      name: 'held',
      forMs: 2 * MINUTE,
      labels: { team: 'ml' },
    });
    expect(second.alerts()[0]!.status).toMatchObject({ state: 'firing', firingSinceMs: 3 * MINUTE });
    await second.evaluate(4 * MINUTE);
    expect(events.map((e) => e.transition)).toEqual(['firing']);
    pending = 0;
    await second.evaluate(5 * MINUTE);
    expect(events.map((e) => [e.transition, e.firingMs, e.timeMs])).toEqual([
      ['firing', 3 * MINUTE, 3 * MINUTE],
      ['resolved', 3 * MINUTE, 5 * MINUTE],
    ]);
    await second.deleteRule('held', 6 * MINUTE);
    await store!.close();
    const third = await open();
    expect(third.listRules(0, '').rules).toEqual([]);
    expect(third.alerts()).toEqual([]);
  });
});
