/**
 * Guards what the explainer contract's semantics rest on in the generated code: the field and
 * enum numbers clients will be built against (the package is untagged, so nothing else stops
 * a renumbering yet), field presence of the proto3 `optional` settings (an unset seed or
 * threshold means the documented default, an explicit 0 or false does not), the one-of
 * choices (method, counterfactual goal, job result) surviving the wire, float heatmaps and
 * NaN, unknown enum numbers reaching the service (so it can name them), and the method paths
 * and streaming shape clients call.
 */
import { BinaryReader } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { explainerV1 } from './index.js';

const roundTrip = <T>(fns: { encode(m: T): { finish(): Uint8Array }; decode(b: Uint8Array): T }, m: T): T =>
  fns.decode(fns.encode(m).finish());

/** The field numbers of an encoded message's top-level fields, in wire order. */
function fieldNumbers(bytes: Uint8Array): number[] {
  const reader = new BinaryReader(bytes);
  const numbers: number[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    numbers.push(field);
    reader.skip(wireType);
  }
  return numbers;
}

const tensor = { name: 'x', datatype: 'FP32', shape: [1n, 2n], contents: { fp32Contents: [1, 2] } };

describe('explainer contract', () => {
  it('keeps the ExplainRequest field numbers', () => {
    const numbersOf = (partial: explainerV1.DeepPartial<explainerV1.ExplainRequest>) =>
      fieldNumbers(
        explainerV1.ExplainRequest.encode(explainerV1.ExplainRequest.fromPartial(partial)).finish(),
      );
    expect(
      numbersOf({
        target: { modelName: 'iris' },
        instances: [tensor],
        background: { rows: { tensors: [tensor] } },
        featureNames: ['a'],
        categoricalFeatures: { 1: { names: ['red', 'blue'] } },
        image: { tensor: 'x' },
        kernelShap: {},
        budget: { timeoutMs: 100 },
        seed: 7n,
        cache: explainerV1.CachePolicy.CACHE_POLICY_BYPASS,
        event: { store: true, requestId: 'r1' },
      }),
    ).toEqual([1, 2, 3, 4, 5, 6, 11, 20, 21, 22, 23]);
    const methods: [explainerV1.DeepPartial<explainerV1.ExplainRequest>, number][] = [
      [{ anchors: {} }, 10],
      [{ kernelShap: {} }, 11],
      [{ integratedGradients: {} }, 12],
      [{ counterfactual: {} }, 13],
      [{ occlusion: {} }, 14],
    ];
    for (const [method, number] of methods) expect(numbersOf(method)).toEqual([number]);
  });

  it('keeps the enum numbers clients send', () => {
    expect(explainerV1.TargetKind.TARGET_KIND_GRAPH).toBe(2);
    expect(explainerV1.OnExhausted.ON_EXHAUSTED_FAIL).toBe(2);
    expect(explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_KMEANS).toBe(3);
    expect(explainerV1.L1Reg.L1_REG_NONE).toBe(5);
    expect(explainerV1.GradientSource.GRADIENT_SOURCE_MODEL).toBe(2);
    expect(explainerV1.GradientSource.GRADIENT_SOURCE_FINITE_DIFFERENCES).toBe(3);
    expect(explainerV1.Distance.DISTANCE_L2_STD).toBe(3);
    expect(explainerV1.Masking.MASKING_SUPERPIXELS).toBe(2);
    expect(explainerV1.CachePolicy.CACHE_POLICY_BYPASS).toBe(3);
    expect(explainerV1.JobState.JOB_STATE_CANCELLED).toBe(6);
    // Every enum starts with UNSPECIFIED = 0, the documented default.
    for (const values of [
      explainerV1.TargetKind,
      explainerV1.BackgroundReduction,
      explainerV1.ImageLayout,
      explainerV1.ChannelReduction,
      explainerV1.OnExhausted,
      explainerV1.CachePolicy,
      explainerV1.L1Reg,
      explainerV1.Link,
      explainerV1.IntegrationMethod,
      explainerV1.GradientSource,
      explainerV1.BaselineKind,
      explainerV1.Distance,
      explainerV1.Masking,
      explainerV1.JobState,
    ]) {
      const zero = Object.entries(values).find(([, value]) => value === 0)?.[0];
      expect(zero).toMatch(/_UNSPECIFIED$/);
    }
  });

  it('keeps an unset seed and unset settings apart from explicit zeros', () => {
    const unset = roundTrip(
      explainerV1.ExplainRequest,
      explainerV1.ExplainRequest.fromPartial({ anchors: {}, target: { modelName: 'm' } }),
    );
    expect(unset.seed).toBeUndefined();
    expect(unset.anchors?.threshold).toBeUndefined();
    expect(unset.anchors?.examples).toBeUndefined();
    const explicit = roundTrip(
      explainerV1.ExplainRequest,
      explainerV1.ExplainRequest.fromPartial({ seed: 0n, anchors: { threshold: 0, examples: 0 } }),
    );
    expect(explicit.seed).toBe(0n);
    expect(explicit.anchors?.threshold).toBe(0);
    expect(explicit.anchors?.examples).toBe(0);

    const pairedDefault = roundTrip(
      explainerV1.KernelShapParams,
      explainerV1.KernelShapParams.fromPartial({}),
    );
    expect(pairedDefault.pairedSampling).toBeUndefined();
    expect(pairedDefault.enumerateSizes).toBeUndefined();
    expect(pairedDefault.nSamples).toBeUndefined();
    const sampledOnly = roundTrip(
      explainerV1.KernelShapParams,
      explainerV1.KernelShapParams.fromPartial({ pairedSampling: false, enumerateSizes: false }),
    );
    expect(sampledOnly.pairedSampling).toBe(false);
    expect(sampledOnly.enumerateSizes).toBe(false);
  });

  it('carries one counterfactual goal, and a one-sided value range', () => {
    const other = roundTrip(
      explainerV1.CounterfactualParams,
      explainerV1.CounterfactualParams.fromPartial({ targetClass: 0, immutableFeatures: [0, 3] }),
    );
    expect(other.targetClass).toBe(0);
    expect(other.otherClass).toBeUndefined();
    expect(other.immutableFeatures).toEqual([0, 3]);
    const value = roundTrip(
      explainerV1.CounterfactualParams,
      explainerV1.CounterfactualParams.fromPartial({ targetValue: { min: 250_000 } }),
    );
    expect(value.targetValue?.min).toBe(250_000);
    expect(value.targetValue?.max).toBeUndefined();
    expect(value.targetClass).toBeUndefined();
  });

  it('carries attributions with their quality, and heatmaps as float32', () => {
    const explanation = roundTrip(
      explainerV1.InstanceExplanation,
      explainerV1.InstanceExplanation.fromPartial({
        row: 2,
        complete: false,
        fractionDone: 0.4,
        attributions: {
          outputs: [
            {
              targetIndex: 1,
              prediction: 0.9,
              expectedValue: 0.3,
              additivityError: Number.NaN,
              coalitions: 812,
              features: [{ index: 0, name: 'a', value: 0.6, stdError: 0.01 }, { index: 1 }],
              heatmap: { height: 1, width: 2, values: [0.1, -0.25], min: -0.25, max: 0.1 },
            },
          ],
        },
      }),
    );
    expect(explanation.complete).toBe(false);
    expect(explanation.anchor).toBeUndefined();
    const output = explanation.attributions?.outputs[0];
    expect(output?.additivityError).toBeNaN();
    expect(output?.coalitions).toBe(812);
    expect(output?.features[0]?.stdError).toBe(0.01);
    expect(output?.features[1]?.stdError).toBeUndefined();
    expect(output?.heatmap?.values).toEqual([Math.fround(0.1), -0.25]);
    // An exact KernelSHAP value reports no additivity error field at all when unset.
    const noError = roundTrip(
      explainerV1.OutputAttributions,
      explainerV1.OutputAttributions.fromPartial({ targetIndex: 0 }),
    );
    expect(noError.additivityError).toBeUndefined();
  });

  it('passes unknown enum numbers through to the service', () => {
    const params = roundTrip(
      explainerV1.OcclusionParams,
      explainerV1.OcclusionParams.fromPartial({ masking: 99 as explainerV1.Masking }),
    );
    expect(params.masking).toBe(99);
    const budget = roundTrip(
      explainerV1.Budget,
      explainerV1.Budget.fromPartial({ onExhausted: 7 as explainerV1.OnExhausted }),
    );
    expect(budget.onExhausted).toBe(7);
  });

  it('carries a job with its progress and its partial local result', () => {
    const job = roundTrip(
      explainerV1.ExplanationJob,
      explainerV1.ExplanationJob.fromPartial({
        id: 'j1',
        state: explainerV1.JobState.JOB_STATE_RUNNING,
        progress: { fraction: 0.5, done: 1n, total: 2n, unit: 'rows', remainingMs: 1200 },
        createTime: new Date('2026-12-04T13:00:00Z'),
        local: { explanations: [{ row: 0, complete: true }], usage: { complete: false, modelCalls: 3 } },
      }),
    );
    expect(job.state).toBe(explainerV1.JobState.JOB_STATE_RUNNING);
    expect(job.progress?.total).toBe(2n);
    expect(job.progress?.remainingMs).toBe(1200);
    expect(job.createTime?.toISOString()).toBe('2026-12-04T13:00:00.000Z');
    expect(job.global).toBeUndefined();
    expect(job.local?.usage?.complete).toBe(false);
    expect(job.local?.explanations[0]?.complete).toBe(true);
    expect(
      fieldNumbers(
        explainerV1.StartExplanationRequest.encode(
          explainerV1.StartExplanationRequest.fromPartial({ global: { maxRows: 10 }, idempotencyKey: 'k' }),
        ).finish(),
      ),
    ).toEqual([2, 3]);
  });

  it('serves every ExplainerService method under its package path, Watch as a stream', () => {
    const service = explainerV1.ExplainerServiceService;
    const methods = Object.values(service);
    expect(methods.map((method) => method.path)).toEqual(
      [
        'Explain',
        'StartExplanation',
        'GetExplanation',
        'WatchExplanation',
        'CancelExplanation',
        'ListExplanations',
      ].map((name) => `/sightline.explainer.v1.ExplainerService/${name}`),
    );
    expect(methods.filter((method) => method.responseStream).map((method) => method.path)).toEqual([
      '/sightline.explainer.v1.ExplainerService/WatchExplanation',
    ]);
    expect(methods.some((method) => method.requestStream)).toBe(false);
  });
});
