/**
 * The bad-input table over real gRPC: every mistake gets its status and a message
 * naming the field, column or call to make.
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisRows,
  irisTensor,
  startTestOutlier,
  type TestOutlier,
  tensorMessages,
} from './helpers/outlier-test-service.js';
import { kindsWithSlowTraining } from './helpers/slow-training-kind.js';

type Call = (t: TestOutlier) => Promise<unknown>;

/** `rows` iris rows whose column 2 is column 0 + column 1 (collinear) or constant. */
function degenerate(rows: number, kind: 'constant' | 'collinear') {
  const data = irisRows(rows, 9);
  for (let r = 0; r < rows; r++) data[r * 4 + 2] = kind === 'constant' ? 1 : data[r * 4]! + data[r * 4 + 1]!;
  return createTensor('input', 'FP32', [rows, 4], data);
}

describe('bad input', () => {
  let t: TestOutlier;
  beforeAll(async () => {
    t = await startTestOutlier({ kinds: kindsWithSlowTraining(50), flags: { maxReferenceRows: 500 } });
    await t.client.createDetector({ name: 'unfitted', config: { iforest: {} } });
    await t.client.createDetector({ name: 'fitted', config: { iforest: { seed: 1n } } });
    await t.client.fit({ name: 'fitted', data: tensorMessages(irisTensor(100, 1)) });
    await t.client.createDetector({ name: 'maha', config: { mahalanobis: {} } });
  });
  afterAll(async () => {
    await t.stop();
  });

  const cases: [string, Call, status, string | RegExp][] = [
    [
      'unknown detector',
      (t) => t.client.score({ name: 'nope', data: tensorMessages(irisTensor(1, 1)) }),
      status.NOT_FOUND,
      'detector "nope" does not exist',
    ],
    [
      'score before fit',
      (t) => t.client.score({ name: 'unfitted', data: tensorMessages(irisTensor(1, 1)) }),
      status.FAILED_PRECONDITION,
      'not fitted, call Fit first',
    ],
    [
      'threshold before fit',
      (t) => t.client.inferThreshold({ name: 'unfitted', data: tensorMessages(irisTensor(5, 1)) }),
      status.FAILED_PRECONDITION,
      'call Fit first',
    ],
    [
      'predict without a threshold',
      (t) => t.client.predict({ name: 'fitted', data: tensorMessages(irisTensor(1, 1)) }),
      status.FAILED_PRECONDITION,
      'no threshold, call InferThreshold first',
    ],
    [
      'attach without a threshold',
      (t) => t.client.attachDetector({ name: 'fitted', selector: { modelName: 'iris' } }),
      status.FAILED_PRECONDITION,
      'call InferThreshold',
    ],
    [
      'attach without a selector',
      (t) => t.client.attachDetector({ name: 'unfitted' }),
      status.INVALID_ARGUMENT,
      'selector: required',
    ],
    [
      'wrong feature count',
      (t) =>
        t.client.score({
          name: 'fitted',
          data: tensorMessages(createTensor('input', 'FP32', [1, 5], new Float32Array(5))),
        }),
      status.INVALID_ARGUMENT,
      /tensor "input": expected 4 elements per row .*got 5/,
    ],
    [
      'NaN',
      (t) =>
        t.client.score({
          name: 'fitted',
          data: tensorMessages(
            createTensor('input', 'FP32', [2, 4], new Float32Array([1, 2, 3, 4, 1, 2, Number.NaN, 4])),
          ),
        }),
      status.INVALID_ARGUMENT,
      /input\[2\].*row 1|row 1.*input\[2\]/,
    ],
    [
      'Infinity in a reference',
      (t) =>
        t.client.fit({
          name: 'unfitted',
          data: tensorMessages(
            createTensor('input', 'FP64', [2, 1], new Float64Array([1, Number.POSITIVE_INFINITY])),
          ),
        }),
      status.INVALID_ARGUMENT,
      /input/,
    ],
    [
      'empty batch',
      (t) =>
        t.client.score({
          name: 'fitted',
          data: tensorMessages(createTensor('input', 'FP32', [0, 4], new Float32Array(0))),
        }),
      status.INVALID_ARGUMENT,
      'the batch is empty',
    ],
    [
      'no tensors',
      (t) => t.client.score({ name: 'fitted', data: [] }),
      status.INVALID_ARGUMENT,
      'no tensors given',
    ],
    [
      'constant column',
      (t) => t.client.fit({ name: 'maha', data: tensorMessages(degenerate(50, 'constant')) }),
      status.INVALID_ARGUMENT,
      /input\[2\]/,
    ],
    [
      'collinear columns',
      (t) => t.client.fit({ name: 'maha', data: tensorMessages(degenerate(50, 'collinear')) }),
      status.INVALID_ARGUMENT,
      /"input\[2\]" is a linear combination of "input\[0\]", "input\[1\]"/,
    ],
    [
      'reference over the limit',
      (t) => t.client.fit({ name: 'unfitted', data: tensorMessages(irisTensor(501, 1)) }),
      status.RESOURCE_EXHAUSTED,
      '--max-reference-rows',
    ],
    [
      'fit with no reference',
      (t) => t.client.fit({ name: 'unfitted' }),
      status.INVALID_ARGUMENT,
      'rule "fit.reference_set"',
    ],
    [
      'config without a kind',
      (t) => t.client.createDetector({ name: 'x1', config: {} }),
      status.INVALID_ARGUMENT,
      'rule "config.kind_set"',
    ],
    [
      'too many trees',
      (t) => t.client.createDetector({ name: 'x2', config: { iforest: { nEstimators: 10001 } } }),
      status.INVALID_ARGUMENT,
      'config.iforest.n_estimators',
    ],
    [
      'two threshold rules',
      (t) =>
        t.client.createDetector({ name: 'x3', config: { iforest: { contamination: 0.1 }, threshold: 0.6 } }),
      status.INVALID_ARGUMENT,
      'rule "config.threshold_one_rule"',
    ],
    [
      'contamination out of range',
      (t) => t.client.createDetector({ name: 'x4', config: { iforest: { contamination: 0.7 } } }),
      status.INVALID_ARGUMENT,
      'config.iforest.contamination',
    ],
    [
      'robust with updates',
      (t) =>
        t.client.createDetector({
          name: 'x5',
          config: { mahalanobis: { robust: true, updateFromLive: true } },
        }),
      status.INVALID_ARGUMENT,
      'rule "mahalanobis.robust_no_updates"',
    ],
    [
      'a bad name',
      (t) => t.client.createDetector({ name: 'Bad_Name', config: { iforest: {} } }),
      status.INVALID_ARGUMENT,
      'rule "name.format"',
    ],
    [
      'two percentile rules',
      (t) =>
        t.client.inferThreshold({
          name: 'fitted',
          data: tensorMessages(irisTensor(5, 1)),
          thresholdPercentile: 90,
          expectedFalsePositiveRate: 0.1,
        }),
      status.INVALID_ARGUMENT,
      'rule "threshold.one_rule"',
    ],
    [
      'budget above the service bound',
      (t) => t.client.createDetector({ name: 'x6', config: { autoencoder: { maxTrainingSeconds: 601 } } }),
      status.INVALID_ARGUMENT,
      '--max-training-seconds',
    ],
    [
      'a label value of 1 MB (it would land in /metrics)',
      (t) =>
        t.client.createDetector({
          name: 'x7',
          config: { iforest: {} },
          labels: { team: 'x'.repeat(1_000_000) },
        }),
      status.INVALID_ARGUMENT,
      'labels: the value of "team" has 1000000 characters; at most 256',
    ],
    [
      'a label key of 64 characters',
      (t) =>
        t.client.createDetector({ name: 'x8', config: { iforest: {} }, labels: { ['k'.repeat(64)]: 'v' } }),
      status.INVALID_ARGUMENT,
      'a key has 1 to 63',
    ],
    [
      'page too large',
      (t) => t.client.listOutlierEvents({ pageSize: 1001 }),
      status.INVALID_ARGUMENT,
      'page_size',
    ],
    [
      'a page token not issued here',
      (t) => t.client.listDetectors({ pageToken: 'forged' }),
      status.INVALID_ARGUMENT,
      'page_token',
    ],
  ];

  cases.push([
    'stored events where there are none',
    (t) =>
      t.client.fit({
        name: 'unfitted',
        referenceEvents: {
          range: { startTime: new Date(0), endTime: new Date(86_400_000) },
          selector: { modelName: 'iris' },
        },
      }),
    status.FAILED_PRECONDITION,
    /--events-dir .*no-events: no such directory/,
  ]);

  it.each(cases)('%s', async (_label, call, code, message) => {
    const error = (await call(t).then(
      () => undefined,
      (e: ServiceError) => e,
    )) as ServiceError | undefined;
    expect(error, 'the call succeeded').toBeDefined();
    expect({ code: status[error!.code], details: error!.details }).toMatchObject({ code: status[code] });
    if (typeof message === 'string') expect(error!.details).toContain(message);
    else expect(error!.details).toMatch(message);
  });

  it('answers bytes that are not the message INVALID_ARGUMENT', async () => {
    const error = await new Promise<ServiceError>((resolve) => {
      t.client.raw.makeUnaryRequest(
        '/sightline.outlier.v1.OutlierService/Score',
        (value: Buffer) => value,
        (value: Buffer) => value,
        Buffer.from([0x0a, 0xff, 0xff]),
        (e) => resolve(e as ServiceError),
      );
    });
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toContain('ScoreRequest: malformed protobuf');
  });

  it('stops a training past its budget with the reason, and saves nothing', async () => {
    await t.client.createDetector({
      name: 'slow',
      config: { autoencoder: { epochs: 100, maxTrainingSeconds: 0.2 } },
    });
    const error = (await t.client
      .fit({ name: 'slow', data: tensorMessages(irisTensor(20, 1)) })
      .catch((e) => e)) as ServiceError;
    expect(error.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error.details).toMatch(/stopped after \d+ of 100 epochs: past its budget of 0.2 s/);
    const got = await t.client.getDetector({ name: 'slow' });
    expect(got.detector?.version).toBe(0);
    expect(got.versions).toEqual([]);
  });

  it("streams a training's progress epoch by epoch", async () => {
    await t.client.createDetector({ name: 'quick', config: { autoencoder: { epochs: 3 } } });
    const messages = await t.client.fitWithProgress({
      fit: { name: 'quick', data: tensorMessages(irisTensor(20, 1)) },
    });
    expect(messages.map((m) => m.progress?.epoch)).toEqual([1, 2, 3, undefined]);
    expect(messages[3]!.detector?.lineage?.training).toMatchObject({
      epoch: 3,
      epochs: 3,
      backend: 'tfjs-cpu',
    });
    const scored = await t.client.score({ name: 'quick', data: tensorMessages(irisTensor(2, 1)) });
    expect(scored.featureScore.map((row) => row.score.length)).toEqual([4, 4]);
  });
});
