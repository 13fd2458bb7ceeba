/**
 * --cbpe-f1-interval-max-classes end to end: a 20-class model's estimated macro F1 has no
 * interval under the default bound (16) and has one when the service starts with the flag at 20.
 */
import { metricsV1 } from '@sightline/contracts';
import { sampleEvent } from '@sightline/events/testing';
import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { startMetricsTestService } from '../helpers/metrics-test-service.js';

const K = 20;
const CLASSES = Array.from({ length: K }, (_, c) => `c${c}`);
const HOUR = { seconds: 3600n, nanos: 0 };

function events() {
  const random = seededRandom(44);
  return Array.from({ length: 60 }, (_, i) => {
    const logits = Array.from({ length: K }, () => random.nextNormal());
    const exp = logits.map((l) => Math.exp(l));
    const total = exp.reduce((a, b) => a + b, 0);
    return sampleEvent(i, {
      eventId: `many-${i}`,
      requestId: `many-request-${i}`,
      graph: '',
      nodePath: [],
      modelName: 'many',
      timeUnixMs: Date.now(),
      outputs: [
        {
          name: 'probabilities',
          datatype: 'FP32',
          shape: [1, K],
          data: Float32Array.from(exp, (e) => e / total),
        },
      ],
    });
  });
}

async function estimatedF1(flags: Record<string, unknown>): Promise<metricsV1.MetricValue | undefined> {
  const service = await startMetricsTestService({ classes: `many=${CLASSES.join(',')}`, ...flags });
  try {
    expect(await service.post(events())).toBe(202);
    await service.handle.idle();
    const answer = await service.client.getMetrics({ series: { modelName: 'many' }, trailing: HOUR });
    expect(answer.windows[0]?.counts?.predictions).toBe(60n);
    return answer.windows[0]?.cbpe?.f1Macro;
  } finally {
    await service.cleanup();
  }
}

describe('--cbpe-f1-interval-max-classes', () => {
  it('leaves a 20-class model without the F1 interval by default, and gives it one raised to 20', async () => {
    const bounded = await estimatedF1({});
    expect(bounded?.value).toBeGreaterThan(0);
    expect(bounded?.interval).toBeUndefined();
    const raised = await estimatedF1({ cbpeF1IntervalMaxClasses: 20 });
    expect(raised?.value).toBeCloseTo(bounded!.value, 12);
    expect(raised?.interval?.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_DELTA);
    expect(raised!.interval!.low).toBeLessThan(raised!.value);
    expect(raised!.interval!.high).toBeGreaterThan(raised!.value);
  });
});
