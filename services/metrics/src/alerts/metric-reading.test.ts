import { describe, expect, it } from 'vitest';
import type { WindowMetrics } from '../windows/index.js';
import type { AlertRuleSpec } from './alert-rule.js';
import { comparedValue, readWindowMetric } from './metric-reading.js';

const RULE: AlertRuleSpec = {
  name: 'price-error',
  series: { modelName: 'price' },
  metric: 'estimated_mae',
  classLabel: '',
  comparison: 'gt',
  threshold: 1,
  windowMs: 3_600_000,
  minSamples: 1,
  forMs: 0,
  labels: {},
  annotations: {},
  useInterval: true,
  confidence: 0.95,
};

const maeInterval = { low: 0.9, high: 1.3, confidence: 0.95, method: 'normal' as const };
const rmseInterval = { low: 1.2, high: 1.6, confidence: 0.95, method: 'delta' as const };
/** A regression window with DLE's estimate only (the reading looks at nothing else). */
const WINDOW = {
  task: 'regression',
  predictions: 50,
  joined: 0,
  dle: { count: 50, mae: 1.1, rmse: 1.4, maeInterval, rmseInterval },
} as unknown as WindowMetrics;

describe('alert readings of DLE', () => {
  it('carry the estimate’s interval, so use_interval compares its far end', () => {
    const mae = readWindowMetric(RULE, WINDOW);
    expect(mae).toEqual({
      ok: true,
      value: 1.1,
      interval: maeInterval,
      samples: 50,
      sampleUnit: 'predicted elements',
    });
    // MAE > 1 with use_interval: the low end (0.9) is compared, so the dip does not page yet.
    expect(comparedValue(RULE, 1.1, maeInterval)).toBe(0.9);
    const rmse = readWindowMetric({ ...RULE, metric: 'estimated_rmse' }, WINDOW);
    expect(rmse.ok && rmse.interval).toEqual(rmseInterval);
  });

  it('have no interval when the fit kept no sampling error', () => {
    const old = { ...WINDOW, dle: { count: 50, mae: 1.1, rmse: 1.4 } } as WindowMetrics;
    const reading = readWindowMetric(RULE, old);
    expect(reading.ok && reading.interval).toBeUndefined();
    expect(comparedValue(RULE, 1.1, undefined)).toBe(1.1);
  });
});
