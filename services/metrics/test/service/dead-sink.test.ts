/**
 * A CloudEvents receiver that takes the connection and never answers, behind
 * --metrics-event-sink-url: feedback and queries go on (the sink is off their path), the
 * bounded queue drops and counts, and a stop ends within one send timeout instead of waiting
 * out every queued event's tries (minutes with a hundred queued; a pod would be SIGKILLed).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsV1 } from '@sightline/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  irisProbabilityEvent,
  type MetricsTestService,
  startMetricsTestService,
} from '../helpers/metrics-test-service.js';

const EVENTS = 50;
let receiver: Server;
let requests = 0;
let service: MetricsTestService | undefined;
beforeAll(async () => {
  receiver = createServer(() => {
    requests++;
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await service?.cleanup();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

const droppedByReason = async (service: MetricsTestService) => {
  const metric = await service.handle.registry
    .getSingleMetric('sightline_metrics_sink_events_dropped_total')!
    .get();
  return Object.fromEntries(metric.values.map((v) => [v.labels.reason, v.value]));
};

it('joins and answers while the sink hangs, drops and counts what waits, and stops within a send timeout', async () => {
  service = await startMetricsTestService({
    metricsEventSinkUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`,
    metricsEventSinkTimeoutMs: 1_000,
    metricsEventSinkQueue: 10,
  });
  const ids = Array.from({ length: EVENTS }, (_, i) => `sink-${i}`);
  expect(await service.post(ids.map((requestId, i) => irisProbabilityEvent(i, 0, { requestId })))).toBe(202);
  await service.handle.idle();
  const sent = await service.client.sendFeedback({
    items: ids.map((requestId) => ({ requestId, label: 'setosa' })),
  });
  expect(sent.joined).toBe(EVENTS);
  const metrics = await service.client.getMetrics({
    series: { modelName: 'iris' },
    trailing: { seconds: 3600n },
  });
  expect(metrics.windows[0]?.counts?.joined).toBe(BigInt(EVENTS));
  expect(metrics.task).toBe(metricsV1.TaskType.TASK_TYPE_CLASSIFICATION);
  // One CorrectnessEvent per request: one in flight, ten waiting, the rest past the queue.
  expect((await droppedByReason(service)).queue_full).toBe(EVENTS - 11);
  await service.stop();
  expect(requests).toBeGreaterThan(0);
  expect(await droppedByReason(service)).toEqual({ queue_full: EVENTS - 11, failed: 11 });
});
