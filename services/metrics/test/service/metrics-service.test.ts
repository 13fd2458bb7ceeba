/**
 * The metrics service end to end in one process: inference events in over POST /events,
 * feedback over SendFeedback (joined, pending then joined, unchanged, replaced, rejected),
 * GetMetrics over the joined pairs (per segment too), bad input, /metrics, a restart on the same
 * data directory, and expiry of feedback whose prediction never came.
 */
import { status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportedValues } from '../../src/queries/exported-values.js';
import {
  IRIS_CLASSES,
  irisProbabilityEvent,
  type MetricsTestService,
  startMetricsTestService,
} from '../helpers/metrics-test-service.js';

const F = metricsV1.FeedbackStatus;
const HOUR = { seconds: 3600n, nanos: 0 };
const requestId = (i: number) => `req-${i.toString(16).padStart(8, '0')}`;

/** Ten predictions: rows 0-4 predict setosa, 5-9 virginica; country fr for even i, de for odd. */
const TOPS = [0, 0, 0, 0, 0, 2, 2, 2, 2, 2];

describe('the metrics service', () => {
  let service: MetricsTestService;
  beforeAll(async () => {
    service = await startMetricsTestService({ segments: 'country', countWindowPairs: 4 });
  });
  afterAll(async () => {
    await service?.cleanup();
  });

  it('stores the predictions of POSTed events (202) and knows the model', async () => {
    const events = TOPS.map((top, i) =>
      irisProbabilityEvent(i, top, { parameters: { country: i % 2 === 0 ? 'fr' : 'de' } }),
    );
    expect(await service.post(events)).toBe(202);
    // A redelivered event changes nothing.
    expect(await service.post(events.slice(0, 2))).toBe(202);
    await service.handle.idle();
    const metrics = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
    expect(metrics.task).toBe(metricsV1.TaskType.TASK_TYPE_CLASSIFICATION);
    expect(metrics.classes).toEqual([...IRIS_CLASSES]);
    expect(metrics.series).toEqual([{ modelName: 'iris', modelVersion: '1', node: '' }]);
    const [window] = metrics.windows;
    expect(window?.counts?.predictions).toBe(10n);
    expect(window?.counts?.joined).toBe(0n);
    expect(window?.classification).toBeUndefined();
    expect(window?.predictions?.classCounts).toEqual({ setosa: 5n, virginica: 5n });
    expect(window?.cbpe?.accuracy?.value).toBeCloseTo(0.7, 5);
    // The estimated macro F1 carries its delta-method interval (where calibrated labels would fall).
    const f1 = window?.cbpe?.f1Macro;
    expect(f1?.interval?.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_DELTA);
    expect(f1?.interval?.low).toBeLessThan(f1!.value);
    expect(f1?.interval?.high).toBeGreaterThan(f1!.value);
  });

  it('joins feedback: 8 of 10 right, then accuracy 0.8 with its Wilson interval, per segment too', async () => {
    // Truth: setosa for 0-3 and 5 (5 is wrong), virginica for 4 (wrong) and 6-9.
    const truth = [
      'setosa',
      'setosa',
      'setosa',
      'setosa',
      'virginica',
      'setosa',
      'virginica',
      'virginica',
      'virginica',
      'virginica',
    ];
    const sent = await service.client.sendFeedback({
      items: truth.map((label, i) => ({ requestId: requestId(i), label })),
    });
    expect(sent.joined).toBe(10);
    expect(sent.pairs).toBe(10);
    expect(sent.outcomes.every((o) => o.status === F.FEEDBACK_STATUS_JOINED && o.pairs === 1)).toBe(true);
    await service.handle.idle();
    const metrics = await service.client.getMetrics({
      series: { modelName: 'iris' },
      trailing: HOUR,
      breakdownSegment: 'country',
    });
    const c = metrics.windows[0]?.classification;
    expect(c?.pairs).toBe(10n);
    expect(c?.accuracy?.value).toBeCloseTo(0.8, 12);
    expect(c?.accuracy?.interval?.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON);
    expect(c?.accuracy?.interval?.low).toBeLessThan(0.8);
    expect(c?.accuracy?.interval?.high).toBeGreaterThan(0.8);
    // Rows true setosa: predicted setosa 4, virginica 1; true virginica: setosa 1, virginica 4.
    expect(c?.confusionMatrix).toEqual([4n, 0n, 1n, 0n, 0n, 0n, 1n, 0n, 4n]);
    expect(metrics.windows[0]?.coverage?.value).toBe(1);
    expect(metrics.segments.map((s) => [s.segment?.value, s.classification?.pairs])).toEqual([
      ['de', 5n],
      ['fr', 5n],
    ]);
    // fr: rows 0, 2, 4, 6, 8 -> 4 is wrong; de: 1, 3, 5, 7, 9 -> 5 is wrong.
    expect(metrics.segments.map((s) => s.classification?.accuracy?.value)).toEqual([0.8, 0.8]);
  });

  it('answers the same truth UNCHANGED and a different one REPLACED, recounting the window', async () => {
    const again = await service.client.sendFeedback({
      items: [{ requestId: requestId(4), label: 'virginica' }],
    });
    expect(again.outcomes.map((o) => o.status)).toEqual([F.FEEDBACK_STATUS_UNCHANGED]);
    const fixed = await service.client.sendFeedback({
      items: [{ requestId: requestId(4), label: 'setosa' }],
    });
    expect(fixed.outcomes.map((o) => o.status)).toEqual([F.FEEDBACK_STATUS_REPLACED]);
    await service.handle.idle();
    const metrics = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
    expect(metrics.windows[0]?.classification?.accuracy?.value).toBeCloseTo(0.9, 12);
    expect(metrics.windows[0]?.classification?.pairs).toBe(10n);
  });

  it('holds feedback that comes before its prediction, and joins it when the event arrives', async () => {
    const early = await service.client.sendFeedback({
      items: [{ requestId: 'late-1', label: 'versicolor' }],
    });
    expect(early.outcomes.map((o) => o.status)).toEqual([F.FEEDBACK_STATUS_PENDING]);
    expect(await service.post([irisProbabilityEvent(100, 1, { requestId: 'late-1' })])).toBe(202);
    await service.handle.idle();
    const metrics = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
    expect(metrics.windows[0]?.classification?.pairs).toBe(11n);
    expect(metrics.windows[0]?.classification?.accuracy?.value).toBeCloseTo(10 / 11, 12);
  });

  it('closes count windows every 4 pairs', async () => {
    const metrics = await service.client.getMetrics({
      series: { modelName: 'iris' },
      countWindows: { last: 5 },
    });
    expect(metrics.windows.map((w) => w.counts?.joined)).toEqual([4n, 4n]);
    expect(metrics.windows.map((w) => w.countWindowIndex)).toEqual([0n, 1n]);
  });

  it('rejects a label outside the classes alone, naming the item', async () => {
    const sent = await service.client.sendFeedback({
      items: [
        { requestId: requestId(1), label: 'daisy' },
        { requestId: requestId(2), label: 'setosa' },
      ],
    });
    expect(sent.outcomes.map((o) => o.status)).toEqual([
      F.FEEDBACK_STATUS_REJECTED,
      F.FEEDBACK_STATUS_UNCHANGED,
    ]);
    expect(sent.outcomes[0]?.reason).toMatch(/^items\[0\]\./);
    expect(sent.outcomes[0]?.reason).toMatch(/daisy/);
  });

  it('refuses bad input with INVALID_ARGUMENT naming the field, unknown models with NOT_FOUND', async () => {
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'OK',
        (e: { code: number; details: string }) => [e.code, e.details],
      );
    expect(await code(service.client.sendFeedback({ items: [] }))).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/^items: .*items\.set/),
    ]);
    expect(await code(service.client.sendFeedback({ items: [{ requestId: '', label: 'a' }] }))).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/^items\[0\]\.request_id: required/),
    ]);
    expect(
      await code(
        service.client.sendFeedback({ items: [{ requestId: 'r', values: { values: [Number.NaN] } }] }),
      ),
    ).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/^items\[0\]\.values\[0\]: must be finite/)]);
    expect(await code(service.client.sendFeedback({ items: [{ requestId: 'r' }] }))).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/items\.truth_set/),
    ]);
    expect(
      await code(service.client.sendFeedback({ items: [{ requestId: 'r', row: 5000, label: 'a' }] })),
    ).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/^items\[0\]\.row: must be below 4096, got 5000/),
    ]);
    expect(await code(service.client.getMetrics({ series: { modelName: 'nope' }, trailing: HOUR }))).toEqual([
      status.NOT_FOUND,
      expect.stringMatching(/"nope"/),
    ]);
    expect(
      await code(
        service.client.getMetrics({ series: { modelName: 'iris', modelVersion: '9' }, trailing: HOUR }),
      ),
    ).toEqual([status.NOT_FOUND, expect.stringMatching(/version "9"/)]);
    expect(await code(service.client.getMetrics({ series: { modelName: 'iris' } }))).toEqual([
      status.INVALID_ARGUMENT,
      expect.stringMatching(/window\.set/),
    ]);
    expect(
      await code(
        service.client.getMetrics({
          series: { modelName: 'iris' },
          trailing: HOUR,
          breakdownSegment: 'city',
        }),
      ),
    ).toEqual([status.INVALID_ARGUMENT, expect.stringMatching(/segment\.name_configured/)]);
  });

  it("exports each series' windowed values for its gauges", async () => {
    const values = await exportedValues(service.handle.dataPlane, Date.now(), 3_600_000);
    const iris = (metric: string) =>
      values.find(
        (v) => v.metric === metric && v.series.modelName === 'iris' && v.series.modelVersion === '1',
      )?.value;
    expect(iris('pairs')).toBe(11);
    expect(iris('accuracy')).toBeCloseTo(10 / 11, 12);
    expect(iris('predictions')).toBe(11);
  });

  it('exports its counts and windowed values on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${service.handle.httpPort}/metrics`)).text();
    expect(text).toMatch(
      /sightline_metrics_pairs_joined_total\{model_name="iris",model_version="1",node="",[^}]*\} 11/,
    );
    expect(text).toMatch(/sightline_metrics_feedback_rows_total\{status="pending",[^}]*\} 1/);
    expect(text).toMatch(
      /sightline_metrics_predictions_total\{model_name="iris",model_version="1",node="",[^}]*\} 11/,
    );
  });

  it('keeps what it counted across a restart on the same data directory', async () => {
    const before = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
    await service.stop();
    const again = await startMetricsTestService({ segments: 'country' }, {}, service.dataDir);
    try {
      const after = await again.client.getMetrics({
        series: { modelName: 'iris' },
        trailing: HOUR,
        breakdownSegment: 'country',
      });
      expect(after.windows[0]?.classification).toEqual(before.windows[0]?.classification);
      expect(after.windows[0]?.counts?.predictions).toBe(before.windows[0]?.counts?.predictions);
      expect(after.segments.map((s) => s.segment?.value)).toEqual(['de', 'fr']);
      // Feedback after the restart still joins and counts on top of what was stored.
      const sent = await again.client.sendFeedback({
        items: [{ requestId: requestId(5), label: 'virginica' }],
      });
      expect(sent.outcomes.map((o) => o.status)).toEqual([F.FEEDBACK_STATUS_REPLACED]);
      await again.handle.idle();
      const fixed = await again.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
      expect(fixed.windows[0]?.classification?.accuracy?.value).toBeCloseTo(1, 12);
    } finally {
      await again.stop();
    }
  });
});

describe('pending feedback expiry', () => {
  it('expires feedback whose prediction never came after the TTL, and counts it', async () => {
    let clock = Date.now();
    const service = await startMetricsTestService({ pendingFeedbackTtlMs: 60_000 }, { now: () => clock });
    try {
      expect(await service.post([irisProbabilityEvent(1, 0, { timeUnixMs: clock })])).toBe(202);
      await service.handle.idle();
      const sent = await service.client.sendFeedback({
        items: [{ requestId: 'never', label: 'setosa', modelName: 'iris' }],
      });
      expect(sent.pending).toBe(1);
      clock += 61_000;
      expect(await service.handle.dataPlane.expire()).toBe(1);
      const metrics = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
      expect(metrics.windows[0]?.counts?.expired).toBe(1n);
      expect(metrics.windows[0]?.counts?.pending).toBe(0n);
      // Expired is gone: the same request's prediction later makes no pair.
      expect(
        await service.post([irisProbabilityEvent(2, 0, { requestId: 'never', timeUnixMs: clock })]),
      ).toBe(202);
      await service.handle.idle();
      const after = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
      expect(after.windows[0]?.counts?.joined).toBe(0n);
    } finally {
      await service.cleanup();
    }
  });
});
