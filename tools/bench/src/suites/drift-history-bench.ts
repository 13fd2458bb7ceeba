/**
 * The drift suite's historical part (issue 10): a ScoreHistory run over 1,000,000 stored
 * events of 20 features through the drift service in its own process (so its RSS is its
 * own), in windows of 10,000 rows, against a tabular (KS) detector fitted on 10,000
 * reference rows of the same distribution. The second half of the stored events is shifted
 * in a few features, so every window after the shift must drift and none before it.
 *
 * Baseline in the same run: the same KS + Bonferroni windows over the same rows computed
 * in this process with @sightline/stats directly (no events, no service, no effect sizes).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import type { InferenceEvent } from '@sightline/events';
import { FileEventStore, silentEventLogger } from '@sightline/events';
import { correctPValues, ks2SampSorted, seededRandom } from '@sightline/stats';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { check, type RatioCheck } from '../report/ratios.js';
import type { ChildProcessGroup } from '../servers/child-process-group.js';
import { startDriftProcess } from '../servers/drift-process.js';
import { readProcessMemory } from '../servers/process-memory.js';

/** The issue's shape and targets. */
export const DRIFT_HISTORY_BENCH = {
  events: 1_000_000,
  features: 20,
  referenceRows: 10_000,
  windowRows: 10_000,
  /** Features shifted in the second half of the stored events. */
  shiftedFeatures: 3,
  /** Their mean shift, in standard deviations. */
  shiftSd: 0.25,
  /**
   * The detector's p_val: 0.001 rather than Alibi's 0.05, so that the "no window before the
   * shift drifts" check is not a coin with a 5% chance per window of 20 features.
   */
  pVal: 0.001,
  /** Events per FileEventStore.append. */
  appendBatch: 1_000,
  /** Stored events are this far apart, in ms (event time). */
  eventSpacingMs: 1,
  /** How often the service's RSS is sampled, in ms. */
  rssSampleIntervalMs: 100,
  /**
   * Longest the history stream may run: twice the target, so a miss is still measured, and
   * the suite stays bounded when the run is far slower (it is then cut and reported).
   */
  historyDeadlineMs: 120_000,
  targetSecondsMax: 60,
  targetRssMbMax: 500,
  seed: 20261203,
} as const;

/** Options of a run. */
export interface DriftHistoryBenchOptions {
  readonly events?: number;
  /**
   * The store's segment size (FileEventStore's `segmentMaxBytes`); absent: its default, as
   * the router writes. A diagnostic: a history page re-reads its segment from the start.
   */
  readonly segmentMaxBytes?: number;
  readonly group: ChildProcessGroup;
}

/** The figures of one run. */
export interface DriftHistoryBenchResult {
  readonly events: number;
  /** Segments the store holds after the writes. */
  readonly segments: number;
  readonly features: number;
  readonly windowRows: number;
  /** Writing the events into the file store (not part of the target). */
  readonly writeSeconds: number;
  readonly writeEventsPerSec: number;
  /** The ScoreHistory call, first request to the stream's end (or to the deadline). */
  readonly historySeconds: number;
  /** Events the service had read when the stream ended (its last progress message). */
  readonly historyEventsRead: number;
  /** False when the deadline cut the stream. */
  readonly historyCompleted: boolean;
  readonly historyEventsPerSec: number;
  /** VmHWM of the service process at the end (start, fit and history). */
  readonly peakRssMb: number;
  /** VmRSS once fitted, before the history run. */
  readonly rssBeforeMb: number;
  readonly windows: number;
  readonly driftedWindows: number;
  readonly windowCheck: WindowCheck;
  /** The same windows by @sightline/stats in this process. */
  readonly directSeconds: number;
  readonly directDriftedWindows: number;
  /** Service time per event over direct time per event (historySeconds / directSeconds when completed). */
  readonly ratio: number;
}

/** One history window by event time. */
export interface HistoryWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly drift: boolean;
}

/** How the windows fell either side of the shift. */
export interface WindowCheck {
  readonly before: number;
  readonly beforeDrifted: number;
  readonly after: number;
  readonly afterDrifted: number;
  /** Windows holding events from both sides (not checked). */
  readonly straddling: number;
  /** No window before the shift drifted, every one after it did, and both sides had windows. */
  readonly ok: boolean;
}

/** Classifies windows by the shift's event time: before (end < shift), after (start >= shift). */
export function checkWindows(windows: readonly HistoryWindow[], shiftMs: number): WindowCheck {
  let before = 0;
  let beforeDrifted = 0;
  let after = 0;
  let afterDrifted = 0;
  let straddling = 0;
  for (const w of windows) {
    if (w.endMs < shiftMs) {
      before++;
      if (w.drift) beforeDrifted++;
    } else if (w.startMs >= shiftMs) {
      after++;
      if (w.drift) afterDrifted++;
    } else straddling++;
  }
  const ok = before > 0 && after > 0 && beforeDrifted === 0 && afterDrifted === after;
  return { before, beforeDrifted, after, afterDrifted, straddling, ok };
}

