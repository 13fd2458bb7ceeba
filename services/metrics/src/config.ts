/**
 * The metrics service's settings: the shared server settings plus its own, each settable by
 * flag (`--data-dir`) or environment (`SIGHTLINE_DATA_DIR`). This module loads no domain code,
 * so the CLI can read the settings (and `--help`) cheaply.
 */
import { eventStreamSettings, serverConfigSchema } from '@sightline/service-kit';
import { z } from 'zod';

/** Default ports of the metrics service (see DESIGN.md). */
export const METRICS_PORTS = { grpcPort: 8004, httpPort: 9004 } as const;
/** Default data directory: the SQLite store (metrics.sqlite) when no PostgreSQL URL is given. */
export const DEFAULT_METRICS_DATA_DIR = '.data/metrics';
/** Default most InferenceEvents waiting in the POST /events queue before it answers 429. */
export const DEFAULT_METRICS_EVENT_QUEUE_CAPACITY = 100_000;

const positiveInt = () => z.coerce.number().int().positive();
const nonNegativeInt = () => z.coerce.number().int().nonnegative();

/** The metrics service's settings (flags, SIGHTLINE_* variables). */
export const metricsConfigSchema = serverConfigSchema(METRICS_PORTS).extend({
  ...eventStreamSettings({ eventQueueCapacity: DEFAULT_METRICS_EVENT_QUEUE_CAPACITY }),
  dataDir: z
    .string()
    .min(1)
    .default(DEFAULT_METRICS_DATA_DIR)
    .describe('directory of the embedded SQLite store (metrics.sqlite); unused with --postgres-url'),
  postgresUrl: z
    .string()
    .min(1)
    .optional()
    .describe(
      'PostgreSQL connection string (postgres://user:pass@host/db): several replicas share one store; unset uses SQLite in --data-dir (one replica)',
    ),
  postgresPoolSize: positiveInt().default(10).describe('PostgreSQL connections per replica'),
  postgresConnectTimeoutMs: positiveInt()
    .default(5_000)
    .describe(
      'how long a call waits for a PostgreSQL connection, in ms; with the database down, calls answer UNAVAILABLE after this',
    ),
  segments: z
    .string()
    .default('')
    .describe(
      'comma-separated segment names (at most 16): each a request parameter or a categorical input tensor (one BYTES or integer element per row) whose value splits every metric',
    ),
  classes: z
    .string()
    .default('')
    .describe(
      'class labels per model, in probability order: "iris=setosa,versicolor,virginica;wine=a,b,c" (default: the decimal indices of a probability output; required for label outputs)',
    ),
  outputs: z
    .string()
    .default('')
    .describe(
      'the output tensor read per model: "iris=probabilities;price=value" (default: see the service README)',
    ),
  maxFeedbackPerCall: positiveInt()
    .default(10_000)
    .describe(
      'feedback rows one SendFeedback call may carry (tensors and label lists expanded); more is RESOURCE_EXHAUSTED',
    ),
  maxPredictionsPerRequest: positiveInt()
    .default(64)
    .describe(
      'predictions stored under one request id (a model, its shadows, retries); more are rejected, so a join reads a bounded set',
    ),
  maxFeedbackClockSkewMs: positiveInt()
    .default(300_000)
    .describe("how far a feedback row's receive time may lie after the store's clock, in ms"),
  maxPendingFeedback: positiveInt()
    .default(1_000_000)
    .describe(
      'feedback rows held for predictions not seen yet; a call that could hold more is RESOURCE_EXHAUSTED',
    ),
  pendingFeedbackTtlMs: positiveInt()
    .default(24 * 3_600_000)
    .describe('how long feedback waits for its prediction before it expires (counted), in ms'),
  retentionMs: positiveInt()
    .default(30 * 86_400_000)
    .describe('how long predictions, pairs, feedback and metric buckets are kept, in ms'),
  maxSegmentValues: positiveInt()
    .default(50)
    .describe('values of one segment name kept per series; later ones are pooled under "__other__"'),
  maxSeries: positiveInt()
    .default(1_000)
    .describe('series (model, version, node) the windows keep; more is RESOURCE_EXHAUSTED'),
  countWindowPairs: nonNegativeInt()
    .default(1_000)
    .describe('joined pairs per count window of a series (0 turns count windows off)'),
  countWindowsKept: positiveInt().default(100).describe('closed count windows kept per series'),
  cbpeF1IntervalMaxClasses: nonNegativeInt()
    .max(64)
    .default(16)
    .describe(
      "most classes for which CBPE's estimated macro F1 gets an interval (at most 64): its second moments are 2 K² sums per window bucket (8 KB at 16 classes, 128 KB at 64)",
    ),
  dleReferencePairs: nonNegativeInt()
    .max(100_000)
    .default(1_000)
    .describe(
      "direct loss estimation: a regression series' loss models are fitted on its earliest joined elements, up to this many, then kept (0 turns DLE off)",
    ),
  dleMinReferencePairs: positiveInt()
    .min(10)
    .default(100)
    .describe(
      'joined elements a regression series needs before its loss models are first fitted (DLE is unset until then)',
    ),
  dleRefitIntervalMs: nonNegativeInt()
    .default(60_000)
    .describe("while a series' DLE reference is not full, how often it is read and fitted again, in ms"),
  flushIntervalMs: positiveInt()
    .default(1_000)
    .describe(
      'how often the windows write their changed buckets to the store, in ms (a kill -9 loses at most this much of the window counts, never a pair)',
    ),
  expiryIntervalMs: positiveInt()
    .default(60_000)
    .describe('how often pending feedback is checked for expiry, in ms'),
  retentionIntervalMs: positiveInt()
    .default(3_600_000)
    .describe('how often data older than --retention-ms is removed, in ms'),
  exportWindowMs: positiveInt()
    .default(3_600_000)
    .describe('the trailing window of the windowed metrics exported as Prometheus gauges, in ms'),
  exportIntervalMs: positiveInt()
    .default(15_000)
    .describe('how often the exported gauges are recomputed, in ms'),
  maxComputePairs: positiveInt()
    .default(1_000_000)
    .describe('pairs one ComputeMetrics call takes; more is RESOURCE_EXHAUSTED'),
  maxComputeProbabilities: positiveInt()
    .default(10_000_000)
    .describe('probabilities (pairs x classes) one ComputeMetrics call takes; more is RESOURCE_EXHAUSTED'),
  maxComparisonPairs: positiveInt()
    .default(1_000_000)
    .describe(
      'joined rows of the baseline one CompareVersions reads; more is RESOURCE_EXHAUSTED (shorten the window)',
    ),
  maxBootstrapPairs: positiveInt()
    .default(100_000)
    .describe('paired rows a bootstrap comparison takes; more is RESOURCE_EXHAUSTED'),
  maxAnnotationInputBytes: positiveInt()
    .max(524_288)
    .default(65_536)
    .describe(
      "bytes of an annotation item's inputs kept (each request tensor sliced to the row); larger inputs are left out and marked truncated",
    ),
  alertIntervalMs: positiveInt()
    .min(1_000)
    .default(60_000)
    .describe('how often every alert rule is evaluated, in ms (at least 1000)'),
  alertRules: z
    .string()
    .min(1)
    .optional()
    .describe(
      'a YAML or JSON file of alert rules, loaded at start (a file rule replaces an RPC rule of its name); a bad file fails the start naming file, rule and field',
    ),
  maxAlertRules: positiveInt()
    .default(1_000)
    .describe('alert rules kept at most; more is RESOURCE_EXHAUSTED'),
  metricsEventSinkUrl: z
    .string()
    .url()
    .optional()
    .describe(
      'POST every CorrectnessEvent (io.sightline.metrics.correctness), ConceptDriftEvent (io.sightline.metrics.concept_drift) and AlertEvent (io.sightline.metrics.alert) as a CloudEvent to this URL',
    ),
  metricsEventSinkTimeoutMs: positiveInt()
    .default(5_000)
    .describe('timeout of one POST to --metrics-event-sink-url, in ms'),
  metricsEventSinkQueue: positiveInt()
    .default(10_000)
    .describe('events waiting for --metrics-event-sink-url; more are dropped and counted'),
});

/** The resolved settings. */
export type MetricsConfig = z.output<typeof metricsConfigSchema>;

/**
 * A `name=a,b,c;other=d` table.
 * @throws Error naming the flag for a malformed entry.
 */
export function parseModelTable(text: string, flag: string): Record<string, string[]> {
  const table: Record<string, string[]> = {};
  for (const entry of text.split(';')) {
    if (entry.trim() === '') continue;
    const at = entry.indexOf('=');
    const name = entry.slice(0, at).trim();
    const values = entry
      .slice(at + 1)
      .split(',')
      .map((v) => v.trim());
    if (at <= 0 || name === '' || values.some((v) => v === '')) {
      throw new Error(`${flag}: expected "model=a,b,c;other=d", got ${JSON.stringify(entry)}`);
    }
    table[name] = values;
  }
  return table;
}

/** The segment names of --segments. */
export function parseSegmentNames(text: string): string[] {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length > 16) throw new Error(`--segments: at most 16 names, got ${names.length}`);
  return names;
}
