/**
 * The store's figures for docs/store.md (not a test; no pass/fail): durable feedback joins/s
 * and per-call acknowledgement latency for calls of 1, 100 and 1,000 feedback items, and the
 * time to read a 100,000-pair series, on each backend.
 *
 * Usage (from services/metrics): node --import tsx test/bench/store-throughput.ts [sqlite|postgres]...
 * Environment: BENCH_CLIENTS (concurrent single-item clients, default 16), BENCH_SYNCHRONOUS
 * (SQLite: FULL, the default, or NORMAL).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GroupCommitWriter } from '../../src/store/group-commit-writer.js';
import type { MetricsStore } from '../../src/store/metrics-store.js';
import { PostgresMetricsStore } from '../../src/store/postgres/postgres-metrics-store.js';
import { SqliteMetricsStore } from '../../src/store/sqlite/sqlite-metrics-store.js';
import type { StoreLimits } from '../../src/store/store-limits.js';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.js';
import { feedback, label, prediction } from '../helpers/records.js';

/** Calls per batch size: enough items for a steady rate, few enough to finish in seconds. */
const RUNS = [
  { batch: 1, calls: 2_000 },
  { batch: 100, calls: 100 },
  { batch: 1_000, calls: 20 },
];
/** Closed-loop clients each sending one feedback item per call, through group commit. */
const CONCURRENT_CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const CONCURRENT_ITEMS = 20_000;
const SERIES_PAIRS = 100_000;
const QUERY_PAGE_SIZE = 10_000;
const QUERY_REPEATS = 5;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
/** This process's CPU time per item since `start`: steadier than rates on a shared machine. */
function cpuPerItem(start: NodeJS.CpuUsage, items: number): string {
  const used = process.cpuUsage(start);
  return `${((used.user + used.system) / items).toFixed(1)} µs CPU/join in this process`;
}

async function fill(store: MetricsStore, prefix: string, count: number, modelName: string): Promise<void> {
  for (let start = 0; start < count; start += 1_000) {
    const n = Math.min(1_000, count - start);
    const ids = Array.from({ length: n }, (_, k) => start + k);
    await store.recordPredictions(
      ids.map((i) => prediction(`${prefix}e${i}`, `${prefix}r${i}`, { modelName, timeMs: 1_000 + i })),
      0,
    );
  }
}

async function joins(store: MetricsStore, batch: number, calls: number): Promise<string> {
  const prefix = `b${batch}-`;
  await fill(store, prefix, batch * calls, `bench-${batch}`);
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const begin = process.hrtime.bigint();
  for (let c = 0; c < calls; c++) {
    const items = Array.from({ length: batch }, (_, k) =>
      feedback(`${prefix}r${c * batch + k}`, label(k % 2 === 0 ? 'setosa' : 'virginica'), {
        modelName: `bench-${batch}`,
      }),
    );
    const start = process.hrtime.bigint();
    const result = await store.recordFeedback(items, Date.now());
    latencies.push(ms(start));
    if (result.outcomes.some((o) => o.status !== 'joined')) throw new Error('a benchmark item did not join');
  }
  const totalMs = ms(begin);
  latencies.sort((a, b) => a - b);
  const rate = (batch * calls) / (totalMs / 1_000);
  return `batch ${String(batch).padStart(5)}: ${Math.round(rate).toLocaleString('en')} joins/s, ack p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms, ${cpuPerItem(cpu, batch * calls)} (${batch * calls} items)`;
}

async function concurrentJoins(store: MetricsStore & { limits: StoreLimits }): Promise<string> {
  const prefix = 'c-';
  await fill(store, prefix, CONCURRENT_ITEMS, 'bench-concurrent');
  const writer = new GroupCommitWriter(store, store.limits);
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const client = async () => {
    for (let i = next++; i < CONCURRENT_ITEMS; i = next++) {
      const start = process.hrtime.bigint();
      const result = await writer.recordFeedback(
        [feedback(`${prefix}r${i}`, label('setosa'), { modelName: 'bench-concurrent' })],
        Date.now(),
      );
      latencies.push(ms(start));
      if (result.outcomes[0]!.status !== 'joined') throw new Error('a benchmark item did not join');
    }
  };
  const begin = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENT_CLIENTS }, client));
  const totalMs = ms(begin);
  latencies.sort((a, b) => a - b);
  return `${CONCURRENT_CLIENTS} clients x 1 item per call, group commit: ${Math.round(CONCURRENT_ITEMS / (totalMs / 1_000)).toLocaleString('en')} joins/s, ack p50 ${quantile(latencies, 0.5).toFixed(2)} ms, p99 ${quantile(latencies, 0.99).toFixed(2)} ms, ${cpuPerItem(cpu, CONCURRENT_ITEMS)} (${CONCURRENT_ITEMS} items)`;
}

async function query(store: MetricsStore): Promise<string> {
  await fill(store, 'q-', SERIES_PAIRS, 'bench-query');
  for (let start = 0; start < SERIES_PAIRS; start += 1_000)
    await store.recordFeedback(
      Array.from({ length: 1_000 }, (_, k) => feedback(`q-r${start + k}`, label('setosa'))),
      Date.now(),
    );
  const reads: number[] = [];
  const counts: number[] = [];
  for (let r = 0; r < QUERY_REPEATS; r++) {
    let begin = process.hrtime.bigint();
    let total = 0;
    let cursor: string | undefined;
    do {
      const page = await store.joinedPairs({
        modelName: 'bench-query',
        fromMs: 0,
        toMs: Number.MAX_SAFE_INTEGER,
        pageSize: QUERY_PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
      });
      total += page.pairs.length;
      cursor = page.next;
    } while (cursor);
    reads.push(ms(begin));
    if (total !== SERIES_PAIRS) throw new Error(`read ${total} pairs, expected ${SERIES_PAIRS}`);
    begin = process.hrtime.bigint();
    await store.counts({ modelName: 'bench-query', fromMs: 0, toMs: Number.MAX_SAFE_INTEGER });
    counts.push(ms(begin));
  }
  reads.sort((a, b) => a - b);
  counts.sort((a, b) => a - b);
  return `100,000-pair series: all pairs read in pages of ${QUERY_PAGE_SIZE}: median ${quantile(reads, 0.5).toFixed(0)} ms, max ${reads[reads.length - 1]!.toFixed(0)} ms; counts(): median ${quantile(counts, 0.5).toFixed(1)} ms (${QUERY_REPEATS} repeats)`;
}

const backends = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['sqlite', 'postgres'];
for (const backend of backends) {
  let dir: string | undefined;
  let postgres: TestPostgres | undefined;
  let store: MetricsStore & { limits: StoreLimits };
  if (backend === 'sqlite') {
    dir = await mkdtemp(path.join(tmpdir(), 'sightline-store-bench-'));
    store = await SqliteMetricsStore.open({
      file: path.join(dir, 'metrics.sqlite'),
      synchronous: process.env.BENCH_SYNCHRONOUS === 'NORMAL' ? 'NORMAL' : 'FULL',
    });
  } else {
    postgres = await startTestPostgres();
    store = await PostgresMetricsStore.open({ connectionString: await postgres.createDatabase() });
  }
  const print = (line: string) => process.stdout.write(`${line}\n`);
  print(`${backend}:`);
  for (const { batch, calls } of RUNS) print(`  ${await joins(store, batch, calls)}`);
  print(`  ${await concurrentJoins(store)}`);
  print(`  ${await query(store)}`);
  await store.close();
  await postgres?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
