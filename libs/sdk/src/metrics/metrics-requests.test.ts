import { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertMetrics, feedbackStatuses, intervalMethods } from './metrics-enum-codecs.js';
import {
  alertRuleMessage,
  compareVersionsRequest,
  computeMetricsRequest,
  type FeedbackInput,
  feedbackBatches,
  feedbackItemMessage,
  feedbackRows,
  getMetricsRequest,
} from './metrics-requests.js';
import { metricsReportOf } from './metrics-results.js';

const input = (rows: number): FeedbackInput =>
  rows === 1
    ? { requestId: 'r', label: 'a' }
    : { requestId: 'r', labels: Array.from({ length: rows }, () => 'a') };

describe('feedbackBatches', () => {
  it('keeps every input once, in order, and no batch over the limit unless one input is', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 40 }),
        (sizes, max) => {
          const inputs = sizes.map(input);
          const batches = feedbackBatches(inputs, max);
          expect(batches.flat()).toEqual(inputs);
          for (const batch of batches) {
            const rows = batch.reduce((sum, i) => sum + feedbackRows(i), 0);
            expect(batch.length).toBeGreaterThan(0);
            if (batch.length > 1) expect(rows).toBeLessThanOrEqual(max);
          }
          // Greedy: a batch and the next one's first input would not have fitted together.
          for (let b = 0; b + 1 < batches.length; b++) {
            const rows = batches[b]!.reduce((sum, i) => sum + feedbackRows(i), 0);
            expect(rows + feedbackRows(batches[b + 1]![0]!)).toBeGreaterThan(max);
          }
        },
      ),
    );
  });
});

describe('feedbackItemMessage', () => {
  it('puts the one truth in its oneof member', () => {
    expect(feedbackItemMessage({ requestId: 'r1', row: 2, label: 'cat' }, 0)).toEqual({
      requestId: 'r1',
      row: 2,
      modelName: '',
      label: 'cat',
    });
    expect(feedbackItemMessage({ requestId: 'r1', values: [1.5, 2], modelName: 'm' }, 0)).toMatchObject({
      values: { values: [1.5, 2] },
      modelName: 'm',
    });
    expect(feedbackItemMessage({ requestId: 'r1', reward: 0 }, 0)).toMatchObject({ reward: 0 });
  });

  it('refuses no truth, two truths and a negative row, naming the item', () => {
    expect(() => feedbackItemMessage({ requestId: 'r' }, 3)).toThrow(/^items\[3\]\.truth: exactly one of/);
    expect(() => feedbackItemMessage({ requestId: 'r', label: 'a', reward: 1 }, 0)).toThrow(
      InvalidArgumentError,
    );
    expect(() => feedbackItemMessage({ requestId: 'r', label: 'a', row: -1 }, 1)).toThrow(
      /^items\[1\]\.row: /,
    );
    expect(() => feedbackItemMessage({ requestId: 'r', label: 'a', observeTime: Number.NaN }, 2)).toThrow(
      /^items\[2\]\.observeTime: /,
    );
  });

  it('encodes to bytes the service decodes to the same item', () => {
    const item = feedbackItemMessage(
      { requestId: 'r9', labels: ['x', 'y'], row: 4, observeTime: 1_700_000_000_000 },
      0,
    );
    const decoded = metricsV1.FeedbackItem.decode(metricsV1.FeedbackItem.encode(item).finish());
    expect(decoded).toMatchObject({ requestId: 'r9', row: 4, labels: { labels: ['x', 'y'] } });
    expect(decoded.observeTime?.getTime()).toBe(1_700_000_000_000);
  });
});

describe('enum codecs', () => {
  it('names values in lower case without the prefix, and reads names back', () => {
    expect(feedbackStatuses.name(metricsV1.FeedbackStatus.FEEDBACK_STATUS_JOINED)).toBe('joined');
    expect(alertMetrics.value('macro-f1', 'metric')).toBe(metricsV1.AlertMetric.ALERT_METRIC_MACRO_F1);
    expect(alertMetrics.value('LATENCY_P99', 'metric')).toBe(metricsV1.AlertMetric.ALERT_METRIC_LATENCY_P99);
    expect(intervalMethods.names).toContain('wilson');
    expect(alertMetrics.names).not.toContain('unspecified');
  });

  it('refuses an unknown name, listing the ones it takes', () => {
    expect(() => alertMetrics.value('accurcy', 'metric')).toThrow(
      /^metric: must be one of accuracy, macro_f1, /,
    );
    expect(() => alertMetrics.value('unspecified', 'metric')).toThrow(InvalidArgumentError);
  });
});

