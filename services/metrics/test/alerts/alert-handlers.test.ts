/**
 * The alert RPCs over a real grpc-js server on 127.0.0.1 (the other MetricsService methods
 * answer UNIMPLEMENTED), backed by a real AlertEngine on SQLite and MetricWindows.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, Server, ServerCredentials, type ServiceError, status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { type CallKit, GrpcServerMetrics, tolerantDefinition } from '@sightline/service-kit';
import { silentLogger, unaryCaller } from '@sightline/service-kit/testing';
import { createMetricsRegistry, createTracing } from '@sightline/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEngine, type AlertEventRecord } from '../../src/alerts/alert-engine.js';
import { resolveAlertOptions } from '../../src/alerts/alert-options.js';
import { MemorySeriesCatalog, windowAlertReadings } from '../../src/alerts/alert-readings.js';
import { alertEventToMessage } from '../../src/contract/alert-messages.js';
import { alertHandlers } from '../../src/grpc/alert-handlers.js';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { SqliteMetricsStore } from '../../src/store/sqlite/sqlite-metrics-store.js';
import { MetricWindows } from '../../src/windows/index.js';
import { classPair, MINUTE, SERIES, T0 } from '../window-records.js';

let dir: string;
let store: MetricsStore;
let server: Server;
let client: InstanceType<typeof metricsV1.MetricsServiceClient>;
let engine: AlertEngine;
let now = T0;
const events: AlertEventRecord[] = [];
const windows = new MetricWindows({ conceptDrift: false });
const catalog = new MemorySeriesCatalog();

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sightline-alert-rpc-'));
  store = await SqliteMetricsStore.open({ file: path.join(dir, 'metrics.sqlite') });
  engine = new AlertEngine({
    store,
    readings: windowAlertReadings({ windows, store, catalog }),
    sink: { emit: (event) => void events.push(event) },
    limits: { bucketWidthMs: MINUTE, retentionMs: 30 * 86_400_000, segmentNames: [] },
    options: resolveAlertOptions(),
  });
  await engine.load();
  const registry = createMetricsRegistry({ serviceName: 'alert-rpc-test', collectDefaults: false });
  const tracing = createTracing({ serviceName: 'alert-rpc-test', env: {} });
  const kit: CallKit = {
    tracer: tracing.tracer,
    logger: silentLogger(),
    metrics: new GrpcServerMetrics(registry),
  };
  server = new Server();
  server.addService(
    tolerantDefinition(metricsV1.MetricsServiceService),
    alertHandlers(kit, { alerts: engine, now: () => now }) as unknown as metricsV1.MetricsServiceServer,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = new metricsV1.MetricsServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const call = () => unaryCaller(client);
const put = (rule: unknown) =>
  call()<metricsV1.PutAlertRuleRequest, metricsV1.PutAlertRuleResponse>(
    'putAlertRule',
    metricsV1.PutAlertRuleRequest,
  )({ rule });
const listRules = (req: unknown) =>
  call()<metricsV1.ListAlertRulesRequest, metricsV1.ListAlertRulesResponse>(
    'listAlertRules',
    metricsV1.ListAlertRulesRequest,
  )(req);
const listAlerts = (req: unknown) =>
  call()<metricsV1.ListAlertsRequest, metricsV1.ListAlertsResponse>(
    'listAlerts',
    metricsV1.ListAlertsRequest,
  )(req);
const remove = (name: string) =>
  call()<metricsV1.DeleteAlertRuleRequest, metricsV1.DeleteAlertRuleResponse>(
    'deleteAlertRule',
    metricsV1.DeleteAlertRuleRequest,
  )({ name });

async function refusal(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error('the call succeeded');
}

const RULE = {
  name: 'iris-accuracy',
  series: { modelName: 'iris' },
  metric: metricsV1.AlertMetric.ALERT_METRIC_ACCURACY,
  comparison: metricsV1.AlertComparison.ALERT_COMPARISON_LT,
  threshold: 0.8,
  window: { seconds: 600n, nanos: 0 },
  labels: { severity: 'page' },
};

describe('alert RPCs', () => {
  it('PutAlertRule creates, then replaces, and answers the rule with its defaults', async () => {
    const created = await put(RULE);
    expect(created.created).toBe(true);
    expect(created.rule).toMatchObject({
      name: 'iris-accuracy',
      minSamples: 30n,
      confidence: 0.95,
      window: { seconds: 600n, nanos: 0 },
      labels: { severity: 'page' },
    });
    expect(created.rule?.forDuration).toBeUndefined();
    const replaced = await put({ ...RULE, forDuration: { seconds: 90n, nanos: 500_000_000 } });
    expect(replaced.created).toBe(false);
    expect(replaced.rule?.forDuration).toEqual({ seconds: 90n, nanos: 500_000_000 });
  });

  it('refuses a bad rule with INVALID_ARGUMENT naming the field', async () => {
    expect(await refusal(put({ ...RULE, metric: 42 }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'rule.metric: unknown metric 42',
    });
    expect(await refusal(put({ ...RULE, name: 'Bad Name' }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringMatching(/^rule\.name: .*name\.format/),
    });
    expect(await refusal(put({ ...RULE, comparison: 0 }))).toMatchObject({
      details: 'rule.comparison: required (rule "rule.comparison")',
    });
    expect(await refusal(put({ ...RULE, threshold: Number.NaN }))).toMatchObject({
      details: 'rule.threshold: must be a finite number, got NaN',
    });
    expect(
      await refusal(put({ ...RULE, metric: metricsV1.AlertMetric.ALERT_METRIC_PREDICTION_SHIFT_JS })),
    ).toMatchObject({
      details: 'rule.reference: required for metric prediction_shift_js (rule "rule.reference_set")',
    });
    expect(await refusal(listRules({ pageSize: 1001 }))).toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('ListAlerts shows the evaluated alert; DeleteAlertRule resolves it; an unknown rule is NOT_FOUND', async () => {
    await put({ ...RULE, forDuration: undefined });
    for (let i = 0; i < 60; i++) {
      const pair = classPair({ predicted: 0, truth: i % 2, minute: i % 10 }, i);
      windows.addPair(pair);
      catalog.observe(SERIES);
    }
    now = T0 + 10 * MINUTE;
    await engine.evaluate(now);
    const { alerts } = await listAlerts({
      modelName: 'iris',
      states: [metricsV1.AlertState.ALERT_STATE_FIRING],
    });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      state: metricsV1.AlertState.ALERT_STATE_FIRING,
      value: 0.5,
      samples: 60n,
      stateTime: new Date(now),
      evaluateTime: new Date(now),
      reason: '',
      interval: { method: metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON, confidence: 0.95 },
    });
    expect((await listAlerts({ modelName: 'other' })).alerts).toEqual([]);
    expect((await listRules({})).rules.map((r) => r.name)).toEqual(['iris-accuracy']);

    now = T0 + 11 * MINUTE;
    await remove('iris-accuracy');
    expect(events.map((e) => e.transition)).toEqual(['firing', 'resolved']);
    const resolved = alertEventToMessage(events[1]!);
    expect(resolved).toMatchObject({
      transition: metricsV1.AlertTransition.ALERT_TRANSITION_RESOLVED,
      rule: 'iris-accuracy',
      metric: metricsV1.AlertMetric.ALERT_METRIC_ACCURACY,
      firingTime: new Date(T0 + 10 * MINUTE),
      time: new Date(T0 + 11 * MINUTE),
      labels: { severity: 'page' },
    });
    // The event survives the wire form.
    expect(metricsV1.AlertEvent.decode(metricsV1.AlertEvent.encode(resolved).finish())).toEqual(resolved);
    expect(await refusal(remove('iris-accuracy'))).toEqual({
      code: status.NOT_FOUND,
      details: 'name: no alert rule named "iris-accuracy"',
    });
  });
});
