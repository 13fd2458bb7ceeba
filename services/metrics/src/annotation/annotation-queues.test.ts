/**
 * The annotation queue domain over a real SQLite store: settings rules, each policy's order,
 * capacity eviction, item TTL, leases, answers becoming feedback, "labelled elsewhere",
 * bounded waiting rows, sliced inputs and persistence across a reopen.
 */
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sightline/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLASSES,
  classPrediction,
  openQueuesHarness,
  type QueuesHarness,
  rowsInput,
  T0,
  valuePrediction,
} from '../../test/annotation-fixtures.js';
import type { QueueSettingsInput } from './annotation-types.js';
import { rowSampled, rowUniform } from './row-sampling.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const SEED = 'sightline-annotation';

let harness: QueuesHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

async function open(options: Parameters<typeof openQueuesHarness>[0] = {}): Promise<QueuesHarness> {
  harness = await openQueuesHarness(options);
  return harness;
}

function queue(overrides: Partial<QueueSettingsInput> = {}): QueueSettingsInput {
  return { modelName: 'clf', policy: 'uniform', sampleRate: 1, ...overrides };
}

/** Probabilities whose top class has probability `top`. */
function probs(top: number): number[] {
  const rest = (1 - top) / 2;
  return [top, rest, rest];
}

describe('queue settings', () => {
  it.each([
    [{ policy: undefined }, 'queue.policy: required (rule "queue.policy_set")'],
    [{ modelName: '' }, 'queue.model_name: required'],
    [{ sampleRate: 0 }, 'queue.sample_rate: must be in (0, 1], got 0'],
    [{ sampleRate: 1.5 }, 'queue.sample_rate: must be in (0, 1], got 1.5'],
    [{ capacity: 100_001 }, 'queue.capacity: must be at most 100000, got 100001'],
    [
      { policy: 'shadow_disagreement' as const },
      'queue.shadow: required for SHADOW_DISAGREEMENT (rule "queue.shadow_set")',
    ],
    [{ shadow: 'b' }, 'queue.shadow: only SHADOW_DISAGREEMENT takes a shadow (rule "queue.shadow_set")'],
    [
      { policy: 'outliers_first' as const },
      'queue.outlier_detector: required for OUTLIERS_FIRST (rule "queue.outlier_detector_set")',
    ],
    [
      { outlierDetector: 'iforest' },
      'queue.outlier_detector: only OUTLIERS_FIRST takes a detector (rule "queue.outlier_detector_set")',
    ],
    [
      { itemTtlMs: 31 * DAY },
      'queue.item_ttl: must be above 0 and at most the retention (2592000s), got 2678400s',
    ],
  ])('%o is refused', async (overrides, message) => {
    const { queues } = await open();
    const error = await queues.putQueue(queue(overrides)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe(message);
  });

  it('fills in the defaults and says whether the queue is new', async () => {
    const { queues } = await open();
    const first = await queues.putQueue({ modelName: 'clf', policy: 'uniform' });
    expect(first.created).toBe(true);
    expect(first.queue.settings).toMatchObject({ sampleRate: 0.01, capacity: 1000, itemTtlMs: 7 * DAY });
    const second = await queues.putQueue({ modelName: 'clf', policy: 'uniform', capacity: 5 });
    expect(second.created).toBe(false);
    expect(second.queue.settings.capacity).toBe(5);
  });

  it('refuses LEAST_CONFIDENT once the model is known to be a regression model or to log no probabilities', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ modelName: 'reg', policy: 'least_confident' })); // task unknown yet: accepted
    await queues.predictionsStored([{ record: valuePrediction('r1', [1.5]), inputs: [] }]);
    await expect(queues.putQueue(queue({ modelName: 'reg', policy: 'least_confident' }))).rejects.toThrow(
      new FailedPreconditionError(
        'queue.policy: LEAST_CONFIDENT needs class probabilities, and model "reg" is a regression model',
      ),
    );
    const bare = classPrediction('r2', [[0.9, 0.05, 0.05]], { modelName: 'bare' });
    await queues.predictionsStored([
      { record: { ...bare, rows: bare.rows.map(({ probabilities: _, ...row }) => row) }, inputs: [] },
    ]);
    await expect(queues.putQueue(queue({ modelName: 'bare', policy: 'least_confident' }))).rejects.toThrow(
      FailedPreconditionError,
    );
  });

  it('bounds the number of queues', async () => {
    const { queues } = await open({ maxQueues: 2 });
    await queues.putQueue(queue({ modelName: 'a' }));
    await queues.putQueue(queue({ modelName: 'b' }));
    await queues.putQueue(queue({ modelName: 'b', capacity: 3 })); // a replacement is not a new queue
    await expect(queues.putQueue(queue({ modelName: 'c' }))).rejects.toThrow(ResourceExhaustedError);
  });

  it('answers NOT_FOUND for a model without a queue, and deletes a queue with its open items', async () => {
    const { queues } = await open();
    await expect(queues.getQueue('nope')).rejects.toThrow(
      new NotFoundError('model_name: model "nope" has no annotation queue'),
    );
    await queues.putQueue(queue());
    await queues.predictionsStored([{ record: classPrediction('r1', [probs(0.9)]), inputs: [] }]);
    await queues.deleteQueue('clf');
    await expect(queues.listItems('clf')).rejects.toThrow(NotFoundError);
    await expect(queues.deleteQueue('clf')).rejects.toThrow(NotFoundError);
  });
});

