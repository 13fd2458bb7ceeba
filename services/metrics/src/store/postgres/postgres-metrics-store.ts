/**
 * The shared store: PostgreSQL through a `pg` Pool, for several replicas on one database.
 * Every write call is one transaction. Calls touching the same request ids are serialised
 * across replicas by transaction-scoped advisory locks on the request ids, so the join rules
 * see a stable state; a deadlock or serialisation failure is retried a bounded number of times.
 * A resolved write is committed (the server's `synchronous_commit`, on by default, makes it
 * durable).
 */
import { FailedPreconditionError } from '@sightline/errors';
import pg from 'pg';
import type { FeedbackRecord, PredictionRecord } from '../../domain/records.js';
import type { PlannedWrites } from '../join-planner.js';
import type {
  DocumentPage,
  ExpiryResult,
  JoinedPairsPage,
  JoinedPairsQuery,
  MetricsStore,
  RecordFeedbackResult,
  RecordPredictionsResult,
  RetentionResult,
  SeriesCounts,
  SeriesRangeQuery,
  SummaryFold,
  SummaryRecord,
} from '../metrics-store.js';
import { decodePairCursor, encodePairCursor } from '../pair-cursor.js';
import {
  checkDocumentArgs,
  checkDocumentKey,
  checkDocumentList,
  checkJson,
  checkRange,
  checkSummaries,
  checkSummaryFolds,
  checkTime,
  checkTtl,
} from '../query-validation.js';

/** PostgreSQL's unique_violation. */
const UNIQUE_VIOLATION = '23505';

import { eventIdsWithoutClasses, pairFromStored } from '../record-codec.js';
import { planFeedback, planPredictions, prepareFeedback, preparePredictions } from '../store-calls.js';
import { pageSizeOf, resolveStoreLimits, type StoreLimits } from '../store-limits.js';
import {
  FEEDBACK_COLUMNS,
  type FeedbackColumns,
  feedbackFromColumns,
  feedbackToColumns,
  PAIR_COLUMNS,
  type PairColumns,
  PREDICTION_COLUMNS,
  type PredictionColumns,
  pairFromColumns,
  pairToColumns,
  predictionFromColumns,
  predictionToColumns,
  seriesConditions,
} from '../table-rows.js';
import { mapPostgresError } from './postgres-errors.js';
import { migratePostgres } from './postgres-schema.js';

export interface PostgresMetricsStoreOptions {
  /** e.g. `postgres://user@host:5432/metrics`. */
  readonly connectionString: string;
  /** Connections in the pool (default 4). */
  readonly poolSize?: number;
  /** Limits overriding DEFAULT_STORE_LIMITS. */
  readonly limits?: Partial<StoreLimits>;
  /**
   * Reject feedback its prediction refutes (a label outside the classes, a label for a
   * regression, values of another count), as the contract asks (default true). Off only in the
   * join-mechanics tests, whose truths are arbitrary.
   */
  readonly refuteTruths?: boolean;
  /** Attempts of a transaction that failed on a deadlock or serialisation conflict (default 3). */
  readonly maxTransactionAttempts?: number;
  /**
   * How long a call waits for a connection, in ms (default 5000): with the database down or
   * unreachable a call fails UNAVAILABLE after this instead of waiting for the caller's deadline.
   */
  readonly connectTimeoutMs?: number;
}

/** Default of `connectTimeoutMs` (--postgres-connect-timeout-ms). */
export const DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS = 5_000;

/** BIGINT (oid 20) columns hold milliseconds and counts, all below 2^53: read them as numbers. */
const INT8_OID = 20;
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** SQLSTATEs worth retrying: serialization_failure, deadlock_detected. */
const RETRYABLE_CODES = new Set(['40001', '40P01']);

/** The PostgreSQL array type of each column, for the unnest inserts. */
const COLUMN_TYPES: Record<string, string> = {
  time_ms: 'bigint',
  latency_ms: 'float8',
  row_count: 'int',
  row: 'int',
  observed_ms: 'bigint',
  received_ms: 'bigint',
  joined: 'smallint',
  prediction_ms: 'bigint',
  joined_ms: 'bigint',
};

