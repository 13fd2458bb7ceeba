/**
 * The drift service's Prometheus series, `sightline_drift_*`. Every closed window sets, per
 * detector and feature, the statistic, p-value, verdict and effect sizes, and per detector
 * the threshold, verdict and window size, not only a verdict: alert rules and dashboards
 * compare the numbers. Registered on the registry the composition root builds; a deleted
 * detector's series are removed.
 */

import type { IngressObserver } from '@sightline/events';
import {
  type DetectorInfo,
  LATENCY_BUCKETS_SECONDS,
  type ResultLogSource,
  registerDetectorInfo,
  registerResultLogGauges,
} from '@sightline/telemetry';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type DriftEventRecord, NO_FEATURE_TEST, type OnlineVerdict } from '../results/drift-event.js';

export type { DetectorInfo } from '@sightline/telemetry';

/** A metric whose labelled children can be removed. */
interface Removable {
  remove(labels: Record<string, string>): void;
}

/** The effect sizes exported per feature, by their label value. */
export const EFFECT_SIZE_LABELS = ['psi', 'jensen_shannon', 'wasserstein', 'hellinger'] as const;

/** All of the drift service's own metrics. */
export class DriftMetrics implements IngressObserver {
  private readonly featureStatistic: Gauge<'detector' | 'feature' | 'test'>;
  private readonly featurePValue: Gauge<'detector' | 'feature' | 'test'>;
  private readonly featureVerdict: Gauge<'detector' | 'feature'>;
  private readonly featureEffectSize: Gauge<'detector' | 'feature' | 'metric'>;
  private readonly threshold: Gauge<'detector'>;
  private readonly verdict: Gauge<'detector'>;
  private readonly statistic: Gauge<'detector'>;
  private readonly pValue: Gauge<'detector'>;
  private readonly windowRows: Gauge<'detector'>;
  private readonly windowEndTime: Gauge<'detector'>;
  private readonly windowsClosed: Counter<'detector' | 'closed_by' | 'drift'>;
  private readonly unreadable: Counter<'detector' | 'reason'>;
  private readonly exportSeconds: Histogram<'detector'>;
  private readonly eventsReceived: Counter;
  private readonly eventsDuplicate: Counter;
  private readonly eventsRefused: Counter<'reason'>;
  private readonly sinkDropped: Counter<'reason'>;
  private readonly windowsDropped: Counter<'detector' | 'reason'>;
  private readonly trailingRefits: Counter<'detector' | 'outcome' | 'reason'>;
  readonly queueDepth: Gauge;
  readonly detectorsRefused: Gauge;
  private readonly onlineStatistic: Gauge<'detector'>;
  private readonly onlineThreshold: Gauge<'detector'>;
  private readonly onlineTime: Gauge<'detector'>;
  private readonly onlineDetections: Counter<'detector'>;
  readonly scoring: Gauge<'state'>;
  readonly scoringThreadsReplaced: Gauge;
  /** Per detector, how to remove each of its series, by a key unique per series. */
  private readonly series = new Map<string, Map<string, () => void>>();

