/**
 * The embedded store: one SQLite file in the data directory (better-sqlite3 12). WAL with
 * `synchronous = FULL`, so a resolved write survives kill -9 and power loss; every call is one
 * transaction of prepared statements. better-sqlite3 is synchronous, so a call runs to its
 * end without interleaving. Each write is `BEGIN IMMEDIATE`, so were a second process to open
 * the file, writers would be serialised (waiting up to `busyTimeoutMs`) and the join rules would
 * still see a stable state; one process per file is the intended use.
 */

import { FailedPreconditionError } from '@sightline/errors';
import Database from 'better-sqlite3';
import type { FeedbackRecord, PredictionRecord } from '../../domain/records.js';
import type { LoadedState, PlannedWrites } from '../join-planner.js';
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
import { isDiskFull, mapSqliteError } from './sqlite-errors.js';
import { migrateSqlite } from './sqlite-schema.js';

export interface SqliteMetricsStoreOptions {
  /** The database file (created when missing), e.g. `<data-dir>/metrics.sqlite`. */
  readonly file: string;
  /** Limits overriding DEFAULT_STORE_LIMITS. */
  readonly limits?: Partial<StoreLimits>;
  /**
   * Reject feedback its prediction refutes (a label outside the classes, a label for a
   * regression, values of another count), as the contract asks (default true). Off only in the
   * join-mechanics tests, whose truths are arbitrary.
   */
  readonly refuteTruths?: boolean;
  /** How long a write waits for a lock another connection holds (default 5,000 ms). */
  readonly busyTimeoutMs?: number;
  /**
   * FULL (the default) syncs the WAL at every commit: an acknowledged write survives kill -9,
   * an OS crash and power loss, at one disk sync per transaction. NORMAL syncs at checkpoints
   * only: an acknowledged write still survives kill -9 of the service (it is in the OS's
   * cache), but the last commits may be lost if the machine itself fails.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

const named = (columns: readonly string[]) => columns.map((c) => `@${c}`).join(', ');
const upsertSet = (columns: readonly string[]) => columns.map((c) => `${c} = excluded.${c}`).join(', ');

/** SQLite's codes for a file that is not a database it can read (the rest pass through). */
const UNREADABLE_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN']);

/** A corrupt or foreign file is refused with a sentence naming it; other errors pass as they are. */
function unreadable(file: string, error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !UNREADABLE_CODES.has(code)) return error;
  return new FailedPreconditionError(
    `metrics store "${file}": cannot be opened as a SQLite database (${code}); restore it from a backup or move it aside to start empty.`,
    { cause: error, field: 'file' },
  );
}

