/**
 * The metrics suite's joins part (issue 12): sustained durable feedback joins/s. Concurrent
 * closed-loop callers each send one feedback item per call through the service's
 * GroupCommitWriter to a store already holding the predictions; a call's acknowledgement is
 * its latency (the item joined and durably committed). On SQLite (`synchronous = FULL`, WAL, in
 * a temp directory) and on PostgreSQL 15 started on loopback by `@sightline/metrics/testing`.
 *
 * The baseline, in the same run on the same database server or disk: the same feedback rows
 * inserted through the driver directly into a plain table, without the join, one transaction
 * per item (better-sqlite3 one caller, since it is synchronous; pg with the same callers over a
 * pool of the store's size). The ratio ours / baseline shows what the join costs and what group
 * commit wins back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_STORE_LIMITS,
  type FeedbackRecord,
  GroupCommitWriter,
  type MetricsStore,
  PostgresMetricsStore,
  type PredictionRecord,
  SqliteMetricsStore,
} from '@sightline/metrics';
import { startTestPostgres } from '@sightline/metrics/testing';
import Database from 'better-sqlite3';
import pg from 'pg';
import { check, type RatioCheck } from '../report/ratios.js';
import { formatTable } from '../report/table.js';
import { type LatencySummary, summarizeLatencies } from '../stats/latency-summary.js';
import { METRICS_BACKENDS, type MetricsBackend } from './metrics-backends.js';

export const METRICS_JOINS_BENCH = {
  /** Feedback items joined per backend (and inserted by the baseline). */
  items: 20_000,
  /** Concurrent callers, one item per call. */
  clients: 16,
  /** Predictions written per call while preparing (untimed). */
  fillBatch: 1_000,
  /** The pool of the PostgreSQL store and of its baseline (the store's default). */
  postgresPoolSize: 4,
  /** SQLite: sustained joins/s, at least this. */
  targetSqliteJoinsPerSecMin: 5_000,
  /** SQLite: a call's acknowledgement p99, below this, ms. */
  targetSqliteAckP99Ms: 5,
} as const;

export interface MetricsJoinsBenchOptions {
  readonly backends?: readonly MetricsBackend[];
  readonly items?: number;
  readonly clients?: number;
}

/** One side of one backend. */
export interface JoinsRun {
  readonly items: number;
  readonly perSec: number;
  readonly ack: LatencySummary;
  /** This process's user + system CPU per item, µs (the PostgreSQL server's is not in it). */
  readonly cpuUsPerItem: number;
}

export interface MetricsJoinsBackendResult {
  readonly backend: MetricsBackend;
  /** Set when the backend could not run (PostgreSQL not installed, say). */
  readonly skipped?: string;
  readonly joins?: JoinsRun;
  readonly baseline?: JoinsRun;
  /** Callers of the baseline (1 on SQLite). */
  readonly baselineClients?: number;
}

export interface MetricsJoinsBenchResult {
  readonly clients: number;
  readonly backends: readonly MetricsJoinsBackendResult[];
}

const MODEL = 'bench-joins';

function predictionRecord(i: number): PredictionRecord {
  return {
    eventId: `e${i}`,
    requestId: `r${i}`,
    modelName: MODEL,
    modelVersion: '1',
    node: '',
    graph: '',
    outputName: 'label',
    timeMs: 1_000 + i,
    task: 'classification',
    classes: ['setosa', 'versicolor', 'virginica'],
    rows: [{ row: 0, label: 'setosa', probabilities: [0.8, 0.15, 0.05], segments: {} }],
  };
}

function feedbackRecord(i: number, nowMs: number): FeedbackRecord {
  return {
    requestId: `r${i}`,
    modelName: MODEL,
    row: 0,
    truth: { kind: 'label', label: i % 3 === 0 ? 'virginica' : 'setosa' },
    observedMs: nowMs,
    receivedMs: nowMs,
  };
}

/** `clients` closed-loop callers sharing `items` item indices; each call's latency is kept. */
async function closedLoop(
  items: number,
  clients: number,
  call: (i: number) => Promise<void> | void,
): Promise<JoinsRun> {
  const latencies = new Float64Array(items);
  let next = 0;
  const cpu = process.cpuUsage();
  const begin = performance.now();
  const caller = async () => {
    for (let i = next++; i < items; i = next++) {
      const t = performance.now();
      await call(i);
      latencies[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: clients }, caller));
  const seconds = (performance.now() - begin) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    items,
    perSec: items / seconds,
    ack: summarizeLatencies(latencies),
    cpuUsPerItem: (used.user + used.system) / items,
  };
}

async function fill(store: MetricsStore, items: number): Promise<void> {
  for (let start = 0; start < items; start += METRICS_JOINS_BENCH.fillBatch) {
    const n = Math.min(METRICS_JOINS_BENCH.fillBatch, items - start);
    await store.recordPredictions(
      Array.from({ length: n }, (_, k) => predictionRecord(start + k)),
      Date.now(),
    );
  }
}

async function ourJoins(store: MetricsStore, items: number, clients: number): Promise<JoinsRun> {
  await fill(store, items);
  const writer = new GroupCommitWriter(store, DEFAULT_STORE_LIMITS);
  return closedLoop(items, clients, async (i) => {
    const now = Date.now();
    const result = await writer.recordFeedback([feedbackRecord(i, now)], now);
    if (result.outcomes[0]?.status !== 'joined')
      throw new Error(`feedback r${i} was ${result.outcomes[0]?.status ?? 'not answered'}, not joined`);
  });
}