/** Row-major FP32 rows of standard normals; rows from `shiftFromRow` on shifted in the first features. */
function normalRows(
  random: ReturnType<typeof seededRandom>,
  rows: number,
  features: number,
  shiftFromRow: number,
): Float32Array {
  const c = DRIFT_HISTORY_BENCH;
  const data = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    const shift = r >= shiftFromRow ? c.shiftSd : 0;
    for (let f = 0; f < features; f++) {
      data[r * features + f] = random.nextNormal() + (f < c.shiftedFeatures ? shift : 0);
    }
  }
  return data;
}

const MODEL = 'tabular20';
const DETECTOR = 'history-bench';

function storedEvent(i: number, timeUnixMs: number, row: Float32Array, features: number): InferenceEvent {
  const id = i.toString(16).padStart(8, '0');
  return {
    eventId: `hist-${id}`,
    requestId: `req-${id}`,
    timeUnixMs,
    source: 'bench',
    graph: '',
    nodePath: [],
    modelName: MODEL,
    modelVersion: '1',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, features], data: row }],
    outputs: [],
    requestParameters: {},
    responseParameters: {},
    timings: { totalMs: 1 },
    statusCode: 'OK',
  };
}

/** Sorted Float64 copies of each column of row-major `rows`. */
function sortedColumns(rows: Float32Array, from: number, to: number, features: number): Float64Array[] {
  const columns: Float64Array[] = [];
  for (let f = 0; f < features; f++) {
    const column = new Float64Array(to - from);
    for (let r = from; r < to; r++) column[r - from] = rows[r * features + f]!;
    columns.push(column.sort());
  }
  return columns;
}

/** KS per feature plus Bonferroni per window, in process; the drifted window count. */
function directWindows(reference: Float32Array, rows: Float32Array, events: number): number {
  const c = DRIFT_HISTORY_BENCH;
  const referenceSorted = sortedColumns(reference, 0, c.referenceRows, c.features);
  let drifted = 0;
  for (let from = 0; from < events; from += c.windowRows) {
    const to = Math.min(events, from + c.windowRows);
    const window = sortedColumns(rows, from, to, c.features);
    const pValues = window.map((column, f) => ks2SampSorted(referenceSorted[f]!, column).pValue);
    if (correctPValues(pValues, c.pVal, 'bonferroni').anyRejected) drifted++;
  }
  return drifted;
}

