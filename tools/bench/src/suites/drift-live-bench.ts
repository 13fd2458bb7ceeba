/**
 * The drift suite's live part (issue 10): sustained events/s accepted at `POST /events` and
 * scored by a KS detector attached to iris (windows of 1,000 rows), the drift service in
 * its own process, fed CloudEvents in batched mode (application/cloudevents-batch+json,
 * the form the local stack's senders batch in; each element is what `toCloudEvent` makes
 * of the event) by several concurrent HTTP clients for a fixed time. 429s are counted and
 * retried after their Retry-After. Then: windows closed and the close-to-export histogram
 * from /metrics (p99), and close-to-scrape latency seen by polling /metrics while it runs.
 *
 * Baseline in the same run: the same kind of events fed in process to libs/detect's
 * LiveScorer (the same windows and KS kernels, no HTTP, no queue, no service).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DriftKinds, LiveScorer, STATS_KERNELS, scoringDetector, tableFromEvents } from '@sightline/detect';
import {
  eventToJson,
  INFERENCE_CLOUD_EVENT_TYPE,
  INFERENCE_EVENT_DATASCHEMA,
  type InferenceEvent,
} from '@sightline/events';
import { seededRandom } from '@sightline/stats';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { check, type RatioCheck } from '../report/ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startDriftProcess } from '../servers/drift-process.js';

/** The shape and target. */
export const DRIFT_LIVE_BENCH = {
  referenceRows: 1_000,
  windowRows: 1_000,
  /** Concurrent HTTP clients, each with one request in flight. */
  clients: 4,
  /** Events per POST. */
  batchEvents: 500,
  /** How long the clients send. */
  durationMs: 10_000,
  /** How often /metrics is polled for a new window's end time. */
  scrapeIntervalMs: 100,
  /** Longest wait for the queue to drain after the clients stop. */
  drainTimeoutMs: 60_000,
  /** Events fed to the in-process LiveScorer baseline. */
  directEvents: 200_000,
  /** Distinct rows cycled through (ids stay unique). */
  rowPool: 10_000,
  targetEventsPerSecMin: 20_000,
  seed: 7,
} as const;

/** Options of a run. */
export interface DriftLiveBenchOptions {
  readonly group: ChildProcessGroup;
  readonly durationMs?: number;
}

/** The figures of one run. */
export interface DriftLiveBenchResult {
  readonly clients: number;
  readonly batchEvents: number;
  readonly durationMs: number;
  readonly acceptedEvents: number;
  /** 202-accepted events over the sending time. */
  readonly acceptedEventsPerSec: number;
  readonly tooManyRequests: number;
  readonly otherFailures: number;
  /** Rows in closed windows (windows x 1,000) over the time from the first POST to the queue drained. */
  readonly scoredEventsPerSec: number;
  readonly windowsClosed: number;
  readonly drainSeconds: number;
  /** p99 of sightline_drift_window_export_seconds (window closed to stored and exported), ms. */
  readonly exportP99Ms: number | undefined;
  /** Poll time minus the window end time of each new window seen on /metrics, ms. */
  readonly scrapeLatencyP99Ms: number | undefined;
  readonly scrapeSamples: number;
  /** The LiveScorer fed in process. */
  readonly directEventsPerSec: number;
  readonly directWindows: number;
  /** scoredEventsPerSec / directEventsPerSec. */
  readonly ratio: number;
}

const IRIS_MEANS = [5.8, 3.0, 3.8, 1.2];
const DETECTOR = 'iris-ks';

/** Iris-like rows (iris's means, uniform spread), row-major. */
function irisRows(rows: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const data = new Float32Array(rows * 4);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < 4; c++) data[r * 4 + c] = IRIS_MEANS[c]! + random.nextFloat() - 0.5;
  return data;
}

/** One live iris event. */
export function irisEvent(id: string, timeUnixMs: number, row: Float32Array): InferenceEvent {
  return {
    eventId: id,
    requestId: id,
    timeUnixMs,
    source: 'bench',
    graph: 'iris',
    nodePath: ['iris'],
    modelName: 'iris',
    modelVersion: '1',
    inputs: [createTensor('input', 'FP32', [1, 4], row)],
    outputs: [],
    requestParameters: {},
    responseParameters: {},
    timings: { totalMs: 1 },
    statusCode: 'OK',
  };
}