describe('sampling', () => {
  it('considers a deterministic share of rows that every instance agrees on', async () => {
    const picked = Array.from({ length: 4000 }, (_, i) => rowSampled(SEED, `req-${i}`, i % 3, 0.25));
    const share = picked.filter(Boolean).length / picked.length;
    // A hash, not a draw: the share is fixed for these ids; a broken hash lands far from 0.25.
    expect(share).toBeGreaterThan(0.22);
    expect(share).toBeLessThan(0.28);
    expect(Array.from({ length: 4000 }, (_, i) => rowSampled(SEED, `req-${i}`, i % 3, 0.25))).toEqual(picked);
    expect(rowSampled('another-seed', 'req-1', 0, 0.25)).toBe(rowSampled('another-seed', 'req-1', 0, 0.25));
  });

  it('queues only the sampled rows of a request, and none that already has a truth', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ sampleRate: 0.5 }));
    const rows = Array.from({ length: 40 }, () => probs(0.6));
    await queues.predictionsStored([
      { record: classPrediction('big', rows), inputs: [], labelledRows: [0, 1, 2] },
    ]);
    const expected = rows
      .map((_, row) => row)
      .filter((row) => row > 2 && rowSampled(SEED, 'big', row, 0.5))
      .map((row) => `big/${row}`);
    const { items } = await queues.listItems('clf', { pageSize: 1000 });
    expect(items.map((item) => item.itemId).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(5);
  });
});

