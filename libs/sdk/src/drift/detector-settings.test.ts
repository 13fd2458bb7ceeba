import { driftV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import {
  configOfSettings,
  DRIFT_KINDS,
  type DriftDetectorSettings,
  SETTINGS_OF_KIND,
  settingsOfConfig,
} from './detector-settings.js';

describe('configOfSettings', () => {
  it('makes an empty config tabular with nothing set, so the service fills in its defaults', () => {
    const config = configOfSettings({});
    expect(config.tabular).toEqual({
      pVal: undefined,
      correction: driftV1.Correction.CORRECTION_UNSPECIFIED,
      numericTest: driftV1.NumericTest.NUMERIC_TEST_UNSPECIFIED,
      ksMethod: driftV1.KsMethod.KS_METHOD_UNSPECIFIED,
    });
  });

  it('puts each kind in its own oneof member', () => {
    expect(configOfSettings({ kind: 'ks', pVal: 0.01, correction: 'fdr', method: 'exact' }).ks).toMatchObject(
      {
        pVal: 0.01,
        correction: driftV1.Correction.CORRECTION_FDR,
        method: driftV1.KsMethod.KS_METHOD_EXACT,
      },
    );
    expect(configOfSettings({ kind: 'chi2' }).chiSquare).toBeDefined();
    expect(configOfSettings({ kind: 'mmd', permutations: 200, seed: 7 }).mmd).toMatchObject({
      nPermutations: 200,
      seed: 7n,
    });
    expect(configOfSettings({ kind: 'online-cvm', ert: 100, windowSizes: [10, 20] }).cvmOnline).toMatchObject(
      {
        ert: 100,
        windowSizes: [10, 20],
      },
    );
  });

  it('refuses a setting of another kind, naming it and the kinds that have it', () => {
    expect(() => configOfSettings({ kind: 'ks', permutations: 10 })).toThrow(
      new InvalidArgumentError('permutations: applies to mmd, lsdd, not to kind ks', {
        field: 'permutations',
      }),
    );
    expect(() => configOfSettings({ kind: 'pca', pVal: 0.05 })).toThrow(
      /^pVal: applies to tabular, ks, cvm, chi2, mmd, lsdd, not to kind pca$/,
    );
  });

  it('refuses unknown names and seeds that do not fit a uint64', () => {
    expect(() => configOfSettings({ kind: 'kss' as never })).toThrow(/^kind: must be one of tabular, ks/);
    expect(() => configOfSettings({ correction: 'holm' as never })).toThrow(
      /^correction: must be one of "bonferroni", "fdr"/,
    );
    expect(() => configOfSettings({ kind: 'mmd', seed: -1 })).toThrow(/^seed: /);
    expect(() => configOfSettings({ kind: 'mmd', seed: 2n ** 64n })).toThrow(/^seed: /);
  });

  it('round-trips every kind through the contract', () => {
    const examples: Record<string, DriftDetectorSettings> = {
      tabular: { kind: 'tabular', pVal: 0.01, correction: 'fdr', numericTest: 'cvm', method: 'asymp' },
      ks: { kind: 'ks', pVal: 0.05, correction: 'bonferroni', method: 'auto', alternative: 'less' },
      cvm: {
        kind: 'cvm',
        pVal: 0.05,
        correction: 'bonferroni',
        effectSizeAlert: { metric: 'psi', threshold: 0.2 },
      },
      chi2: { kind: 'chi2', pVal: 0.05, correction: 'fdr', categoriesPerFeature: { 0: 3 } },
      mmd: { kind: 'mmd', pVal: 0.05, permutations: 100, sigma: 1.5, seed: 3n },
      lsdd: { kind: 'lsdd', pVal: 0.05, permutations: 100, kernelCenters: 5, lambda: 1e-6, seed: 3n },
      quality: { kind: 'quality', boundQuantile: 0.01, maxFailureRate: 0.02 },
      pca: { kind: 'pca', varianceExplained: 0.9, thresholdSigmas: 3, chunkRows: 100 },
      'online-mmd': { kind: 'online-mmd', ert: 50, windowSize: 10, bootstraps: 1000, seed: 1n },
      'online-cvm': { kind: 'online-cvm', ert: 50, windowSizes: [10], bootstraps: 1000, seed: 1n },
    };
    expect(Object.keys(examples).sort()).toEqual([...DRIFT_KINDS].sort());
    for (const settings of Object.values(examples)) {
      const wire = driftV1.DriftDetectorConfig.decode(
        driftV1.DriftDetectorConfig.encode(configOfSettings(settings)).finish(),
      );
      expect(settingsOfConfig(wire)).toEqual(settings);
      for (const key of Object.keys(settings)) {
        if (key !== 'kind') expect(SETTINGS_OF_KIND[settings.kind!]).toContain(key);
      }
    }
  });
});
