/**
 * Global explanations end to end: requests to two versions of `linear` go through a real
 * router (file event store) to a real model-server; StartExplanation with `global` reads those
 * events back, explains their rows with Kernel SHAP per version, and its importances are the
 * mean |attribution|, mean and std of the local explanations Explain gives for the same rows.
 * Also: a max_rows sample, a partial result on a tiny call budget, a cancel, and the refusals.
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import { explainerV1 } from '@sightline/contracts';
import { Sightline } from '@sightline/sdk';
import { seededRandom } from '@sightline/stats';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainerClient } from './helpers/explainer-stack.js';
import {
  FEATURES,
  type GlobalStack,
  startGlobalExplainer,
  startGlobalStack,
  startLinearModelServer,
} from './helpers/global-stack.js';

const { JobState } = explainerV1;

/** Rows of the linear model's inputs: seeded normal draws. */
function rows(count: number, seed: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from({ length: FEATURES }, () => Math.fround(random.nextNormal())),
  );
}
const tensors = (values: readonly (readonly number[])[]) =>
  encodeTensorMessages(
    [createTensor('input', 'FP32', [values.length, FEATURES], Float32Array.from(values.flat()))],
    'raw',
  );

/** Requests sent per version (each one event of two rows). */
const SENT: Record<string, number[][][]> = {
  '1': [0, 1, 2, 3].map((i) => rows(2, 10 + i)),
  '2': [0, 1, 2].map((i) => rows(2, 20 + i)),
};
const BACKGROUND = { rows: { tensors: tensors(rows(5, 99)) } };
/** Iris rows sent to the TF.js model (each request one event): setosa, versicolor, virginica. */
const IRIS = [
  [
    [5.1, 3.5, 1.4, 0.2],
    [6.4, 3.2, 4.5, 1.5],
  ],
  [[6.3, 3.3, 6.0, 2.5]],
  [
    [4.9, 3.0, 1.4, 0.2],
    [5.8, 2.7, 5.1, 1.9],
  ],
].map((request) => request.map((row) => row.map(Math.fround)));
const ALL_ROWS = 14;
const EVENTS = 7;

let stack: GlobalStack;
let client: ReturnType<typeof explainerClient>;
let range: { startTime: Date; endTime: Date };