/** `INSERT ... SELECT * FROM unnest($1::type[], ...)`: one statement for any number of rows. */
function unnestInsert(table: string, columns: readonly string[], conflict: string): string {
  const arrays = columns.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c] ?? 'text'}[]`).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}) SELECT * FROM unnest(${arrays}) ${conflict}`;
}

const upsertSet = (columns: readonly string[]) => columns.map((c) => `${c} = excluded.${c}`).join(', ');
const FEEDBACK_KEY = ['request_id', 'model_name', 'row'];

const SQL = {
  insertPredictions: unnestInsert('predictions', PREDICTION_COLUMNS, 'ON CONFLICT (event_id) DO NOTHING'),
  upsertFeedback: unnestInsert(
    'feedback',
    FEEDBACK_COLUMNS,
    `ON CONFLICT (${FEEDBACK_KEY.join(', ')}) DO UPDATE SET ${upsertSet(FEEDBACK_COLUMNS.filter((c) => !FEEDBACK_KEY.includes(c)))}`,
  ),
  upsertPairs: unnestInsert(
    'pairs',
    PAIR_COLUMNS,
    `ON CONFLICT (event_id, row) DO UPDATE SET ${upsertSet(PAIR_COLUMNS.filter((c) => c !== 'event_id' && c !== 'row'))}`,
  ),
  // Locks in hash order so two calls sharing request ids cannot deadlock (and are retried if they do).
  lockRequests: `SELECT pg_advisory_xact_lock(k) FROM
    (SELECT DISTINCT hashtextextended(r, 0) AS k FROM unnest($1::text[]) AS r ORDER BY k) AS keys`,
};

/** Columns of `rows` as one array per column, in `columns` order. */
function columnArrays<T extends object>(rows: readonly T[], columns: readonly string[]): unknown[][] {
  return columns.map((c) => rows.map((r) => (r as Record<string, unknown>)[c]));
}

/** `?` placeholders (shared condition builders) numbered for PostgreSQL from `$first`. */
function numbered(sql: string, first: number): string {
  let n = first;
  return sql.replace(/\?/g, () => `$${n++}`);
}

