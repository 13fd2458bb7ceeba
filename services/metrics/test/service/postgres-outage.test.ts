/**
 * PostgreSQL stops (as a crash) under a running service and comes back: meanwhile feedback and
 * queries answer UNAVAILABLE (a caller may retry), never INTERNAL and never a crash; events
 * answered 202 wait for the store instead of being dropped; once the database is back the
 * service recovers by itself, and nothing acknowledged before, during or after is lost. The
 * waiting shows as `sightline_metrics_event_queue_age_seconds`, back to 0 once they are stored.
 */
import { status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import {
  irisProbabilityEvent,
  type MetricsTestService,
  startMetricsTestService,
} from '../helpers/metrics-test-service.js';

const F = metricsV1.FeedbackStatus;
const HOUR = { seconds: 3600n, nanos: 0 };

let postgres: TestPostgres;
let service: MetricsTestService | undefined;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await service?.cleanup();
  await postgres?.stop();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: status.OK, details: '' }),
    (e: { code: number; details: string }) => ({ code: e.code, details: e.details }),
  );
/** The ingestion lag gauge as /metrics exposes it now. */
async function queueAgeSeconds(target: MetricsTestService): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${target.handle.httpPort}/metrics`)).text();
  const match = /^sightline_metrics_event_queue_age_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text);
  if (!match) throw new Error('sightline_metrics_event_queue_age_seconds is not exposed');
  return Number(match[1]);
}
const labels = (ids: readonly string[], label = 'setosa') => ({
  items: ids.map((requestId) => ({ requestId, label })),
});

it('answers UNAVAILABLE while PostgreSQL is down, keeps the events it took, and recovers without a restart', async () => {
  const url = await postgres.createDatabase();
  service = await startMetricsTestService({
    postgresUrl: url,
    postgresConnectTimeoutMs: 1_000,
    flushIntervalMs: 100,
  });
  const before = Array.from({ length: 10 }, (_, i) => `before-${i}`);
  const during = Array.from({ length: 10 }, (_, i) => `during-${i}`);
  expect(await service.post(before.map((requestId, i) => irisProbabilityEvent(i, 0, { requestId })))).toBe(
    202,
  );
  await service.handle.idle();
  expect((await service.client.sendFeedback(labels(before))).joined).toBe(10);
  expect(await queueAgeSeconds(service)).toBe(0);

  await postgres.halt();
  const feedback = await failure(service.client.sendFeedback(labels(['while-down'])));
  expect(feedback.code).toBe(status.UNAVAILABLE);
  expect(feedback.details).toMatch(/PostgreSQL cannot be reached/);
  expect(feedback.details).not.toContain(url);
  const query = await failure(service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR }));
  expect(query.code).toBe(status.UNAVAILABLE);
  // Taken while the store is down: they wait for it (a redelivery would be dropped as a duplicate).
  expect(
    await service.post(during.map((requestId, i) => irisProbabilityEvent(100 + i, 0, { requestId }))),
  ).toBe(202);
  // They wait (queued, or in the batch the store retry holds): the oldest one's age grows.
  const waiting = service;
  await expect.poll(() => queueAgeSeconds(waiting), { timeout: 10_000 }).toBeGreaterThan(0);

  await postgres.resume();
  await service.handle.idle();
  expect(await queueAgeSeconds(service)).toBe(0);
  const late = await service.client.sendFeedback(labels(during));
  expect(late.outcomes.map((o) => o.status)).toEqual(during.map(() => F.FEEDBACK_STATUS_JOINED));
  const again = await service.client.sendFeedback(labels(before));
  expect(again.outcomes.map((o) => o.status)).toEqual(before.map(() => F.FEEDBACK_STATUS_UNCHANGED));
  const metrics = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
  expect(metrics.windows[0]?.counts?.predictions).toBe(20n);
  expect(metrics.windows[0]?.counts?.joined).toBe(20n);
}, 120_000); // a PostgreSQL stop and start on a loaded machine
