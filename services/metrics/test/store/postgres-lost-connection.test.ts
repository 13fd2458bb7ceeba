/**
 * PostgreSQL ends a connection the store has checked out (an administrator's
 * pg_terminate_backend, a failover, a crash mid-transaction). pg then emits 'error' on that
 * client as well as failing its query, and the pool listens only to idle clients: without a
 * listener of the store's own the 'error' goes unheard and ends the process. The store's call
 * must instead answer UNAVAILABLE and the next one work on a fresh connection.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PostgresMetricsStore } from '../../src/store/postgres/postgres-metrics-store.js';
import { startTestPostgres, type TestPostgres } from '../../src/testing/index.js';
import { prediction } from '../helpers/records.js';

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startTestPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

/** Polls `check` every 20 ms, at most `tries` times, until it answers a value. */
async function waitFor<T>(check: () => Promise<T | undefined>, tries = 500): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('waitFor: gave up');
}

it('answers UNAVAILABLE when PostgreSQL ends a connection in the middle of a transaction, then serves again', async () => {
  const connectionString = await postgres.createDatabase();
  const store = await PostgresMetricsStore.open({ connectionString, poolSize: 2 });
  const admin = new pg.Client({ connectionString });
  await admin.connect();
  try {
    // Hold the request id's lock, so the store's transaction waits inside, its client checked out.
    await admin.query('BEGIN');
    await admin.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', ['r1']);
    const call = store.recordPredictions([prediction('e1', 'r1')], 5_000);
    const outcome = call.then(
      () => 'stored',
      (error: { code?: string }) => error.code,
    );
    const waiting = await waitFor(async () => {
      const rows = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
      );
      return rows.rows[0]?.pid;
    });
    await admin.query('SELECT pg_terminate_backend($1)', [waiting]);
    await admin.query('COMMIT');

    expect(await outcome).toBe('UNAVAILABLE');
    const again = await store.recordPredictions([prediction('e1', 'r1')], 5_000);
    expect(again).toMatchObject({ recorded: 1, duplicates: 0 });
  } finally {
    await admin.end();
    await store.close();
  }
});
