import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { createTensor, decodeTensorMessages } from '@sightline/tensor';
import { describe, expect, it } from 'vitest';
import { type ExplainInput, explainRequestOf, globalExplainRequestOf } from './explainer-requests.js';
import { jobOf } from './explainer-results.js';

const rows = createTensor('input', 'FP32', [1, 4], Float32Array.from([1, 2, 3, 4]));

describe('explainRequestOf', () => {
  it('maps plain inputs onto the contract: target, tensors, background, method, budget, cache, event', () => {
    const request = explainRequestOf({
      model: 'g',
      graph: true,
      targetIndices: [1],
      instances: [rows],
      background: { rows: [rows], reduction: 'kmeans', size: 5 },
      method: { kernelShap: { nSamples: 10 } },
      categoricalFeatures: { 2: ['a', 'b'] },
      budget: { maxModelCalls: 3, timeoutMs: 100, onExhausted: 'fail' },
      seed: 7,
      cache: 'bypass',
      storeFor: { requestId: 'r', predictionRows: [2] },
    });
    expect(request.target).toMatchObject({
      kind: explainerV1.TargetKind.TARGET_KIND_GRAPH,
      modelName: 'g',
      targetIndices: [1],
    });
    expect(Array.from(decodeTensorMessages(request.instances)[0]!.data as Float32Array)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(request.background).toMatchObject({
      reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_KMEANS,
      size: 5,
    });
    expect(request.kernelShap).toMatchObject({ nSamples: 10 });
    expect(request.anchors).toBeUndefined();
    expect(request.categoricalFeatures[2]).toEqual({ names: ['a', 'b'] });
    expect(request.budget).toMatchObject({
      maxModelCalls: 3,
      timeoutMs: 100,
      onExhausted: explainerV1.OnExhausted.ON_EXHAUSTED_FAIL,
    });
    expect(request.seed).toBe(7n);
    expect(request.cache).toBe(explainerV1.CachePolicy.CACHE_POLICY_BYPASS);
    expect(request.event).toMatchObject({ store: true, requestId: 'r', predictionRows: [2] });
    // It encodes: every field the contract needs is set.
    expect(explainerV1.ExplainRequest.encode(request).finish().length).toBeGreaterThan(0);
  });

  it('refuses numbers the contract cannot carry and unknown names, naming the field (not an INTERNAL encode failure)', () => {
    const base = { model: 'iris', instances: [rows], method: { kernelShap: {} } } as const;
    const cases: [Partial<ExplainInput>, string][] = [
      [
        { budget: { timeoutMs: -5 } },
        'budget.timeoutMs: must be a whole number from 0 to 4294967295, got -5',
      ],
      [
        { budget: { maxModelCalls: 1.5 } },
        'budget.maxModelCalls: must be a whole number from 0 to 4294967295, got 1.5',
      ],
      [
        { budget: { maxRowsPerCall: 2 ** 32 } },
        'budget.maxRowsPerCall: must be a whole number from 0 to 4294967295, got 4294967296',
      ],
      [{ targetIndices: [0, -1] }, 'targetIndices[1]: must be a whole number from 0 to 4294967295, got -1'],
      [
        { background: { rows: [rows], size: Number.NaN } },
        'background.size: must be a whole number from 0 to 4294967295, got NaN',
      ],
      [
        { background: { rows: [rows], reduction: 'bogus' as 'none' } },
        'background.reduction: must be one of none, sample, kmeans, got "bogus"',
      ],
      [{ cache: 'never' as 'use' }, 'cache: must be one of use, refresh, bypass, got "never"'],
      [
        { budget: { onExhausted: 'panic' as 'fail' } },
        'budget.onExhausted: must be one of partial, fail, got "panic"',
      ],
      [{ seed: -1 }, 'seed: must be a whole number from 0 to 2^64 - 1, got -1'],
      [{ seed: 0.5 }, 'seed: must be a whole number from 0 to 2^64 - 1, got 0.5'],
      [{ seed: 2n ** 64n }, 'seed: must be a whole number from 0 to 2^64 - 1, got 18446744073709551616'],
    ];
    for (const [extra, message] of cases) {
      expect(() => explainRequestOf({ ...base, ...extra })).toThrow(InvalidArgumentError);
      expect(() => explainRequestOf({ ...base, ...extra })).toThrow(message);
    }
    // The largest seed goes through as a bigint.
    const request = explainRequestOf({ ...base, seed: 2n ** 64n - 1n });
    expect(request.seed).toBe(18446744073709551615n);
    expect(explainerV1.ExplainRequest.encode(request).finish().length).toBeGreaterThan(0);
  });

  it('leaves the unset parts to the service', () => {
    const request = explainRequestOf({ model: 'iris', instances: [rows], method: { anchors: {} } });
    expect(request.target?.kind).toBe(explainerV1.TargetKind.TARGET_KIND_MODEL);
    expect(request.background).toBeUndefined();
    expect(request.budget).toBeUndefined();
    expect(request.seed).toBeUndefined();
    expect(request.event).toBeUndefined();
  });
});

describe('jobOf', () => {
  it('reads states, bigints and results into plain values', () => {
    const job = jobOf(
      explainerV1.ExplanationJob.fromPartial({
        id: 'j',
        state: explainerV1.JobState.JOB_STATE_PARTIAL,
        progress: { fraction: 0.5, done: 1n, total: 2n, unit: 'instances' },
        local: { usage: { rowsEvaluated: 12n, complete: false } },
      }),
    );
    expect(job).toMatchObject({
      id: 'j',
      state: 'partial',
      progress: { done: 1, total: 2 },
      result: { usage: { rowsEvaluated: 12 } },
    });
  });
});

describe('globalExplainRequestOf', () => {
  it('maps a global input onto GlobalExplainRequest: target, version as the selector, range, rows, method', () => {
    const from = new Date(Date.UTC(2026, 11, 1));
    const request = globalExplainRequestOf({
      model: 'iris',
      version: '2',
      from,
      maxRows: 50,
      method: { kernelShap: { nSamples: 100 } },
      background: { rows: [rows], reduction: 'none' },
      budget: { maxModelCalls: 9 },
      seed: 4,
    });
    expect(request.target).toMatchObject({
      kind: explainerV1.TargetKind.TARGET_KIND_MODEL,
      modelName: 'iris',
      modelVersion: '',
    });
    expect(request.selector).toMatchObject({ modelVersion: '2', tensors: [] });
    expect(request.range).toEqual({ startTime: from, endTime: undefined });
    expect(request.maxRows).toBe(50);
    expect(request.kernelShap).toMatchObject({ nSamples: 100 });
    expect(request.background?.reduction).toBe(explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE);
    expect(request.budget?.maxModelCalls).toBe(9);
    expect(request.seed).toBe(4n);
    expect(explainerV1.GlobalExplainRequest.encode(request).finish().length).toBeGreaterThan(0);
  });

  it("reads a global job's result into plain values", () => {
    const job = jobOf(
      explainerV1.ExplanationJob.fromPartial({
        state: explainerV1.JobState.JOB_STATE_SUCCEEDED,
        progress: { done: 3n, total: 3n, unit: 'event rows' },
        global: {
          eventsMatched: 2n,
          groups: [
            {
              modelName: 'iris',
              modelVersion: '1',
              rows: 3n,
              outputs: [
                { targetIndex: 0, features: [{ index: 0, name: 'a', meanAbs: 1, mean: -1, std: 0 }] },
              ],
            },
          ],
        },
      }),
    );
    expect(job.result).toBeUndefined();
    expect(job.globalResult).toMatchObject({
      eventsMatched: 2,
      groups: [
        {
          modelVersion: '1',
          rows: 3,
          unavailableReason: '',
          outputs: [{ features: [{ meanAbs: 1, mean: -1 }] }],
        },
      ],
    });
  });
});