/** The plain table the baseline inserts into: the feedback's own columns, no join. */
const BASELINE_TABLE = `CREATE TABLE baseline_feedback (
  request_id TEXT NOT NULL, model_name TEXT NOT NULL, row_index INTEGER NOT NULL,
  truth TEXT NOT NULL, observed_ms BIGINT NOT NULL, received_ms BIGINT NOT NULL,
  PRIMARY KEY (request_id, model_name, row_index))`;

const baselineValues = (i: number) => {
  const now = Date.now();
  const f = feedbackRecord(i, now);
  return [f.requestId, f.modelName, f.row, JSON.stringify(f.truth), now, now] as const;
};

async function sqliteBackend(items: number, clients: number): Promise<MetricsJoinsBackendResult> {
  const dir = await mkdtemp(join(tmpdir(), 'sightline-metrics-joins-'));
  try {
    const store = await SqliteMetricsStore.open({ file: join(dir, 'metrics.sqlite') });
    let joins: JoinsRun;
    try {
      joins = await ourJoins(store, items, clients);
    } finally {
      await store.close();
    }
    const db = new Database(join(dir, 'baseline.sqlite'));
    try {
      // The store's durability settings, so both sides pay the same sync per commit.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(BASELINE_TABLE);
      const insert = db.prepare('INSERT INTO baseline_feedback VALUES (?, ?, ?, ?, ?, ?)');
      const oneTransaction = db.transaction((i: number) => insert.run(...baselineValues(i)));
      const baseline = await closedLoop(items, 1, (i) => {
        oneTransaction(i);
      });
      return { backend: 'sqlite', joins, baseline, baselineClients: 1 };
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function postgresBackend(items: number, clients: number): Promise<MetricsJoinsBackendResult> {
  let server: Awaited<ReturnType<typeof startTestPostgres>>;
  try {
    server = await startTestPostgres();
  } catch (error) {
    return { backend: 'postgres', skipped: (error as Error).message };
  }
  try {
    const poolSize = METRICS_JOINS_BENCH.postgresPoolSize;
    const store = await PostgresMetricsStore.open({
      connectionString: await server.createDatabase(),
      poolSize,
    });
    let joins: JoinsRun;
    try {
      joins = await ourJoins(store, items, clients);
    } finally {
      await store.close();
    }
    const pool = new pg.Pool({ connectionString: await server.createDatabase(), max: poolSize });
    try {
      await pool.query(BASELINE_TABLE);
      const text = 'INSERT INTO baseline_feedback VALUES ($1, $2, $3, $4, $5, $6)';
      // Autocommit: each INSERT is its own transaction, committed (and synced) before it resolves.
      const baseline = await closedLoop(items, clients, async (i) => {
        await pool.query(text, [...baselineValues(i)]);
      });
      return { backend: 'postgres', joins, baseline, baselineClients: clients };
    } finally {
      await pool.end();
    }
  } finally {
    await server.stop();
  }
}

/** Each backend in turn: our joins, then its baseline. */
export async function runMetricsJoinsBench(
  options: MetricsJoinsBenchOptions = {},
): Promise<MetricsJoinsBenchResult> {
  const items = options.items ?? METRICS_JOINS_BENCH.items;
  const clients = options.clients ?? METRICS_JOINS_BENCH.clients;
  const backends: MetricsJoinsBackendResult[] = [];
  for (const backend of options.backends ?? METRICS_BACKENDS) {
    backends.push(
      backend === 'sqlite' ? await sqliteBackend(items, clients) : await postgresBackend(items, clients),
    );
  }
  return { clients, backends };
}

/** The report: joins and baseline rows per backend. */
export function formatMetricsJoins(r: MetricsJoinsBenchResult): string {
  const rows: string[][] = [];
  for (const b of r.backends) {
    if (b.skipped) {
      rows.push([`${b.backend}`, '-', 'SKIPPED', '', '', '', '']);
      continue;
    }
    const row = (label: string, clients: number, run: JoinsRun) => [
      `${b.backend} ${label}`,
      String(clients),
      run.perSec.toFixed(0),
      run.ack.p50Ms.toFixed(3),
      run.ack.p99Ms.toFixed(3),
      run.ack.maxMs.toFixed(2),
      run.cpuUsPerItem.toFixed(0),
    ];
    rows.push(row('joins, group commit', r.clients, b.joins!));
    rows.push(row('baseline: plain insert, 1 tx/item', b.baselineClients!, b.baseline!));
  }
  const notes = r.backends.filter((b) => b.skipped).map((b) => `${b.backend}: SKIPPED: ${b.skipped}`);
  return [
    'metrics joins: one feedback item per call, joined to a stored prediction and durably committed:',
    formatTable(['setup', 'callers', 'items/s', 'ack p50 ms', 'ack p99 ms', 'max ms', 'CPU µs/item'], rows),
    ...notes,
  ].join('\n');
}

/** SQLite's two targets, and each backend's joins against its baseline. */
export function metricsJoinsChecks(r: MetricsJoinsBenchResult): RatioCheck[] {
  const c = METRICS_JOINS_BENCH;
  const checks: RatioCheck[] = [];
  for (const b of r.backends) {
    if (b.backend === 'sqlite') {
      checks.push(
        check(
          `metrics joins/s, SQLite, ${r.clients} callers`,
          b.joins?.perSec,
          'joins/s',
          '>=',
          c.targetSqliteJoinsPerSecMin,
        ),
        check(
          `metrics join ack p99, SQLite, ${r.clients} callers`,
          b.joins?.ack.p99Ms,
          'ms',
          '<',
          c.targetSqliteAckP99Ms,
        ),
      );
    }
    checks.push(
      check(
        `metrics joins/s / plain inserts (1 tx/item), ${b.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
        b.joins && b.baseline ? b.joins.perSec / b.baseline.perSec : undefined,
        'x',
        '>=',
        1,
      ),
    );
  }
  return checks;
}
