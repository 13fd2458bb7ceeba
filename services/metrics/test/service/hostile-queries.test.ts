/**
 * What a hostile new user found in GetMetrics and the other queries: feedback naming no model
 * was never counted in `pending_unnamed` / `expired_unnamed` (always 0), and a query naming a
 * model of a megabyte was answered NOT_FOUND quoting the whole name back.
 */
import { credentials, status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { unaryCaller } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  irisProbabilityEvent,
  type MetricsTestService,
  startMetricsTestService,
} from '../helpers/metrics-test-service.js';

const HOUR = { seconds: 3600n, nanos: 0 };
const TTL_MS = 60_000;
let clockOffsetMs = 0;
let service: MetricsTestService;
beforeAll(async () => {
  service = await startMetricsTestService(
    { pendingFeedbackTtlMs: TTL_MS },
    { now: () => Date.now() + clockOffsetMs },
  );
});
afterAll(async () => {
  await service?.cleanup();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => ({ code: status.OK, details: '' }),
    (e: { code: number; details: string }) => ({ code: e.code, details: e.details }),
  );

it('counts feedback naming no model as pending_unnamed, then expired_unnamed', async () => {
  expect(await service.post([irisProbabilityEvent(0, 0, { requestId: 'seen' })])).toBe(202);
  await service.handle.idle();
  const sent = await service.client.sendFeedback({
    items: [
      { requestId: 'never-1', label: 'setosa' },
      { requestId: 'never-2', label: 'setosa' },
      { requestId: 'never-3', label: 'setosa', modelName: 'iris' },
    ],
  });
  expect(sent.pending).toBe(3);
  const counts = async () =>
    (await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR })).windows[0]?.counts;
  expect(await counts()).toMatchObject({ pending: 1n, expired: 0n, pendingUnnamed: 2n, expiredUnnamed: 0n });
  clockOffsetMs = 2 * TTL_MS;
  expect(await service.handle.dataPlane.expire()).toBe(3);
  expect(await counts()).toMatchObject({ pending: 0n, expired: 1n, pendingUnnamed: 0n, expiredUnnamed: 2n });
});

it('refuses a model name no record can have, and quotes a long one cut short', async () => {
  const long = await failure(
    service.client.getMetrics({ series: { modelName: 'm'.repeat(1_000_000) }, trailing: HOUR }),
  );
  expect(long.code).toBe(status.INVALID_ARGUMENT);
  expect(long.details).toMatch(
    /^series\.model_name: must have at most 256 characters, got a string of 1000000/,
  );
  const node = await failure(
    service.client.getMetrics({ series: { modelName: 'iris', node: 'n\u0000' }, trailing: HOUR }),
  );
  expect(node.code).toBe(status.INVALID_ARGUMENT);
  expect(node.details).toMatch(/^series\.node: must be well-formed text/);

  const raw = new metricsV1.MetricsServiceClient(
    `127.0.0.1:${service.handle.grpcPort}`,
    credentials.createInsecure(),
  );
  try {
    const call = unaryCaller(raw);
    const drift = await failure(
      call(
        'listConceptDrift',
        metricsV1.ListConceptDriftRequest,
      )({ series: { modelName: 'm'.repeat(100_000) } }),
    );
    expect(drift.code).toBe(status.NOT_FOUND);
    expect(drift.details).toContain('... (100000 characters)');
    expect(drift.details.length).toBeLessThan(300);
  } finally {
    raw.close();
  }
});
