/**
 * Guards what the metrics contract's semantics rest on in the generated code: field presence
 * of the proto3 `optional` fields (an unset version combines every version, an empty one
 * selects predictions without a version; an unset row means 0), NaN values surviving the wire
 * (an empty window's accuracy), unknown enum numbers reaching the service (so an alert rule
 * naming a metric this build does not know is refused by name, not read as UNSPECIFIED), and
 * the method paths clients call.
 */
import { describe, expect, it } from 'vitest';
import { metricsV1 } from './index.js';

const roundTrip = <T>(fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }, m: T): T =>
  fns.decode(fns.encode(m).finish());

describe('metrics contract', () => {
  it('keeps an unset version and node apart from empty ones', () => {
    const combined = roundTrip(
      metricsV1.SeriesSelector,
      metricsV1.SeriesSelector.fromPartial({ modelName: 'm' }),
    );
    expect(combined.modelVersion).toBeUndefined();
    expect(combined.node).toBeUndefined();
    const exact = roundTrip(
      metricsV1.SeriesSelector,
      metricsV1.SeriesSelector.fromPartial({ modelName: 'm', modelVersion: '', node: '' }),
    );
    expect(exact.modelVersion).toBe('');
    expect(exact.node).toBe('');
  });

  it('keeps an unset feedback row apart from row 0, and carries one truth', () => {
    const item = roundTrip(
      metricsV1.FeedbackItem,
      metricsV1.FeedbackItem.fromPartial({ requestId: 'r1', label: 'cat' }),
    );
    expect(item.row).toBeUndefined();
    expect(item.label).toBe('cat');
    expect(item.values).toBeUndefined();
    const second = roundTrip(
      metricsV1.FeedbackItem,
      metricsV1.FeedbackItem.fromPartial({ requestId: 'r1', row: 0, values: { values: [1.5, 2] } }),
    );
    expect(second.row).toBe(0);
    expect(second.values?.values).toEqual([1.5, 2]);
  });

  it('carries NaN values and intervals', () => {
    const value = roundTrip(
      metricsV1.MetricValue,
      metricsV1.MetricValue.fromPartial({
        value: Number.NaN,
        interval: {
          low: 0.1,
          high: 0.3,
          confidence: 0.95,
          method: metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON,
        },
      }),
    );
    expect(value.value).toBeNaN();
    expect(value.interval?.method).toBe(metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON);
    expect(
      roundTrip(metricsV1.MetricValue, metricsV1.MetricValue.fromPartial({ value: 1 })).interval,
    ).toBeUndefined();
  });

  it('passes an unknown alert metric number through to the service', () => {
    const rule = roundTrip(
      metricsV1.AlertRule,
      metricsV1.AlertRule.fromPartial({ name: 'r', metric: 999 as metricsV1.AlertMetric }),
    );
    expect(rule.metric).toBe(999);
  });

  it('serves every MetricsService method under its package path', () => {
    const service = metricsV1.MetricsServiceService;
    const names = Object.values(service).map((method) => method.path);
    expect(names).toEqual(
      [
        'SendFeedback',
        'GetMetrics',
        'ComputeMetrics',
        'ListConceptDrift',
        'CompareVersions',
        'PutAnnotationQueue',
        'GetAnnotationQueue',
        'DeleteAnnotationQueue',
        'ListAnnotationItems',
        'LeaseAnnotationItems',
        'AnswerAnnotationItem',
        'PutAlertRule',
        'DeleteAlertRule',
        'ListAlertRules',
        'ListAlerts',
      ].map((name) => `/sightline.metrics.v1.MetricsService/${name}`),
    );
  });
});