describe('policies', () => {
  it('UNIFORM keeps the rows with the highest reservoir keys and serves them oldest first', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ capacity: 5 }));
    for (let i = 0; i < 30; i++)
      await queues.predictionsStored([
        { record: classPrediction(`r${i}`, [probs(0.9)], { timeMs: T0 + i * MINUTE }), inputs: [] },
      ]);
    const byKey = Array.from({ length: 30 }, (_, i) => ({
      i,
      key: rowUniform(SEED, 'reservoir', `r${i}`, 0),
    }))
      .sort((a, b) => b.key - a.key)
      .slice(0, 5)
      .map(({ i }) => i)
      .sort((a, b) => a - b);
    const { items } = await queues.listItems('clf');
    expect(items.map((item) => item.requestId)).toEqual(byKey.map((i) => `r${i}`));
    const view = await queues.getQueue('clf');
    expect(view.counts.open).toBe(5);
    expect(view.counts.dropped).toBeGreaterThan(0);
    expect(items[0]?.reason.policy).toBe('uniform');
  });

  it('LEAST_CONFIDENT serves the lowest top-class probability first', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ policy: 'least_confident' }));
    await queues.predictionsStored([
      { record: classPrediction('r1', [probs(0.9), probs(0.4), probs(0.7)]), inputs: [] },
      { record: classPrediction('r2', [probs(0.5)]), inputs: [] },
    ]);
    const { items } = await queues.listItems('clf');
    expect(items.map((item) => item.itemId)).toEqual(['r1/1', 'r2/0', 'r1/2', 'r1/0']);
    expect(items[0]?.reason.score).toBeCloseTo(0.6, 12);
    expect(items[0]?.reason.explanation).toBe('top-class probability 0.4 (cat)');
  });

  it('OUTLIERS_FIRST joins scores of the named detector by request id, before or after the prediction', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ policy: 'outliers_first', outlierDetector: 'iforest' }));
    await queues.outlierScoresReceived({ detector: 'iforest', requestId: 'early', instanceScores: [0.2, 5] });
    await queues.outlierScoresReceived({ detector: 'other', requestId: 'late', instanceScores: [100] });
    await queues.predictionsStored([
      { record: classPrediction('early', [probs(0.9), probs(0.9)]), inputs: [] },
      { record: classPrediction('late', [probs(0.9)]), inputs: [] },
    ]);
    expect((await queues.listItems('clf')).items.map((item) => item.itemId)).toEqual(['early/1', 'early/0']);
    await queues.outlierScoresReceived({ detector: 'iforest', requestId: 'late', instanceScores: [1] });
    const { items } = await queues.listItems('clf');
    expect(items.map((item) => [item.itemId, item.reason.score])).toEqual([
      ['early/1', 5],
      ['late/0', 1],
      ['early/0', 0.2],
    ]);
  });

  it('SHADOW_DISAGREEMENT pairs the model and shadow rows of a request and puts disagreements first', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ policy: 'shadow_disagreement', shadow: 'challenger' }));
    // The shadow's rows come first for r1, last for r2.
    await queues.predictionsStored([
      { record: classPrediction('r1', [[0.2, 0.7, 0.1], probs(0.8)], { node: 'challenger' }), inputs: [] },
      { record: classPrediction('r1', [probs(0.6), probs(0.7)]), inputs: [] },
      { record: classPrediction('r2', [probs(0.9)]), inputs: [] },
    ]);
    expect((await queues.listItems('clf')).items.map((item) => item.itemId)).toEqual(['r1/0', 'r1/1']);
    await queues.predictionsStored([
      { record: classPrediction('r2', [[0.1, 0.1, 0.8]], { modelName: 'challenger' }), inputs: [] },
    ]);
    const { items } = await queues.listItems('clf');
    // r2: cat 0.9 vs fox 0.8 (gap 0.8); r1/0: cat 0.6 vs dog 0.7 (gap 0.5); r1/1 agrees (gap 0.1).
    expect(items.map((item) => item.itemId)).toEqual(['r2/0', 'r1/0', 'r1/1']);
    expect(items[0]?.reason.score).toBeCloseTo(1.8, 12);
    expect(items[0]?.shadowPrediction?.label).toBe('fox');
    expect(items[2]?.reason.score).toBeCloseTo(0.1, 12);
  });

  it('SHADOW_DISAGREEMENT on a regression model orders by the largest difference', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ modelName: 'reg', policy: 'shadow_disagreement', shadow: 'reg-next' }));
    await queues.predictionsStored([
      { record: valuePrediction('r1', [1, 2, 3]), inputs: [] },
      { record: valuePrediction('r1', [1.5, 7, 3], 'reg-next'), inputs: [] },
    ]);
    const { items } = await queues.listItems('reg');
    expect(items.map((item) => [item.itemId, item.reason.score])).toEqual([
      ['r1/1', 5],
      ['r1/0', 0.5],
      ['r1/2', 0],
    ]);
  });

  it('bounds the rows waiting for a partner, oldest first', async () => {
    const { queues } = await open({ maxPendingPerQueue: 3 });
    await queues.putQueue(queue({ policy: 'outliers_first', outlierDetector: 'iforest' }));
    for (let i = 0; i < 5; i++)
      await queues.predictionsStored([{ record: classPrediction(`r${i}`, [probs(0.9)]), inputs: [] }]);
    for (let i = 0; i < 5; i++)
      await queues.outlierScoresReceived({ detector: 'iforest', requestId: `r${i}`, instanceScores: [i] });
    const { items } = await queues.listItems('clf');
    expect(items.map((item) => item.itemId)).toEqual(['r4/0', 'r3/0', 'r2/0']);
  });
});

