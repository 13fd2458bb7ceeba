/**
 * The SQLite schema, as migrations: entry i takes a store from version i to i + 1. Indexes
 * follow the two hot paths: the join (by request id) and the window query (series, then
 * prediction time, then the page order), plus the time columns retention and expiry scan.
 * Pairs are stored clustered in window-query order (a WITHOUT ROWID table keyed by series and
 * time), so reading a window is one range scan instead of a table lookup per pair.
 */
import type Database from 'better-sqlite3';
import { CURRENT_SCHEMA_VERSION, refuseNewerSchema } from '../schema-version.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE predictions (
    event_id TEXT PRIMARY KEY,
    request_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    node TEXT NOT NULL,
    graph TEXT NOT NULL,
    output_name TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    latency_ms REAL,
    task TEXT NOT NULL,
    classes TEXT NOT NULL,
    rows TEXT NOT NULL,
    row_count INTEGER NOT NULL
  );
  CREATE INDEX predictions_by_request ON predictions (request_id);
  CREATE INDEX predictions_by_series_time ON predictions (model_name, time_ms);
  CREATE INDEX predictions_by_time ON predictions (time_ms);

  CREATE TABLE feedback (
    request_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    row INTEGER NOT NULL,
    truth TEXT NOT NULL,
    observed_ms INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    joined INTEGER NOT NULL,
    PRIMARY KEY (request_id, model_name, row)
  ) WITHOUT ROWID;
  CREATE INDEX feedback_pending ON feedback (joined, received_ms);
  CREATE INDEX feedback_by_model_received ON feedback (model_name, received_ms);
  CREATE INDEX feedback_by_received ON feedback (received_ms);

  CREATE TABLE pairs (
    event_id TEXT NOT NULL,
    row INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    node TEXT NOT NULL,
    prediction_ms INTEGER NOT NULL,
    joined_ms INTEGER NOT NULL,
    task TEXT NOT NULL,
    classes TEXT NOT NULL,
    prediction TEXT NOT NULL,
    truth TEXT NOT NULL,
    feedback_model TEXT NOT NULL,
    PRIMARY KEY (model_name, prediction_ms, event_id, row)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX pairs_by_event_row ON pairs (event_id, row);
  CREATE INDEX pairs_by_request ON pairs (request_id);
  CREATE INDEX pairs_by_time ON pairs (prediction_ms);

  CREATE TABLE expired_feedback (model_name TEXT PRIMARY KEY, count INTEGER NOT NULL) WITHOUT ROWID;

  CREATE TABLE summaries (
    series_key TEXT NOT NULL,
    bucket_start_ms INTEGER NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (series_key, bucket_start_ms)
  ) WITHOUT ROWID;
  CREATE INDEX summaries_by_time ON summaries (bucket_start_ms);

  CREATE TABLE documents (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (collection, id)
  ) WITHOUT ROWID;
  `,
];

if (MIGRATIONS.length !== CURRENT_SCHEMA_VERSION) throw new Error('one SQLite migration per schema version');

/** Creates or migrates the schema in one transaction; refuses a newer one. */
export function migrateSqlite(db: Database.Database, where: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  db.transaction(() => {
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    const found = row?.version ?? 0;
    refuseNewerSchema(found, where);
    for (let version = found; version < CURRENT_SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]!);
    if (row === undefined)
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(CURRENT_SCHEMA_VERSION);
    else db.prepare('UPDATE schema_version SET version = ?').run(CURRENT_SCHEMA_VERSION);
  }).immediate();
}
