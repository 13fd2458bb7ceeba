/**
 * Bad input over real gRPC: each mistake gets its status code and one sentence naming the
 * field, column or row and the rule (contract: drift.proto's header).
 */
import { status } from '@grpc/grpc-js';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  irisRows,
  irisTensor,
  startTestDrift,
  type TestDrift,
  tensorMessages,
} from './helpers/drift-test-service.js';

describe('bad input', () => {
  let drift: TestDrift;
  beforeAll(async () => {
    drift = await startTestDrift({ flags: { maxWindowRows: 500, maxReferenceRows: 1000 } });
    await drift.client.createDetector({ name: 'fitted', config: { ks: {} } });
    await drift.client.fit({ name: 'fitted', data: tensorMessages(irisTensor(100, 1)) });
    await drift.client.createDetector({ name: 'unfitted' });
  });
  afterAll(async () => {
    await drift?.stop();
  });

  const withNaN = (value: number) => {
    const data = irisRows(20, 5);
    data[17 * 4 + 2] = value;
    return createTensor('input', 'FP32', [20, 4], data);
  };

  const cases: {
    readonly what: string;
    readonly call: (client: TestDrift['client']) => Promise<unknown>;
    readonly code: status;
    readonly message: RegExp;
  }[] = [
    {
      what: 'unknown detector',
      call: (c) => c.predict({ name: 'nope', data: tensorMessages(irisTensor(10, 2)) }),
      code: status.NOT_FOUND,
      message: /detector "nope" not found/,
    },
    {
      what: 'fit of an unknown detector',
      call: (c) => c.fit({ name: 'nope', data: tensorMessages(irisTensor(10, 2)) }),
      code: status.NOT_FOUND,
      message: /detector "nope" not found/,
    },
    {
      what: 'not fitted',
      call: (c) => c.predict({ name: 'unfitted', data: tensorMessages(irisTensor(10, 2)) }),
      code: status.FAILED_PRECONDITION,
      message: /detector "unfitted": not fitted, call Fit first/,
    },
    {
      what: 'attach before fit',
      call: (c) => c.attachDetector({ name: 'unfitted', selector: { modelName: 'iris' } }),
      code: status.FAILED_PRECONDITION,
      message: /call Fit first/,
    },
    {
      what: 'attach naming fewer columns than the fit has features',
      call: (c) =>
        c.attachDetector({
          name: 'fitted',
          selector: { modelName: 'iris', tensors: ['input'], columnNames: ['input[0]', 'input[1]'] },
          window: { maxRows: 100 },
        }),
      code: status.INVALID_ARGUMENT,
      message:
        /selector.column_names: 2 names; the detector was fitted on 4 features \(rule "selector.column_names_count"\)/,
    },
    {
      what: 'attach naming a column the fit does not have',
      call: (c) =>
        c.attachDetector({
          name: 'fitted',
          selector: {
            modelName: 'iris',
            tensors: ['input'],
            columnNames: ['input[0]', 'input[1]', 'input[2]', 'petal_width'],
          },
          window: { maxRows: 100 },
        }),
      code: status.INVALID_ARGUMENT,
      message: /selector.column_names: "petal_width" is not a fitted feature/,
    },
    {
      what: 'wrong number of features',
      call: (c) =>
        c.predict({
          name: 'fitted',
          data: tensorMessages(createTensor('input', 'FP32', [10, 3], new Float32Array(30))),
        }),
      code: status.INVALID_ARGUMENT,
      message: /input\[3\]/,
    },
    {
      what: 'a column that does not exist',
      call: (c) =>
        c.predict({
          name: 'fitted',
          data: tensorMessages(createTensor('other', 'FP32', [10, 5], new Float32Array(50))),
        }),
      code: status.INVALID_ARGUMENT,
      message: /"input\[0\]"/,
    },
    {
      what: 'NaN',
      call: (c) => c.predict({ name: 'fitted', data: tensorMessages(withNaN(Number.NaN)) }),
      code: status.INVALID_ARGUMENT,
      message: /column "input\[2\]", row 17/,
    },
    {
      what: 'Inf',
      call: (c) => c.score({ name: 'fitted', data: tensorMessages(withNaN(Number.POSITIVE_INFINITY)) }),
      code: status.INVALID_ARGUMENT,
      message: /column "input\[2\]", row 17/,
    },
    {
      what: 'empty batch',
      call: (c) =>
        c.predict({
          name: 'fitted',
          data: tensorMessages(createTensor('input', 'FP32', [0, 4], new Float32Array(0))),
        }),
      code: status.INVALID_ARGUMENT,
      message: /empty/,
    },
    {
      what: 'no tensors',
      call: (c) => c.predict({ name: 'fitted', data: [] }),
      code: status.INVALID_ARGUMENT,
      message: /empty/,
    },
    {
      what: 'reference too small',
      call: (c) => c.fit({ name: 'unfitted', data: tensorMessages(irisTensor(1, 3)) }),
      code: status.INVALID_ARGUMENT,
      message: /at least 2 rows, got 1/,
    },
    {
      what: 'reference over --max-reference-rows',
      call: (c) => c.fit({ name: 'unfitted', data: tensorMessages(irisTensor(1001, 3)) }),
      code: status.RESOURCE_EXHAUSTED,
      message: /1001 reference rows; at most 1000 \(--max-reference-rows\)/,
    },
    {
      what: 'neither data nor reference events',
      call: (c) => c.fit({ name: 'unfitted' }),
      code: status.INVALID_ARGUMENT,
      message: /fit\.reference_set/,
    },
    {
      what: 'a bad name',
      call: (c) => c.createDetector({ name: 'Bad_Name' }),
      code: status.INVALID_ARGUMENT,
      message: /name\.format/,
    },
    {
      what: 'a name starting with "-" (a DNS label starts with a letter or digit)',
      call: (c) => c.createDetector({ name: '-lead' }),
      code: status.INVALID_ARGUMENT,
      message: /name: "-lead" must be .*starting and ending with a letter or digit \(rule "name\.format"\)/,
    },
    {
      what: 'a name ending with "-"',
      call: (c) => c.createDetector({ name: 'trail-' }),
      code: status.INVALID_ARGUMENT,
      message: /name: "trail-" .*\(rule "name\.format"\)/,
    },
    {
      what: "Predict of one row with a univariate kind (the contract's minimum is 2)",
      call: (c) => c.predict({ name: 'fitted', data: tensorMessages(irisTensor(1, 4)) }),
      code: status.INVALID_ARGUMENT,
      message: /kind "ks" needs at least 2 rows to score, got 1/,
    },
    {
      what: 'Score of one row with a univariate kind',
      call: (c) => c.score({ name: 'fitted', data: tensorMessages(irisTensor(1, 4)) }),
      code: status.INVALID_ARGUMENT,
      message: /kind "ks" needs at least 2 rows to score, got 1/,
    },
    {
      what: 'a p-value out of (0, 1) at create, not first at fit',
      call: (c) => c.createDetector({ name: 'bad-p', config: { ks: { pVal: 1.5 } } }),
      code: status.INVALID_ARGUMENT,
      message: /config\.ks\.p_val: must be in \(0, 1\), got 1\.5/,
    },
    {
      what: 'a negative kernel bandwidth',
      call: (c) => c.createDetector({ name: 'bad-sigma', config: { mmd: { sigma: -1 } } }),
      code: status.INVALID_ARGUMENT,
      message: /config\.mmd\.sigma: must be > 0, got -1/,
    },
    {
      what: 'fewer permutations than the contract allows',
      call: (c) => c.createDetector({ name: 'few-perms', config: { mmd: { nPermutations: 5 } } }),
      code: status.INVALID_ARGUMENT,
      message: /config\.mmd\.n_permutations: must be 10-100000, got 5/,
    },
    {
      what: 'chi-square categories per feature, which this version does not offer',
      call: (c) =>
        c.createDetector({ name: 'cpf', config: { chiSquare: { categoriesPerFeature: { 0: 3 } } } }),
      code: status.INVALID_ARGUMENT,
      message: /categories_per_feature: not offered by this version/,
    },
    {
      what: 'an online kind without its expected run time',
      call: (c) => c.createDetector({ name: 'online', config: { mmdOnline: { windowSize: 10 } } }),
      code: status.INVALID_ARGUMENT,
      message: /config\.mmd_online\.ert: required.*online\.ert_set/,
    },
    {
      what: 'a categorical feature the data lacks',
      call: async (c) => {
        await c.createDetector({ name: 'cats', categoricalFeatures: ['colour'] });
        return c.fit({ name: 'cats', data: tensorMessages(irisTensor(10, 3)) });
      },
      code: status.INVALID_ARGUMENT,
      message: /categorical_features: "colour" is not a feature/,
    },
    {
      what: 'a window over --max-window-rows',
      call: (c) =>
        c.attachDetector({ name: 'fitted', selector: { modelName: 'iris' }, window: { maxRows: 501 } }),
      code: status.INVALID_ARGUMENT,
      message: /window\.max_rows: 501; at most 500 \(--max-window-rows\)/,
    },
    {
      what: 'a selector without a model',
      call: (c) => c.attachDetector({ name: 'fitted', selector: { modelName: '' } }),
      code: status.INVALID_ARGUMENT,
      message: /selector\.model_name: required/,
    },
    {
      what: 'detach of a detector not attached',
      call: (c) => c.detachDetector({ name: 'fitted' }),
      code: status.FAILED_PRECONDITION,
      message: /not attached/,
    },
    {
      what: 'reset of an offline detector',
      call: (c) => c.resetDetector({ name: 'fitted' }),
      code: status.FAILED_PRECONDITION,
      message: /only online detectors have state to reset/,
    },
    {
      what: 'a page over 1000',
      call: (c) => c.listDriftEvents({ pageSize: 1001 }),
      code: status.INVALID_ARGUMENT,
      message: /page_size: 1001; at most 1000/,
    },
    {
      what: 'a page token not issued here',
      call: (c) => c.listDriftEvents({ pageToken: 'forged' }),
      code: status.INVALID_ARGUMENT,
      message: /not issued by this service/,
    },
    {
      what: 'a history range in the wrong order',
      call: (c) =>
        c.scoreHistory({
          name: 'fitted',
          range: { startTime: new Date(2000), endTime: new Date(1000) },
          selector: { modelName: 'iris' },
        }),
      code: status.INVALID_ARGUMENT,
      message: /range\.order/,
    },
    {
      what: 'history from an --events-dir that does not exist',
      call: (c) =>
        c.scoreHistory({
          name: 'fitted',
          range: { startTime: new Date(1000), endTime: new Date(2000) },
          selector: { modelName: 'iris', tensors: ['input'] },
        }),
      code: status.FAILED_PRECONDITION,
      message: /--events-dir .*no-events: no such directory/,
    },
    {
      what: 'fit from an --events-dir that does not exist',
      call: (c) =>
        c.fit({
          name: 'unfitted',
          referenceEvents: {
            range: { startTime: new Date(1000), endTime: new Date(2000) },
            selector: { modelName: 'iris', tensors: ['input'] },
          },
        }),
      code: status.FAILED_PRECONDITION,
      message: /--events-dir .*no-events: no such directory/,
    },
  ];

  it.each(cases)('$what', async ({ call, code, message }) => {
    const error = await call(drift.client).then(
      () => undefined,
      (e: { code: status; details: string }) => e,
    );
    expect(error, 'the call should fail').toBeDefined();
    expect({ code: error!.code, details: error!.details }).toMatchObject({
      code,
      details: expect.stringMatching(message),
    });
  });

  it('leaves the fitted detector serving', async () => {
    const answer = await drift.client.predict({ name: 'fitted', data: tensorMessages(irisTensor(30, 9)) });
    expect(answer.data?.features).toHaveLength(4);
  });
});