describe('capacity and expiry', () => {
  it('a better candidate replaces the lowest-priority open item; a smaller capacity drops the lowest', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ policy: 'least_confident', capacity: 3 }));
    await queues.predictionsStored([
      {
        record: classPrediction('r1', [probs(0.5), probs(0.6), probs(0.7), probs(0.95), probs(0.4)]),
        inputs: [],
      },
    ]);
    expect((await queues.listItems('clf')).items.map((item) => item.itemId)).toEqual([
      'r1/4',
      'r1/0',
      'r1/1',
    ]);
    expect((await queues.getQueue('clf')).counts.dropped).toBe(1); // r1/2 gave way to r1/4; r1/3 never got in
    const { queue: after } = await queues.putQueue(queue({ policy: 'least_confident', capacity: 1 }));
    expect(after.counts).toMatchObject({ open: 1, dropped: 3 });
    expect((await queues.listItems('clf')).items.map((item) => item.itemId)).toEqual(['r1/4']);
  });

  it('drops open items after the item TTL, but not leased ones', async () => {
    const { queues, clock } = await open();
    await queues.putQueue(queue({ itemTtlMs: 60 * MINUTE }));
    await queues.predictionsStored([{ record: classPrediction('r1', [probs(0.9), probs(0.9)]), inputs: [] }]);
    clock.advance(30 * MINUTE);
    const [leased] = await queues.leaseItems('clf', { annotator: 'alice', leaseMs: 60 * MINUTE });
    clock.advance(30 * MINUTE);
    const view = await queues.getQueue('clf');
    expect(view.counts).toMatchObject({ open: 0, leased: 1, expired: 1 });
    const { items } = await queues.listItems('clf');
    expect(items.map((item) => item.itemId)).toEqual([leased?.itemId]);
  });
});