export class PostgresMetricsStore implements MetricsStore {
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    readonly limits: StoreLimits,
    private readonly maxAttempts: number,
    private readonly refuteTruths: boolean,
  ) {}

  /** Connects, creating or migrating the schema. */
  static async open(options: PostgresMetricsStoreOptions): Promise<PostgresMetricsStore> {
    const limits = resolveStoreLimits(options.limits);
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 4,
      types: TYPES,
      connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS,
      // Finds a connection to a server that vanished without a FIN (a dead host, a partition).
      keepAlive: true,
    });
    // An idle client's error (the server went away) must not crash the process; the next query reports it.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      const onLost = () => {};
      client.on('error', onLost);
      try {
        await migratePostgres(client, 'on PostgreSQL');
      } finally {
        client.off('error', onLost);
        client.release();
      }
    } catch (error) {
      await pool.end();
      throw mapPostgresError(error);
    }
    return new PostgresMetricsStore(
      pool,
      limits,
      options.maxTransactionAttempts ?? 3,
      options.refuteTruths ?? true,
    );
  }

  async recordPredictions(
    records: readonly PredictionRecord[],
    nowMs: number,
  ): Promise<RecordPredictionsResult> {
    this.checkOpen();
    checkTime('nowMs', nowMs);
    const call = preparePredictions(records, this.limits);
    return this.transaction(async (client) => {
      await client.query(SQL.lockRequests, [call.requestIds]);
      const eventIds = call.valid.map((v) => v.item.eventId);
      // One round trip: which event ids are stored, and how many predictions each request id holds.
      const stored = await client.query<{ kind: string; key: string; count: string }>(
        `SELECT 'event' AS kind, event_id AS key, 0::bigint AS count FROM predictions WHERE event_id = ANY($1::text[])
         UNION ALL
         SELECT 'request', request_id, COUNT(*) FROM predictions WHERE request_id = ANY($2::text[]) GROUP BY request_id`,
        [eventIds, call.requestIds],
      );
      const known = new Set(stored.rows.filter((r) => r.kind === 'event').map((r) => r.key));
      const counts = new Map(
        stored.rows.filter((r) => r.kind === 'request').map((r) => [r.key, Number(r.count)] as const),
      );
      const { result, writes } = planPredictions(
        call,
        {
          predictions: [],
          feedback: await this.loadFeedback(client, call.requestIds),
          pairs: [],
          knownEventIds: known,
          predictionCounts: counts,
        },
        nowMs,
        this.limits,
        this.refuteTruths,
      );
      await this.write(client, writes);
      return result;
    });
  }

  async recordFeedback(items: readonly FeedbackRecord[], nowMs: number): Promise<RecordFeedbackResult> {
    this.checkOpen();
    checkTime('nowMs', nowMs);
    const call = prepareFeedback(items, this.limits, nowMs);
    return this.transaction(async (client) => {
      await client.query(SQL.lockRequests, [call.requestIds]);
      const ids = [call.requestIds];
      const predictions = await client.query<PredictionColumns>(
        `SELECT ${PREDICTION_COLUMNS.join(', ')} FROM predictions WHERE request_id = ANY($1::text[])`,
        ids,
      );
      const pairs = await client.query<PairColumns>(
        `SELECT ${PAIR_COLUMNS.join(', ')} FROM pairs WHERE request_id = ANY($1::text[])`,
        ids,
      );
      const { result, writes } = planFeedback(
        call,
        {
          predictions: predictions.rows.map(predictionFromColumns),
          feedback: await this.loadFeedback(client, call.requestIds),
          pairs: pairs.rows.map(pairFromColumns),
          knownEventIds: new Set(),
        },
        nowMs,
        this.limits,
        this.refuteTruths,
      );
      await this.write(client, writes);
      return result;
    });
  }

  async expirePending(nowMs: number, ttlMs: number): Promise<ExpiryResult> {
    this.checkOpen();
    checkTime('nowMs', nowMs);
    checkTtl(ttlMs);
    const byModelName: Record<string, number> = {};
    let expired = 0;
    for (;;) {
      // One statement: the batch is deleted and counted atomically. SKIP LOCKED leaves feedback
      // a concurrent call is joining right now to that call.
      const { rows } = await this.query<{ model_name: string; n: number }>(
        `WITH gone AS (
           DELETE FROM feedback WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM feedback WHERE joined = 0 AND received_ms < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))
           RETURNING model_name),
         counted AS (SELECT model_name, count(*)::bigint AS n FROM gone GROUP BY model_name),
         added AS (
           INSERT INTO expired_feedback (model_name, count) SELECT model_name, n FROM counted
           ON CONFLICT (model_name) DO UPDATE SET count = expired_feedback.count + excluded.count)
         SELECT model_name, n FROM counted`,
        [nowMs - ttlMs, this.limits.retentionBatchSize],
      );
      let batch = 0;
      for (const r of rows) {
        byModelName[r.model_name] = (byModelName[r.model_name] ?? 0) + r.n;
        batch += r.n;
      }
      expired += batch;
      if (batch < this.limits.retentionBatchSize) break;
    }
    return { expired, byModelName };
  }

  async pendingCount(): Promise<number> {
    this.checkOpen();
    const { rows } = await this.query<{ n: number }>(
      'SELECT count(*)::bigint AS n FROM feedback WHERE joined = 0',
    );
    return rows[0]!.n;
  }

  async joinedPairs(query: JoinedPairsQuery): Promise<JoinedPairsPage> {
    this.checkOpen();
    checkRange(query, this.limits);
    const pageSize = pageSizeOf(query.pageSize, this.limits.maxPageSize, 'pageSize');
    const series = seriesConditions(query);
    const after = query.cursor === undefined ? undefined : decodePairCursor(query.cursor);
    const params: unknown[] = [query.modelName, query.fromMs, query.toMs, ...series.params];
    let sql = `SELECT ${PAIR_COLUMNS.join(', ')} FROM pairs
      WHERE model_name = $1 AND prediction_ms >= $2 AND prediction_ms < $3${numbered(series.sql, 4)}`;
    if (after) {
      const n = params.length;
      sql += ` AND (prediction_ms, event_id, row) > ($${n + 1}, $${n + 2}, $${n + 3})`;
      params.push(after.predictionMs, after.eventId, after.row);
    }
    sql += ` ORDER BY prediction_ms, event_id, row LIMIT $${params.length + 1}`;
    params.push(pageSize + 1);
    const { rows } = await this.query<PairColumns>(sql, params);
    const more = rows.length > pageSize;
    const page = (more ? rows.slice(0, pageSize) : rows).map(pairFromColumns);
    const last = page[page.length - 1];
    const classesCache = new Map<string, readonly string[]>();
    const without = eventIdsWithoutClasses(page);
    const predictionClasses = new Map<string, string>();
    if (without.length > 0) {
      const found = await this.query<{ event_id: string; classes: string }>(
        'SELECT event_id, classes FROM predictions WHERE event_id = ANY($1::text[])',
        [without],
      );
      for (const r of found.rows) predictionClasses.set(r.event_id, r.classes);
    }
    return {
      pairs: page.map((pair) => pairFromStored(pair, classesCache, predictionClasses)),
      ...(more && last ? { next: encodePairCursor(last) } : {}),
    };
  }

  async counts(query: SeriesRangeQuery): Promise<SeriesCounts> {
    this.checkOpen();
    checkRange(query, this.limits);
    const series = seriesConditions(query);
    const range = [query.modelName, query.fromMs, query.toMs];
    const { rows } = await this.query<{
      predicted: number;
      joined: number;
      received: number;
      pending: number;
      expired: number;
    }>(
      `SELECT
         (SELECT COALESCE(SUM(row_count), 0)::bigint FROM predictions
            WHERE model_name = $1 AND time_ms >= $2 AND time_ms < $3${numbered(series.sql, 4)}) AS predicted,
         (SELECT count(*)::bigint FROM pairs
            WHERE model_name = $1 AND prediction_ms >= $2 AND prediction_ms < $3${numbered(series.sql, 4)}) AS joined,
         (SELECT count(*)::bigint FROM feedback
            WHERE model_name = $1 AND received_ms >= $2 AND received_ms < $3) AS received,
         (SELECT count(*)::bigint FROM feedback WHERE model_name = $1 AND joined = 0) AS pending,
         (SELECT COALESCE(SUM(count), 0)::bigint FROM expired_feedback WHERE model_name = $1) AS expired`,
      [...range, ...series.params],
    );
    const r = rows[0]!;
    return {
      predictedRows: r.predicted,
      joinedRows: r.joined,
      rowsWithoutFeedback: r.predicted - r.joined,
      feedbackRows: r.received,
      pending: r.pending,
      expired: r.expired,
    };
  }

  async unnamedFeedbackCounts(): Promise<{ pending: number; expired: number }> {
    this.checkOpen();
    const { rows } = await this.query<{ pending: number; expired: number }>(
      `SELECT
         (SELECT count(*)::bigint FROM feedback WHERE model_name = '' AND joined = 0) AS pending,
         (SELECT COALESCE(SUM(count), 0)::bigint FROM expired_feedback WHERE model_name = '') AS expired`,
    );
    return { pending: rows[0]!.pending, expired: rows[0]!.expired };
  }

  async putSummaries(records: readonly SummaryRecord[]): Promise<void> {
    this.checkOpen();
    checkSummaries(records, this.limits);
    if (records.length === 0) return;
    // The last of two records for one bucket wins, as in SQLite (one statement cannot upsert a key twice).
    const latest = new Map(records.map((r) => [`${r.seriesKey}\u0000${r.bucketStartMs}`, r]));
    const unique = [...latest.values()];
    await this.query(
      `INSERT INTO summaries (series_key, bucket_start_ms, summary)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
       ON CONFLICT (series_key, bucket_start_ms) DO UPDATE SET summary = excluded.summary`,
      [unique.map((r) => r.seriesKey), unique.map((r) => r.bucketStartMs), unique.map((r) => r.summary)],
    );
  }

  async foldSummaries(folds: readonly SummaryFold[]): Promise<void> {
    this.checkOpen();
    checkSummaryFolds(folds, this.limits);
    if (folds.length === 0) return;
    // Two replicas inserting the same new bucket: the second insert fails on the key once the
    // first commits; the fold is a pure function of the stored summary, so it is run again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.foldOnce(folds);
        return;
      } catch (error) {
        if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION || attempt >= this.maxAttempts)
          throw error;
      }
    }
  }

  private async foldOnce(folds: readonly SummaryFold[]): Promise<void> {
    await this.transaction(async (client) => {
      // Locked in key order, so two replicas folding overlapping buckets cannot deadlock.
      const ordered = [...folds.entries()].sort(([, a], [, b]) =>
        a.seriesKey < b.seriesKey ? -1 : a.seriesKey > b.seriesKey ? 1 : a.bucketStartMs - b.bucketStartMs,
      );
      for (const [i, f] of ordered) {
        // A row that does not exist yet cannot be locked: a concurrent insert of it is retried above.
        const { rows } = await client.query<{ summary: string }>(
          'SELECT summary FROM summaries WHERE series_key = $1 AND bucket_start_ms = $2 FOR UPDATE',
          [f.seriesKey, f.bucketStartMs],
        );
        const summary = f.fold(rows[0]?.summary);
        checkJson(`folds[${i}].summary`, summary, this.limits.maxJsonLength);
        await client.query(
          rows.length === 0
            ? `INSERT INTO summaries (series_key, bucket_start_ms, summary) VALUES ($1, $2, $3)`
            : 'UPDATE summaries SET summary = $3 WHERE series_key = $1 AND bucket_start_ms = $2',
          [f.seriesKey, f.bucketStartMs, summary],
        );
      }
    });
  }

  async summaries(seriesKey: string, fromMs: number, toMs: number): Promise<SummaryRecord[]> {
    this.checkOpen();
    checkTime('fromMs', fromMs);
    checkTime('toMs', toMs);
    const { rows } = await this.query<{ series_key: string; bucket_start_ms: number; summary: string }>(
      `SELECT series_key, bucket_start_ms, summary FROM summaries
       WHERE series_key = $1 AND bucket_start_ms >= $2 AND bucket_start_ms < $3 ORDER BY bucket_start_ms`,
      [seriesKey, fromMs, toMs],
    );
    return rows.map((r) => ({
      seriesKey: r.series_key,
      bucketStartMs: r.bucket_start_ms,
      summary: r.summary,
    }));
  }

  async putDocument(collection: string, id: string, json: string): Promise<void> {
    this.checkOpen();
    checkDocumentArgs(collection, id, json, this.limits);
    await this.query(
      `INSERT INTO documents (collection, id, json) VALUES ($1, $2, $3)
       ON CONFLICT (collection, id) DO UPDATE SET json = excluded.json`,
      [collection, id, json],
    );
  }

  async getDocument(collection: string, id: string): Promise<string | undefined> {
    this.checkOpen();
    checkDocumentKey(collection, id, this.limits);
    const { rows } = await this.query<{ json: string }>(
      'SELECT json FROM documents WHERE collection = $1 AND id = $2',
      [collection, id],
    );
    return rows[0]?.json;
  }

  async listDocuments(
    collection: string,
    options: { pageSize?: number; after?: string } = {},
  ): Promise<DocumentPage> {
    this.checkOpen();
    checkDocumentList(collection, options.after, this.limits);
    const pageSize = pageSizeOf(options.pageSize, this.limits.maxDocumentPageSize, 'pageSize');
    const { rows } = await this.query<{ id: string; json: string }>(
      'SELECT id, json FROM documents WHERE collection = $1 AND id > $2 ORDER BY id LIMIT $3',
      [collection, options.after ?? '', pageSize + 1],
    );
    const more = rows.length > pageSize;
    const documents = more ? rows.slice(0, pageSize) : rows;
    return { documents, ...(more ? { next: documents[documents.length - 1]!.id } : {}) };
  }

  async deleteDocument(collection: string, id: string): Promise<boolean> {
    this.checkOpen();
    checkDocumentKey(collection, id, this.limits);
    const result = await this.query('DELETE FROM documents WHERE collection = $1 AND id = $2', [
      collection,
      id,
    ]);
    return (result.rowCount ?? 0) > 0;
  }

  async deleteBefore(timeMs: number): Promise<RetentionResult> {
    this.checkOpen();
    checkTime('timeMs', timeMs);
    const timeColumn = {
      predictions: 'time_ms',
      pairs: 'prediction_ms',
      feedback: 'received_ms',
      summaries: 'bucket_start_ms',
    } as const;
    const removed = { predictions: 0, pairs: 0, feedback: 0, summaries: 0 };
    for (const table of ['predictions', 'pairs', 'feedback', 'summaries'] as const) {
      for (;;) {
        const result = await this.query(
          `DELETE FROM ${table} WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ${table} WHERE ${timeColumn[table]} < $1 LIMIT $2))`,
          [timeMs, this.limits.retentionBatchSize],
        );
        const changes = result.rowCount ?? 0;
        removed[table] += changes;
        if (changes < this.limits.retentionBatchSize) break;
        this.checkOpen();
      }
    }
    return removed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async loadFeedback(client: pg.PoolClient, requestIds: readonly string[]) {
    const { rows } = await client.query<FeedbackColumns>(
      `SELECT ${FEEDBACK_COLUMNS.join(', ')} FROM feedback WHERE request_id = ANY($1::text[])`,
      [requestIds],
    );
    return rows.map(feedbackFromColumns);
  }

  private async write(client: pg.PoolClient, writes: PlannedWrites): Promise<void> {
    if (writes.predictions.length > 0)
      await client.query(
        SQL.insertPredictions,
        columnArrays(writes.predictions.map(predictionToColumns), PREDICTION_COLUMNS),
      );
    if (writes.feedback.size > 0)
      await client.query(
        SQL.upsertFeedback,
        columnArrays([...writes.feedback.values()].map(feedbackToColumns), FEEDBACK_COLUMNS),
      );
    if (writes.pairs.size > 0)
      await client.query(
        SQL.upsertPairs,
        columnArrays([...writes.pairs.values()].map(pairToColumns), PAIR_COLUMNS),
      );
  }

  /**
   * Runs `work` in one transaction, retrying deadlocks and serialisation failures. While the
   * client is checked out the pool does not listen to it: a connection the server ends then
   * emits 'error' (besides failing the query), which unheard would end the process; heard, it
   * marks the client broken so it is not returned to the pool.
   */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect().catch((error: unknown) => {
        throw mapPostgresError(error);
      });
      let broken = false;
      const onLost = () => {
        broken = true;
      };
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        const code = (error as { code?: unknown }).code;
        if (attempt < this.maxAttempts && typeof code === 'string' && RETRYABLE_CODES.has(code)) continue;
        throw mapPostgresError(error);
      } finally {
        client.off('error', onLost);
        client.release(broken);
      }
    }
  }

  /** One statement outside a transaction; a lost connection becomes UNAVAILABLE. */
  private async query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw mapPostgresError(error);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new FailedPreconditionError('metrics store: used after close().');
  }
}
