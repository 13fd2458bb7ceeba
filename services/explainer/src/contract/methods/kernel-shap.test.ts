import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import type { FeatureSpace } from '../../methods/method.js';
import {
  defaultKernelShapSamples,
  kernelShapParamsMessage,
  kernelShapResultMessage,
  readKernelShapParams,
} from './kernel-shap.js';

const space: FeatureSpace = {
  featureCount: 3,
  featureNames: ['age', 'income', 'debt'],
  categorical: new Map(),
};
const { L1Reg, Link } = explainerV1;

function message(fields: Partial<explainerV1.KernelShapParams>): explainerV1.KernelShapParams {
  return { ...explainerV1.KernelShapParams.fromPartial({}), ...fields };
}

describe('readKernelShapParams', () => {
  it("fills shap's defaults: 2·M + 2048 coalitions, AUTO selection, identity link, paired, sizes enumerated", () => {
    const expected = {
      nSamples: 2 * 3 + 2048,
      l1Reg: { kind: 'auto' },
      link: 'identity',
      pairedSampling: true,
      enumerateSizes: true,
    };
    expect(readKernelShapParams(undefined, space)).toEqual(expected);
    expect(readKernelShapParams(message({}), space)).toEqual(expected);
    expect(defaultKernelShapSamples(10)).toBe(2068);
  });

  it('reads every setting, keeping false and explicit values', () => {
    expect(
      readKernelShapParams(
        message({
          nSamples: 500,
          l1Reg: L1Reg.L1_REG_NUM_FEATURES,
          l1NumFeatures: 2,
          link: Link.LINK_LOGIT,
          pairedSampling: false,
          enumerateSizes: false,
        }),
        space,
      ),
    ).toEqual({
      nSamples: 500,
      l1Reg: { kind: 'num-features', count: 2 },
      link: 'logit',
      pairedSampling: false,
      enumerateSizes: false,
    });
    for (const [value, kind] of [
      [L1Reg.L1_REG_AUTO, 'auto'],
      [L1Reg.L1_REG_AIC, 'aic'],
      [L1Reg.L1_REG_BIC, 'bic'],
      [L1Reg.L1_REG_NONE, 'none'],
    ] as const) {
      expect(readKernelShapParams(message({ l1Reg: value }), space).l1Reg).toEqual({ kind });
    }
  });

  it.each([
    [{ nSamples: 0 }, 'kernel_shap.n_samples: must be between 1 and 100000, got 0'],
    [{ nSamples: 100_001 }, 'kernel_shap.n_samples: must be between 1 and 100000, got 100001'],
    [
      { l1Reg: L1Reg.L1_REG_NUM_FEATURES },
      'kernel_shap.l1_num_features: must be between 1 and the 3 features with L1_REG_NUM_FEATURES (rule "kernel_shap.l1_num_features"), got 0',
    ],
    [
      { l1Reg: L1Reg.L1_REG_NUM_FEATURES, l1NumFeatures: 4 },
      'kernel_shap.l1_num_features: must be between 1 and the 3 features with L1_REG_NUM_FEATURES (rule "kernel_shap.l1_num_features"), got 4',
    ],
    [{ l1Reg: 9 as explainerV1.L1Reg }, 'kernel_shap.l1_reg: must be one of the L1Reg values, got 9'],
    [{ link: 7 as explainerV1.Link }, 'kernel_shap.link: must be one of the Link values, got 7'],
  ])('refuses %o naming the field', (fields, sentence) => {
    const read = () => readKernelShapParams(message(fields), space);
    expect(read).toThrow(InvalidArgumentError);
    expect(read).toThrow(sentence);
  });

  it('round-trips through the params message and the wire', () => {
    const params = readKernelShapParams(
      message({ nSamples: 64, l1Reg: L1Reg.L1_REG_NUM_FEATURES, l1NumFeatures: 1, pairedSampling: false }),
      space,
    );
    const filled = kernelShapParamsMessage(params);
    const wire = explainerV1.KernelShapParams.decode(explainerV1.KernelShapParams.encode(filled).finish());
    expect(readKernelShapParams(wire, space)).toEqual(params);
    expect(kernelShapParamsMessage(readKernelShapParams(undefined, space))).toEqual({
      nSamples: 2054,
      l1Reg: L1Reg.L1_REG_AUTO,
      l1NumFeatures: 0,
      link: Link.LINK_IDENTITY,
      pairedSampling: true,
      enumerateSizes: true,
    });
  });
});

describe('kernelShapResultMessage', () => {
  it('writes one OutputAttributions per output with names, values and std errors only where estimated', () => {
    const instance = Float64Array.of(40, 52_000, 0.3);
    const result = kernelShapResultMessage(
      {
        instance,
        outputs: [
          {
            outputIndex: 1,
            prediction: 0.8,
            expectedValue: 0.5,
            values: Float64Array.of(0.1, 0.2, 0),
            stdErrors: Float64Array.of(0.01, 0.02, Number.NaN),
            additivityError: 1e-17,
            coalitions: 600,
            exact: false,
          },
          {
            outputIndex: 2,
            prediction: 0.2,
            expectedValue: 0.5,
            values: Float64Array.of(-0.1, -0.2, 0),
            stdErrors: undefined,
            additivityError: 0,
            coalitions: 6,
            exact: true,
          },
        ],
      },
      space,
    );
    const [sampled, exact] = result.attributions.outputs;
    expect(sampled).toMatchObject({
      targetIndex: 1,
      prediction: 0.8,
      expectedValue: 0.5,
      coalitions: 600,
      exact: false,
    });
    expect(sampled!.features).toEqual([
      { index: 0, name: 'age', value: 0.1, featureValue: 40, stdError: 0.01 },
      { index: 1, name: 'income', value: 0.2, featureValue: 52_000, stdError: 0.02 },
      { index: 2, name: 'debt', value: 0, featureValue: 0.3 },
    ]);
    expect(exact!.features.every((f) => f.stdError === undefined)).toBe(true);
    // The message encodes (no NaN or undefined where a number is required).
    const explanation = explainerV1.InstanceExplanation.fromPartial({
      row: 0,
      ...result,
      complete: true,
      fractionDone: 1,
    });
    const decoded = explainerV1.InstanceExplanation.decode(
      explainerV1.InstanceExplanation.encode(explanation).finish(),
    );
    expect(decoded.attributions?.outputs[0]?.features[2]?.stdError).toBeUndefined();
    expect(decoded.attributions?.outputs[0]?.features[1]?.stdError).toBe(0.02);
  });
});