describe('leases and answers', () => {
  it('leases the best items to one annotator; another gets the next ones; a lapsed lease opens the item again', async () => {
    const { queues, clock } = await open();
    await queues.putQueue(queue({ policy: 'least_confident' }));
    await queues.predictionsStored([
      { record: classPrediction('r1', [probs(0.5), probs(0.6), probs(0.7)]), inputs: [] },
    ]);
    const alice = await queues.leaseItems('clf', { annotator: 'alice', maxItems: 2, leaseMs: 10 * MINUTE });
    expect(alice.map((item) => [item.itemId, item.state, item.annotator, item.leaseExpireMs])).toEqual([
      ['r1/0', 'leased', 'alice', T0 + 10 * MINUTE],
      ['r1/1', 'leased', 'alice', T0 + 10 * MINUTE],
    ]);
    const bob = await queues.leaseItems('clf', { annotator: 'bob', maxItems: 5, leaseMs: 20 * MINUTE });
    expect(bob.map((item) => item.itemId)).toEqual(['r1/2']);
    expect(await queues.leaseItems('clf', { annotator: 'carol' })).toEqual([]);
    await expect(
      queues.answerItem('clf', 'r1/0', 'bob', { kind: 'truth', truth: { kind: 'label', label: 'cat' } }),
    ).rejects.toThrow(
      new FailedPreconditionError('item_id: item "r1/0" is leased to "alice" until 2026-01-05T12:10:00.000Z'),
    );
    clock.advance(10 * MINUTE);
    const carol = await queues.leaseItems('clf', { annotator: 'carol', maxItems: 5 });
    expect(carol.map((item) => item.itemId)).toEqual(['r1/0', 'r1/1']);
  });

  it.each([
    [{ annotator: '' }, 'annotator: required'],
    [{ annotator: 'a'.repeat(257) }, 'annotator: must be at most 256 characters, got 257'],
    [{ annotator: 'a', maxItems: 101 }, 'max_items: must be at most 100, got 101'],
    [{ annotator: 'a', leaseMs: 25 * 60 * MINUTE }, 'lease: must be above 0 and at most 86400s, got 90000s'],
  ])('a lease with %o is refused', async (input, message) => {
    const { queues } = await open();
    await queues.putQueue(queue());
    await expect(queues.leaseItems('clf', input)).rejects.toThrow(new InvalidArgumentError(message));
  });

  it('an answer becomes feedback with an empty model name; answering again replaces it', async () => {
    const { queues, port, clock } = await open();
    await queues.putQueue(queue());
    await queues.predictionsStored([{ record: classPrediction('r1', [probs(0.9)]), inputs: [] }]);
    await queues.leaseItems('clf', { annotator: 'alice' });
    clock.advance(MINUTE);
    const answered = await queues.answerItem('clf', 'r1/0', 'alice', {
      kind: 'truth',
      truth: { kind: 'label', label: 'dog' },
    });
    expect(answered.item).toMatchObject({ state: 'answered', annotator: 'alice', closeMs: T0 + MINUTE });
    expect(answered.feedback).toEqual({ status: 'joined', pairs: 1 });
    expect(port.received).toEqual([
      {
        requestId: 'r1',
        modelName: '',
        row: 0,
        truth: { kind: 'label', label: 'dog' },
        observedMs: T0 + MINUTE,
        receivedMs: T0 + MINUTE,
      },
    ]);
    port.answer = () => ({ status: 'replaced', pairs: 1 });
    const again = await queues.answerItem('clf', 'r1/0', 'bob', {
      kind: 'truth',
      truth: { kind: 'label', label: 'fox' },
    });
    expect(again.feedback?.status).toBe('replaced');
    expect((await queues.getQueue('clf')).counts).toMatchObject({ answered: 1, open: 0, leased: 0 });
    expect(
      (await queues.listItems('clf', { states: ['answered'] })).items.map((item) => item.annotator),
    ).toEqual(['bob']);
  });

  it('refuses answers the prediction refutes, naming the field, and stores nothing', async () => {
    const { queues, port } = await open();
    await queues.putQueue(queue());
    await queues.putQueue(queue({ modelName: 'reg' }));
    await queues.predictionsStored([
      { record: classPrediction('r1', [probs(0.9)]), inputs: [] },
      { record: valuePrediction('r2', [3]), inputs: [] },
    ]);
    const label = (value: string) => ({
      kind: 'truth' as const,
      truth: { kind: 'label' as const, label: value },
    });
    const values = (v: number[]) => ({
      kind: 'truth' as const,
      truth: { kind: 'value' as const, values: v },
    });
    await expect(queues.answerItem('clf', 'r1/0', '', label('wolf'))).rejects.toThrow(
      new InvalidArgumentError(`label: "wolf" is not one of the model's classes (${CLASSES.join(', ')})`),
    );
    await expect(queues.answerItem('clf', 'r1/0', '', values([1]))).rejects.toThrow(
      new InvalidArgumentError('values: model "clf" is a classification model; answer with a label'),
    );
    await expect(queues.answerItem('reg', 'r2/0', '', label('cat'))).rejects.toThrow(
      new InvalidArgumentError('label: model "reg" is a regression model; answer with values'),
    );
    await expect(queues.answerItem('reg', 'r2/0', '', values([1, 2]))).rejects.toThrow(
      new InvalidArgumentError('values.values: the prediction has 1 value(s), got 2'),
    );
    await expect(queues.answerItem('reg', 'r2/0', '', values([Number.NaN]))).rejects.toThrow(
      new InvalidArgumentError('values.values[0]: must be finite, got NaN'),
    );
    await expect(queues.answerItem('clf', 'r1/9', '', label('cat'))).rejects.toThrow(NotFoundError);
    await expect(queues.answerItem('clf', 'r1/0', '', undefined)).rejects.toThrow(
      new InvalidArgumentError(
        'answer: exactly one of label, values, reward and skip is required (rule "answer.set")',
      ),
    );
    expect(port.received).toEqual([]);
    port.answer = () => ({
      status: 'rejected',
      reason: 'items[0].row: must name a row of the prediction',
      pairs: 0,
    });
    await expect(queues.answerItem('clf', 'r1/0', '', label('cat'))).rejects.toThrow(
      new InvalidArgumentError('items[0].row: must name a row of the prediction'),
    );
    expect((await queues.listItems('clf')).items[0]?.state).toBe('open');
  });

  it('a skip closes the item without feedback; a skip after an answer is refused', async () => {
    const { queues, port } = await open();
    await queues.putQueue(queue());
    await queues.predictionsStored([{ record: classPrediction('r1', [probs(0.9), probs(0.9)]), inputs: [] }]);
    const skipped = await queues.answerItem('clf', 'r1/0', 'alice', { kind: 'skip' });
    expect(skipped.item.state).toBe('skipped');
    expect(skipped.feedback).toBeUndefined();
    await queues.answerItem('clf', 'r1/1', 'alice', { kind: 'truth', truth: { kind: 'reward', reward: 1 } });
    await expect(queues.answerItem('clf', 'r1/1', 'alice', { kind: 'skip' })).rejects.toThrow(
      FailedPreconditionError,
    );
    expect(port.received).toHaveLength(1);
    // Neither is offered again when the same prediction is seen again.
    await queues.predictionsStored([{ record: classPrediction('r1', [probs(0.9), probs(0.9)]), inputs: [] }]);
    expect((await queues.getQueue('clf')).counts).toMatchObject({ open: 0, answered: 1, skipped: 1 });
  });

  it('feedback from elsewhere removes the open or leased item of its row, but not the one being answered', async () => {
    const { queues, port } = await open();
    await queues.putQueue(queue());
    await queues.predictionsStored([
      { record: classPrediction('r1', [probs(0.9), probs(0.9), probs(0.9)]), inputs: [] },
    ]);
    await queues.leaseItems('clf', { annotator: 'alice' });
    // As the core will: the stored answer comes back through the feedback hook before the port answers.
    port.onRecord = (items) =>
      queues.feedbackStored(items.map(({ requestId, row, modelName }) => ({ requestId, row, modelName })));
    await queues.answerItem('clf', 'r1/2', 'bob', { kind: 'truth', truth: { kind: 'label', label: 'cat' } });
    await queues.feedbackStored([
      { requestId: 'r1', row: 0, modelName: '' },
      { requestId: 'r1', row: 1, modelName: 'some-other-model' },
    ]);
    expect((await queues.getQueue('clf')).counts).toMatchObject({
      open: 1,
      leased: 0,
      answered: 1,
      labelledElsewhere: 1,
    });
    await queues.feedbackStored([{ requestId: 'r1', row: 1, modelName: 'clf' }]);
    expect((await queues.getQueue('clf')).counts).toMatchObject({ open: 0, labelledElsewhere: 2 });
  });
});