/**
 * The structured JSON of `toCloudEvent(event)` (libs/events) built without the cloudevents
 * library's per-event validation, which would cost the load generator more than the
 * service spends; the unit test holds the two equal.
 */
export function cloudEventJson(event: InferenceEvent): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: event.eventId,
    type: INFERENCE_CLOUD_EVENT_TYPE,
    source: event.source,
    subject: event.graph || event.modelName,
    time: new Date(event.timeUnixMs).toISOString(),
    datacontenttype: 'application/json',
    dataschema: INFERENCE_EVENT_DATASCHEMA,
    data: eventToJson(event),
    requestid: event.requestId,
    modelname: event.modelName,
    statuscode: event.statusCode,
    ...(event.modelVersion ? { modelversion: event.modelVersion } : {}),
    ...(event.graph ? { graph: event.graph } : {}),
  };
}

/** One Prometheus histogram's cumulative buckets, `le` ascending (the last is +Inf). */
export interface HistogramBuckets {
  readonly le: readonly number[];
  readonly counts: readonly number[];
}

/**
 * Prometheus's histogram_quantile: linear interpolation inside the bucket the rank falls
 * in; the highest finite bound when it falls in +Inf; undefined without observations.
 */
export function histogramQuantile(q: number, buckets: HistogramBuckets): number | undefined {
  const total = buckets.counts.at(-1) ?? 0;
  if (total === 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < buckets.le.length; i++) {
    if (buckets.counts[i]! >= rank) {
      const upper = buckets.le[i]!;
      if (!Number.isFinite(upper)) return buckets.le[i - 1];
      const lower = i === 0 ? 0 : buckets.le[i - 1]!;
      const below = i === 0 ? 0 : buckets.counts[i - 1]!;
      const inBucket = buckets.counts[i]! - below;
      return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
    }
  }
  return undefined;
}

/** Samples of `name` in Prometheus text whose labels include every `labels` pair. */
export function metricSamples(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)/.exec(line);
    if (!match) continue;
    const found: Record<string, string> = {};
    for (const pair of (match[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) found[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) {
      out.push({ labels: found, value: Number(match[2]) });
    }
  }
  return out;
}

/** The detector's export histogram buckets from Prometheus text. */
export function exportBuckets(text: string, detector: string): HistogramBuckets {
  const samples = metricSamples(text, 'sightline_drift_window_export_seconds_bucket', { detector })
    .map((s) => ({
      le: s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le),
      count: s.value,
    }))
    .sort((a, b) => a.le - b.le);
  return { le: samples.map((s) => s.le), counts: samples.map((s) => s.count) };
}

