/**
 * foldSummaries: read, fold and write buckets in one transaction. On both backends a fold sees
 * what is stored and a throwing fold writes nothing; on PostgreSQL two replicas folding deltas
 * into the same buckets at once lose none (row locks, and a retried insert race).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { PostgresMetricsStore } from '../../src/store/postgres/postgres-metrics-store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { BACKENDS, newStoreLocation } from '../helpers/store-backends.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const add = (n: number) => (stored: string | undefined) =>
  JSON.stringify({ n: (stored === undefined ? 0 : JSON.parse(stored).n) + n });

describe.each(BACKENDS)('foldSummaries on %s', (backend) => {
  it('folds into what is stored, and a failing fold writes nothing', async () => {
    const location = await newStoreLocation(backend, () => postgres);
    const store = await location.open();
    try {
      await store.foldSummaries([{ seriesKey: 'k', bucketStartMs: 0, fold: add(2) }]);
      await store.foldSummaries([
        { seriesKey: 'k', bucketStartMs: 0, fold: add(3) },
        { seriesKey: 'k', bucketStartMs: 60_000, fold: add(1) },
      ]);
      expect((await store.summaries('k', 0, 120_000)).map((r) => JSON.parse(r.summary).n)).toEqual([5, 1]);
      await expect(
        store.foldSummaries([
          { seriesKey: 'k', bucketStartMs: 0, fold: add(100) },
          {
            seriesKey: 'k',
            bucketStartMs: 60_000,
            fold: () => {
              throw new Error('bad delta');
            },
          },
        ]),
      ).rejects.toThrow('bad delta');
      expect((await store.summaries('k', 0, 120_000)).map((r) => JSON.parse(r.summary).n)).toEqual([5, 1]);
      await expect(store.foldSummaries([{ seriesKey: '', bucketStartMs: 0, fold: add(1) }])).rejects.toThrow(
        /folds\[0\]\.seriesKey: must be a non-empty string/,
      );
    } finally {
      await store.close();
      await location.cleanup();
    }
  });
});

it('loses no delta when two PostgreSQL replicas fold into the same new buckets at once', async () => {
  const connectionString = await postgres.createDatabase();
  const replicas: MetricsStore[] = [];
  try {
    replicas.push(await PostgresMetricsStore.open({ connectionString, poolSize: 4 }));
    replicas.push(await PostgresMetricsStore.open({ connectionString, poolSize: 4 }));
    const calls: Promise<void>[] = [];
    const BUCKETS = 5;
    const ROUNDS = 20;
    for (let round = 0; round < ROUNDS; round++) {
      for (const replica of replicas) {
        calls.push(
          replica.foldSummaries(
            Array.from({ length: BUCKETS }, (_, b) => ({
              seriesKey: 'shared',
              bucketStartMs: b * 60_000,
              fold: add(1),
            })),
          ),
        );
      }
    }
    await Promise.all(calls);
    const stored = await replicas[0]!.summaries('shared', 0, BUCKETS * 60_000);
    expect(stored.map((r) => JSON.parse(r.summary).n)).toEqual(Array(BUCKETS).fill(ROUNDS * 2));
  } finally {
    for (const replica of replicas) await replica.close();
  }
});