describe('items', () => {
  it('carry their row of each input, leaving out what passes the byte limit', async () => {
    const { queues } = await open({ maxInputBytes: 64 });
    await queues.putQueue(queue());
    const record = classPrediction('r1', [probs(0.9), probs(0.9), probs(0.9)]);
    await queues.predictionsStored([
      { record, inputs: [rowsInput('small', 3, 4), rowsInput('wide', 3, 32)] },
    ]);
    const { items } = await queues.listItems('clf');
    const item = items.find((i) => i.row === 2);
    expect(item?.inputsTruncated).toBe(true);
    expect(item?.inputs.map((input) => [input.name, input.datatype, input.shape])).toEqual([
      ['small', 'FP32', [1, 4]],
    ]);
    expect(Array.from(new Float32Array(new Uint8Array(item?.inputs[0]?.raw ?? []).buffer))).toEqual([
      2000, 2001, 2002, 2003,
    ]);
    expect(item?.prediction).toEqual({ classes: [...CLASSES], label: 'cat', probabilities: probs(0.9) });
  });

  it('pages through a queue in order, even when items leave between pages', async () => {
    const { queues } = await open();
    await queues.putQueue(queue({ policy: 'least_confident' }));
    const rows = Array.from({ length: 7 }, (_, i) => probs(0.4 + i * 0.05));
    await queues.predictionsStored([{ record: classPrediction('r1', rows), inputs: [] }]);
    const first = await queues.listItems('clf', { pageSize: 3 });
    expect(first.items.map((item) => item.row)).toEqual([0, 1, 2]);
    await queues.feedbackStored([{ requestId: 'r1', row: 2, modelName: '' }]);
    const second = await queues.listItems('clf', { pageSize: 3, pageToken: first.nextPageToken });
    expect(second.items.map((item) => item.row)).toEqual([3, 4, 5]);
    const third = await queues.listItems('clf', { pageSize: 3, pageToken: second.nextPageToken });
    expect(third.items.map((item) => item.row)).toEqual([6]);
    expect(third.nextPageToken).toBe('');
    await expect(queues.listItems('clf', { pageToken: 'garbage' })).rejects.toThrow(InvalidArgumentError);
    await expect(queues.listItems('clf', { pageSize: 1001 })).rejects.toThrow(
      new InvalidArgumentError('page_size: must be at most 1000, got 1001'),
    );
  });
});

