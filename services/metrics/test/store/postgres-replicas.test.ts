/**
 * Two replicas (two stores, two pools) on one PostgreSQL database: one records predictions
 * while the other records the feedback for the same requests, all at once, many calls in
 * flight. Without serialisation per request id each side could miss the other's uncommitted
 * row and the join would be lost (feedback left pending, no pair); with it every row joins.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { PostgresMetricsStore } from '../../src/store/postgres/postgres-metrics-store.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { feedback, label, prediction } from '../helpers/records.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

const REQUESTS = 300;
/** Requests per call: small calls, so many transactions race. */
const PER_CALL = 3;

it('joins every row when two replicas write predictions and feedback of the same requests at once', async () => {
  const connectionString = await postgres.createDatabase();
  const replicas: MetricsStore[] = [];
  try {
    replicas.push(await PostgresMetricsStore.open({ connectionString, poolSize: 8 }));
    replicas.push(await PostgresMetricsStore.open({ connectionString, poolSize: 8 }));
    const [first, second] = replicas as [MetricsStore, MetricsStore];
    const calls: Promise<unknown>[] = [];
    for (let start = 0; start < REQUESTS; start += PER_CALL) {
      const ids = Array.from({ length: PER_CALL }, (_, k) => start + k);
      calls.push(
        first.recordPredictions(
          ids.flatMap((i) => [
            prediction(`live${i}`, `r${i}`, { timeMs: 1_000 + i }),
            prediction(`shadow${i}`, `r${i}`, { modelName: 'iris-shadow', timeMs: 1_000 + i }),
          ]),
          5_000,
        ),
        second.recordFeedback(
          ids.flatMap((i) => [
            feedback(`r${i}`, label('setosa')),
            feedback(`r${i}`, label('versicolor'), { modelName: 'iris-shadow' }),
          ]),
          5_000,
        ),
      );
    }
    await Promise.all(calls);
    const all = { fromMs: 0, toMs: 10_000 };
    expect(await first.counts({ modelName: 'iris', ...all })).toMatchObject({
      predictedRows: REQUESTS,
      joinedRows: REQUESTS,
    });
    expect(await second.counts({ modelName: 'iris-shadow', ...all })).toMatchObject({
      predictedRows: REQUESTS,
      joinedRows: REQUESTS,
    });
    const shadow = await second.joinedPairs({ modelName: 'iris-shadow', ...all, pageSize: REQUESTS });
    expect(shadow.pairs.every((p) => p.truth.kind === 'label' && p.truth.label === 'versicolor')).toBe(true);
    expect(await first.pendingCount()).toBe(0);
  } finally {
    for (const replica of replicas) await replica.close();
  }
});
