/**
 * The metrics suite's query part (issue 12): `MetricWindows.metricsOver` over a day holding
 * 100,000 classification pairs (3 classes with probabilities, one segment name with 20 values,
 * all three concept drift detectors), run as the service runs a query: `readPlan`, pick the
 * planned rows of the series' stored JSON text, `JSON.parse` them, `metricsOver`. Two layouts of
 * the same day: 1,440 minute buckets (roll-ups off) and hourly roll-ups (the default, 24 rows).
 * The baseline, in the same run, is what the buckets save: `classificationMetrics` recomputed
 * from the window's raw pairs. Both sides must agree on the pair count and the accuracy.
 */
import {
  type JoinedPair,
  MetricWindows,
  type PersistedBucket,
  type PredictionRecord,
} from '@sightline/metrics';
import { classificationMetrics, seededRandom } from '@sightline/stats';
import { check, type RatioCheck } from '../report/ratios.js';
import { formatTable } from '../report/table.js';
import { type LatencySummary, summarizeLatencies } from '../stats/latency-summary.js';

/** The shape and target. */
export const METRICS_QUERY_BENCH = {
  pairs: 100_000,
  /** Timed queries per layout (after one untimed). */
  queries: 100,
  /** Recomputations from the raw pairs (each costs as much as ~50 minute-bucket queries). */
  baselineRepetitions: 10,
  classes: ['a', 'b', 'c'],
  segmentValues: 20,
  /** A query's p99: below this, in ms. */
  targetP99Ms: 50,
  seed: 1,
} as const;

export interface MetricsQueryBenchOptions {
  readonly pairs?: number;
  readonly queries?: number;
  readonly baselineRepetitions?: number;
}

/** One way of answering the day's query. */
export interface MetricsQueryLayout {
  readonly id: 'minute-buckets' | 'hourly-rollups' | 'recompute-from-pairs';
  /** Stored rows read per query (pairs for the recomputation). */
  readonly rowsRead: number;
  readonly latency: LatencySummary;
  /** Pairs the answer covers and its accuracy: the same on every layout. */
  readonly joined: number;
  readonly accuracy: number;
}

export interface MetricsQueryBenchResult {
  readonly pairs: number;
  readonly queries: number;
  /** JSON text of the series' stored buckets (minute and hour rows), bytes. */
  readonly storedJsonBytes: number;
  readonly layouts: readonly MetricsQueryLayout[];
}

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const SERIES = { modelName: 'm', modelVersion: '1', node: '' };

/** A day of predictions and their joined pairs, evenly spread, seeded. */
function dayOfPairs(count: number): { predictions: PredictionRecord[]; pairs: JoinedPair[] } {
  const classes = [...METRICS_QUERY_BENCH.classes];
  const random = seededRandom(METRICS_QUERY_BENCH.seed);
  const predictions: PredictionRecord[] = [];
  const pairs: JoinedPair[] = [];
  for (let i = 0; i < count; i++) {
    const w = classes.map(() => 1 + random.nextFloat());
    const total = w.reduce((a, b) => a + b, 0);
    const probabilities = w.map((x) => x / total);
    const row = {
      row: 0,
      label: classes[probabilities.indexOf(Math.max(...probabilities))]!,
      probabilities,
      segments: { country: `c${random.nextInt(METRICS_QUERY_BENCH.segmentValues)}` },
    };
    const timeMs = T0 + Math.floor((i / count) * DAY_MS);
    const ids = { eventId: `e${i}`, requestId: `r${i}` };
    predictions.push({
      ...SERIES,
      ...ids,
      graph: '',
      outputName: 'out',
      timeMs,
      latencyMs: 1 + random.nextFloat() * 20,
      task: 'classification',
      classes,
      rows: [row],
    });
    pairs.push({
      series: SERIES,
      ...ids,
      predictionMs: timeMs,
      joinedMs: timeMs + 3_600_000,
      task: 'classification',
      classes,
      prediction: row,
      truth: { kind: 'label', label: classes[random.nextInt(classes.length)]! },
    });
  }
  return { predictions, pairs };
}

interface StoredRow {
  readonly seriesKey: string;
  readonly widthMs: number;
  readonly bucketStartMs: number;
  readonly text: string;
}

/** The windows fed the day, and the series' buckets as the store keeps them (JSON text). */
function windowsOverDay(
  day: ReturnType<typeof dayOfPairs>,
  rollups: boolean,
): { windows: MetricWindows; rows: StoredRow[] } {
  const options = {
    segmentNames: ['country'],
    maxOpenBuckets: 100_000,
    ...(rollups ? {} : { rollupWidthMs: 0 }),
  };
  const filled = new MetricWindows(options);
  for (const p of day.predictions) filled.addPrediction(p);
  for (const p of day.pairs) filled.addPair(p);
  const dirty = filled.takeDirty();
  const seriesKey = dirty.find((d) => d.segment === undefined)!.seriesKey;
  const rows = dirty
    .filter((d) => d.seriesKey === seriesKey)
    .map((d) => ({
      seriesKey: d.seriesKey,
      widthMs: d.widthMs,
      bucketStartMs: d.bucketStartMs,
      text: JSON.stringify(d.summary),
    }));
  // A fresh instance, as a replica answering from the store rather than from memory.
  const windows = new MetricWindows(options);
  windows.prime([{ ...rows[0]!, summary: JSON.parse(rows[0]!.text) }]);
  return { windows, rows };
}