describe('persistence', () => {
  it('a reopened store keeps the queues, their items, leases, answers and counts', async () => {
    let h = await open();
    await h.queues.putQueue(queue({ policy: 'least_confident', capacity: 3 }));
    await h.queues.predictionsStored([
      {
        record: classPrediction('r1', [probs(0.5), probs(0.6), probs(0.7), probs(0.4)]),
        inputs: [rowsInput('x', 4, 2)],
      },
    ]);
    await h.queues.leaseItems('clf', { annotator: 'alice' });
    await h.queues.answerItem('clf', 'r1/0', '', { kind: 'truth', truth: { kind: 'label', label: 'cat' } });
    const before = await h.queues.listItems('clf', { states: ['open', 'leased', 'answered'] });
    const countsBefore = (await h.queues.getQueue('clf')).counts;
    h = await h.reopen();
    harness = h;
    const after = await h.queues.listItems('clf', { states: ['open', 'leased', 'answered'] });
    expect(after).toEqual(before);
    expect((await h.queues.getQueue('clf')).counts).toEqual(countsBefore);
    expect(countsBefore).toMatchObject({ open: 1, leased: 1, answered: 1, dropped: 1 });
    const [stored] = (await h.store.listDocuments('annotation-items')).documents;
    await h.queues.deleteQueue('clf');
    // An item whose queue is gone (as after a crash between a queue's deletes) is removed at open.
    const orphan = { ...JSON.parse(stored?.json ?? '{}'), modelName: 'gone' };
    await h.store.putDocument('annotation-items', 'orphan', JSON.stringify(orphan));
    h = await h.reopen();
    harness = h;
    await expect(h.queues.getQueue('clf')).rejects.toThrow(NotFoundError);
    expect((await h.store.listDocuments('annotation-items')).documents).toEqual([]);
  });

  it('a queue deleted while a hook awaited its write is not written back', async () => {
    const h = await open();
    await h.queues.putQueue(queue({ modelName: 'a' }));
    await h.queues.putQueue(queue({ modelName: 'b' }));
    const record = (modelName: string) => classPrediction('r1', [probs(0.9)], { modelName });
    const hook = h.queues.predictionsStored([
      { record: record('a'), inputs: [] },
      { record: record('b'), inputs: [] },
    ]);
    const deleting = h.queues.deleteQueue('b');
    await Promise.all([hook, deleting]);
    harness = await h.reopen();
    await expect(harness.queues.getQueue('b')).rejects.toThrow(NotFoundError);
    expect((await harness.queues.getQueue('a')).counts.open).toBe(1);
  });

  it('opens with documents it cannot read left alone and counted', async () => {
    const h = await open();
    await h.queues.putQueue(queue());
    await h.store.putDocument('annotation-queues', 'broken', '{"not":"a queue"}');
    await h.store.putDocument('annotation-items', 'broken', '{"inputs": 5}');
    harness = await h.reopen();
    expect(harness.queues.unreadableDocuments).toBe(2);
    expect((await harness.queues.getQueue('clf')).settings.modelName).toBe('clf');
    expect(await harness.store.getDocument('annotation-items', 'broken')).toBe('{"inputs": 5}');
  });
});
