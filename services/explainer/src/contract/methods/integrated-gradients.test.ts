import { type commonV1, explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { imageGeometry } from '../../methods/image/image-geometry.js';
import type { IntegratedGradientsResult } from '../../methods/integrated-gradients/index.js';
import type { FeatureSpace } from '../../methods/method.js';
import {
  type IntegratedGradientsRequestContext,
  integratedGradientsParamsMessage,
  integratedGradientsResultMessage,
  readIntegratedGradientsParams,
} from './integrated-gradients.js';

const { IntegrationMethod, GradientSource, BaselineKind } = explainerV1;

const space: FeatureSpace = {
  featureCount: 4,
  featureNames: ['a', 'b', 'c', 'd'],
  categorical: new Map(),
};

/** A tensor of `rows` rows of 4 FP32 values, read back as the service would (fp32Contents). */
function tensor(rows: number, first = 0): commonV1.Tensor {
  return {
    name: 'x',
    datatype: 'FP32',
    shape: [rows, 4],
    contents: { fp32Contents: Array.from({ length: rows * 4 }, (_, i) => first + i) },
  } as unknown as commonV1.Tensor;
}

/** The service's reading of instance-shaped tensors, here over the test tensors above. */
const request = (instanceRows: number, targetIndices: number[] = []): IntegratedGradientsRequestContext => ({
  instanceRows,
  targetIndices,
  rowsOf: (tensors) => {
    const t = tensors[0] as unknown as { shape: number[]; contents: { fp32Contents: number[] } };
    return { rows: Float64Array.from(t.contents.fp32Contents), count: t.shape[0]! };
  },
});

const message = (
  fields: Partial<explainerV1.IntegratedGradientsParams> = {},
): explainerV1.IntegratedGradientsParams => ({
  method: IntegrationMethod.INTEGRATION_METHOD_UNSPECIFIED,
  baselines: [],
  gradients: GradientSource.GRADIENT_SOURCE_UNSPECIFIED,
  baseline: BaselineKind.BASELINE_KIND_UNSPECIFIED,
  ...fields,
});

describe('readIntegratedGradientsParams', () => {
  it("fills Alibi's defaults for an unset message and names them all in the meta message", () => {
    const params = readIntegratedGradientsParams(undefined, space, request(1, [2]));
    expect(params).toEqual({
      nSteps: 50,
      method: 'gauss-legendre',
      internalBatchSize: 100,
      baseline: { kind: 'zeros' },
      gradientSource: 'model',
      targets: [2],
    });
    expect(integratedGradientsParamsMessage(params)).toEqual({
      nSteps: 50,
      method: IntegrationMethod.INTEGRATION_METHOD_GAUSS_LEGENDRE,
      internalBatchSize: 100,
      baselines: [],
      gradients: GradientSource.GRADIENT_SOURCE_MODEL,
      baseline: BaselineKind.BASELINE_KIND_ZEROS,
    });
  });

  it('reads every rule, the finite-difference source and the background mean, and maps them back', () => {
    const read = readIntegratedGradientsParams(
      message({
        nSteps: 7,
        internalBatchSize: 3,
        method: IntegrationMethod.INTEGRATION_METHOD_RIEMANN_TRAPEZOID,
        gradients: GradientSource.GRADIENT_SOURCE_FINITE_DIFFERENCES,
        baseline: BaselineKind.BASELINE_KIND_BACKGROUND_MEAN,
      }),
      space,
      request(1),
    );
    expect(read).toMatchObject({
      nSteps: 7,
      internalBatchSize: 3,
      method: 'riemann-trapezoid',
      gradientSource: 'finite-differences',
      baseline: { kind: 'background-mean' },
    });
    const back = integratedGradientsParamsMessage(read);
    expect(back.method).toBe(IntegrationMethod.INTEGRATION_METHOD_RIEMANN_TRAPEZOID);
    expect(back.gradients).toBe(GradientSource.GRADIENT_SOURCE_FINITE_DIFFERENCES);
    expect(back.baseline).toBe(BaselineKind.BASELINE_KIND_BACKGROUND_MEAN);
    for (const method of [2, 3, 4, 5]) {
      const rule = readIntegratedGradientsParams(message({ method }), space, request(1)).method;
      expect(integratedGradientsParamsMessage({ ...read, method: rule }).method).toBe(method);
    }
  });

  it('refuses n_steps and internal_batch_size out of range, and one Riemann step, naming field and rule', () => {
    const cases: [Partial<explainerV1.IntegratedGradientsParams>, RegExp][] = [
      [
        { nSteps: 0 },
        /^integrated_gradients\.n_steps: must be between 1 and 10000, got 0 \(rule "integrated_gradients\.n_steps"\)$/,
      ],
      [{ nSteps: 10_001 }, /n_steps: must be between 1 and 10000, got 10001/],
      [
        { nSteps: 1, method: IntegrationMethod.INTEGRATION_METHOD_RIEMANN_LEFT },
        /n_steps: must be between 2 and 10000 for INTEGRATION_METHOD_RIEMANN_LEFT, got 1/,
      ],
      [{ internalBatchSize: 0 }, /internal_batch_size: must be between 1 and 10000, got 0/],
      [{ method: 42 as explainerV1.IntegrationMethod }, /integrated_gradients\.method: unknown value 42/],
      [{ gradients: 1 as explainerV1.GradientSource }, /integrated_gradients\.gradients: unknown value 1/],
      [{ baseline: 9 as explainerV1.BaselineKind }, /integrated_gradients\.baseline: unknown value 9/],
    ];
    for (const [fields, pattern] of cases) {
      expect(() => readIntegratedGradientsParams(message(fields), space, request(1))).toThrow(
        InvalidArgumentError,
      );
      expect(() => readIntegratedGradientsParams(message(fields), space, request(1))).toThrow(pattern);
    }
    expect(readIntegratedGradientsParams(message({ nSteps: 1 }), space, request(1)).nSteps).toBe(1);
  });

  it('takes given baselines as one row or one per instance, and GIVEN when the kind is unset', () => {
    const one = readIntegratedGradientsParams(message({ baselines: [tensor(1)] }), space, request(3));
    expect(one.baseline).toEqual({ kind: 'given', rows: Float64Array.from([0, 1, 2, 3]), count: 1 });
    const perRow = readIntegratedGradientsParams(
      message({ baselines: [tensor(3)], baseline: BaselineKind.BASELINE_KIND_GIVEN }),
      space,
      request(3),
    );
    expect(perRow.baseline).toMatchObject({ kind: 'given', count: 3 });
    expect(integratedGradientsParamsMessage(perRow).baseline).toBe(BaselineKind.BASELINE_KIND_GIVEN);
  });

  it('refuses baselines of another row count, GIVEN without them, and baselines with another kind', () => {
    const rule = /rule "integrated_gradients\.baselines_rows"/;
    expect(() =>
      readIntegratedGradientsParams(message({ baselines: [tensor(2)] }), space, request(3)),
    ).toThrow(/must have 1 row or one per instance \(3\), got 2/);
    expect(() =>
      readIntegratedGradientsParams(
        message({ baseline: BaselineKind.BASELINE_KIND_GIVEN }),
        space,
        request(1),
      ),
    ).toThrow(rule);
    expect(() =>
      readIntegratedGradientsParams(
        message({ baselines: [tensor(1)], baseline: BaselineKind.BASELINE_KIND_ZEROS }),
        space,
        request(1),
      ),
    ).toThrow(/given, but baseline is BASELINE_KIND_ZEROS/);
  });
});

describe('integratedGradientsResultMessage', () => {
  const result: IntegratedGradientsResult = {
    outputs: [
      {
        target: 1,
        prediction: 0.9,
        baselinePrediction: 0.2,
        attributions: Float64Array.from([0.1, -0.2, 0.3, 0.5]),
        additivityError: 0.7 - 0.7,
        stepsDone: 50,
      },
    ],
    instance: Float64Array.from([1, 2, 3, 4]),
    baseline: new Float64Array(4),
    backend: 'tfjs-cpu',
  };

  it('gives per-feature attributions with names and values, the baseline output as expected value', () => {
    const { attributions } = integratedGradientsResultMessage(result, space);
    const output = attributions!.outputs[0]!;
    expect(output).toMatchObject({
      targetIndex: 1,
      prediction: 0.9,
      expectedValue: 0.2,
      coalitions: 0,
      exact: false,
    });
    expect(output.additivityError).toBe(0);
    expect(output.features[1]).toEqual({ index: 1, name: 'b', value: -0.2, featureValue: 2 });
    expect(output.heatmap).toBeUndefined();
  });

  it('gives a heatmap the size of the image, channels summed (or their magnitudes), features only when asked', () => {
    // A 2 × 1 image of 2 channels, channels last: pixel 0 = (0.1, -0.2), pixel 1 = (0.3, 0.5).
    const view = {
      tensor: 'image',
      geometry: imageGeometry([2, 1, 2], 'channels-last'),
      reduction: 'sum' as const,
      includeFeatureAttributions: false,
    };
    const summed = integratedGradientsResultMessage(result, space, view).attributions!.outputs[0]!;
    expect(summed.features).toEqual([]);
    expect(summed.heatmap!.values.map((v) => Number(v.toFixed(12)))).toEqual([-0.1, 0.8]);
    expect(summed.heatmap).toMatchObject({ height: 2, width: 1, max: 0.8 });
    const magnitudes = integratedGradientsResultMessage(result, space, {
      ...view,
      geometry: imageGeometry([2, 2, 1], 'channels-first'),
      reduction: 'abs-sum',
      includeFeatureAttributions: true,
    }).attributions!.outputs[0]!;
    // Channels first: channel 0 = (0.1, -0.2) over the two pixels, channel 1 = (0.3, 0.5).
    expect(magnitudes.heatmap!.values.map((v) => Number(v.toFixed(12)))).toEqual([0.4, 0.7]);
    expect(magnitudes.features).toHaveLength(4);
  });
});
