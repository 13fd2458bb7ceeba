/**
 * The parts built on the data plane, wired in the running service and reached over gRPC and
 * POST /events: the annotation queue fed by stored predictions and answered into feedback, an
 * alert rule evaluated by the service's timer, ComputeMetrics, CompareVersions on the same
 * requests, ListConceptDrift, and OutlierEvents accepted beside inference events.
 */
import { credentials } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { unaryCaller } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisProbabilityEvent,
  type MetricsTestService,
  startMetricsTestService,
} from '../helpers/metrics-test-service.js';

const HOUR = { seconds: 3600n, nanos: 0 };

describe('the metrics service parts over gRPC', () => {
  let service: MetricsTestService;
  let raw: metricsV1.MetricsServiceClient;
  let call: ReturnType<typeof unaryCaller>;
  beforeAll(async () => {
    service = await startMetricsTestService({ alertIntervalMs: 1000 });
    raw = new metricsV1.MetricsServiceClient(
      `127.0.0.1:${service.handle.grpcPort}`,
      credentials.createInsecure(),
    );
    call = unaryCaller(raw);
  });
  afterAll(async () => {
    raw?.close();
    await service?.cleanup();
  });

  it('queues sampled predictions, and an answer becomes feedback', async () => {
    const put = call<metricsV1.PutAnnotationQueueRequest, metricsV1.PutAnnotationQueueResponse>(
      'putAnnotationQueue',
      metricsV1.PutAnnotationQueueRequest,
    );
    const created = await put({
      queue: {
        modelName: 'iris',
        policy: metricsV1.AnnotationPolicy.ANNOTATION_POLICY_UNIFORM,
        sampleRate: 1,
      },
    });
    expect(created.created).toBe(true);
    expect(await service.post([0, 1, 2].map((i) => irisProbabilityEvent(i, i)))).toBe(202);
    await service.handle.idle();
    const list = call<metricsV1.ListAnnotationItemsRequest, metricsV1.ListAnnotationItemsResponse>(
      'listAnnotationItems',
      metricsV1.ListAnnotationItemsRequest,
    );
    await expect
      .poll(async () => (await list({ modelName: 'iris' })).items.length, { timeout: 10_000 })
      .toBe(3);
    const [item] = (await list({ modelName: 'iris' })).items;
    const answer = call<metricsV1.AnswerAnnotationItemRequest, metricsV1.AnswerAnnotationItemResponse>(
      'answerAnnotationItem',
      metricsV1.AnswerAnnotationItemRequest,
    );
    const answered = await answer({ modelName: 'iris', itemId: item!.itemId, label: 'versicolor' });
    expect(answered.item?.state).toBe(metricsV1.AnnotationItemState.ANNOTATION_ITEM_STATE_ANSWERED);
    expect(answered.feedback?.status).toBe(metricsV1.FeedbackStatus.FEEDBACK_STATUS_JOINED);
    await service.handle.idle();
    const metrics = await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR });
    expect(metrics.windows[0]?.classification?.pairs).toBe(1n);
  });

  it('fires an alert rule on the service timer', async () => {
    const put = call<metricsV1.PutAlertRuleRequest, metricsV1.PutAlertRuleResponse>(
      'putAlertRule',
      metricsV1.PutAlertRuleRequest,
    );
    await put({
      rule: {
        name: 'iris-accuracy',
        series: { modelName: 'iris' },
        metric: metricsV1.AlertMetric.ALERT_METRIC_ACCURACY,
        comparison: metricsV1.AlertComparison.ALERT_COMPARISON_LT,
        threshold: 0.9,
        minSamples: 2n,
      },
    });
    // Two more pairs, both wrong: accuracy 1/3.
    await service.client.sendFeedback({
      items: (await service.client.getMetrics({ series: { modelName: 'iris' }, trailing: HOUR })).windows
        .length
        ? [0, 2].map((i) => ({ requestId: `req-${i.toString(16).padStart(8, '0')}`, label: 'versicolor' }))
        : [],
    });
    await service.handle.idle();
    const list = call<metricsV1.ListAlertsRequest, metricsV1.ListAlertsResponse>(
      'listAlerts',
      metricsV1.ListAlertsRequest,
    );
    await expect
      .poll(async () => (await list({ modelName: 'iris' })).alerts[0]?.state, {
        timeout: 10_000,
        interval: 250,
      })
      .toBe(metricsV1.AlertState.ALERT_STATE_FIRING);
    const text = await (await fetch(`http://127.0.0.1:${service.handle.httpPort}/metrics`)).text();
    expect(text).toMatch(/sightline_metrics_alert_firing\{[^}]*rule="iris-accuracy"[^}]*\} 1/);
  });

  it('computes metrics of a batch, compares versions and lists concept drift', async () => {
    const compute = call<metricsV1.ComputeMetricsRequest, metricsV1.ComputeMetricsResponse>(
      'computeMetrics',
      metricsV1.ComputeMetricsRequest,
    );
    const computed = await compute({ regression: { yTrue: [1, 2, 3], yPred: [1, 2, 5] } });
    expect(computed.regression?.mae?.value).toBeCloseTo(2 / 3, 12);
    const compare = call<metricsV1.CompareVersionsRequest, metricsV1.CompareVersionsResponse>(
      'compareVersions',
      metricsV1.CompareVersionsRequest,
    );
    await expect(
      compare({
        baseline: { modelName: 'iris', modelVersion: '1' },
        candidate: { modelName: 'iris', modelVersion: '1' },
        trailing: HOUR,
      }),
    ).rejects.toMatchObject({ details: expect.stringMatching(/compare\.distinct/) });
    const drift = call<metricsV1.ListConceptDriftRequest, metricsV1.ListConceptDriftResponse>(
      'listConceptDrift',
      metricsV1.ListConceptDriftRequest,
    );
    const states = await drift({ series: { modelName: 'iris' } });
    expect(states.detectors.length).toBeGreaterThan(0);
  });

  it('takes OutlierEvents on POST /events beside inference events', async () => {
    const response = await fetch(service.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([
        {
          specversion: '1.0',
          id: 'o1',
          source: 'sightline/outlier',
          type: 'io.sightline.outlier',
          data: { detector: 'forest', requestId: 'req-00000001', rowScore: [0.9] },
        },
      ]),
    });
    expect(response.status).toBe(202);
    const bad = await fetch(service.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([
        {
          specversion: '1.0',
          id: 'o2',
          source: 'x',
          type: 'io.sightline.outlier',
          data: { detector: 'forest' },
        },
      ]),
    });
    expect(bad.status).toBe(400);
  });
});
