/**
 * SQLite's raw disk-full and corruption errors reach callers as errors naming the store file,
 * and retention still frees space when the database cannot grow. The full disk is simulated
 * with `PRAGMA max_page_count` on the store's own connection (the file cannot grow past it:
 * SQLite raises the same SQLITE_FULL as on a full disk).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ResourceExhaustedError, UnavailableError } from '@sightline/errors';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { mapSqliteError } from '../../src/store/sqlite/sqlite-errors.js';
import { SqliteMetricsStore } from '../../src/store/sqlite/sqlite-metrics-store.js';
import { prediction } from '../helpers/records.js';

let dir: string | undefined;
let store: SqliteMetricsStore | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  store = undefined;
  dir = undefined;
});

/** The store's connection, reached into only to cap the file's size. */
const connectionOf = (s: SqliteMetricsStore) => (s as unknown as { db: Database.Database }).db;

const batch = (from: number, count: number, timeMs: number) =>
  Array.from({ length: count }, (_, i) =>
    prediction(`e${from + i}`, `r${from + i}`, { timeMs, rowCount: 50 }),
  );

describe('SqliteMetricsStore on a full disk', () => {
  it('refuses writes with RESOURCE_EXHAUSTED naming the file, and retention frees space', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sightline-metrics-full-'));
    const file = path.join(dir, 'metrics.sqlite');
    store = await SqliteMetricsStore.open({ file });
    await store.recordPredictions(batch(0, 200, 1_000), 5_000);
    const db = connectionOf(store);
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true }))}`);
    const full = await store.recordPredictions(batch(1_000, 200, 2_000), 5_000).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(ResourceExhaustedError);
    expect((full as Error).message).toContain(
      `metrics store "${file}": the disk of the data directory is full`,
    );
    // Nothing of the refused call was stored; retention removes the old predictions...
    const removed = await store.deleteBefore(1_500);
    expect(removed.predictions).toBe(200);
    // ...and their pages take the new ones.
    const after = await store.recordPredictions(batch(1_000, 100, 2_000), 5_000);
    expect(after.recorded).toBe(100);
  });
});

describe('mapSqliteError', () => {
  it('maps a damaged file and I/O failures to UNAVAILABLE naming the file, and passes the rest', () => {
    const corrupt = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    const mapped = mapSqliteError('/data/metrics.sqlite', corrupt);
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect((mapped as Error).message).toContain(
      'metrics store "/data/metrics.sqlite": the database file is damaged',
    );
    const io = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
    expect(mapSqliteError('/data/metrics.sqlite', io)).toBeInstanceOf(UnavailableError);
    const other = Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT' });
    expect(mapSqliteError('/data/metrics.sqlite', other)).toBe(other);
  });
});