function timedQueries(
  id: MetricsQueryLayout['id'],
  { windows, rows }: ReturnType<typeof windowsOverDay>,
  queries: number,
): MetricsQueryLayout {
  const query = () => {
    const plan = windows.readPlan(T0, T0 + DAY_MS);
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
    return {
      metrics: windows.metricsOver(SERIES, undefined, T0, T0 + DAY_MS, persisted),
      read: persisted.length,
    };
  };
  let last = query();
  const times: number[] = [];
  for (let q = 0; q < queries; q++) {
    const t = performance.now();
    last = query();
    times.push(performance.now() - t);
  }
  return {
    id,
    rowsRead: last.read,
    latency: summarizeLatencies(Float64Array.from(times)),
    joined: last.metrics.joined,
    accuracy: last.metrics.classification?.accuracy ?? Number.NaN,
  };
}

/** The baseline: every metric of the window recomputed from its raw pairs. */
function timedRecompute(pairs: readonly JoinedPair[], repetitions: number): MetricsQueryLayout {
  const classes = [...METRICS_QUERY_BENCH.classes];
  const k = classes.length;
  const once = () => {
    const yTrue: string[] = new Array(pairs.length);
    const yPred: string[] = new Array(pairs.length);
    const probabilities = new Float64Array(pairs.length * k);
    pairs.forEach((p, i) => {
      yTrue[i] = p.truth.kind === 'label' ? p.truth.label : '';
      yPred[i] = p.prediction.label!;
      probabilities.set(p.prediction.probabilities!, i * k);
    });
    return classificationMetrics({ yTrue, yPred, probabilities }, { classes });
  };
  let last = once();
  const times: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const t = performance.now();
    last = once();
    times.push(performance.now() - t);
  }
  return {
    id: 'recompute-from-pairs',
    rowsRead: pairs.length,
    latency: summarizeLatencies(Float64Array.from(times)),
    joined: last.count,
    accuracy: last.accuracy,
  };
}

/** Builds the day, then times each layout and the recomputation, one after the other. */
export function runMetricsQueryBench(options: MetricsQueryBenchOptions = {}): MetricsQueryBenchResult {
  const c = METRICS_QUERY_BENCH;
  const pairs = options.pairs ?? c.pairs;
  const queries = options.queries ?? c.queries;
  const day = dayOfPairs(pairs);
  const minute = windowsOverDay(day, false);
  const hourly = windowsOverDay(day, true);
  return {
    pairs,
    queries,
    storedJsonBytes: hourly.rows.reduce((n, r) => n + r.text.length, 0),
    layouts: [
      timedQueries('minute-buckets', minute, queries),
      timedQueries('hourly-rollups', hourly, queries),
      timedRecompute(day.pairs, options.baselineRepetitions ?? c.baselineRepetitions),
    ],
  };
}

const layoutLabel: Record<MetricsQueryLayout['id'], string> = {
  'minute-buckets': 'metricsOver, minute buckets',
  'hourly-rollups': 'metricsOver, hourly roll-ups',
  'recompute-from-pairs': 'classificationMetrics from raw pairs',
};

/** The report: one row per layout. */
export function formatMetricsQuery(r: MetricsQueryBenchResult): string {
  const table = formatTable(
    ['query over a day', 'rows read', 'runs', 'p50 ms', 'p99 ms', 'max ms', 'pairs', 'accuracy'],
    r.layouts.map((l) => [
      layoutLabel[l.id],
      String(l.rowsRead),
      String(l.latency.count),
      l.latency.p50Ms.toFixed(2),
      l.latency.p99Ms.toFixed(2),
      l.latency.maxMs.toFixed(2),
      String(l.joined),
      l.accuracy.toFixed(6),
    ]),
  );
  return (
    `metrics query: ${r.pairs} pairs over one day (3 classes with probabilities, 1 segment name), ` +
    `stored JSON of the series ${(r.storedJsonBytes / 1024 / 1024).toFixed(1)} MiB:\n${table}`
  );
}

/** p99 under the target for both layouts, and each layout's p50 against the recomputation. */
export function metricsQueryChecks(r: MetricsQueryBenchResult): RatioCheck[] {
  const at = (id: MetricsQueryLayout['id']) => r.layouts.find((l) => l.id === id);
  const baseline = at('recompute-from-pairs');
  const agree = r.layouts.every((l) => l.joined === r.pairs && l.accuracy === baseline?.accuracy);
  return (['hourly-rollups', 'minute-buckets'] as const).flatMap((id) => {
    const layout = at(id);
    return [
      check(
        `metrics query p99, ${layoutLabel[id]}`,
        layout?.latency.p99Ms,
        'ms',
        '<',
        METRICS_QUERY_BENCH.targetP99Ms,
      ),
      check(
        `metrics query p50, ${layoutLabel[id]} / recompute from pairs${agree ? '' : ' (ANSWERS DIFFER)'}`,
        agree && layout && baseline ? layout.latency.p50Ms / baseline.latency.p50Ms : undefined,
        'x',
        '<',
        1,
      ),
    ];
  });
}
