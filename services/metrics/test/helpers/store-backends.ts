/**
 * Both MetricsStore backends behind one test harness, so one suite runs against each: SQLite
 * in a temp directory, PostgreSQL as a fresh database on the file's test server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { PostgresMetricsStore } from '../../src/store/postgres/postgres-metrics-store.js';
import { SqliteMetricsStore } from '../../src/store/sqlite/sqlite-metrics-store.js';
import type { StoreLimits } from '../../src/store/store-limits.js';
import type { TestPostgres } from './postgres.js';

export type BackendName = 'sqlite' | 'postgres';
export const BACKENDS: readonly BackendName[] = ['sqlite', 'postgres'];

/** One empty store location: open it (again), tamper with it, clean it up. */
export interface StoreLocation {
  open(limits?: Partial<StoreLimits>): Promise<MetricsStore>;
  /** Writes the schema version straight into the database, as a newer build would. */
  setSchemaVersion(version: number): Promise<void>;
  /** Where a child process opens the same store: a file path or a connection string. */
  readonly address: string;
  cleanup(): Promise<void>;
}

export async function newStoreLocation(
  backend: BackendName,
  postgres: () => TestPostgres,
): Promise<StoreLocation> {
  if (backend === 'sqlite') {
    const dir = await mkdtemp(path.join(tmpdir(), 'sightline-metrics-store-'));
    const file = path.join(dir, 'metrics.sqlite');
    return {
      address: file,
      // The join-mechanics suites send arbitrary truths: the refutation rule has its own test.
      open: (limits) => SqliteMetricsStore.open({ file, refuteTruths: false, ...(limits ? { limits } : {}) }),
      async setSchemaVersion(version) {
        const db = new Database(file);
        db.prepare('UPDATE schema_version SET version = ?').run(version);
        db.close();
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  }
  const connectionString = await postgres().createDatabase();
  return {
    address: connectionString,
    open: (limits) =>
      PostgresMetricsStore.open({ connectionString, refuteTruths: false, ...(limits ? { limits } : {}) }),
    async setSchemaVersion(version) {
      const client = new pg.Client({ connectionString });
      await client.connect();
      await client.query('UPDATE schema_version SET version = $1', [version]);
      await client.end();
    },
    cleanup: async () => {},
  };
}