/** Nearest-rank quantile of `values` (undefined when empty). */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** GET `url`, the body as text. */
export function getText(url: string, agent: Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** POST a batched CloudEvents body; resolves with the status and Retry-After (s, default 1). */
export function post(
  url: string,
  body: string,
  agent: Agent,
): Promise<{ status: number; retryAfterS: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/cloudevents-batch+json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, retryAfterS: Number(res.headers['retry-after'] ?? 1) || 1 }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Windows closed for the detector (every closed_by and drift label). */
function windowsClosed(text: string): number {
  return metricSamples(text, 'sightline_drift_windows_closed_total', { detector: DETECTOR }).reduce(
    (sum, s) => sum + s.value,
    0,
  );
}

/** Starts the service, fits and attaches, sends for the duration, drains, then the baseline. */
export async function runDriftLiveBench(options: DriftLiveBenchOptions): Promise<DriftLiveBenchResult> {
  const c = DRIFT_LIVE_BENCH;
  const durationMs = options.durationMs ?? c.durationMs;
  const reference = irisRows(c.referenceRows, c.seed);
  const pool = irisRows(c.rowPool, c.seed + 1);
  const row = (i: number) => pool.subarray((i % c.rowPool) * 4, (i % c.rowPool) * 4 + 4);
  const root = await mkdtemp(join(tmpdir(), 'sightline-drift-live-'));
  const eventsDir = join(root, 'events');
  await mkdir(eventsDir);
  const service = await startDriftProcess(options.group, { dataDir: join(root, 'drift'), eventsDir });
  const agent = new Agent({ keepAlive: true, maxSockets: c.clients + 1 });
  try {
    const { client } = service;
    await client.createDetector({ name: DETECTOR, config: { ks: {} } });
    await client.fit({
      name: DETECTOR,
      data: encodeTensorMessages([createTensor('input', 'FP32', [c.referenceRows, 4], reference)], 'raw'),
    });
    await client.attachDetector({
      name: DETECTOR,
      // Features `input[0]`..`input[3]`, as the fit's tensor names them.
      selector: { modelName: 'iris', tensors: ['input'] },
      window: { maxRows: c.windowRows },
    });
    const url = `${service.httpBase}/events`;
    const metricsUrl = `${service.httpBase}/metrics`;
    let accepted = 0;
    let tooMany = 0;
    let failures = 0;
    let sequence = 0;
    const start = performance.now();
    const stopAt = start + durationMs;
    const sender = async (clientIndex: number) => {
      while (performance.now() < stopAt) {
        const events: unknown[] = [];
        const now = Date.now();
        for (let i = 0; i < c.batchEvents; i++) {
          const n = sequence++;
          events.push(cloudEventJson(irisEvent(`live-${clientIndex}-${n}`, now, row(n))));
        }
        const body = JSON.stringify(events);
        for (;;) {
          const answer = await post(url, body, agent);
          if (answer.status >= 200 && answer.status < 300) {
            accepted += c.batchEvents;
            break;
          }
          if (answer.status === 429 || answer.status === 503) {
            tooMany++;
            await sleep(answer.retryAfterS * 1000);
            if (performance.now() >= stopAt) break;
            continue;
          }
          failures++;
          break;
        }
      }
    };
    // Close-to-scrape: each new window end time seen, against the poll's clock.
    const scrapeLatenciesMs: number[] = [];
    let scraping = true;
    const scraper = (async () => {
      let lastEnd = 0;
      while (scraping) {
        const text = await getText(metricsUrl, agent).catch(() => '');
        const seenAt = Date.now();
        const end = metricSamples(text, 'sightline_drift_window_end_time_seconds', { detector: DETECTOR })[0]
          ?.value;
        if (end !== undefined && end > 0 && end !== lastEnd) {
          lastEnd = end;
          scrapeLatenciesMs.push(seenAt - end * 1000);
        }
        await sleep(c.scrapeIntervalMs);
      }
    })();
    await Promise.all(Array.from({ length: c.clients }, (_, i) => sender(i)));
    const sentSeconds = (performance.now() - start) / 1000;
    // Drained: queue empty and every accepted event's full windows closed.
    const expectedWindows = Math.floor(accepted / c.windowRows);
    let text = '';
    const drainDeadline = performance.now() + c.drainTimeoutMs;
    while (performance.now() < drainDeadline) {
      text = await getText(metricsUrl, agent);
      const depth = metricSamples(text, 'sightline_drift_event_queue_depth')[0]?.value ?? 0;
      if (depth === 0 && windowsClosed(text) >= expectedWindows) break;
      await sleep(20);
    }
    const drainedSeconds = (performance.now() - start) / 1000;
    scraping = false;
    await scraper;
    const closed = windowsClosed(text);
    const exportP99 = histogramQuantile(0.99, exportBuckets(text, DETECTOR));
    service.client.close();

    const direct = runDirect(reference, row);
    const scoredEventsPerSec = (closed * c.windowRows) / drainedSeconds;
    return {
      clients: c.clients,
      batchEvents: c.batchEvents,
      durationMs,
      acceptedEvents: accepted,
      acceptedEventsPerSec: accepted / sentSeconds,
      tooManyRequests: tooMany,
      otherFailures: failures,
      scoredEventsPerSec,
      windowsClosed: closed,
      drainSeconds: drainedSeconds - sentSeconds,
      exportP99Ms: exportP99 === undefined ? undefined : exportP99 * 1000,
      scrapeLatencyP99Ms: quantile(scrapeLatenciesMs, 0.99),
      scrapeSamples: scrapeLatenciesMs.length,
      directEventsPerSec: direct.eventsPerSec,
      directWindows: direct.windows,
      ratio: scoredEventsPerSec / direct.eventsPerSec,
    };
  } finally {
    agent.destroy();
    await options.group.stop(service.child);
    await rm(root, { recursive: true, force: true });
  }
}

/** The LiveScorer with the same KS kind on the same reference, fed event objects in process. */
function runDirect(
  reference: Float32Array,
  row: (i: number) => Float32Array,
): { eventsPerSec: number; windows: number } {
  const c = DRIFT_LIVE_BENCH;
  const attachment = {
    detector: DETECTOR,
    modelName: 'iris',
    side: 'request' as const,
    tensor: 'input',
    window: { maxRows: c.windowRows },
  };
  const kinds = new DriftKinds(STATS_KERNELS);
  const ks = kinds.get('ks');
  // The reference as one event of all its rows, read by the same selection as the live events.
  const referenceEvent: InferenceEvent = {
    ...irisEvent('reference', 0, reference.subarray(0, 4)),
    inputs: [createTensor('input', 'FP32', [c.referenceRows, 4], reference)],
  };
  const referenceTable = tableFromEvents([referenceEvent], attachment).table!;
  const detector = scoringDetector(DETECTOR, 1, ks.fit(referenceTable), ks);
  let windows = 0;
  const scorer = new LiveScorer({
    detectors: { get: (name) => (name === DETECTOR ? detector : undefined) },
    onWindowResult: () => {
      windows++;
    },
  });
  scorer.setAttachments([attachment]);
  const now = Date.now();
  const events = Array.from({ length: c.directEvents }, (_, i) => irisEvent(`direct-${i}`, now, row(i)));
  const start = performance.now();
  for (const event of events) scorer.accept(event);
  const seconds = (performance.now() - start) / 1000;
  return { eventsPerSec: c.directEvents / seconds, windows };
}

/** The report lines. */
export function formatDriftLive(r: DriftLiveBenchResult): string {
  const ms = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(1)} ms`);
  return [
    `Live: POST /events (batched CloudEvents, ${r.batchEvents} per request, ${r.clients} clients, ${(r.durationMs / 1000).toFixed(0)} s) to a KS detector attached to iris, windows of ${DRIFT_LIVE_BENCH.windowRows} rows, drift service in its own process:`,
    `  accepted ${r.acceptedEvents} events, ${r.acceptedEventsPerSec.toFixed(0)} events/s; 429/503 answers ${r.tooManyRequests}, other failures ${r.otherFailures}`,
    `  scored: ${r.windowsClosed} windows closed, ${r.scoredEventsPerSec.toFixed(0)} events/s first POST to queue drained (drain ${r.drainSeconds.toFixed(1)} s after the clients stopped)`,
    `  window close to export p99 (histogram) ${ms(r.exportP99Ms)}; close to scrape p99 ${ms(r.scrapeLatencyP99Ms)} over ${r.scrapeSamples} windows seen (polled every ${DRIFT_LIVE_BENCH.scrapeIntervalMs} ms)`,
    `  direct (LiveScorer in process, ${DRIFT_LIVE_BENCH.directEvents} events): ${r.directEventsPerSec.toFixed(0)} events/s, ${r.directWindows} windows`,
    `  via POST /events / direct: ${r.ratio.toFixed(3)}x`,
  ].join('\n');
}

/** The target: events/s accepted and scored (the lower of the two rates). */
export function driftLiveChecks(r: DriftLiveBenchResult): RatioCheck[] {
  return [
    check(
      'drift live events/s accepted at POST /events and scored (lower of the two)',
      Math.min(r.acceptedEventsPerSec, r.scoredEventsPerSec),
      'events/s',
      '>=',
      DRIFT_LIVE_BENCH.targetEventsPerSecMin,
    ),
  ];
}
