/**
 * Two service replicas on one PostgreSQL database, as `--postgres-url` promises: events go to
 * one, feedback and queries to the other. The replica that never took a model's events used to
 * answer NOT_FOUND for it forever (the series were known only to the process that ingested
 * them), and each replica wrote its own series list over the others', so a restarted replica
 * forgot the series of the rest. Now every flush learns the stored series and writes the union.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import {
  irisProbabilityEvent,
  type MetricsTestService,
  startMetricsTestService,
} from '../helpers/metrics-test-service.js';

const HOUR = { seconds: 3600n, nanos: 0 };
/** Polls of a replica that has not learned a series yet (it learns at its next flush). */
const MAX_POLLS = 200;

let postgres: TestPostgres;
const services: MetricsTestService[] = [];
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  for (const service of services) await service.cleanup();
  await postgres?.stop();
});

async function replica(url: string): Promise<MetricsTestService> {
  const service = await startMetricsTestService({ postgresUrl: url, flushIntervalMs: 50 });
  services.push(service);
  return service;
}

/** GetMetrics once the replica knows the model (NOT_FOUND before its next flush). */
async function metricsOnceKnown(service: MetricsTestService, modelName: string) {
  for (let poll = 0; ; poll++) {
    try {
      return await service.client.getMetrics({ series: { modelName }, trailing: HOUR });
    } catch (error) {
      if ((error as { code?: number }).code !== status.NOT_FOUND || poll >= MAX_POLLS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

it('serves from either replica the models the other took, and a restarted replica knows them all', async () => {
  const url = await postgres.createDatabase();
  const [a, b] = [await replica(url), await replica(url)];
  const ids = Array.from({ length: 20 }, (_, i) => `rep-${i}`);
  expect(await a.post(ids.map((requestId, i) => irisProbabilityEvent(i, 0, { requestId })))).toBe(202);
  // Another model's events on the other replica: both series lists must survive.
  expect(
    await b.post([
      { ...irisProbabilityEvent(100, 1, { requestId: 'other-0' }), graph: '', modelName: 'wine' },
    ]),
  ).toBe(202);
  await a.handle.idle();
  await b.handle.idle();
  const sent = await b.client.sendFeedback({
    items: ids.map((requestId) => ({ requestId, label: 'setosa' })),
  });
  expect(sent.joined).toBe(20);
  await b.handle.idle();
  const onB = await metricsOnceKnown(b, 'iris');
  expect(onB.windows[0]?.counts).toMatchObject({ predictions: 20n, joined: 20n });
  expect((await metricsOnceKnown(a, 'wine')).windows[0]?.counts?.predictions).toBe(1n);

  await a.stop();
  await b.stop();
  const c = await replica(url);
  const onC = await c.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
  expect(onC.windows[0]?.counts).toMatchObject({ predictions: 20n, joined: 20n });
  expect((await c.client.getMetrics({ series: { modelName: 'wine' }, trailing: HOUR })).series).toHaveLength(
    1,
  );
}, 120_000); // three service starts on a loaded machine
