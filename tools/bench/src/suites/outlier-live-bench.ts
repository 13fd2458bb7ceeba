/**
 * The outlier suite's live part (issue 11): sustained events/s accepted at `POST /events`
 * and scored by an Isolation Forest attached to iris, the outlier service in its own
 * process, fed CloudEvents in batched mode (application/cloudevents-batch+json, each element
 * what libs/events' `toCloudEvent` makes of the event, as the drift suite's live part sends)
 * by several concurrent HTTP clients for a fixed time. 429 and 503 answers are counted and
 * retried after their Retry-After. Then /metrics is polled until the detector's
 * `sightline_outlier_scored_total` covers every accepted event (every scored event is also
 * an OutlierEvent in the service's log).
 *
 * Baseline in the same run: the same forest (libs/stats' IsolationForest, same trees,
 * subsample and reference) scoring the same rows in this process in batches of one POST's
 * events (the service scores each drained batch with one call per detector): the kernel's
 * rate without HTTP, JSON, queue, event log or metrics. "via POST /events / in process" is
 * the share of the kernel's rate the service keeps.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolationForest } from '@sightline/stats';
import { check, type RatioCheck } from '../report/ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startOutlierProcess } from '../servers/outlier-process.js';
import { readProcessCpuMs } from '../servers/process-cpu.js';
import { cloudEventJson, getText, irisEvent, metricSamples, post } from './drift-live-bench.js';
import { fitBenchDetector, irisLikeRows, OUTLIER_BENCH_DETECTOR } from './outlier-bench-detector.js';

/** The run's shape and the issue's target. */
export const OUTLIER_LIVE_BENCH = {
  /** Concurrent HTTP clients, each with one request in flight. */
  clients: 4,
  /** Events per POST. */
  batchEvents: 500,
  /** How long the clients send. */
  durationMs: 10_000,
  /** Longest wait for every accepted event to be scored after the clients stop. */
  drainTimeoutMs: 60_000,
  drainPollMs: 20,
  /** Events scored in process for the baseline. */
  directEvents: 200_000,
  /** Distinct rows cycled through (ids stay unique). */
  rowPool: 10_000,
  targetEventsPerSecMin: 20_000,
} as const;

/** Options of a run. */
export interface OutlierLiveBenchOptions {
  readonly group: ChildProcessGroup;
  readonly durationMs?: number;
}

/** The figures of one run. */
export interface OutlierLiveBenchResult {
  readonly clients: number;
  readonly batchEvents: number;
  readonly durationMs: number;
  readonly acceptedEvents: number;
  /** 202-accepted events over the sending time. */
  readonly acceptedEventsPerSec: number;
  readonly tooManyRequests: number;
  readonly otherFailures: number;
  /** Events counted by sightline_outlier_scored_total for the detector. */
  readonly scoredEvents: number;
  /** Of those, flagged (sightline_outlier_flagged_total). */
  readonly flaggedEvents: number;
  /** Scored events over the time from the first POST to every accepted event scored. */
  readonly scoredEventsPerSec: number;
  readonly drainSeconds: number;
  /** Whether every accepted event was scored before the drain timeout. */
  readonly drained: boolean;
  /**
   * The service process's CPU time (user + system, /proc) per scored event, from the first
   * POST to drained: HTTP, JSON, queue, scoring, the log and metrics together. Undefined
   * where /proc cannot be read. Other load on the machine sways it far less than the rates.
   */
  readonly serviceCpuUsPerEvent?: number;
  /** The forest in this process, a POST's rows per call. */
  readonly directEventsPerSec: number;
  /** scoredEventsPerSec / directEventsPerSec. */
  readonly ratio: number;
}

const DETECTOR = OUTLIER_BENCH_DETECTOR.name;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The detector's value of a counter in Prometheus text, summed over its other labels. */
export function detectorCounter(text: string, name: string, detector: string): number {
  return metricSamples(text, name, { detector }).reduce((sum, s) => sum + s.value, 0);
}