  constructor(
    registry: Registry,
    sources: {
      queueDepth: () => number;
      /** How long the oldest event not yet scored has waited, in seconds (0: none waits). */
      queueAgeSeconds: () => number;
      refusedDetectors: () => number;
      detectors?: () => readonly DetectorInfo[];
      /** The scoring threads' scores running and waiting, and threads replaced since start. */
      scoring?: () => { running: number; pending: number; replaced: number } | undefined;
      /** The DriftEvent log, once open (its bytes and segments). */
      eventLog?: ResultLogSource;
    },
  ) {
    if (sources.eventLog)
      registerResultLogGauges(registry, 'sightline_drift_events', 'DriftEvent', sources.eventLog);
    const registers = [registry];
    registerDetectorInfo(registry, 'sightline_drift_detector_info', sources.detectors ?? (() => []));
    this.onlineStatistic = new Gauge({
      name: 'sightline_drift_online_statistic',
      help: "Online detectors: the test statistic after the last live row (MMD², or CVM's largest standardised statistic).",
      labelNames: ['detector'],
      registers,
    });
    this.onlineThreshold = new Gauge({
      name: 'sightline_drift_online_threshold',
      help: 'Online detectors: the threshold in force after the last live row (NaN before a window is full).',
      labelNames: ['detector'],
      registers,
    });
    this.onlineTime = new Gauge({
      name: 'sightline_drift_online_time',
      help: 'Online detectors: rows seen since the fit or the last reset (t).',
      labelNames: ['detector'],
      registers,
    });
    this.onlineDetections = new Counter({
      name: 'sightline_drift_online_detections_total',
      help: 'Online detectors: detection episodes begun on the live stream (one DriftEvent each).',
      labelNames: ['detector'],
      registers,
    });
    this.featureStatistic = new Gauge({
      name: 'sightline_drift_feature_statistic',
      help: "Test statistic of a feature in the detector's last closed window (KS distance, CVM statistic, chi-squared).",
      labelNames: ['detector', 'feature', 'test'],
      registers,
    });
    this.featurePValue = new Gauge({
      name: 'sightline_drift_feature_p_value',
      help: "p-value of a feature's test in the detector's last closed window.",
      labelNames: ['detector', 'feature', 'test'],
      registers,
    });
    this.featureVerdict = new Gauge({
      name: 'sightline_drift_feature_drift',
      help: 'Whether a feature drifted in the last closed window (1) or not (0).',
      labelNames: ['detector', 'feature'],
      registers,
    });
    this.featureEffectSize = new Gauge({
      name: 'sightline_drift_feature_effect_size',
      help: 'Effect size of a feature against the reference in the last closed window (psi, jensen_shannon, wasserstein, hellinger).',
      labelNames: ['detector', 'feature', 'metric'],
      registers,
    });
    this.threshold = new Gauge({
      name: 'sightline_drift_threshold',
      help: 'The cut-off the last verdict used: a p-value after correction, a distance or a failure rate.',
      labelNames: ['detector'],
      registers,
    });
    this.verdict = new Gauge({
      name: 'sightline_drift_drift',
      help: 'Whether the last closed window of the detector drifted (1) or not (0).',
      labelNames: ['detector'],
      registers,
    });
    this.statistic = new Gauge({
      name: 'sightline_drift_statistic',
      help: 'Multivariate kinds: the statistic of the last closed window (MMD², LSDD, PCA error).',
      labelNames: ['detector'],
      registers,
    });
    this.pValue = new Gauge({
      name: 'sightline_drift_p_value',
      help: 'Multivariate kinds: the permutation p-value of the last closed window.',
      labelNames: ['detector'],
      registers,
    });
    this.windowRows = new Gauge({
      name: 'sightline_drift_window_rows',
      help: 'Rows tested in the last closed window.',
      labelNames: ['detector'],
      registers,
    });
    this.windowEndTime = new Gauge({
      name: 'sightline_drift_window_end_time_seconds',
      help: 'Time of the last event in the last closed window, in seconds since the epoch.',
      labelNames: ['detector'],
      registers,
    });
    this.windowsClosed = new Counter({
      name: 'sightline_drift_windows_closed_total',
      help: 'Live windows closed and tested, by why they closed (rows, time, shutdown) and the verdict.',
      labelNames: ['detector', 'closed_by', 'drift'],
      registers,
    });
    this.windowsDropped = new Counter({
      name: 'sightline_drift_windows_dropped_total',
      help: 'Open live windows dropped untested (detach, delete, a failed test), by reason.',
      labelNames: ['detector', 'reason'],
      registers,
    });
    this.trailingRefits = new Counter({
      name: 'sightline_drift_trailing_refits_total',
      help: 'Scheduled refits of trailing references, by outcome (fitted; unchanged: the reference SHA-256 equals that of the newest version, nothing saved; failed) and, when failed, the reason (too_few_rows, no_events, unavailable, error).',
      labelNames: ['detector', 'outcome', 'reason'],
      registers,
    });
    this.unreadable = new Counter({
      name: 'sightline_drift_events_unreadable_total',
      help: 'Live events an attached detector could not read, by reason (missing-tensor, width, non-finite ...).',
      labelNames: ['detector', 'reason'],
      registers,
    });
    this.exportSeconds = new Histogram({
      name: 'sightline_drift_window_export_seconds',
      help: 'Time from a window closing to its result being exported (stored, metrics set), in seconds.',
      labelNames: ['detector'],
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.eventsReceived = new Counter({
      name: 'sightline_drift_events_received_total',
      help: 'InferenceEvents queued for live scoring (POST /events and the in-process bus).',
      registers,
    });
    this.eventsDuplicate = new Counter({
      name: 'sightline_drift_events_duplicate_total',
      help: 'InferenceEvents dropped as redeliveries (an event id seen before).',
      registers,
    });
    this.eventsRefused = new Counter({
      name: 'sightline_drift_events_refused_total',
      help: 'POST /events requests refused, by reason (full: 429, stopped: 503, invalid: 400, too_large: 413, method: 405).',
      labelNames: ['reason'],
      registers,
    });
    this.sinkDropped = new Counter({
      name: 'sightline_drift_event_sink_dropped_total',
      help: 'DriftEvents not delivered to --drift-event-sink-url, by reason (queue_full, failed).',
      labelNames: ['reason'],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'sightline_drift_event_queue_depth',
      help: 'InferenceEvents waiting to be scored.',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    new Gauge({
      name: 'sightline_drift_event_queue_age_seconds',
      help: 'How long the oldest InferenceEvent not yet scored has waited, in seconds (0 when none waits): how far live scoring lags the stream.',
      registers,
      collect() {
        this.set(sources.queueAgeSeconds());
      },
    });
    this.detectorsRefused = new Gauge({
      name: 'sightline_drift_detectors_refused',
      help: 'Saved detector versions refused at start (corrupt or of a newer schema); named in the log.',
      registers,
      collect() {
        this.set(sources.refusedDetectors());
      },
    });
    this.scoring = new Gauge({
      name: 'sightline_drift_scores',
      help: 'Scores on the scoring threads, by state: running, or pending (waiting for a thread, at most --max-pending-scores).',
      labelNames: ['state'],
      registers,
      collect() {
        const now = sources.scoring?.();
        this.set({ state: 'running' }, now?.running ?? 0);
        this.set({ state: 'pending' }, now?.pending ?? 0);
      },
    });
    this.scoringThreadsReplaced = new Gauge({
      name: 'sightline_drift_scoring_threads_replaced',
      help: 'Scoring threads that died (crash, exit) while serving and were replaced, since start; each failed the score it ran.',
      registers,
      collect() {
        this.set(sources.scoring?.()?.replaced ?? 0);
      },
    });
  }

  /** Exports a closed window's result; `closedAtMs` is when its window closed. */
  /**
   * An online detector's live rows: the statistic, threshold and time after the last one, and
   * a detection when `episodeBegun`.
   */
  onlineRows(detector: string, online: OnlineVerdict, threshold: number, episodeBegun: boolean): void {
    const labels = { detector };
    for (const [gauge, value] of [
      [this.onlineStatistic, online.testStat],
      [this.onlineThreshold, threshold],
      [this.onlineTime, online.time],
    ] as const) {
      gauge.set(labels, value);
      this.track(detector, gauge as unknown as Removable, labels);
    }
    if (episodeBegun) {
      this.onlineDetections.inc(labels);
      this.track(detector, this.onlineDetections, labels);
    }
  }

  windowExported(record: DriftEventRecord, closedAtMs: number, nowMs: number): void {
    const detector = record.detector;
    const verdict = record.verdict;
    const set = <L extends string>(gauge: Gauge<L>, labels: Record<L, string>, value: number) => {
      gauge.set(labels, value);
      this.track(detector, gauge as unknown as Removable, labels);
    };
    for (const feature of verdict.features) {
      // A feature without a test of its own (MMD, LSDD, PCA: test "none") has no statistic,
      // p-value or verdict to export, only its effect sizes; exporting p-value 0 would show
      // it drifted on every dashboard.
      if (feature.test !== NO_FEATURE_TEST) {
        const labels = { detector, feature: feature.name, test: feature.test };
        set(this.featureStatistic, labels, feature.statistic);
        set(this.featurePValue, labels, feature.pValue);
        set(this.featureVerdict, { detector, feature: feature.name }, feature.isDrift ? 1 : 0);
      }
      const sizes = feature.effectSizes;
      if (!sizes) continue;
      const values: Record<(typeof EFFECT_SIZE_LABELS)[number], number | undefined> = {
        psi: sizes.psi,
        jensen_shannon: sizes.jensenShannon,
        wasserstein: sizes.wasserstein,
        hellinger: sizes.hellinger,
      };
      for (const metric of EFFECT_SIZE_LABELS) {
        const value = values[metric];
        if (value !== undefined)
          set(this.featureEffectSize, { detector, feature: feature.name, metric }, value);
      }
    }
    set(this.threshold, { detector }, verdict.threshold);
    set(this.verdict, { detector }, verdict.isDrift ? 1 : 0);
    if (verdict.distance !== undefined) set(this.statistic, { detector }, verdict.distance);
    if (verdict.pValue !== undefined) set(this.pValue, { detector }, verdict.pValue);
    set(this.windowRows, { detector }, record.rows);
    set(this.windowEndTime, { detector }, record.windowEndUnixMs / 1000);
    const closed = { detector, closed_by: record.closedBy, drift: verdict.isDrift ? 'true' : 'false' };
    this.windowsClosed.inc(closed);
    this.track(detector, this.windowsClosed, closed);
    this.exportSeconds.observe({ detector }, Math.max(0, nowMs - closedAtMs) / 1000);
    this.track(detector, this.exportSeconds, { detector });
  }

  /** Counts live events a detector could not read. */
  unreadableEvents(detector: string, reason: string, count: number): void {
    if (count <= 0) return;
    this.unreadable.inc({ detector, reason }, count);
    this.track(detector, this.unreadable, { detector, reason });
  }

  /** Counts a scheduled refit of a trailing reference (`reason` '' unless it failed). */
  trailingRefit(detector: string, outcome: 'fitted' | 'unchanged' | 'failed', reason: string): void {
    this.trailingRefits.inc({ detector, outcome, reason });
    this.track(detector, this.trailingRefits, { detector, outcome, reason });
  }

  /** Counts an open window dropped untested. */
  windowDropped(detector: string, reason: string): void {
    this.windowsDropped.inc({ detector, reason });
    this.track(detector, this.windowsDropped, { detector, reason });
  }

  /** Counts a DriftEvent the sink did not deliver. */
  sinkEventDropped(reason: 'queue_full' | 'failed'): void {
    this.sinkDropped.inc({ reason });
  }

  received(events: number, duplicates: number): void {
    if (events > 0) this.eventsReceived.inc(events);
    if (duplicates > 0) this.eventsDuplicate.inc(duplicates);
  }

  refused(reason: 'full' | 'stopped' | 'invalid' | 'too_large' | 'method'): void {
    this.eventsRefused.inc({ reason });
  }

  /** Removes every series of a deleted detector. */
  forgetDetector(detector: string): void {
    for (const remove of this.series.get(detector)?.values() ?? []) remove();
    this.series.delete(detector);
  }

  /** Remembers how to remove one series of `detector`. */
  private track(detector: string, metric: Removable, labels: Record<string, string>): void {
    const key = `${(metric as { name?: string }).name}\u0000${Object.values(labels).join('\u0000')}`;
    let known = this.series.get(detector);
    if (!known) {
      known = new Map();
      this.series.set(detector, known);
    }
    if (!known.has(key)) known.set(key, () => metric.remove(labels));
  }
}
