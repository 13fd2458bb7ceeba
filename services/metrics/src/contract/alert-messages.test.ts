import { metricsV1 } from '@sightline/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALERT_METRIC_NAMES,
  type AlertRuleInput,
  PER_CLASS_METRICS,
  SHIFT_METRICS,
  validateAlertRule,
} from '../alerts/alert-rule.js';
import { metricFromMessage, metricToMessage, ruleFromMessage, ruleToMessage } from './alert-messages.js';

const LIMITS = { bucketWidthMs: 60_000, retentionMs: 30 * 86_400_000, segmentNames: ['country', 'device'] };

const ruleInput: fc.Arbitrary<AlertRuleInput> = fc
  .record({
    name: fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/),
    modelName: fc.string({ minLength: 1, maxLength: 20 }),
    modelVersion: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
    node: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }),
    segment: fc.option(
      fc.record({ name: fc.constantFrom('country', 'device'), value: fc.string({ maxLength: 5 }) }),
      {
        nil: undefined,
      },
    ),
    metric: fc.constantFrom(...ALERT_METRIC_NAMES),
    comparison: fc.constantFrom('lt' as const, 'le' as const, 'gt' as const, 'ge' as const),
    threshold: fc.double({ noNaN: true, noDefaultInfinity: true }),
    windowMinutes: fc.integer({ min: 1, max: 1440 }),
    minSamples: fc.integer({ min: 1, max: 100_000 }),
    forMs: fc.integer({ min: 0, max: 86_400_000 }),
    labels: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), fc.string({ maxLength: 20 }), {
      maxKeys: 4,
    }),
    annotations: fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 }), {
      maxKeys: 4,
    }),
    useInterval: fc.boolean(),
    confidence: fc.double({ min: 0.5, max: 0.999, noNaN: true }),
    referenceStart: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    detector: fc.constantFrom(undefined, 'ddm' as const, 'adwin' as const, 'pageHinkley' as const),
  })
  .map((r) => ({
    name: r.name,
    series: {
      modelName: r.modelName,
      ...(r.modelVersion !== undefined ? { modelVersion: r.modelVersion } : {}),
      ...(r.node !== undefined ? { node: r.node } : {}),
    },
    ...(r.segment !== undefined ? { segment: r.segment } : {}),
    metric: r.metric,
    classLabel: PER_CLASS_METRICS.has(r.metric) ? 'a' : '',
    comparison: r.comparison,
    threshold: r.threshold,
    windowMs: r.windowMinutes * 60_000,
    minSamples: r.minSamples,
    forMs: r.forMs,
    labels: Object.fromEntries(
      Object.entries(r.labels).filter(([k]) => !['rule', 'node', 'metric', 'state', 'segment'].includes(k)),
    ),
    annotations: r.annotations,
    useInterval: r.useInterval,
    confidence: r.confidence,
    ...(SHIFT_METRICS.has(r.metric)
      ? { reference: { fromMs: r.referenceStart, toMs: r.referenceStart + 3_600_000 } }
      : {}),
    ...(r.metric === 'concept_drift_state' && r.detector !== undefined
      ? { conceptDriftDetector: r.detector }
      : {}),
  }));

describe('alert messages', () => {
  it('every metric name has its enum number and back', () => {
    for (const name of ALERT_METRIC_NAMES) expect(metricFromMessage(metricToMessage(name))).toBe(name);
    expect(ALERT_METRIC_NAMES).toHaveLength(
      Object.values(metricsV1.AlertMetric).filter((v) => typeof v === 'number' && v > 0).length,
    );
  });

  it('a valid rule survives message, wire form and back unchanged (property)', () => {
    fc.assert(
      fc.property(ruleInput, (input) => {
        const rule = validateAlertRule(input, LIMITS);
        const wire = metricsV1.AlertRule.decode(metricsV1.AlertRule.encode(ruleToMessage(rule)).finish());
        expect(validateAlertRule(ruleFromMessage(wire), LIMITS)).toEqual(rule);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
