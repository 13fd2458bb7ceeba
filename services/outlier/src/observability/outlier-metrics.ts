/**
 * The outlier service's Prometheus series (`sightline_outlier_*`), on the registry the
 * composition root built: live requests scored and flagged and their score distribution per
 * detector and model, the ingress queue, refused requests, unreadable events, refused saved
 * detectors and the CloudEvents sink's drops.
 */
import type { IngressObserver } from '@sightline/events';
import {
  type DetectorInfo,
  FastCounter,
  type FastCounterChild,
  FastHistogram,
  type FastHistogramChild,
  type ResultLogSource,
  registerDetectorInfo,
  registerResultLogGauges,
} from '@sightline/telemetry';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * Buckets of the score histogram. Scores of every kind are >= 0 and higher is more
 * outlying: Isolation Forest's lie in (0, 1] (0.5 is the usual boundary), Mahalanobis's
 * squared distances and the autoencoder's squared errors grow with the feature count, so
 * the buckets cover both the unit interval finely and larger values coarsely.
 */
export const OUTLIER_SCORE_BUCKETS = [
  0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9, 1, 2, 5, 10, 20, 50, 100, 1000,
] as const;

/** All of the outlier service's own metrics. */
export class OutlierMetrics implements IngressObserver {
  // Per live event: the hot-path kinds, a label set resolved once per detector and model.
  private readonly scored: FastCounter;
  private readonly flagged: FastCounter;
  private readonly score: FastHistogram;
  private readonly live = new Map<
    string,
    { scored: FastCounterChild; flagged: FastCounterChild; score: FastHistogramChild }
  >();
  private readonly unreadableEvents: Counter<'detector' | 'reason'>;
  private readonly eventsReceived: Counter;
  private readonly eventsDuplicate: Counter;
  private readonly eventsRefused: Counter<'reason'>;
  private readonly sinkDropped: Counter<'reason'>;
  private readonly liveFailures: Counter<'detector'>;

  constructor(
    registry: Registry,
    sources: {
      readonly queueDepth: () => number;
      /** How long the oldest event not yet scored has waited, in seconds (0: none waits). */
      readonly queueAgeSeconds: () => number;
      readonly refusedDetectors: () => number;
      /** Every detector, for `sightline_outlier_detector_info` (its labels as label_<name>). */
      readonly detectors: () => readonly DetectorInfo[];
      /** The OutlierEvent log, once open (its bytes and segments). */
      readonly eventLog?: ResultLogSource;
    },
  ) {
    const registers = [registry];
    if (sources.eventLog)
      registerResultLogGauges(registry, 'sightline_outlier_events', 'OutlierEvent', sources.eventLog);
    registerDetectorInfo(registry, 'sightline_outlier_detector_info', sources.detectors);
    this.scored = new FastCounter({
      name: 'sightline_outlier_scored_total',
      help: 'Live inference requests scored by an attached detector (one OutlierEvent each), by detector and model.',
      registers,
    });
    this.flagged = new FastCounter({
      name: 'sightline_outlier_flagged_total',
      help: 'Live inference requests with at least one outlier row, by detector and model.',
      registers,
    });
    this.score = new FastHistogram({
      name: 'sightline_outlier_score',
      help: "Live requests' outlier score (the highest row score; higher is more outlying), by detector and model.",
      buckets: OUTLIER_SCORE_BUCKETS,
      registers,
    });
    this.unreadableEvents = new Counter({
      name: 'sightline_outlier_events_unreadable_total',
      help: 'Live events an attached detector could not read, by reason (missing-tensor, width, non-finite ...).',
      labelNames: ['detector', 'reason'],
      registers,
    });
    this.liveFailures = new Counter({
      name: 'sightline_outlier_live_failures_total',
      help: 'Batches of live events a detector failed to score or store (logged with the cause); their OutlierEvents are lost.',
      labelNames: ['detector'],
      registers,
    });
    this.eventsReceived = new Counter({
      name: 'sightline_outlier_events_received_total',
      help: 'InferenceEvents queued for live scoring (POST /events and the in-process bus).',
      registers,
    });
    this.eventsDuplicate = new Counter({
      name: 'sightline_outlier_events_duplicate_total',
      help: 'InferenceEvents dropped as redeliveries (an event id seen before).',
      registers,
    });
    this.eventsRefused = new Counter({
      name: 'sightline_outlier_events_refused_total',
      help: 'POST /events requests (and in-process batches) refused, by reason (full: 429, stopped: 503, invalid: 400, too_large: 413, method: 405).',
      labelNames: ['reason'],
      registers,
    });
    this.sinkDropped = new Counter({
      name: 'sightline_outlier_event_sink_dropped_total',
      help: 'OutlierEvents not delivered to --outlier-event-sink-url, by reason (queue_full, failed).',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'sightline_outlier_event_queue_depth',
      help: 'InferenceEvents waiting to be scored.',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    new Gauge({
      name: 'sightline_outlier_event_queue_age_seconds',
      help: 'How long the oldest InferenceEvent not yet scored has waited, in seconds (0 when none waits): how far live scoring lags the stream.',
      registers,
      collect() {
        this.set(sources.queueAgeSeconds());
      },
    });
    new Gauge({
      name: 'sightline_outlier_detectors_refused',
      help: 'Saved detectors refused at start (a corrupt or newer record or version); named in the log and in GetDetector.',
      registers,
      collect() {
        this.set(sources.refusedDetectors());
      },
    });
  }

  /** Counts `scored` requests of `model` scored by `detector`, `flagged` of them outliers, and observes their scores. */
  liveScored(detector: string, model: string, scores: readonly number[], flagged: number): void {
    const key = `${detector}\u0000${model}`;
    let children = this.live.get(key);
    if (!children) {
      const labels = { detector, model };
      children = {
        scored: this.scored.child(labels),
        flagged: this.flagged.child(labels),
        score: this.score.child(labels),
      };
      this.live.set(key, children);
    }
    children.scored.inc(scores.length);
    // Created with the scored series so a detector that flags nothing still shows 0.
    children.flagged.inc(flagged);
    for (const score of scores) children.score.observe(score);
  }

  /** Counts live events `detector` could not read. */
  unreadable(detector: string, reason: string, count: number): void {
    this.unreadableEvents.inc({ detector, reason }, count);
  }

  /** Counts a live batch `detector` failed to score or store. */
  liveFailed(detector: string): void {
    this.liveFailures.inc({ detector });
  }

  received(events: number, duplicates: number): void {
    if (events > 0) this.eventsReceived.inc(events);
    if (duplicates > 0) this.eventsDuplicate.inc(duplicates);
  }

  refused(reason: 'full' | 'stopped' | 'invalid' | 'too_large' | 'method'): void {
    this.eventsRefused.inc({ reason });
  }

  /** Counts an OutlierEvent the sink dropped. */
  sinkEventDropped(reason: 'queue_full' | 'failed'): void {
    this.sinkDropped.inc({ reason });
  }
}