beforeAll(async () => {
  stack = await startGlobalStack();
  client = explainerClient(stack.explainer.grpcAddress);
  const start = new Date(Date.now() - 1);
  for (const [version, requests] of Object.entries(SENT)) {
    for (const request of requests) await stack.infer(version, request);
  }
  for (const request of IRIS) await stack.infer('', request, 'iris-tfjs');
  await stack.flush();
  range = { startTime: start, endTime: new Date(Date.now() + 1) };
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

const globalRequest = (extra: explainerV1.DeepPartial<explainerV1.GlobalExplainRequest> = {}) => ({
  target: { modelName: 'linear' },
  range,
  kernelShap: {},
  background: BACKGROUND,
  ...extra,
});

/** Starts a global job and watches it to its end; answers every message. */
async function runGlobal(extra: explainerV1.DeepPartial<explainerV1.GlobalExplainRequest> = {}) {
  const { job } = await client.start({ global: globalRequest(extra) });
  const messages = await client.watch({ id: job!.id });
  return messages.map((m) => m.job!);
}

/** Mean |a|, mean and population std per feature over rows of attributions. */
function expectedImportance(attributions: number[][]) {
  const n = attributions.length;
  return Array.from({ length: FEATURES }, (_, i) => {
    const values = attributions.map((a) => a[i]!);
    const mean = values.reduce((s, v) => s + v, 0) / n;
    return {
      meanAbs: values.reduce((s, v) => s + Math.abs(v), 0) / n,
      mean,
      std: Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / n),
    };
  });
}

describe('global explanations', () => {
  it('aggregates per version exactly the local explanations Explain gives for the same rows, with progress in event rows', async () => {
    const messages = await runGlobal();
    const final = messages.at(-1)!;
    expect(final.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(final.progress).toMatchObject({
      unit: 'event rows',
      done: BigInt(ALL_ROWS),
      total: BigInt(ALL_ROWS),
      fraction: 1,
    });
    const dones = messages.map((m) => Number(m.progress!.done));
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    const result = final.global!;
    expect(result.eventsMatched).toBe(BigInt(EVENTS));
    expect(result.usage?.complete).toBe(true);
    expect(result.meta).toMatchObject({ name: 'KernelShap', scope: ['global'], modelAccess: 'black-box' });
    expect(result.meta?.kernelShap).toBeDefined();
    expect(
      result.groups.map((g) => [g.modelName, g.modelVersion, Number(g.rows), g.unavailableReason]),
    ).toEqual([
      ['linear', '1', 8, ''],
      ['linear', '2', 6, ''],
    ]);
    for (const group of result.groups) {
      const local = await client.explain({
        target: { modelName: 'linear', modelVersion: group.modelVersion },
        instances: tensors(SENT[group.modelVersion]!.flat()),
        background: BACKGROUND,
        kernelShap: {},
      });
      expect(local.meta?.target?.modelVersion).toBe(group.modelVersion);
      const attributions = local.explanations.map((e) =>
        e.attributions!.outputs[0]!.features.map((f) => f.value),
      );
      const expected = expectedImportance(attributions);
      expect(group.outputs).toHaveLength(1);
      expect(group.outputs[0]!.targetIndex).toBe(0);
      for (const [i, feature] of group.outputs[0]!.features.entries()) {
        expect(feature.index).toBe(i);
        expect(feature.name).toBe(`input[${i}]`);
        expect(feature.meanAbs).toBeCloseTo(expected[i]!.meanAbs, 9);
        expect(feature.mean).toBeCloseTo(expected[i]!.mean, 9);
        expect(feature.std).toBeCloseTo(expected[i]!.std, 9);
      }
    }
    // The versions are different models: their importances differ.
    const [v1, v2] = result.groups.map((g) => g.outputs[0]!.features.map((f) => f.meanAbs));
    expect(v1).not.toEqual(v2);
  });

  it("aggregates Integrated Gradients (white box) per explained column: each row's predicted class", async () => {
    const final = (
      await runGlobal({
        target: { modelName: 'iris-tfjs' },
        kernelShap: undefined,
        integratedGradients: {},
        background: undefined,
      })
    ).at(-1)!;
    expect(final.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    const [group] = final.global!.groups;
    expect(group).toMatchObject({ modelName: 'iris-tfjs', modelVersion: '1', rows: 5n });
    expect(final.global!.meta).toMatchObject({ name: 'IntegratedGradients', modelAccess: 'white-box' });
    const all = IRIS.flat();
    const local = await client.explain({
      target: { modelName: 'iris-tfjs' },
      instances: encodeTensorMessages(
        [createTensor('input', 'FP32', [all.length, 4], Float32Array.from(all.flat()))],
        'raw',
      ),
      integratedGradients: {},
    });
    // Per predicted column, the rows that predicted it and their attributions.
    const byColumn = new Map<number, number[][]>();
    for (const e of local.explanations) {
      const output = e.attributions!.outputs[0]!;
      byColumn.set(output.targetIndex, [
        ...(byColumn.get(output.targetIndex) ?? []),
        output.features.map((f) => f.value),
      ]);
    }
    expect(group!.outputs.map((o) => o.targetIndex)).toEqual([...byColumn.keys()].sort());
    for (const output of group!.outputs) {
      const attributions = byColumn.get(output.targetIndex)!;
      const n = attributions.length;
      for (const [i, feature] of output.features.entries()) {
        const values = attributions.map((a) => a[i]!);
        const mean = values.reduce((a, b) => a + b, 0) / n;
        expect(feature.mean).toBeCloseTo(mean, 6);
        expect(feature.meanAbs).toBeCloseTo(values.reduce((a, b) => a + Math.abs(b), 0) / n, 6);
        expect(feature.std).toBeCloseTo(Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / n), 6);
      }
    }
  });

  it('reports a version the model-server no longer serves with the reason, explaining the others', async () => {
    // The same events, explained by an explainer whose model-server kept version 1 only.
    const retired = await startLinearModelServer(['1']);
    const explainer = await startGlobalExplainer(retired.address, stack.router.grpcAddress);
    const other = explainerClient(explainer.grpcAddress);
    try {
      const { job } = await other.start({ global: globalRequest() });
      const final = (await other.watch({ id: job!.id })).at(-1)!.job!;
      expect(final.state).toBe(JobState.JOB_STATE_SUCCEEDED);
      expect(final.progress).toMatchObject({ done: BigInt(ALL_ROWS), total: BigInt(ALL_ROWS) });
      const [v1, v2] = final.global!.groups;
      expect(v1).toMatchObject({ modelVersion: '1', rows: 8n, unavailableReason: '' });
      expect(v2).toMatchObject({ modelVersion: '2', rows: 0n, outputs: [] });
      expect(v2!.unavailableReason).toBe('model "linear" has no version "2"');
    } finally {
      other.close();
      await explainer.shutdown('test over');
      await retired.stop();
    }
  });

  it('runs from the SDK: startGlobalExplanation, then watchExplanation to the final job with globalResult', async () => {
    const sightline = new Sightline({ addresses: { explainer: stack.explainer.grpcAddress } });
    try {
      const job = await sightline.explainer.startGlobalExplanation({
        model: 'linear',
        version: '2',
        from: range.startTime,
        to: range.endTime,
        method: { kernelShap: {} },
        background: {
          rows: [createTensor('input', 'FP32', [5, FEATURES], Float32Array.from(rows(5, 99).flat()))],
        },
      });
      let last = job;
      for await (const update of sightline.explainer.watchExplanation(job.id)) last = update;
      expect(last.state).toBe('succeeded');
      expect(last.progress).toMatchObject({ unit: 'event rows', done: 6, total: 6 });
      expect(last.globalResult?.groups.map((g) => [g.modelVersion, g.rows])).toEqual([['2', 6]]);
      expect(last.globalResult?.eventsMatched).toBe(3);
    } finally {
      sightline.close();
    }
  });

  it('explains a seeded uniform sample of max_rows rows, the same for the same seed', async () => {
    const first = (await runGlobal({ maxRows: 5, seed: 3n })).at(-1)!;
    expect(first.state).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(first.progress?.total).toBe(5n);
    expect(first.global!.eventsMatched).toBe(BigInt(EVENTS));
    const counts = first.global!.groups.map((g) => Number(g.rows));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5);
    const again = (await runGlobal({ maxRows: 5, seed: 3n })).at(-1)!;
    expect(again.global!.groups).toEqual(first.global!.groups);
  });

  it('answers a partial result, its reason stated, when the call budget runs out', async () => {
    const one = await client.explain({
      target: { modelName: 'linear', modelVersion: '1' },
      instances: tensors([SENT['1']![0]![0]!]),
      background: BACKGROUND,
      kernelShap: {},
    });
    const perRow = one.usage!.modelCalls;
    const final = (await runGlobal({ budget: { maxModelCalls: 3 * perRow } })).at(-1)!;
    expect(final.state).toBe(JobState.JOB_STATE_PARTIAL);
    expect(final.global!.usage).toMatchObject({ complete: false });
    expect(final.global!.usage!.incompleteReason).toBe(`budget.max_model_calls: ${3 * perRow} calls spent`);
    const explained = final.global!.groups.reduce((n, g) => n + Number(g.rows), 0);
    expect(explained).toBeGreaterThan(0);
    expect(explained).toBeLessThan(ALL_ROWS);
    expect(final.global!.usage!.modelCalls).toBeLessThanOrEqual(3 * perRow);
  });

  it('answers the same job for the same idempotency key and request, and refuses the key for another', async () => {
    const key = `global-${Date.now()}`;
    const first = await client.start({ global: globalRequest({ maxRows: 3 }), idempotencyKey: key });
    const again = await client.start({ global: globalRequest({ maxRows: 3 }), idempotencyKey: key });
    expect(again.job!.id).toBe(first.job!.id);
    const error = (await client
      .start({ global: globalRequest({ maxRows: 4 }), idempotencyKey: key })
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain('(rule "idempotency_key.reused")');
    const listed = await client.list({});
    expect(listed.jobs.find((j) => j.id === first.job!.id)?.progress?.unit).toBe('event rows');
    await client.watch({ id: first.job!.id });
  });

  it('stops on CancelExplanation and keeps the job CANCELLED', async () => {
    const { job } = await client.start({ global: globalRequest() });
    const cancelled = await client.cancel({ id: job!.id });
    expect([JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_RUNNING]).toContain(cancelled.job!.state);
    const final = (await client.watch({ id: job!.id })).at(-1)!.job!;
    expect(final.state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(final.progress?.unit).toBe('event rows');
  });

  it.each([
    ['no target', { target: undefined }, 'target: required (rule "target.set")'],
    ['no range', { range: undefined }, 'range: required (rule "range.set")'],
    [
      'no method',
      { kernelShap: undefined },
      'method: exactly one of kernel_shap, integrated_gradients is required (rule "method.set")',
    ],
    ['two methods', { integratedGradients: {} }, '(rule "method.set")'],
    ['max_rows 0', { maxRows: 0 }, 'max_rows: must be between 1 and 100000, got 0 (rule "max_rows")'],
    [
      'max_rows past the most',
      { maxRows: 100_001 },
      'max_rows: must be between 1 and 100000, got 100001 (rule "max_rows")',
    ],
    ['the response side', { selector: { side: 2 } }, 'selector.side: must be REQUEST'],
  ])('refuses %s with INVALID_ARGUMENT naming the rule', async (_, extra, message) => {
    const error = (await client
      .start({ global: globalRequest(extra as explainerV1.DeepPartial<explainerV1.GlobalExplainRequest>) })
      .catch((e: ServiceError) => e)) as ServiceError;
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain(message);
  });
});
