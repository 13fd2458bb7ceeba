import { outlierV1 } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { outlierConfigOfSettings, outlierSettingsOfConfig } from './outlier-settings.js';

describe('outlier settings', () => {
  it("puts each kind's settings in its oneof member, and the threshold rule beside it", () => {
    const config = outlierConfigOfSettings({
      kind: 'iforest',
      nEstimators: 200,
      maxSamples: 128,
      seed: 7,
      thresholdPercentile: 99,
    });
    expect(config.iforest).toMatchObject({ nEstimators: 200, maxSamples: 128, seed: 7n, bootstrap: false });
    expect(config.thresholdPercentile).toBe(99);
    expect(config.mahalanobis).toBeUndefined();
    const ae = outlierConfigOfSettings({
      kind: 'autoencoder',
      hiddenUnits: [8, 4],
      epochs: 5,
      learningRate: 0.01,
    });
    expect(ae.autoencoder).toMatchObject({ hiddenUnits: [8, 4], epochs: 5, learningRate: 0.01 });
    const m = outlierConfigOfSettings({ kind: 'mahalanobis', robust: true, ridge: 1e-6, maxN: 1000 });
    expect(m.mahalanobis).toMatchObject({ robust: true, ridge: 1e-6, maxN: 1000n, updateOnPredict: false });
  });

  it('refuses a setting of another kind, naming the kinds that have it', () => {
    expect(() => outlierConfigOfSettings({ kind: 'mahalanobis', nEstimators: 10 })).toThrow(
      'nEstimators: applies to iforest, not to kind mahalanobis',
    );
    expect(() => outlierConfigOfSettings({ kind: 'iforest', epochs: 3 })).toThrow(
      'epochs: applies to autoencoder, not to kind iforest',
    );
    expect(() => outlierConfigOfSettings({ kind: 'knn' as never })).toThrow(/^kind: must be one of iforest/);
    expect(() => outlierConfigOfSettings({ kind: 'iforest', seed: -1 })).toThrow(
      /^seed: must be a whole number/,
    );
    expect(() => outlierConfigOfSettings({ kind: 'autoencoder', hiddenUnits: [1.5] })).toThrow(
      /^hiddenUnits: must be a whole number/,
    );
  });

  it('reads back what it wrote, leaving out what the service left unset', () => {
    for (const settings of [
      { kind: 'iforest' as const, nEstimators: 100, contamination: 0.1, seed: 3n },
      { kind: 'mahalanobis' as const, updateOnPredict: true, maxN: 50, threshold: 12 },
      { kind: 'autoencoder' as const, hiddenUnits: [3, 2], epochs: 4, batchSize: 16, maxTrainingSeconds: 60 },
    ]) {
      const config = outlierV1.OutlierDetectorConfig.decode(
        outlierV1.OutlierDetectorConfig.encode(outlierConfigOfSettings(settings)).finish(),
      );
      expect(outlierSettingsOfConfig(config)).toEqual(settings);
    }
    expect(outlierSettingsOfConfig(undefined)).toEqual({ kind: 'iforest' });
  });
});
