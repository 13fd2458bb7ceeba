/**
 * Measures the windows on this machine: addPrediction and addPair throughput, and metricsOver
 * over a 100,000-pair day of 1-minute buckets (the service target: p99 < 50 ms).
 * Run: npx tsx bench/windows-bench.ts [pairs] [queries]
 */
import { performance } from 'node:perf_hooks';
import { seededRandom } from '@sightline/stats';
import type { JoinedPair, PredictionRecord } from '../src/domain/records.js';
import { MetricWindows, type PersistedBucket } from '../src/windows/index.js';

const PAIRS = Number(process.argv[2] ?? 100_000);
const QUERIES = Number(process.argv[3] ?? 50);
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const CLASSES = ['a', 'b', 'c'];
const SERIES = { modelName: 'm', modelVersion: '1', node: '' };

function records(): { predictions: PredictionRecord[]; pairs: JoinedPair[] } {
  const random = seededRandom(1);
  const predictions: PredictionRecord[] = [];
  const pairs: JoinedPair[] = [];
  for (let i = 0; i < PAIRS; i++) {
    const w = [1 + random.nextFloat(), 1 + random.nextFloat(), 1 + random.nextFloat()];
    const total = w[0]! + w[1]! + w[2]!;
    const probabilities = w.map((x) => x / total);
    const predicted = probabilities.indexOf(Math.max(...probabilities));
    const row = {
      row: 0,
      label: CLASSES[predicted]!,
      probabilities,
      segments: { country: `c${random.nextInt(20)}` },
    };
    const timeMs = T0 + Math.floor((i / PAIRS) * DAY_MS);
    predictions.push({
      ...SERIES,
      eventId: `e${i}`,
      requestId: `r${i}`,
      graph: '',
      outputName: 'out',
      timeMs,
      latencyMs: 1 + random.nextFloat() * 20,
      task: 'classification',
      classes: CLASSES,
      rows: [row],
    });
    pairs.push({
      series: SERIES,
      eventId: `e${i}`,
      requestId: `r${i}`,
      predictionMs: timeMs,
      joinedMs: timeMs + 3_600_000,
      task: 'classification',
      classes: CLASSES,
      prediction: row,
      truth: { kind: 'label', label: CLASSES[random.nextInt(3)]! },
    });
  }
  return { predictions, pairs };
}

/** Writes one line of the report. */
function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function main(): void {
  const { predictions, pairs } = records();
  const options = { segmentNames: ['country'], maxOpenBuckets: 100_000 };
  const windows = new MetricWindows(options);
  let start = performance.now();
  for (const p of predictions) windows.addPrediction(p);
  const predictionSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  for (const p of pairs) windows.addPair(p);
  const pairSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const dirty = windows.takeDirty();
  const takeSeconds = (performance.now() - start) / 1000;
  // The store keeps each bucket's JSON text; a query reads the series' buckets the plan names.
  const seriesKey = dirty.find((d) => d.segment === undefined)!.seriesKey;
  const rows = dirty
    .filter((d) => d.seriesKey === seriesKey)
    .map((d) => ({
      seriesKey: d.seriesKey,
      widthMs: d.widthMs,
      bucketStartMs: d.bucketStartMs,
      text: JSON.stringify(d.summary),
    }));
  const bytes = rows.reduce((n, p) => n + p.text.length, 0);
  const fresh = new MetricWindows(options);
  fresh.prime([{ ...rows[0]!, summary: JSON.parse(rows[0]!.text) }]);
  /** One query as the service runs it: plan, read the planned rows' text, parse, merge. */
  const query = (w: MetricWindows, fromMs: number, toMs: number) => {
    const plan = w.readPlan(fromMs, toMs);
    const persisted: PersistedBucket[] = rows
      .filter((r) =>
        plan.some((p) => p.widthMs === r.widthMs && r.bucketStartMs >= p.fromMs && r.bucketStartMs < p.toMs),
      )
      .map((r) => ({
        seriesKey: r.seriesKey,
        widthMs: r.widthMs,
        bucketStartMs: r.bucketStartMs,
        summary: JSON.parse(r.text),
      }));
    return { metrics: w.metricsOver(SERIES, undefined, fromMs, toMs, persisted), read: persisted.length };
  };
  const timed = (w: MetricWindows, fromMs: number, toMs: number) => {
    const times: number[] = [];
    let last = query(w, fromMs, toMs);
    for (let q = 0; q < QUERIES; q++) {
      const t = performance.now();
      last = query(w, fromMs, toMs);
      times.push(performance.now() - t);
    }
    return { times, joined: last.metrics.joined, read: last.read };
  };
  const aligned = timed(fresh, T0, T0 + DAY_MS);
  const unaligned = timed(fresh, T0 + 30 * 60_000 + 17_000, T0 + DAY_MS - 29 * 60_000);
  // The same day without roll-ups: every query merges 1,440 minute buckets.
  const flat = new MetricWindows({ ...options, rollupWidthMs: 0 });
  for (const p of predictions) flat.addPrediction(p);
  for (const p of pairs) flat.addPair(p);
  const flatDirty = flat.takeDirty().filter((d) => d.seriesKey === seriesKey);
  rows.length = 0;
  for (const d of flatDirty) {
    rows.push({
      seriesKey: d.seriesKey,
      widthMs: d.widthMs,
      bucketStartMs: d.bucketStartMs,
      text: JSON.stringify(d.summary),
    });
  }
  const flatTimes = timed(flat, T0, T0 + DAY_MS);
  const report = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `${name}: p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`;
  };
  print(
    `node ${process.version}, ${PAIRS} pairs over a day, 1-minute buckets, 1 segment name (20 values), 3 classes with probabilities`,
  );
  print(
    `addPrediction: ${(PAIRS / predictionSeconds).toFixed(0)} records/s (minute and hour buckets of the series and of 1 segment each)`,
  );
  print(`addPair: ${(PAIRS / pairSeconds).toFixed(0)} pairs/s (the same 4 buckets, 3 drift detectors)`);
  print(`takeDirty: ${dirty.length} buckets in ${(takeSeconds * 1000).toFixed(0)} ms`);
  print(`series JSON for the day: ${(bytes / 1024 / 1024).toFixed(1)} MiB (minute and hour buckets)`);
  print(
    report(`metricsOver, aligned day, ${aligned.read} buckets read, ${aligned.joined} pairs`, aligned.times),
  );
  print(
    report(
      `metricsOver, unaligned 23 h, ${unaligned.read} buckets read, ${unaligned.joined} pairs`,
      unaligned.times,
    ),
  );
  print(
    report(
      `metricsOver without roll-ups, ${flatTimes.read} buckets read, ${flatTimes.joined} pairs`,
      flatTimes.times,
    ),
  );
}

main();