/** Starts the service, fits and attaches, sends for the duration, drains, then the baseline. */
export async function runOutlierLiveBench(options: OutlierLiveBenchOptions): Promise<OutlierLiveBenchResult> {
  const c = OUTLIER_LIVE_BENCH;
  const durationMs = options.durationMs ?? c.durationMs;
  const reference = irisLikeRows(OUTLIER_BENCH_DETECTOR.referenceRows, OUTLIER_BENCH_DETECTOR.seed);
  // A little wider than the reference, so some events are flagged (the verdicts vary).
  const pool = irisLikeRows(c.rowPool, OUTLIER_BENCH_DETECTOR.seed + 1).map((v, i) =>
    i % 17 === 0 ? v * 1.5 : v,
  );
  const row = (i: number) => pool.subarray((i % c.rowPool) * 4, (i % c.rowPool) * 4 + 4);
  const root = await mkdtemp(join(tmpdir(), 'sightline-outlier-live-'));
  const service = await startOutlierProcess(options.group, { dataDir: join(root, 'outlier') });
  const agent = new Agent({ keepAlive: true, maxSockets: c.clients + 1 });
  try {
    await fitBenchDetector(service.client, reference);
    await service.client.attachDetector({
      name: DETECTOR,
      // Features `input[0]`..`input[3]`, as the fit's tensor names them.
      selector: { modelName: 'iris', tensors: ['input'] },
    });
    service.client.close();
    const url = `${service.httpBase}/events`;
    const metricsUrl = `${service.httpBase}/metrics`;
    let accepted = 0;
    let tooMany = 0;
    let failures = 0;
    let sequence = 0;
    const cpuBefore = readProcessCpuMs(service.child.pid);
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
    await Promise.all(Array.from({ length: c.clients }, (_, i) => sender(i)));
    const sentSeconds = (performance.now() - start) / 1000;
    let text = '';
    let drained = false;
    const drainDeadline = performance.now() + c.drainTimeoutMs;
    while (performance.now() < drainDeadline) {
      text = await getText(metricsUrl, agent);
      if (detectorCounter(text, 'sightline_outlier_scored_total', DETECTOR) >= accepted) {
        drained = true;
        break;
      }
      await sleep(c.drainPollMs);
    }
    const drainedSeconds = (performance.now() - start) / 1000;
    const cpuAfter = readProcessCpuMs(service.child.pid);
    const scored = detectorCounter(text, 'sightline_outlier_scored_total', DETECTOR);
    const flagged = detectorCounter(text, 'sightline_outlier_flagged_total', DETECTOR);
    const direct = runDirect(reference, row);
    const scoredEventsPerSec = scored / drainedSeconds;
    return {
      clients: c.clients,
      batchEvents: c.batchEvents,
      durationMs,
      acceptedEvents: accepted,
      acceptedEventsPerSec: accepted / sentSeconds,
      tooManyRequests: tooMany,
      otherFailures: failures,
      scoredEvents: scored,
      flaggedEvents: flagged,
      scoredEventsPerSec,
      drainSeconds: drainedSeconds - sentSeconds,
      drained,
      ...(cpuBefore !== undefined &&
        cpuAfter !== undefined &&
        scored > 0 && { serviceCpuUsPerEvent: ((cpuAfter - cpuBefore) * 1000) / scored }),
      directEventsPerSec: direct,
      ratio: scoredEventsPerSec / direct,
    };
  } finally {
    agent.destroy();
    await options.group.stop(service.child);
    await rm(root, { recursive: true, force: true });
  }
}

/** The same forest in this process, scoring the rows a POST's events at a time; events/s. */
function runDirect(reference: Float32Array, row: (i: number) => Float32Array): number {
  const d = OUTLIER_BENCH_DETECTOR;
  const c = OUTLIER_LIVE_BENCH;
  const forest = IsolationForest.fit(
    { rows: reference.length / 4, cols: 4, data: Float64Array.from(reference) },
    { nEstimators: d.trees, maxSamples: d.maxSamples, seed: d.seed },
  );
  const batches: Float64Array[] = [];
  for (let first = 0; first < c.directEvents; first += c.batchEvents) {
    const data = new Float64Array(c.batchEvents * 4);
    for (let i = 0; i < c.batchEvents; i++) data.set(row(first + i), i * 4);
    batches.push(data);
  }
  let sink = 0;
  const start = performance.now();
  for (const data of batches) sink += forest.scoreSamples({ rows: c.batchEvents, cols: 4, data })[0]!;
  const seconds = (performance.now() - start) / 1000;
  if (Number.isNaN(sink)) throw new Error('in-process scores: NaN');
  return (batches.length * c.batchEvents) / seconds;
}

/** The report lines. */
export function formatOutlierLive(r: OutlierLiveBenchResult): string {
  return [
    `Live: POST /events (batched CloudEvents, ${r.batchEvents} per request, ${r.clients} clients, ${(r.durationMs / 1000).toFixed(0)} s) to Isolation Forest ${DETECTOR} attached to iris, outlier service in its own process:`,
    `  accepted ${r.acceptedEvents} events, ${r.acceptedEventsPerSec.toFixed(0)} events/s; 429/503 answers ${r.tooManyRequests}, other failures ${r.otherFailures}`,
    `  scored ${r.scoredEvents} (flagged ${r.flaggedEvents}), ${r.scoredEventsPerSec.toFixed(0)} events/s first POST to all scored${r.drained ? '' : ' (NOT drained before the timeout)'} (drain ${r.drainSeconds.toFixed(1)} s after the clients stopped)`,
    `  service CPU per scored event: ${r.serviceCpuUsPerEvent === undefined ? 'n/a' : `${r.serviceCpuUsPerEvent.toFixed(1)} us (${(1e6 / r.serviceCpuUsPerEvent).toFixed(0)} events per CPU-second)`}`,
    `  in process (the same forest, ${OUTLIER_LIVE_BENCH.batchEvents} rows per call, ${OUTLIER_LIVE_BENCH.directEvents} events): ${r.directEventsPerSec.toFixed(0)} events/s`,
    `  via POST /events / in process: ${r.ratio.toFixed(3)}x`,
  ].join('\n');
}

/** The target: events/s accepted and scored (the lower of the two rates). */
export function outlierLiveChecks(r: OutlierLiveBenchResult): RatioCheck[] {
  return [
    check(
      'outlier live events/s accepted at POST /events and scored (lower of the two)',
      r.drained ? Math.min(r.acceptedEventsPerSec, r.scoredEventsPerSec) : 0,
      'events/s',
      '>=',
      OUTLIER_LIVE_BENCH.targetEventsPerSecMin,
    ),
  ];
}
