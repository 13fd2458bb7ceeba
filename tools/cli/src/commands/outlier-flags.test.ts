import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import {
  namingOutlierFlag,
  outlierSettingsConflicts,
  outlierSettingsFromFlags,
  settingsForKind,
} from './outlier-flags.js';

describe('outlier fit flags', () => {
  it('turns flags into settings, only those given', () => {
    expect(
      outlierSettingsFromFlags({ trees: '200', maxSamples: '64', seed: '7', thresholdPercentile: '99.5' }),
    ).toEqual({ nEstimators: 200, maxSamples: 64, seed: 7n, thresholdPercentile: 99.5 });
    expect(
      outlierSettingsFromFlags({
        hiddenUnits: '8,4',
        epochs: '20',
        learningRate: '0.01',
        maxTrainingSeconds: '30',
      }),
    ).toEqual({ hiddenUnits: [8, 4], epochs: 20, learningRate: 0.01, maxTrainingSeconds: 30 });
    expect(outlierSettingsFromFlags({ robust: true, ridge: '0', updateOnPredict: true })).toEqual({
      robust: true,
      ridge: 0,
      updateOnPredict: true,
    });
  });

  it('refuses malformed values naming the flag and the rule', () => {
    expect(() => outlierSettingsFromFlags({ trees: '0' })).toThrow(
      '--trees: expected a whole number from 1 to 10000, got "0"',
    );
    expect(() => outlierSettingsFromFlags({ thresholdPercentile: '101' })).toThrow(
      '--threshold-percentile: expected a percentile above 0 and at most 100, got "101"',
    );
    expect(() => outlierSettingsFromFlags({ contamination: '0.6' })).toThrow(
      /^--contamination: expected a fraction/,
    );
    expect(() => outlierSettingsFromFlags({ hiddenUnits: '8,,4' })).toThrow(
      /^--hidden-units: expected names/,
    );
    expect(() => outlierSettingsFromFlags({ seed: '-1' })).toThrow(/^--seed: expected a whole number/);
    expect(() => outlierSettingsFromFlags({ threshold: 'high' })).toThrow(
      /^--threshold: expected a finite number/,
    );
  });

  it('defaults the threshold to the 95th percentile unless a rule is given, and allows one rule', () => {
    expect(settingsForKind({}, 'iforest')).toEqual({ kind: 'iforest', thresholdPercentile: 95 });
    expect(settingsForKind({ contamination: 0.1 }, 'iforest')).toEqual({
      kind: 'iforest',
      contamination: 0.1,
    });
    expect(settingsForKind({ threshold: 3 }, 'mahalanobis')).toEqual({ kind: 'mahalanobis', threshold: 3 });
    expect(() => settingsForKind({ threshold: 3, thresholdPercentile: 90 }, 'iforest')).toThrow(
      '--threshold-percentile: give one threshold rule, not it and --threshold',
    );
    expect(() => settingsForKind({ epochs: 3 }, 'iforest')).toThrow(
      '--epochs: applies to --kind autoencoder, not iforest',
    );
    expect(() => settingsForKind({ seed: 1n }, 'autoencoder')).not.toThrow();
  });

  it('finds the flags that differ from a saved detector', () => {
    const saved = { kind: 'iforest' as const, nEstimators: 100, seed: 42n, thresholdPercentile: 95 };
    expect(outlierSettingsConflicts({ nEstimators: 100 }, saved)).toEqual([]);
    expect(outlierSettingsConflicts({ nEstimators: 50, bootstrap: true }, saved)).toEqual([
      { flag: '--trees', given: '50', saved: '100' },
      { flag: '--bootstrap', given: 'true', saved: 'false' },
    ]);
  });

  it("puts the flag before a service's refusal of a config field", () => {
    const error = namingOutlierFlag(
      new InvalidArgumentError(
        'config.iforest.n_estimators: must be 1-10000 (rule "iforest.n_estimators_range")',
      ),
    ) as Error;
    expect(error.message).toBe(
      '--trees: config.iforest.n_estimators: must be 1-10000 (rule "iforest.n_estimators_range")',
    );
    const other = new InvalidArgumentError('data: empty');
    expect(namingOutlierFlag(other)).toBe(other);
  });
});
