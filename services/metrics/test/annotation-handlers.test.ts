/**
 * The annotation RPCs over a real grpc-js server on loopback, with the queues over a real
 * SQLite store and a feedback port that records what it is given: messages convert both ways,
 * and each error family reaches the caller as its status with the field named.
 */
import { credentials, Server, ServerCredentials, type ServiceError, status } from '@grpc/grpc-js';
import { metricsV1 } from '@sightline/contracts';
import { type CallKit, GrpcServerMetrics, tolerantDefinition } from '@sightline/service-kit';
import { memoryLogger, unaryCaller } from '@sightline/service-kit/testing';
import { createMetricsRegistry, createTracing } from '@sightline/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotationHandlers } from '../src/grpc/annotation-handlers.js';
import {
  classPrediction,
  openQueuesHarness,
  type QueuesHarness,
  rowsInput,
  T0,
} from './annotation-fixtures.js';

const { AnnotationPolicy, AnnotationItemState, FeedbackStatus } = metricsV1;

let harness: QueuesHarness;
let server: Server;
let client: metricsV1.MetricsServiceClient;
let call: ReturnType<typeof unaryCaller>;

beforeAll(async () => {
  harness = await openQueuesHarness();
  const registry = createMetricsRegistry({ serviceName: 'annotation-test', collectDefaults: false });
  const tracing = createTracing({ serviceName: 'annotation-test', env: {} });
  const kit: CallKit = {
    tracer: tracing.tracer,
    logger: memoryLogger('info').logger,
    metrics: new GrpcServerMetrics(registry),
  };
  server = new Server();
  server.addService(
    tolerantDefinition(metricsV1.MetricsServiceService),
    annotationHandlers(kit, { queues: harness.queues }) as never,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  client = new metricsV1.MetricsServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
  call = unaryCaller(client);
});

afterAll(async () => {
  client?.close();
  await new Promise<void>((resolve) => (server ? server.tryShutdown(() => resolve()) : resolve()));
  await harness?.cleanup();
});

const put = (request: unknown) =>
  call<metricsV1.PutAnnotationQueueRequest, metricsV1.PutAnnotationQueueResponse>(
    'putAnnotationQueue',
    metricsV1.PutAnnotationQueueRequest,
  )(request);
const get = (request: unknown) =>
  call<metricsV1.GetAnnotationQueueRequest, metricsV1.GetAnnotationQueueResponse>(
    'getAnnotationQueue',
    metricsV1.GetAnnotationQueueRequest,
  )(request);
const remove = (request: unknown) =>
  call<metricsV1.DeleteAnnotationQueueRequest, metricsV1.DeleteAnnotationQueueResponse>(
    'deleteAnnotationQueue',
    metricsV1.DeleteAnnotationQueueRequest,
  )(request);
const list = (request: unknown) =>
  call<metricsV1.ListAnnotationItemsRequest, metricsV1.ListAnnotationItemsResponse>(
    'listAnnotationItems',
    metricsV1.ListAnnotationItemsRequest,
  )(request);
const lease = (request: unknown) =>
  call<metricsV1.LeaseAnnotationItemsRequest, metricsV1.LeaseAnnotationItemsResponse>(
    'leaseAnnotationItems',
    metricsV1.LeaseAnnotationItemsRequest,
  )(request);
const answer = (request: unknown) =>
  call<metricsV1.AnswerAnnotationItemRequest, metricsV1.AnswerAnnotationItemResponse>(
    'answerAnnotationItem',
    metricsV1.AnswerAnnotationItemRequest,
  )(request);

async function failure(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as ServiceError | undefined;
  if (!error) throw new Error('expected the call to fail');
  return { code: error.code, details: error.details };
}

describe('annotation RPCs', () => {
  it('create a queue, list, lease and answer its items, and read the counts', async () => {
    const created = await put({
      queue: {
        modelName: 'clf',
        policy: AnnotationPolicy.ANNOTATION_POLICY_LEAST_CONFIDENT,
        sampleRate: 1,
        capacity: 10,
        itemTtl: { seconds: 3600n, nanos: 0 },
      },
    });
    expect(created.created).toBe(true);
    expect(created.queue).toMatchObject({
      modelName: 'clf',
      policy: AnnotationPolicy.ANNOTATION_POLICY_LEAST_CONFIDENT,
      sampleRate: 1,
      capacity: 10,
      itemTtl: { seconds: 3600n, nanos: 0 },
      createTime: new Date(T0),
    });
    await harness.queues.predictionsStored([
      {
        record: classPrediction('r1', [
          [0.9, 0.05, 0.05],
          [0.4, 0.35, 0.25],
        ]),
        inputs: [rowsInput('x', 2, 3)],
      },
    ]);
    const listed = await list({ modelName: 'clf' });
    expect(listed.items.map((item) => item.itemId)).toEqual(['r1/1', 'r1/0']);
    const first = listed.items[0];
    expect(first).toMatchObject({
      requestId: 'r1',
      row: 1,
      series: { modelName: 'clf', modelVersion: 'v1', node: '' },
      predictionTime: new Date(T0),
      inputsTruncated: false,
      prediction: {
        label: 'cat',
        classes: ['cat', 'dog', 'fox'],
        probabilities: [0.4, 0.35, 0.25],
        values: [],
      },
      reason: {
        policy: AnnotationPolicy.ANNOTATION_POLICY_LEAST_CONFIDENT,
        explanation: 'top-class probability 0.4 (cat)',
      },
      state: AnnotationItemState.ANNOTATION_ITEM_STATE_OPEN,
    });
    expect(first?.inputs[0]).toMatchObject({ name: 'x', datatype: 'FP32', shape: [1n, 3n] });
    expect(Array.from(new Float32Array(new Uint8Array(first?.inputs[0]?.rawContents ?? []).buffer))).toEqual([
      1000, 1001, 1002,
    ]);

    const leased = await lease({
      modelName: 'clf',
      annotator: 'alice',
      maxItems: 1,
      lease: { seconds: 60n, nanos: 0 },
    });
    expect(
      leased.items.map((item) => [item.itemId, item.state, item.annotator, item.leaseExpireTime]),
    ).toEqual([['r1/1', AnnotationItemState.ANNOTATION_ITEM_STATE_LEASED, 'alice', new Date(T0 + 60_000)]]);
    expect(
      await failure(answer({ modelName: 'clf', itemId: 'r1/1', annotator: 'bob', label: 'dog' })),
    ).toEqual({
      code: status.FAILED_PRECONDITION,
      details: 'item_id: item "r1/1" is leased to "alice" until 2026-01-05T12:01:00.000Z',
    });
    const answered = await answer({ modelName: 'clf', itemId: 'r1/1', annotator: 'alice', label: 'dog' });
    expect(answered.item?.state).toBe(AnnotationItemState.ANNOTATION_ITEM_STATE_ANSWERED);
    expect(answered.feedback).toEqual({
      item: 0,
      row: 1,
      status: FeedbackStatus.FEEDBACK_STATUS_JOINED,
      reason: '',
      pairs: 1,
    });
    expect(harness.port.received.at(-1)).toMatchObject({
      requestId: 'r1',
      modelName: '',
      row: 1,
      truth: { kind: 'label', label: 'dog' },
    });
    const skipped = await answer({ modelName: 'clf', itemId: 'r1/0', skip: true });
    expect(skipped.item?.state).toBe(AnnotationItemState.ANNOTATION_ITEM_STATE_SKIPPED);
    expect(skipped.feedback).toBeUndefined();

    const { queue } = await get({ modelName: 'clf' });
    expect(queue?.counts).toEqual({
      open: 0n,
      leased: 0n,
      answered: 1n,
      skipped: 1n,
      dropped: 0n,
      expired: 0n,
      labelledElsewhere: 0n,
    });
    const closed = await list({
      modelName: 'clf',
      states: [
        AnnotationItemState.ANNOTATION_ITEM_STATE_ANSWERED,
        AnnotationItemState.ANNOTATION_ITEM_STATE_SKIPPED,
      ],
    });
    expect(closed.items.map((item) => item.itemId)).toEqual(['r1/1', 'r1/0']);
    await remove({ modelName: 'clf' });
    expect((await failure(get({ modelName: 'clf' }))).code).toBe(status.NOT_FOUND);
  });

  it('answer bad input INVALID_ARGUMENT naming the field, unknown queues and items NOT_FOUND', async () => {
    expect(await failure(put({ queue: { modelName: 'x' } }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'queue.policy: required (rule "queue.policy_set")',
    });
    expect(
      await failure(
        put({
          queue: { modelName: 'x', policy: AnnotationPolicy.ANNOTATION_POLICY_UNIFORM, capacity: 200_000 },
        }),
      ),
    ).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'queue.capacity: must be at most 100000, got 200000',
    });
    expect(await failure(list({ modelName: 'nope' }))).toEqual({
      code: status.NOT_FOUND,
      details: 'model_name: model "nope" has no annotation queue',
    });
    await put({
      queue: { modelName: 'clf2', policy: AnnotationPolicy.ANNOTATION_POLICY_UNIFORM, sampleRate: 1 },
    });
    await harness.queues.predictionsStored([
      { record: classPrediction('r9', [[0.5, 0.3, 0.2]], { modelName: 'clf2' }), inputs: [] },
    ]);
    expect(await failure(answer({ modelName: 'clf2', itemId: 'r9/0', label: 'wolf' }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'label: "wolf" is not one of the model\'s classes (cat, dog, fox)',
    });
    expect(await failure(answer({ modelName: 'clf2', itemId: 'r9/0' }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'answer: exactly one of label, values, reward and skip is required (rule "answer.set")',
    });
    expect((await failure(answer({ modelName: 'clf2', itemId: 'r9/5', label: 'cat' }))).code).toBe(
      status.NOT_FOUND,
    );
    expect(await failure(lease({ modelName: 'clf2', annotator: 'a', maxItems: 101 }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'max_items: must be at most 100, got 101',
    });
    expect(await failure(list({ modelName: 'clf2', states: [9] }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'states[0]: unknown item state 9',
    });
  });
});
