import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { AlertView } from './alert-engine.js';
import { validateAlertRule } from './alert-rule.js';
import { AlertSeries } from './alert-series.js';

const LIMITS = { bucketWidthMs: 60_000, retentionMs: 86_400_000, segmentNames: ['country'] };
const rule = (name: string, labels: Record<string, string> = {}) =>
  validateAlertRule(
    {
      name,
      series: { modelName: 'iris', modelVersion: '2' },
      metric: 'accuracy',
      comparison: 'lt',
      threshold: 0.8,
      labels,
    },
    LIMITS,
  );
const view = (
  r: ReturnType<typeof rule>,
  state: 'inactive' | 'pending' | 'firing',
  value: number,
): AlertView => ({
  rule: r,
  status: { rule: r.name, state, value, samples: 120, reason: '', stateSinceMs: 0 },
});

describe('AlertSeries', () => {
  it('exports each alert with its rule, series and own labels, and forgets alerts that are gone', async () => {
    const registry = new Registry();
    const series = new AlertSeries(registry);
    series.evaluated([
      view(rule('a', { severity: 'page' }), 'firing', 0.5),
      view(rule('b'), 'pending', Number.NaN),
    ]);
    const text = await registry.metrics();
    expect(text).toContain(
      'sightline_metrics_alert_firing{rule="a",model_name="iris",model_version="2",node="*",segment="",segment_value="",metric="accuracy",class_label="",severity="page"} 1',
    );
    expect(text).toContain(
      'sightline_metrics_alert_state{rule="b",model_name="iris",model_version="2",node="*",segment="",segment_value="",metric="accuracy",class_label="",severity=""} 1',
    );
    expect(text).toContain('sightline_metrics_alert_value{rule="a",');
    expect(text).not.toContain('sightline_metrics_alert_value{rule="b",'); // NaN: left out
    expect(text).toContain('sightline_metrics_alert_evaluations_total 1');

    series.update([view(rule('b'), 'inactive', 0.9)]);
    const after = await registry.metrics();
    expect(after).not.toContain('rule="a"');
    expect(after).not.toContain('severity');
    expect(after).toContain(
      'sightline_metrics_alert_firing{rule="b",model_name="iris",model_version="2",node="*",segment="",segment_value="",metric="accuracy",class_label=""} 0',
    );
  });
});
