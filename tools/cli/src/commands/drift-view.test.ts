import { describe, expect, it } from 'vitest';
import { skippedText } from './detector-view.js';
import { driftJson, formatStat, trailingText, verdictFields, windowText } from './drift-view.js';

describe('drift views', () => {
  it('formats statistics with 4 significant digits and tiny p-values as exponents', () => {
    expect(formatStat(undefined)).toBe('');
    expect(formatStat(0)).toBe('0');
    expect(formatStat(0.123456)).toBe('0.1235');
    expect(formatStat(1.3e-16)).toBe('1.30e-16');
    expect(formatStat(12345.6)).toBe('12350');
  });

  it('writes JSON keys in snake_case, leaving records of user names alone', () => {
    expect(
      driftJson({
        pValue: 1,
        effectSizes: { jensenShannon: 2 },
        labels: { teamName: 'x' },
        eventsSkipped: { wrongTensor: 1 },
        gone: undefined,
      }),
    ).toEqual({
      p_value: 1,
      effect_sizes: { jensen_shannon: 2 },
      labels: { teamName: 'x' },
      events_skipped: { wrongTensor: 1 },
    });
  });

  const base = {
    drift: true,
    threshold: 0.05,
    features: [],
    pValue: undefined,
    distance: undefined,
    distanceThreshold: undefined,
    time: undefined,
    testStat: undefined,
    driftTime: undefined,
    onlineRows: [],
    ert: undefined,
    alpha: 0.05,
    correction: undefined,
    sigma: undefined,
    verdictOn: 'p_value',
    rows: 100,
  };

  it('shows MMD and LSDD as statistic, bandwidth and p-value', () => {
    const lines = Object.fromEntries(
      verdictFields({ ...base, pValue: 0.01, distance: 0.2, sigma: 1.5, distanceThreshold: 0.1 }),
    );
    expect(lines).toMatchObject({
      verdict: 'DRIFT',
      statistic: '0.2',
      'bandwidth (sigma)': '1.5',
      'p-value': '0.01',
    });
  });

  it('shows univariate verdicts with their threshold and correction', () => {
    const lines = Object.fromEntries(verdictFields({ ...base, threshold: 0.025, correction: 'fdr' }));
    expect(lines).toMatchObject({
      threshold: '0.025 (p_value)',
      correction: 'fdr',
      'significance level': '0.05',
    });
  });

  it('says a window in words', () => {
    expect(windowText({ maxRows: 500, maxDurationMs: 300_000, mode: 'tumbling' })).toBe(
      '500 rows or 5m, whichever first; tumbling',
    );
  });
});

describe('trailing references and skipped events', () => {
  it('says a trailing reference in words', () => {
    expect(
      trailingText({
        selector: { modelName: 'iris' },
        offsetMs: 7 * 86_400_000,
        lengthMs: 3_600_000,
        refitIntervalMs: 1_800_000,
      }),
    ).toBe('1h of model iris ending 7d ago, refitted every 30m');
    expect(trailingText({ lengthMs: 90_000, minRows: 50 })).toBe(
      '90s ending now, refitted every 90s, at least 50 rows',
    );
  });

  it('names the widths of the events a fit left out', () => {
    expect(skippedText({ 'width 3': 7, 'missing-tensor': 2 })).toBe('7 of width 3, 2 missing-tensor');
  });
});
