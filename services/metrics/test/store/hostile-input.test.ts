/**
 * Hostile input against both backends: each bad item is one ItemRejection naming its field
 * (never a database error failing the call), ids that PostgreSQL would mangle are refused,
 * the limits hold, and feedback that can never count is reported as such instead of expiring.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { feedback, label, prediction } from '../helpers/records.js';
import { BACKENDS, newStoreLocation, type StoreLocation } from '../helpers/store-backends.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const NOW = 10_000;
/** Two different ids that pg would both send as "r\uFFFD" were they accepted. */
const LONE_HIGH = 'r\uD800';
const LONE_LOW = 'r\uDC00';

/** The `classes` column of every stored pair, read straight from the database. */
async function storedPairClasses(location: StoreLocation, backend: string): Promise<string[]> {
  if (backend === 'sqlite') {
    const db = new Database(location.address, { readonly: true });
    try {
      return db.prepare('SELECT classes FROM pairs').pluck().all() as string[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: location.address });
  await client.connect();
  try {
    return (await client.query<{ classes: string }>('SELECT classes FROM pairs')).rows.map((r) => r.classes);
  } finally {
    await client.end();
  }
}

describe.each(BACKENDS)('hostile input on %s', (backend) => {
  let location: StoreLocation;
  let store: MetricsStore;
  const open = async (limits?: Parameters<StoreLocation['open']>[0]) => {
    location = await newStoreLocation(backend, () => postgres);
    store = await location.open(limits);
    return store;
  };
  afterEach(async () => {
    await store?.close();
    await location?.cleanup();
  });

  it('refuses ids with lone surrogates or NUL alone, naming the field, and stores the rest', async () => {
    await open();
    const result = await store.recordPredictions(
      [
        prediction('e1', LONE_HIGH),
        prediction('e2', LONE_LOW),
        prediction('e\uDC00', 'r3'),
        prediction('e4', 'r4', { modelName: 'iris\uD83D' }),
        prediction('e5', 'r\u0000'),
        prediction('e6', 'r6'),
        prediction('e7', 'r\uD83D\uDE00'), // a well-formed pair (an emoji) is fine
      ],
      NOW,
    );
    expect(result.statuses).toEqual([
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'recorded',
      'recorded',
    ]);
    expect(result.rejected.map((r) => [r.index, r.field])).toEqual([
      [0, 'requestId'],
      [1, 'requestId'],
      [2, 'eventId'],
      [3, 'modelName'],
      [4, 'requestId'],
    ]);
    expect(result.rejected[0]!.message).toContain('well-formed');
    const fed = await store.recordFeedback(
      [
        feedback(LONE_LOW, label('a')),
        feedback('r\u0000', label('a')),
        feedback('r\uD83D\uDE00', label('setosa')),
      ],
      NOW,
    );
    expect(fed.outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'joined']);
    expect(fed.rejected.map((r) => r.field)).toEqual(['requestId', 'requestId']);
    expect(await store.pendingCount()).toBe(0);
  });

  it('refuses non-finite numbers, probabilities outside [0, 1] and rows past 2^31 alone', async () => {
    await open();
    const rows = (probabilities: number[]) => [{ row: 0, label: 'setosa', probabilities }];
    const result = await store.recordPredictions(
      [
        prediction('e1', 'r1', { rows: rows([Number.NaN, 0.5, 0.5]) } as never),
        prediction('e2', 'r2', { rows: rows([1.5, 0, 0]) } as never),
        prediction('e3', 'r3', { latencyMs: Number.NaN }),
        prediction('e4', 'r4', { latencyMs: '12' as never }),
        prediction('e5', 'r5', { rows: [{ row: 2 ** 31, label: 'setosa' }] } as never),
        prediction('e6', 'r6', {
          task: 'regression',
          classes: [],
          rows: [{ row: 0, values: [Infinity] }],
        } as never),
        prediction('e7', 'r7', { latencyMs: 3.5 }),
      ],
      NOW,
    );
    expect(result.rejected.map((r) => r.field)).toEqual([
      'rows[0].probabilities[0]',
      'rows[0].probabilities[0]',
      'latencyMs',
      'latencyMs',
      'rows[0].row',
      'rows[0].values[0]',
    ]);
    expect(result.recorded).toBe(1);
    const fed = await store.recordFeedback(
      [
        feedback('r7', label('a'), { row: 2 ** 31 }),
        feedback('r7', { kind: 'value', values: [Number.NaN] }),
        feedback('r7', { kind: 'reward', reward: Infinity }),
        feedback('r7', label('setosa')),
      ],
      NOW,
    );
    expect(fed.rejected.map((r) => r.field)).toEqual(['row', 'truth.values[0]', 'truth.reward']);
    expect(fed.outcomes[3]!.status).toBe('joined');
  });

  it('holds classes, labels, segment values and values to their limits', async () => {
    await open({
      maxClasses: 3,
      maxLabelLength: 10,
      maxSegmentValueLength: 4,
      maxSegmentsPerRow: 1,
      maxValuesPerRow: 2,
    });
    const result = await store.recordPredictions(
      [
        prediction('e1', 'r1', { classes: ['a', 'b', 'c', 'd'] }),
        prediction('e2', 'r2', { classes: ['a', 'b', 'longer than 10'] }),
        prediction('e3', 'r3', {
          rows: [{ row: 0, label: 'setosa', segments: { country: 'france' } }],
        } as never),
        prediction('e4', 'r4', {
          rows: [{ row: 0, label: 'setosa', segments: { a: 'x', b: 'y' } }],
        } as never),
        prediction('e5', 'r5', {
          task: 'regression',
          classes: [],
          rows: [{ row: 0, values: [1, 2, 3] }],
        } as never),
        prediction('e6', 'r6', {
          classes: ['a', 'b', 'c'],
          rows: [{ row: 0, label: 'a', segments: { c: 'fr' } }],
        } as never),
      ],
      NOW,
    );
    expect(result.rejected.map((r) => [r.field, r.message])).toEqual([
      ['classes', 'classes: must hold at most 3 labels, got an array of 4.'],
      ['classes[2]', 'classes[2]: must have at most 10 characters, got "longer than 10".'],
      ['rows[0].segments.country', 'rows[0].segments.country: must have at most 4 characters, got "france".'],
      ['rows[0].segments', 'rows[0].segments: must hold at most 1 segments, got an array of 2.'],
      ['rows[0].values', 'rows[0].values: must hold at most 2 values, got an array of 3.'],
    ]);
    expect(result.recorded).toBe(1);
    const fed = await store.recordFeedback(
      [feedback('r6', label('12345678901')), feedback('r6', { kind: 'value', values: [1, 2, 3] })],
      NOW,
    );
    expect(fed.rejected.map((r) => r.field)).toEqual(['truth.label', 'truth.values']);
  });

  it("keeps a prediction's classes once, not once per pair, and still returns them with every pair", async () => {
    await open();
    const classes = Array.from({ length: 200 }, (_, i) => `class-${i}`);
    const rows = Array.from({ length: 50 }, (_, row) => ({ row, label: 'class-0' }));
    await store.recordPredictions([prediction('e1', 'r1', { classes, rows } as never)], NOW);
    const fed = await store.recordFeedback(
      rows.map(({ row }) => feedback('r1', label('class-1'), { row })),
      NOW,
    );
    expect(fed.outcomes.every((o) => o.pairs[0]?.classes.length === 200)).toBe(true);
    const page = await store.joinedPairs({ modelName: 'iris', fromMs: 0, toMs: NOW, pageSize: 20 });
    expect(page.pairs.map((p) => p.classes)).toEqual(new Array(20).fill(classes));
    // Replacing a truth rebuilds the old pair from the store: its classes come back too.
    const replaced = await store.recordFeedback([feedback('r1', label('class-2'), { row: 3 })], NOW);
    expect(replaced.outcomes[0]!.replaced[0]!.before.classes).toEqual(classes);
    expect(await storedPairClasses(location, backend)).toEqual(new Array(50).fill(''));
  });

  it('bounds the predictions of one request id, across calls and within one', async () => {
    await open({ maxPredictionsPerRequest: 3 });
    const first = await store.recordPredictions([prediction('e1', 'r1'), prediction('e2', 'r1')], NOW);
    expect(first.statuses).toEqual(['recorded', 'recorded']);
    const second = await store.recordPredictions(
      [prediction('e3', 'r1'), prediction('e4', 'r1'), prediction('e1', 'r1'), prediction('e5', 'r2')],
      NOW,
    );
    // The redelivered e1 is still a duplicate, not refused: it adds nothing.
    expect(second.statuses).toEqual(['recorded', 'rejected', 'duplicate', 'recorded']);
    expect(second.rejected).toEqual([
      {
        index: 1,
        field: 'requestId',
        message:
          'requestId: at most 3 predictions may share a request id (a model, its shadows and retries), "r1" has 3 already.',
      },
    ]);
    const fed = await store.recordFeedback([feedback('r1', label('setosa'))], NOW);
    expect(fed.outcomes[0]!.pairs).toHaveLength(3);
  });

  it('reports unnamed feedback a named one outranks as outranked, and never expires it', async () => {
    await open();
    await store.recordPredictions([prediction('e1', 'r1')], NOW);
    const named = await store.recordFeedback([feedback('r1', label('setosa'), { modelName: 'iris' })], NOW);
    expect(named.outcomes[0]!.status).toBe('joined');
    const unnamed = await store.recordFeedback([feedback('r1', label('virginica'))], NOW);
    expect(unnamed.outcomes[0]).toEqual({ status: 'outranked', pairs: [], replaced: [] });
    expect(await store.pendingCount()).toBe(0);
    const expiry = await store.expirePending(NOW + 1_000_000, 1_000);
    expect(expiry.expired).toBe(0);
    // It still judges a later shadow prediction of the request that nothing named judges.
    const shadow = await store.recordPredictions([prediction('e2', 'r1', { modelName: 'iris-shadow' })], NOW);
    expect(shadow.pairs.map((p) => p.truth)).toEqual([label('virginica')]);
  });

  it('refuses document reads with bad arguments, naming the field, instead of a database error', async () => {
    await open();
    await store.putDocument('rules', 'a', '{}');
    await expect(store.getDocument('rules', 'a\u0000')).rejects.toThrow('id: must be well-formed text');
    await expect(store.getDocument('', 'a')).rejects.toThrow('collection: must be a non-empty string');
    await expect(store.deleteDocument('rules', 'x'.repeat(257))).rejects.toThrow('id: must have at most 256');
    await expect(store.listDocuments('rules', { after: '\uD800' })).rejects.toThrow(
      'after: must be well-formed',
    );
    await expect(store.putDocument('rules', 'b\uDC00', '{}')).rejects.toThrow('id: must be well-formed');
    expect((await store.listDocuments('rules')).documents.map((d) => d.id)).toEqual(['a']);
  });

  it('refuses feedback received in the future and a time-to-live that is not positive', async () => {
    await open({ maxClockSkewMs: 1_000 });
    const fed = await store.recordFeedback(
      [
        feedback('r1', label('a'), { receivedMs: NOW + 1_001 }),
        feedback('r2', label('a'), { receivedMs: NOW + 1_000 }),
      ],
      NOW,
    );
    expect(fed.outcomes.map((o) => o.status)).toEqual(['rejected', 'pending']);
    expect(fed.rejected[0]!.message).toBe(
      'receivedMs: must not be more than 1000 ms after now (10000), got 11001.',
    );
    await expect(store.expirePending(NOW, -1)).rejects.toThrow('ttlMs: must be a positive integer');
    await expect(store.expirePending(NOW, 0)).rejects.toThrow('ttlMs: must be a positive integer');
    expect(await store.pendingCount()).toBe(1);
  });
});
