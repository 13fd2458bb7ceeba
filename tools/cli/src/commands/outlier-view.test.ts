import type { OutlierPrediction } from '@sightline/sdk';
import { describe, expect, it } from 'vitest';
import { renderSections } from '../frame/output.js';
import { historyOutliersTable, scoreSections, thresholdText } from './outlier-view.js';

function prediction(scores: readonly number[], threshold: number): OutlierPrediction {
  return {
    meta: {
      name: 'cc',
      kindName: 'IForest',
      detectorType: 'outlier',
      online: false,
      dataType: 'tabular',
      schemaVersion: 1,
      version: 3,
    },
    data: {
      isOutlier: scores.map((s) => s > threshold),
      instanceScores: scores,
      threshold,
      featureScores: [],
    },
  };
}

describe('outlier score view', () => {
  it('draws every row up to the limit, then only the outliers, saying so', () => {
    const small = renderSections(
      scoreSections('cc', prediction([0.1, 0.9, 0.2], 0.5), ['a'], undefined, 3),
      false,
    );
    expect(small).toMatch(/^rows$/m);
    expect(small).toMatch(/│ 0 +│ 0\.1 +│ inlier +│/);
    const big = renderSections(
      scoreSections('cc', prediction([0.1, 0.9, 0.2, 0.8, 0.95], 0.5), ['a'], [0, 1, 0, 1, 1], 2),
      false,
    );
    expect(big).toMatch(
      /^outlier rows \(5 rows are more than 2: only outliers are shown, the first 2; --json prints every row\)$/m,
    );
    expect(big).toMatch(/│ 1 +│ 1 +│ 0\.9 +│ OUTLIER │/);
    expect(big).toMatch(/│ 3 +│ 1 +│ 0\.8 +│ OUTLIER │/);
    expect(big).not.toMatch(/│ 4 +│/);
    expect(big).toMatch(/^outliers +3$/m);
  });

  it('says where the threshold came from', () => {
    const base = { threshold: 0.61, thresholdPercentile: 95 } as const;
    const detector = (source: string, extra = {}) =>
      ({ ...base, thresholdSource: source, ...extra }) as unknown as Parameters<typeof thresholdText>[0];
    expect(thresholdText(detector('fit_percentile'))).toBe(
      "0.61 (the 95th percentile of the reference's scores, set by the fit)",
    );
    expect(thresholdText(detector('infer_threshold', { thresholdPercentile: 99.5 }))).toBe(
      '0.61 (the 99.5th percentile of the data given to infer-threshold)',
    );
    expect(thresholdText(detector('config', { thresholdPercentile: undefined }))).toBe(
      '0.61 (fixed by --threshold)',
    );
    expect(thresholdText(detector('', { threshold: undefined }))).toMatch(/^unset/);
  });
});

describe('outlier run view', () => {
  it('draws at most the limit of outliers, saying how many were found, from a run of 144,000', () => {
    const outliers = Array.from({ length: 144_000 }, (_, i) => ({
      requestId: `r${i}`,
      eventTime: new Date(Date.UTC(2026, 11, 4, 0, 0, i % 60)),
      modelName: 'iris',
      modelVersion: '1',
      isOutlier: [true],
      instanceScores: [0.5 + (i % 7) / 100],
      traceId: '',
    }));
    const drawn = renderSections([historyOutliersTable(outliers)], false);
    expect(drawn).toMatch(/^outliers \(the first 1000 of 144000; --json prints every one\)$/m);
    expect(drawn).toContain('│ r999 ');
    expect(drawn).not.toContain('│ r1000 ');
    expect(renderSections([historyOutliersTable(outliers.slice(0, 2))], false)).toMatch(/^outliers$/m);
  });
});