/** Yields to the event loop between retention batches, so other calls get the database. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class SqliteMetricsStore implements MetricsStore {
  private readonly statements;
  private readonly cached = new Map<string, Database.Statement>();
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    readonly limits: StoreLimits,
    private readonly refuteTruths = true,
  ) {
    const feedbackKey = ['request_id', 'model_name', 'row'];
    this.statements = {
      knownEvent: db.prepare('SELECT 1 FROM predictions WHERE event_id = ?').pluck(),
      classesOf: db.prepare('SELECT classes FROM predictions WHERE event_id = ?').pluck(),
      predictionCount: db.prepare('SELECT COUNT(*) FROM predictions WHERE request_id = ?').pluck(),
      predictionsOf: db.prepare(
        `SELECT ${PREDICTION_COLUMNS.join(', ')} FROM predictions WHERE request_id = ?`,
      ),
      feedbackOf: db.prepare(`SELECT ${FEEDBACK_COLUMNS.join(', ')} FROM feedback WHERE request_id = ?`),
      pairsOf: db.prepare(`SELECT ${PAIR_COLUMNS.join(', ')} FROM pairs WHERE request_id = ?`),
      insertPrediction: db.prepare(
        `INSERT INTO predictions (${PREDICTION_COLUMNS.join(', ')}) VALUES (${named(PREDICTION_COLUMNS)})`,
      ),
      upsertFeedback: db.prepare(
        `INSERT INTO feedback (${FEEDBACK_COLUMNS.join(', ')}) VALUES (${named(FEEDBACK_COLUMNS)})
         ON CONFLICT (${feedbackKey.join(', ')}) DO UPDATE SET ${upsertSet(FEEDBACK_COLUMNS.filter((c) => !feedbackKey.includes(c)))}`,
      ),
      upsertPair: db.prepare(
        `INSERT INTO pairs (${PAIR_COLUMNS.join(', ')}) VALUES (${named(PAIR_COLUMNS)})
         ON CONFLICT (event_id, row) DO UPDATE SET ${upsertSet(PAIR_COLUMNS.filter((c) => c !== 'event_id' && c !== 'row'))}`,
      ),
      pendingCount: db.prepare('SELECT COUNT(*) FROM feedback WHERE joined = 0').pluck(),
      pendingBatch: db.prepare(
        'SELECT request_id, model_name, row FROM feedback WHERE joined = 0 AND received_ms < ? LIMIT ?',
      ),
      deleteFeedback: db.prepare('DELETE FROM feedback WHERE request_id = ? AND model_name = ? AND row = ?'),
      addExpired: db.prepare(
        `INSERT INTO expired_feedback (model_name, count) VALUES (?, ?)
         ON CONFLICT (model_name) DO UPDATE SET count = count + excluded.count`,
      ),
      expiredOf: db.prepare('SELECT count FROM expired_feedback WHERE model_name = ?').pluck(),
      feedbackReceived: db
        .prepare(
          'SELECT COUNT(*) FROM feedback WHERE model_name = ? AND received_ms >= ? AND received_ms < ?',
        )
        .pluck(),
      pendingOf: db.prepare('SELECT COUNT(*) FROM feedback WHERE model_name = ? AND joined = 0').pluck(),
      upsertSummary: db.prepare(
        `INSERT INTO summaries (series_key, bucket_start_ms, summary) VALUES (?, ?, ?)
         ON CONFLICT (series_key, bucket_start_ms) DO UPDATE SET summary = excluded.summary`,
      ),
      summaries: db.prepare(
        `SELECT series_key, bucket_start_ms, summary FROM summaries
         WHERE series_key = ? AND bucket_start_ms >= ? AND bucket_start_ms < ? ORDER BY bucket_start_ms`,
      ),
      summaryAt: db
        .prepare('SELECT summary FROM summaries WHERE series_key = ? AND bucket_start_ms = ?')
        .pluck(),
      putDocument: db.prepare(
        `INSERT INTO documents (collection, id, json) VALUES (?, ?, ?)
         ON CONFLICT (collection, id) DO UPDATE SET json = excluded.json`,
      ),
      getDocument: db.prepare('SELECT json FROM documents WHERE collection = ? AND id = ?').pluck(),
      listDocuments: db.prepare(
        'SELECT id, json FROM documents WHERE collection = ? AND id > ? ORDER BY id LIMIT ?',
      ),
      deleteDocument: db.prepare('DELETE FROM documents WHERE collection = ? AND id = ?'),
      retention: {
        predictions: db.prepare(
          'DELETE FROM predictions WHERE rowid IN (SELECT rowid FROM predictions WHERE time_ms < ? LIMIT ?)',
        ),
        pairs: db.prepare(
          `DELETE FROM pairs WHERE (event_id, row) IN
           (SELECT event_id, row FROM pairs WHERE prediction_ms < ? LIMIT ?)`,
        ),
        feedback: db.prepare(
          `DELETE FROM feedback WHERE (request_id, model_name, row) IN
           (SELECT request_id, model_name, row FROM feedback WHERE received_ms < ? LIMIT ?)`,
        ),
        summaries: db.prepare(
          `DELETE FROM summaries WHERE (series_key, bucket_start_ms) IN
           (SELECT series_key, bucket_start_ms FROM summaries WHERE bucket_start_ms < ? LIMIT ?)`,
        ),
      },
    };
  }

  /** Opens (creating or migrating) the store file. */
  static async open(options: SqliteMetricsStoreOptions): Promise<SqliteMetricsStore> {
    const limits = resolveStoreLimits(options.limits);
    let db: Database.Database;
    try {
      db = new Database(options.file, { timeout: options.busyTimeoutMs ?? 5_000 });
    } catch (error) {
      throw unreadable(options.file, error);
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      db.pragma('foreign_keys = OFF');
      migrateSqlite(db, `"${options.file}"`);
      return new SqliteMetricsStore(db, limits, options.refuteTruths ?? true);
    } catch (error) {
      db.close();
      throw unreadable(options.file, error);
    }
  }

  async recordPredictions(
    records: readonly PredictionRecord[],
    nowMs: number,
  ): Promise<RecordPredictionsResult> {
    this.checkOpen();
    checkTime('nowMs', nowMs);
    const call = preparePredictions(records, this.limits);
    return this.db
      .transaction(() => {
        const known = new Set<string>();
        for (const { item } of call.valid)
          if (this.statements.knownEvent.get(item.eventId) !== undefined) known.add(item.eventId);
        const state: LoadedState = {
          predictions: [],
          feedback: this.loadFeedback(call.requestIds),
          pairs: [],
          knownEventIds: known,
          predictionCounts: new Map(
            call.requestIds.map((id) => [id, Number(this.statements.predictionCount.get(id))]),
          ),
        };
        const { result, writes } = planPredictions(call, state, nowMs, this.limits, this.refuteTruths);
        this.write(writes);
        return result;
      })
      .immediate();
  }

  async recordFeedback(items: readonly FeedbackRecord[], nowMs: number): Promise<RecordFeedbackResult> {
    this.checkOpen();
    checkTime('nowMs', nowMs);
    const call = prepareFeedback(items, this.limits, nowMs);
    return this.db
      .transaction(() => {
        const s = this.statements;
        const state: LoadedState = {
          predictions: call.requestIds.flatMap((id) =>
            (s.predictionsOf.all(id) as PredictionColumns[]).map(predictionFromColumns),
          ),
          feedback: this.loadFeedback(call.requestIds),
          pairs: call.requestIds.flatMap((id) => (s.pairsOf.all(id) as PairColumns[]).map(pairFromColumns)),
          knownEventIds: new Set(),
        };
        const { result, writes } = planFeedback(call, state, nowMs, this.limits, this.refuteTruths);
        this.write(writes);
        return result;
      })
      .immediate();
  }

  async expirePending(nowMs: number, ttlMs: number): Promise<ExpiryResult> {
    this.checkOpen();
    checkTime('nowMs', nowMs);
    checkTtl(ttlMs);
    const cutoff = nowMs - ttlMs;
    const byModelName: Record<string, number> = {};
    let expired = 0;
    for (;;) {
      const batch = this.db
        .transaction(() => {
          const keys = this.statements.pendingBatch.all(cutoff, this.limits.retentionBatchSize) as {
            request_id: string;
            model_name: string;
            row: number;
          }[];
          const counts = new Map<string, number>();
          for (const k of keys) {
            this.statements.deleteFeedback.run(k.request_id, k.model_name, k.row);
            counts.set(k.model_name, (counts.get(k.model_name) ?? 0) + 1);
          }
          for (const [model, count] of counts) this.statements.addExpired.run(model, count);
          return counts;
        })
        .immediate();
      for (const [model, count] of batch) {
        byModelName[model] = (byModelName[model] ?? 0) + count;
        expired += count;
      }
      if ([...batch.values()].reduce((a, b) => a + b, 0) < this.limits.retentionBatchSize) break;
      await yieldToEventLoop();
    }
    return { expired, byModelName };
  }

  async pendingCount(): Promise<number> {
    this.checkOpen();
    return this.statements.pendingCount.get() as number;
  }

  async joinedPairs(query: JoinedPairsQuery): Promise<JoinedPairsPage> {
    this.checkOpen();
    checkRange(query, this.limits);
    const pageSize = pageSizeOf(query.pageSize, this.limits.maxPageSize, 'pageSize');
    const series = seriesConditions(query);
    const after = query.cursor === undefined ? undefined : decodePairCursor(query.cursor);
    const sql = `SELECT ${PAIR_COLUMNS.join(', ')} FROM pairs
      WHERE model_name = ? AND prediction_ms >= ? AND prediction_ms < ?${series.sql}
      ${after ? 'AND (prediction_ms, event_id, row) > (?, ?, ?)' : ''}
      ORDER BY prediction_ms, event_id, row LIMIT ?`;
    const params: unknown[] = [query.modelName, query.fromMs, query.toMs, ...series.params];
    if (after) params.push(after.predictionMs, after.eventId, after.row);
    params.push(pageSize + 1);
    const rows = this.statement(sql).all(...params) as PairColumns[];
    const more = rows.length > pageSize;
    const page = (more ? rows.slice(0, pageSize) : rows).map(pairFromColumns);
    const last = page[page.length - 1];
    const classesCache = new Map<string, readonly string[]>();
    const predictionClasses = new Map<string, string>();
    for (const eventId of eventIdsWithoutClasses(page)) {
      const classes = this.statements.classesOf.get(eventId) as string | undefined;
      if (classes !== undefined) predictionClasses.set(eventId, classes);
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
    const predictedRows = this.statement(
      `SELECT COALESCE(SUM(row_count), 0) FROM predictions
       WHERE model_name = ? AND time_ms >= ? AND time_ms < ?${series.sql}`,
    )
      .pluck()
      .get(query.modelName, query.fromMs, query.toMs, ...series.params) as number;
    const joinedRows = this.statement(
      `SELECT COUNT(*) FROM pairs WHERE model_name = ? AND prediction_ms >= ? AND prediction_ms < ?${series.sql}`,
    )
      .pluck()
      .get(query.modelName, query.fromMs, query.toMs, ...series.params) as number;
    const s = this.statements;
    return {
      predictedRows,
      joinedRows,
      rowsWithoutFeedback: predictedRows - joinedRows,
      feedbackRows: s.feedbackReceived.get(query.modelName, query.fromMs, query.toMs) as number,
      pending: s.pendingOf.get(query.modelName) as number,
      expired: (s.expiredOf.get(query.modelName) as number | undefined) ?? 0,
    };
  }

  async unnamedFeedbackCounts(): Promise<{ pending: number; expired: number }> {
    this.checkOpen();
    return {
      pending: this.statements.pendingOf.get('') as number,
      expired: (this.statements.expiredOf.get('') as number | undefined) ?? 0,
    };
  }

  async putSummaries(records: readonly SummaryRecord[]): Promise<void> {
    this.checkOpen();
    checkSummaries(records, this.limits);
    this.db
      .transaction(() => {
        for (const r of records) this.statements.upsertSummary.run(r.seriesKey, r.bucketStartMs, r.summary);
      })
      .immediate();
  }

  async foldSummaries(folds: readonly SummaryFold[]): Promise<void> {
    this.checkOpen();
    checkSummaryFolds(folds, this.limits);
    this.db
      .transaction(() => {
        for (const [i, f] of folds.entries()) {
          const stored = this.statements.summaryAt.get(f.seriesKey, f.bucketStartMs) as string | undefined;
          const summary = f.fold(stored);
          checkJson(`folds[${i}].summary`, summary, this.limits.maxJsonLength);
          this.statements.upsertSummary.run(f.seriesKey, f.bucketStartMs, summary);
        }
      })
      .immediate();
  }

  async summaries(seriesKey: string, fromMs: number, toMs: number): Promise<SummaryRecord[]> {
    this.checkOpen();
    checkTime('fromMs', fromMs);
    checkTime('toMs', toMs);
    const rows = this.statements.summaries.all(seriesKey, fromMs, toMs) as {
      series_key: string;
      bucket_start_ms: number;
      summary: string;
    }[];
    return rows.map((r) => ({
      seriesKey: r.series_key,
      bucketStartMs: r.bucket_start_ms,
      summary: r.summary,
    }));
  }

  async putDocument(collection: string, id: string, json: string): Promise<void> {
    this.checkOpen();
    checkDocumentArgs(collection, id, json, this.limits);
    this.statements.putDocument.run(collection, id, json);
  }

  async getDocument(collection: string, id: string): Promise<string | undefined> {
    this.checkOpen();
    checkDocumentKey(collection, id, this.limits);
    return this.statements.getDocument.get(collection, id) as string | undefined;
  }

  async listDocuments(
    collection: string,
    options: { pageSize?: number; after?: string } = {},
  ): Promise<DocumentPage> {
    this.checkOpen();
    checkDocumentList(collection, options.after, this.limits);
    const pageSize = pageSizeOf(options.pageSize, this.limits.maxDocumentPageSize, 'pageSize');
    const rows = this.statements.listDocuments.all(collection, options.after ?? '', pageSize + 1) as {
      id: string;
      json: string;
    }[];
    const more = rows.length > pageSize;
    const documents = more ? rows.slice(0, pageSize) : rows;
    return { documents, ...(more ? { next: documents[documents.length - 1]!.id } : {}) };
  }

  async deleteDocument(collection: string, id: string): Promise<boolean> {
    this.checkOpen();
    checkDocumentKey(collection, id, this.limits);
    return this.statements.deleteDocument.run(collection, id).changes > 0;
  }

  async deleteBefore(timeMs: number): Promise<RetentionResult> {
    this.checkOpen();
    checkTime('timeMs', timeMs);
    const removed = { predictions: 0, pairs: 0, feedback: 0, summaries: 0 };
    for (const table of ['predictions', 'pairs', 'feedback', 'summaries'] as const) {
      for (;;) {
        const changes = this.retentionBatch(table, timeMs);
        removed[table] += changes;
        if (changes < this.limits.retentionBatchSize) break;
        await yieldToEventLoop();
        this.checkOpen();
      }
    }
    return removed;
  }

  /**
   * One retention batch. A delete writes to the WAL, so on a full disk it can fail too: then the
   * WAL is checkpointed and truncated (giving its space back) and the batch is tried once more.
   */
  private retentionBatch(table: keyof typeof this.statements.retention, timeMs: number): number {
    const run = () => this.statements.retention[table].run(timeMs, this.limits.retentionBatchSize).changes;
    try {
      return run();
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      return run();
    }
  }

  /** The database file. */
  get file(): string {
    return this.db.name;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private loadFeedback(requestIds: readonly string[]) {
    return requestIds.flatMap((id) =>
      (this.statements.feedbackOf.all(id) as FeedbackColumns[]).map(feedbackFromColumns),
    );
  }

  private write(writes: PlannedWrites): void {
    const s = this.statements;
    for (const p of writes.predictions) s.insertPrediction.run(predictionToColumns(p));
    for (const f of writes.feedback.values()) s.upsertFeedback.run(feedbackToColumns(f));
    for (const p of writes.pairs.values()) s.upsertPair.run(pairToColumns(p));
  }

  private statement(sql: string): Database.Statement {
    let statement = this.cached.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.cached.set(sql, statement);
    }
    return statement;
  }

  private checkOpen(): void {
    if (this.closed) throw new FailedPreconditionError('metrics store: used after close().');
  }
}

/**
 * Every call maps SQLite's disk-full, corruption and I/O errors to errors naming the store file
 * (sqlite-errors.ts); wrapped here once rather than in each method.
 */
const GUARDED = [
  'recordPredictions',
  'recordFeedback',
  'expirePending',
  'pendingCount',
  'joinedPairs',
  'counts',
  'putSummaries',
  'summaries',
  'putDocument',
  'getDocument',
  'listDocuments',
  'deleteDocument',
  'deleteBefore',
] as const satisfies readonly (keyof MetricsStore)[];
for (const name of GUARDED) {
  const original = SqliteMetricsStore.prototype[name] as (...args: unknown[]) => Promise<unknown>;
  Object.defineProperty(SqliteMetricsStore.prototype, name, {
    configurable: true,
    writable: true,
    value: async function guarded(this: SqliteMetricsStore, ...args: unknown[]) {
      try {
        return await original.apply(this, args);
      } catch (error) {
        throw mapSqliteError(this.file, error);
      }
    },
  });
}
