/**
 * Direct loss estimation in the running service: a regressor whose error grows with its
 * prediction; no estimate before the series has enough joined elements; then GetMetrics'
 * `dle` equals the loss models fitted on the same reference and applied to the window's
 * predictions (recomputed here from scratch with libs/stats), with its gap on the labelled
 * rows, and the intervals of both (the fit's residual spread over the window's and the
 * reference's rows); the Prometheus export; an ESTIMATED_MAE alert rule firing on the service timer; and the
 * fit kept across a restart.
 */
import { credentials, status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import type { InferenceEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { unaryCaller } from '@sightline/service-kit/testing';
import { DirectLossEstimator, denseMatrix, normalQuantile, seededRandom } from '@sightline/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsTestService, startMetricsTestService } from '../helpers/metrics-test-service.js';

const HOUR = { seconds: 3600n, nanos: 0 };
const REFERENCE = 200;
const LATER = 300;
const requestId = (i: number) => `price-${i}`;

/** Row i: prediction in [1, 10] for the reference, [10, 20] later; truth off by ~10% of it. */
function rows(): { prediction: number; truth: number }[] {
  const random = seededRandom(12);
  return Array.from({ length: REFERENCE + LATER }, (_, i) => {
    const prediction = Math.fround(i < REFERENCE ? 1 + 9 * random.nextFloat() : 10 + 10 * random.nextFloat());
    return { prediction, truth: prediction + 0.1 * prediction * random.nextNormal() };
  });
}

function priceEvent(i: number, prediction: number, timeUnixMs: number): InferenceEvent {
  return sampleEvent(i, {
    eventId: `price-event-${i}`,
    requestId: requestId(i),
    graph: '',
    nodePath: [],
    modelName: 'price',
    timeUnixMs,
    outputs: [{ name: 'value', datatype: 'FP32', shape: [1, 1], data: new Float32Array([prediction]) }],
  });
}

const mean = (values: ArrayLike<number>) => Array.from(values).reduce((a, b) => a + b, 0) / values.length;
const Z = normalQuantile(0.975);
const halfWidth = (v: metricsV1.MetricValue | undefined) => (v!.interval!.high - v!.interval!.low) / 2;

describe('direct loss estimation in the service', () => {
  const data = rows();
  const start = Date.now() - 30 * 60_000;
  let service: MetricsTestService;
  beforeAll(async () => {
    service = await startMetricsTestService({
      alertIntervalMs: 1000,
      exportIntervalMs: 1000,
      dleReferencePairs: REFERENCE,
      dleMinReferencePairs: 50,
      dleRefitIntervalMs: 0,
    });
  });
  afterAll(async () => {
    await service?.cleanup();
  });

  const getDle = async () =>
    (await service.client.getMetrics({ series: { modelName: 'price' }, trailing: HOUR })).windows[0];

  it('gives no estimate while the series has fewer joined elements than the minimum', async () => {
    const events = data.map((r, i) => priceEvent(i, r.prediction, start + i * 1000));
    expect(await service.post(events)).toBe(202);
    await service.handle.idle();
    const sent = await service.client.sendFeedback({
      items: data.slice(0, 20).map((r, i) => ({ requestId: requestId(i), values: { values: [r.truth] } })),
    });
    expect(sent.joined).toBe(20);
    await service.handle.idle();
    const window = await getDle();
    expect(window?.counts?.predictions).toBe(BigInt(data.length));
    expect(window?.regression?.mae?.value).toBeGreaterThan(0);
    expect(window?.dle).toBeUndefined();
  });

  it('estimates MAE and RMSE as the loss models fitted on the reference, applied to every prediction', async () => {
    const sent = await service.client.sendFeedback({
      items: data
        .slice(20, REFERENCE)
        .map((r, i) => ({ requestId: requestId(i + 20), values: { values: [r.truth] } })),
    });
    expect(sent.joined).toBe(REFERENCE - 20);
    await service.handle.idle();
    const window = await getDle();
    const dle = window?.dle;
    expect(dle).toBeDefined();
    // From scratch: the same fit on the reference (the earliest pairs, which are rows 0..199),
    // applied to the exact predictions (the service reads them from its sketches, within 1%).
    const reference = data.slice(0, REFERENCE);
    const estimator = DirectLossEstimator.fit({
      features: denseMatrix(REFERENCE, 0, new Float64Array(0)),
      predictions: reference.map((r) => r.prediction),
      targets: reference.map((r) => r.truth),
    });
    const losses = (subset: typeof data) =>
      estimator.predictLosses(
        denseMatrix(subset.length, 0, new Float64Array(0)),
        subset.map((r) => r.prediction),
      );
    const all = losses(data);
    const expectedMae = mean(all.absolute);
    const expectedRmse = Math.sqrt(mean(all.squared));
    expect(dle!.rows).toBe(BigInt(data.length));
    expect(dle!.mae!.value).toBeCloseTo(expectedMae, 1);
    expect(Math.abs(dle!.mae!.value / expectedMae - 1)).toBeLessThan(0.01);
    expect(Math.abs(dle!.rmse!.value / expectedRmse - 1)).toBeLessThan(0.01);
    // Where the realised MAE lies: ± z × the absolute-error model's residual spread on the
    // reference × sqrt(1/rows + 1/reference rows); RMSE's by the delta method on the MSE's.
    const sampling = estimator.samplingError!;
    const spread = Math.sqrt(1 / data.length + 1 / REFERENCE);
    expect(dle!.mae!.interval!.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_NORMAL);
    expect(dle!.mae!.interval!.confidence).toBe(0.95);
    expect(halfWidth(dle!.mae)).toBeCloseTo(Z * sampling.absoluteResidualSd * spread, 9);
    expect(dle!.rmse!.interval!.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_DELTA);
    expect(halfWidth(dle!.rmse)).toBeCloseTo(
      (Z * sampling.squaredResidualSd * spread) / (2 * dle!.rmse!.value),
      9,
    );
    // The later predictions are twice as large: so is their estimated error, which a constant
    // (the reference's mean error) would miss.
    const referenceMae = mean(reference.map((r) => Math.abs(r.truth - r.prediction)));
    expect(dle!.mae!.value).toBeGreaterThan(1.5 * referenceMae);
    // The gap is on the labelled rows: realised minus estimated on those 200.
    const labelled = losses(reference);
    const realisedMae = window!.regression!.mae!.value;
    expect(realisedMae).toBeCloseTo(referenceMae, 9);
    expect(dle!.gap?.pairs).toBe(BigInt(REFERENCE));
    expect(dle!.gap!.mae!.value).toBeCloseTo(realisedMae - mean(labelled.absolute), 2);
    const realisedRmse = window!.regression!.rmse!.value;
    expect(dle!.gap!.rmse!.value).toBeCloseTo(realisedRmse - Math.sqrt(mean(labelled.squared)), 2);
    // The gap's interval: the realised MAE's own standard error with the fit's error; on the
    // reference itself the loss models are right, so it holds 0.
    const realisedAbsolute = reference.map((r) => Math.abs(r.truth - r.prediction));
    const realisedSe = Math.sqrt(
      realisedAbsolute.reduce((a, v) => a + (v - referenceMae) ** 2, 0) / (REFERENCE - 1) / REFERENCE,
    );
    expect(dle!.gap!.mae!.interval!.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_NORMAL);
    expect(halfWidth(dle!.gap!.mae)).toBeCloseTo(
      Z * Math.sqrt(realisedSe ** 2 + sampling.absoluteResidualSd ** 2 / REFERENCE),
      6,
    );
    expect(dle!.gap!.mae!.interval!.low).toBeLessThan(0);
    expect(dle!.gap!.mae!.interval!.high).toBeGreaterThan(0);
    expect(dle!.gap!.rmse!.interval!.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_DELTA);
  });

  it('gives the output shift against a reference range with its bootstrap intervals', async () => {
    // Reference: the first 200 predictions (1..10); the window: the later ones (10..20), shifted.
    const answer = await service.client.getMetrics({
      series: { modelName: 'price' },
      range: { startTime: new Date(start + REFERENCE * 1000), endTime: new Date(start + data.length * 1000) },
      reference: { startTime: new Date(start), endTime: new Date(start + (REFERENCE - 60) * 1000) },
    });
    const shift = answer.windows[0]?.predictions?.shift;
    expect(shift?.psi).toBeGreaterThan(1);
    for (const [value, interval] of [
      [shift!.klDivergence, shift!.klDivergenceInterval],
      [shift!.jensenShannonDistance, shift!.jensenShannonDistanceInterval],
      [shift!.psi, shift!.psiInterval],
    ] as const) {
      expect(interval?.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_BOOTSTRAP_PERCENTILE);
      expect(interval!.low).toBeLessThanOrEqual(value);
      expect(interval!.high).toBeGreaterThanOrEqual(value);
    }
  });

  it('exports the estimate to Prometheus', async () => {
    const value = async () => {
      const text = await (await fetch(`http://127.0.0.1:${service.handle.httpPort}/metrics`)).text();
      const line = text
        .split('\n')
        .find(
          (l) =>
            l.startsWith('sightline_metrics_window_value{') &&
            l.includes('metric="estimated_mae"') &&
            l.includes('model_name="price"'),
        );
      return line === undefined ? undefined : Number(line.split(' ').at(-1));
    };
    await expect.poll(value, { timeout: 10_000, interval: 250 }).toBeDefined();
    expect(await value()).toBeCloseTo((await getDle())!.dle!.mae!.value, 6);
  });

  it('fires an ESTIMATED_MAE alert rule on the service timer, with no labels for the window', async () => {
    const raw = new metricsV1.MetricsServiceClient(
      `127.0.0.1:${service.handle.grpcPort}`,
      credentials.createInsecure(),
    );
    try {
      const call = unaryCaller(raw);
      const put = call<metricsV1.PutAlertRuleRequest, metricsV1.PutAlertRuleResponse>(
        'putAlertRule',
        metricsV1.PutAlertRuleRequest,
      );
      const estimated = (await getDle())!.dle!.mae!.value;
      for (const [name, metric, threshold] of [
        ['price-estimated-mae', metricsV1.AlertMetric.ALERT_METRIC_ESTIMATED_MAE, estimated - 0.05],
        ['price-estimated-rmse-quiet', metricsV1.AlertMetric.ALERT_METRIC_ESTIMATED_RMSE, 1_000],
      ] as const) {
        await put({
          rule: {
            name,
            series: { modelName: 'price' },
            metric,
            comparison: metricsV1.AlertComparison.ALERT_COMPARISON_GT,
            threshold,
            minSamples: 100n,
          },
        });
      }
      const list = call<metricsV1.ListAlertsRequest, metricsV1.ListAlertsResponse>(
        'listAlerts',
        metricsV1.ListAlertsRequest,
      );
      const state = async (rule: string) =>
        (await list({ modelName: 'price' })).alerts.find((a) => a.rule?.name === rule);
      await expect
        .poll(async () => (await state('price-estimated-mae'))?.state, { timeout: 10_000, interval: 250 })
        .toBe(metricsV1.AlertState.ALERT_STATE_FIRING);
      const firing = await state('price-estimated-mae');
      expect(firing?.value).toBeCloseTo(estimated, 6);
      const quiet = await state('price-estimated-rmse-quiet');
      expect(quiet?.state).toBe(metricsV1.AlertState.ALERT_STATE_INACTIVE);
      expect(quiet?.value).toBeCloseTo((await getDle())!.dle!.rmse!.value, 6);
    } finally {
      raw.close();
    }
  });

  it('estimates a ComputeMetrics batch from labelled reference pairs, and refuses a short reference by name', async () => {
    const raw = new metricsV1.MetricsServiceClient(
      `127.0.0.1:${service.handle.grpcPort}`,
      credentials.createInsecure(),
    );
    try {
      const compute = unaryCaller(raw)<metricsV1.ComputeMetricsRequest, metricsV1.ComputeMetricsResponse>(
        'computeMetrics',
        metricsV1.ComputeMetricsRequest,
      );
      const reference = data.slice(0, REFERENCE);
      const batch = data.slice(REFERENCE);
      const answer = await compute({
        regression: {
          yTrue: batch.map((r) => r.truth),
          yPred: batch.map((r) => r.prediction),
          referenceYTrue: reference.map((r) => r.truth),
          referenceYPred: reference.map((r) => r.prediction),
        },
      });
      const estimator = DirectLossEstimator.fit({
        features: denseMatrix(REFERENCE, 0, new Float64Array(0)),
        predictions: reference.map((r) => r.prediction),
        targets: reference.map((r) => r.truth),
      });
      const losses = estimator.predictLosses(
        denseMatrix(batch.length, 0, new Float64Array(0)),
        batch.map((r) => r.prediction),
      );
      const mae = mean(losses.absolute);
      const rmse = Math.sqrt(mean(losses.squared));
      expect(answer.dle?.rows).toBe(BigInt(batch.length));
      expect(answer.dle?.mae?.value).toBeCloseTo(mae, 12);
      expect(answer.dle?.rmse?.value).toBeCloseTo(rmse, 12);
      expect(answer.dle?.gap?.pairs).toBe(BigInt(batch.length));
      expect(answer.dle?.gap?.mae?.value).toBeCloseTo(answer.regression!.mae!.value - mae, 12);
      const sampling = estimator.samplingError!;
      const spread = Math.sqrt(1 / batch.length + 1 / REFERENCE);
      expect(answer.dle!.mae!.interval!.low).toBeCloseTo(mae - Z * sampling.absoluteResidualSd * spread, 12);
      expect(answer.dle!.mae!.interval!.high).toBeCloseTo(mae + Z * sampling.absoluteResidualSd * spread, 12);
      expect(halfWidth(answer.dle!.rmse)).toBeCloseTo(
        (Z * sampling.squaredResidualSd * spread) / (2 * rmse),
        12,
      );
      expect(answer.dle!.gap!.mae!.interval!.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_NORMAL);
      expect(answer.dle!.gap!.rmse!.interval!.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_DELTA);
      // Without a reference: no estimate, the rest unchanged.
      const plain = await compute({
        regression: { yTrue: batch.map((r) => r.truth), yPred: batch.map((r) => r.prediction) },
      });
      expect(plain.dle).toBeUndefined();
      expect(plain.regression).toEqual(answer.regression);
      await expect(
        compute({ regression: { yTrue: [1], yPred: [2], referenceYTrue: [1, 2], referenceYPred: [1, 2] } }),
      ).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringContaining(
          'regression.reference_y_true: must hold from 10 to 100000 pairs, got 2',
        ),
      });
    } finally {
      raw.close();
    }
  });

  it('keeps the fitted loss models across a restart', async () => {
    const before = (await getDle())!.dle!;
    const dataDir = service.dataDir;
    await service.stop();
    const restarted = await startMetricsTestService(
      { dleReferencePairs: REFERENCE, dleMinReferencePairs: 50, dleRefitIntervalMs: 0 },
      {},
      dataDir,
    );
    try {
      const window = (await restarted.client.getMetrics({ series: { modelName: 'price' }, trailing: HOUR }))
        .windows[0];
      expect(window?.dle?.mae?.value).toBe(before.mae!.value);
      expect(window?.dle?.rmse?.value).toBe(before.rmse!.value);
      // The sampling error is saved with the fit: the same intervals after the restart.
      expect(window?.dle?.mae?.interval).toEqual(before.mae!.interval);
      expect(window?.dle?.rmse?.interval).toEqual(before.rmse!.interval);
    } finally {
      await restarted.cleanup();
    }
  });
});
