/**
 * The PostgreSQL schema, as migrations (entry i takes version i to i + 1), the same tables
 * and indexes as SQLite's. Columns that order pages use the "C" collation, so pages come in
 * the same (byte) order as in SQLite whatever the server's locale.
 */
import type pg from 'pg';
import { CURRENT_SCHEMA_VERSION, refuseNewerSchema } from '../schema-version.js';

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE predictions (
    event_id TEXT COLLATE "C" PRIMARY KEY,
    request_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    node TEXT NOT NULL,
    graph TEXT NOT NULL,
    output_name TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    latency_ms DOUBLE PRECISION,
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
    observed_ms BIGINT NOT NULL,
    received_ms BIGINT NOT NULL,
    joined SMALLINT NOT NULL,
    PRIMARY KEY (request_id, model_name, row)
  );
  CREATE INDEX feedback_pending ON feedback (joined, received_ms);
  CREATE INDEX feedback_by_model_received ON feedback (model_name, received_ms);
  CREATE INDEX feedback_by_received ON feedback (received_ms);

  CREATE TABLE pairs (
    event_id TEXT COLLATE "C" NOT NULL,
    row INTEGER NOT NULL,
    request_id TEXT NOT NULL,
    model_name TEXT NOT NULL,
    model_version TEXT NOT NULL,
    node TEXT NOT NULL,
    prediction_ms BIGINT NOT NULL,
    joined_ms BIGINT NOT NULL,
    task TEXT NOT NULL,
    classes TEXT NOT NULL,
    prediction TEXT NOT NULL,
    truth TEXT NOT NULL,
    feedback_model TEXT NOT NULL,
    PRIMARY KEY (event_id, row)
  );
  CREATE INDEX pairs_by_request ON pairs (request_id);
  CREATE INDEX pairs_by_series_time ON pairs (model_name, prediction_ms, event_id, row);
  CREATE INDEX pairs_by_time ON pairs (prediction_ms);

  CREATE TABLE expired_feedback (model_name TEXT PRIMARY KEY, count BIGINT NOT NULL);

  CREATE TABLE summaries (
    series_key TEXT COLLATE "C" NOT NULL,
    bucket_start_ms BIGINT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (series_key, bucket_start_ms)
  );
  CREATE INDEX summaries_by_time ON summaries (bucket_start_ms);

  CREATE TABLE documents (
    collection TEXT NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (collection, id)
  );
  `,
];

if (MIGRATIONS.length !== CURRENT_SCHEMA_VERSION)
  throw new Error('one PostgreSQL migration per schema version');

/** Serialises replicas migrating the same database at once. */
const MIGRATION_LOCK_KEY = 0x5349_4d45; // "SIME": any constant shared by every replica

/** Creates or migrates the schema in one transaction; refuses a newer one. */
export async function migratePostgres(client: pg.PoolClient, where: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const found = rows[0]?.version ?? 0;
    refuseNewerSchema(found, where);
    for (let version = found; version < CURRENT_SCHEMA_VERSION; version++)
      await client.query(MIGRATIONS[version]!);
    if (rows.length === 0)
      await client.query('INSERT INTO schema_version (version) VALUES ($1)', [CURRENT_SCHEMA_VERSION]);
    else await client.query('UPDATE schema_version SET version = $1', [CURRENT_SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