/** Writes the events, starts the service, fits, runs ScoreHistory, then the direct baseline. */
export async function runDriftHistoryBench(
  options: DriftHistoryBenchOptions,
): Promise<DriftHistoryBenchResult> {
  const c = DRIFT_HISTORY_BENCH;
  const events = options.events ?? c.events;
  const random = seededRandom(c.seed);
  const reference = normalRows(random, c.referenceRows, c.features, Number.POSITIVE_INFINITY);
  const shiftRow = Math.floor(events / 2);
  const rows = normalRows(random, events, c.features, shiftRow);
  const root = await mkdtemp(join(tmpdir(), 'sightline-drift-history-'));
  // Recent event times: the store's retention (7 days) would drop older segments.
  const t0 = Date.now() - events * c.eventSpacingMs - 60_000;
  try {
    const eventsDir = join(root, 'events');
    const store = await FileEventStore.open({
      directory: eventsDir,
      logger: silentEventLogger,
      ...(options.segmentMaxBytes && { segmentMaxBytes: options.segmentMaxBytes }),
    });
    const writeStart = performance.now();
    for (let from = 0; from < events; from += c.appendBatch) {
      const batch: InferenceEvent[] = [];
      for (let i = from; i < Math.min(events, from + c.appendBatch); i++) {
        batch.push(
          storedEvent(
            i,
            t0 + i * c.eventSpacingMs,
            rows.subarray(i * c.features, (i + 1) * c.features),
            c.features,
          ),
        );
      }
      await store.append(batch);
    }
    const segments = store.segments().length;
    await store.close();
    const writeSeconds = (performance.now() - writeStart) / 1000;

    const service = await startDriftProcess(options.group, {
      dataDir: join(root, 'drift'),
      eventsDir,
    });
    let historySeconds: number;
    let eventsRead = 0;
    let completed = true;
    let rssBefore: number;
    let peakRss: number;
    const windows: HistoryWindow[] = [];
    try {
      const { client } = service;
      await client.createDetector({ name: DETECTOR, config: { tabular: { pVal: c.pVal } } });
      await client.fit({
        name: DETECTOR,
        data: encodeTensorMessages(
          [createTensor('input', 'FP32', [c.referenceRows, c.features], reference)],
          'raw',
        ),
      });
      rssBefore = readProcessMemory(service.child.pid)?.rssBytes ?? 0;
      let sampledPeak = rssBefore;
      const sampler = setInterval(() => {
        sampledPeak = Math.max(sampledPeak, readProcessMemory(service.child.pid)?.rssBytes ?? 0);
      }, c.rssSampleIntervalMs);
      const start = performance.now();
      try {
        await client.scoreHistory(
          {
            name: DETECTOR,
            range: { startTime: new Date(t0), endTime: new Date(t0 + events * c.eventSpacingMs) },
            selector: { modelName: MODEL, tensors: ['input'] },
            window: { maxRows: c.windowRows },
          },
          (item) => {
            if (item.progress) eventsRead = Number(item.progress.eventsRead);
            if (item.data && item.windowStartTime && item.windowEndTime) {
              windows.push({
                startMs: item.windowStartTime.getTime(),
                endMs: item.windowEndTime.getTime(),
                drift: item.data.isDrift,
              });
            }
          },
          c.historyDeadlineMs,
        );
      } catch (error) {
        if ((error as { code?: number }).code !== status.DEADLINE_EXCEEDED) throw error;
        completed = false;
      } finally {
        clearInterval(sampler);
      }
      historySeconds = (performance.now() - start) / 1000;
      // VmHWM is the kernel's own high-water mark; the samples only guard a missing /proc field.
      peakRss = Math.max(sampledPeak, readProcessMemory(service.child.pid)?.peakRssBytes ?? 0);
      service.client.close();
    } finally {
      await options.group.stop(service.child);
    }

    const directStart = performance.now();
    const directDriftedWindows = directWindows(reference, rows, events);
    const directSeconds = (performance.now() - directStart) / 1000;
    const mb = (bytes: number) => bytes / (1024 * 1024);
    return {
      events,
      segments,
      features: c.features,
      windowRows: c.windowRows,
      writeSeconds,
      writeEventsPerSec: events / writeSeconds,
      historySeconds,
      historyEventsRead: eventsRead,
      historyCompleted: completed,
      historyEventsPerSec: eventsRead / historySeconds,
      peakRssMb: mb(peakRss),
      rssBeforeMb: mb(rssBefore),
      windows: windows.length,
      driftedWindows: windows.filter((w) => w.drift).length,
      windowCheck: checkWindows(windows, t0 + shiftRow * c.eventSpacingMs),
      directSeconds,
      directDriftedWindows,
      ratio: historySeconds / eventsRead / (directSeconds / events),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The report lines. */
export function formatDriftHistory(r: DriftHistoryBenchResult): string {
  const w = r.windowCheck;
  return [
    `Historical: ScoreHistory over ${r.events} stored events of ${r.features} features, windows of ${r.windowRows} rows, drift service in its own process:`,
    `  write into FileEventStore: ${r.writeSeconds.toFixed(1)} s, ${r.writeEventsPerSec.toFixed(0)} events/s, ${r.segments} segments (not in the target)`,
    `  history: ${r.historyCompleted ? '' : `CUT at the ${(DRIFT_HISTORY_BENCH.historyDeadlineMs / 1000).toFixed(0)} s deadline after ${r.historyEventsRead} of ${r.events} events read; `}${r.historySeconds.toFixed(1)} s, ${r.historyEventsPerSec.toFixed(0)} events/s; service RSS ${r.rssBeforeMb.toFixed(0)} MB fitted, peak (VmHWM) ${r.peakRssMb.toFixed(0)} MB`,
    `  windows ${r.windows}, drifted ${r.driftedWindows}; before the shift ${w.beforeDrifted}/${w.before} drifted, after it ${w.afterDrifted}/${w.after}, straddling ${w.straddling}: ${w.ok ? 'as expected' : 'NOT as expected'}`,
    `  direct (@sightline/stats KS + Bonferroni on the same rows, in process): ${r.directSeconds.toFixed(2)} s, drifted ${r.directDriftedWindows}`,
    `  service history / direct, time per event: ${r.ratio.toFixed(2)}x`,
  ].join('\n');
}

/**
 * Windows on the wrong side of the shift: drifted before it plus undrifted after it; the
 * check's undefined (SKIPPED) when one side had no window at all.
 */
export function wrongWindows(w: WindowCheck): number | undefined {
  return w.before === 0 || w.after === 0 ? undefined : w.beforeDrifted + (w.after - w.afterDrifted);
}

/** The targets: time and RSS absolute, the windows' verdicts, and the ratio reported beside them. */
export function driftHistoryChecks(r: DriftHistoryBenchResult): RatioCheck[] {
  const c = DRIFT_HISTORY_BENCH;
  return [
    check(
      `drift history over ${r.events} events, time${r.historyCompleted ? '' : ' (cut at the deadline: did not finish)'}`,
      r.historySeconds,
      's',
      '<',
      c.targetSecondsMax,
    ),
    check(
      `drift history over ${r.events} events, service peak RSS`,
      r.peakRssMb,
      'MB',
      '<',
      c.targetRssMbMax,
    ),
    check(
      'drift history windows on the wrong side of the shift',
      wrongWindows(r.windowCheck),
      'windows',
      '<=',
      0,
    ),
  ];
}