describe('requests', () => {
  it('getMetrics: a trailing window with steps, or count windows', () => {
    const trailing = getMetricsRequest(
      { modelName: 'iris', version: '2' },
      { window: { trailingMs: 3_600_000 }, stepMs: 300_000 },
    );
    expect(trailing).toMatchObject({
      series: { modelName: 'iris', modelVersion: '2' },
      trailing: { seconds: 3600n, nanos: 0 },
      step: { seconds: 300n, nanos: 0 },
    });
    expect(trailing.series?.node).toBeUndefined();
    expect(getMetricsRequest({ modelName: 'iris' }, { window: { countWindows: 3 } })).toMatchObject({
      countWindows: { last: 3 },
    });
    expect(() => getMetricsRequest({ modelName: 'm' }, { window: { from: 10, to: 5 } })).toThrow(
      /^to: must be after from/,
    );
  });

  it('computeMetrics flattens probabilities row-major', () => {
    const request = computeMetricsRequest(
      {
        task: 'classification',
        yTrue: ['a', 'b'],
        yPred: ['a', 'a'],
        classes: ['a', 'b'],
        probabilities: [
          [0.9, 0.1],
          [0.6, 0.4],
        ],
      },
      {},
    );
    expect(request.classification?.probabilities).toEqual([0.9, 0.1, 0.6, 0.4]);
    expect(
      computeMetricsRequest({ task: 'regression', yTrue: [1], yPred: [2] }, { confidence: 0.9 }),
    ).toMatchObject({
      regression: { yTrue: [1], yPred: [2] },
      confidence: 0.9,
    });
  });

  it('compareVersions and alert rules read enum names', () => {
    expect(
      compareVersionsRequest({
        baseline: { modelName: 'iris', version: '1' },
        candidate: { modelName: 'iris', version: '2' },
        window: { trailingMs: 86_400_000 },
        metric: 'accuracy',
        test: 'mcnemar_exact',
        seed: 7,
      }),
    ).toMatchObject({
      baseline: { modelName: 'iris', modelVersion: '1', node: '' },
      metric: metricsV1.ComparisonMetric.COMPARISON_METRIC_ACCURACY,
      test: metricsV1.ComparisonTest.COMPARISON_TEST_MCNEMAR_EXACT,
      seed: 7n,
    });
    const rule = alertRuleMessage({
      name: 'iris-accuracy',
      modelName: 'iris',
      metric: 'accuracy',
      comparison: 'lt',
      threshold: 0.9,
      windowMs: 3_600_000,
      forMs: 300_000,
      minSamples: 50,
    });
    expect(rule).toMatchObject({
      metric: metricsV1.AlertMetric.ALERT_METRIC_ACCURACY,
      comparison: metricsV1.AlertComparison.ALERT_COMPARISON_LT,
      minSamples: 50n,
      forDuration: { seconds: 300n, nanos: 0 },
    });
    expect(() =>
      alertRuleMessage({ name: 'x', modelName: 'm', metric: 'accuracy', comparison: 'below', threshold: 1 }),
    ).toThrow(/^comparison: must be one of lt, le, gt, ge/);
  });
});

describe('metricsReportOf', () => {
  it('turns counts into numbers, the confusion matrix into rows and enums into names', () => {
    const message = metricsV1.GetMetricsResponse.fromPartial({
      task: metricsV1.TaskType.TASK_TYPE_CLASSIFICATION,
      classes: ['a', 'b'],
      windows: [
        {
          counts: { predictions: 10n, joined: 4n },
          coverage: {
            value: 0.4,
            interval: {
              low: 0.17,
              high: 0.69,
              confidence: 0.95,
              method: metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON,
            },
          },
          classification: {
            pairs: 4n,
            accuracy: { value: 0.75 },
            classes: [
              { label: 'a', support: 3n },
              { label: 'b', support: 1n },
            ],
            confusionMatrix: [2n, 1n, 0n, 1n],
          },
        },
      ],
    });
    const report = metricsReportOf(message);
    expect(report.task).toBe('classification');
    const window = report.windows[0]!;
    expect(window.counts.predictions).toBe(10);
    expect(window.coverage.interval).toEqual({ low: 0.17, high: 0.69, confidence: 0.95, method: 'wilson' });
    expect(window.classification?.confusionMatrix).toEqual([
      [2, 1],
      [0, 1],
    ]);
    expect(window.classification?.classes.map((c) => c.support)).toEqual([3, 1]);
    expect(window.regression).toBeUndefined();
  });
});
