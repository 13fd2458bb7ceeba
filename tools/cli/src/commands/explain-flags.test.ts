import { explainerV1 } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EXPLAIN_MAX_INPUT_BYTES, maxInputBytesOf } from './explain.js';
import { methodOf, parseIntegerFlag, parseTargetIndices, runSettingsOf } from './explain-flags.js';

describe('methodOf', () => {
  it("maps each method's flags to its contract settings, unset ones left to the service's defaults", () => {
    expect(methodOf({ method: 'kernel-shap' })).toEqual({ kernelShap: {} });
    expect(methodOf({ method: 'kernel-shap', samples: '2048' })).toEqual({ kernelShap: { nSamples: 2048 } });
    expect(methodOf({ method: 'anchors', threshold: '0.9' })).toEqual({ anchors: { threshold: 0.9 } });
    expect(methodOf({ method: 'counterfactual' })).toEqual({ counterfactual: {} });
    expect(methodOf({ method: 'integrated-gradients', steps: '20' })).toEqual({
      integratedGradients: { nSteps: 20 },
    });
    expect(methodOf({ method: 'occlusion', window: '4', stride: '2' })).toEqual({
      occlusion: { window: 4, stride: 2 },
    });
    expect(methodOf({ method: 'occlusion', superpixels: '30' })).toEqual({
      occlusion: { masking: explainerV1.Masking.MASKING_SUPERPIXELS, segments: 30 },
    });
  });

  it('refuses a setting the method does not have, and values out of the contract range', () => {
    expect(() => methodOf({ method: 'anchors', samples: '10' })).toThrow(
      '--samples: only for --method kernel-shap, not anchors',
    );
    expect(() => methodOf({ method: 'kernel-shap', window: '4' })).toThrow(
      '--window: only for --method occlusion',
    );
    expect(() => methodOf({ method: 'kernel-shap', samples: '0' })).toThrow(
      '--samples: expected a whole number from 1 to 100000, got "0"',
    );
    expect(() => methodOf({ method: 'anchors', threshold: '1.5' })).toThrow(
      '--threshold: expected a precision',
    );
    expect(() => methodOf({ method: 'occlusion', superpixels: '20', window: '4' })).toThrow('--superpixels');
  });
});

describe('run settings', () => {
  it('reads seed, budget and output columns (repeatable or comma-separated)', () => {
    expect(runSettingsOf({ method: 'kernel-shap' })).toEqual({});
    expect(
      runSettingsOf({ method: 'kernel-shap', seed: '7', budgetMs: '500', targetIndex: ['0,2', '1'] }),
    ).toEqual({
      seed: 7,
      budget: { timeoutMs: 500 },
      targetIndices: [0, 2, 1],
    });
    expect(parseTargetIndices(undefined)).toBeUndefined();
    expect(() => parseIntegerFlag('1.5', '--seed', 0, 10)).toThrow(
      '--seed: expected a whole number from 0 to 10, got "1.5"',
    );
    expect(() => parseIntegerFlag('-1', '--seed', 0, 10)).toThrow('--seed');
    expect(() => runSettingsOf({ method: 'kernel-shap', budgetMs: '0' })).toThrow('--budget-ms');
  });
});

describe('maxInputBytesOf', () => {
  it("defaults to the explainer's 64 MiB request limit and takes a positive whole number of bytes", () => {
    expect(maxInputBytesOf({})).toBe(DEFAULT_EXPLAIN_MAX_INPUT_BYTES);
    expect(DEFAULT_EXPLAIN_MAX_INPUT_BYTES).toBe(67_108_864);
    expect(maxInputBytesOf({ maxInputBytes: '1' })).toBe(1);
    for (const bad of ['0', '-5', '1.5', 'lots', ''])
      expect(() => maxInputBytesOf({ maxInputBytes: bad })).toThrow(
        `--max-input-bytes: expected a positive whole number of bytes, got ${JSON.stringify(bad)}`,
      );
  });
});
