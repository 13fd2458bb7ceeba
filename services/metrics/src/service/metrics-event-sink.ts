/**
 * The data plane's events as CloudEvents for --metrics-event-sink-url: CorrectnessEvents
 * (`io.sightline.metrics.correctness`, one per request and series) and ConceptDriftEvents
 * (`io.sightline.metrics.concept_drift`), each body the contract message's JSON form.
 */
import { randomUUID } from 'node:crypto';
import { metricsV1 } from '@sightline/contracts';
import { RecordCloudEventSink } from '@sightline/events';
import type { AlertEventRecord } from '../alerts/alert-engine.js';
import { ALERT_CLOUD_EVENT_TYPE, alertEventToMessage } from '../contract/alert-messages.js';
import type { ConceptDriftChange } from '../windows/concept-drift-monitor.js';
import { pairLoss } from '../windows/pair-values.js';
import type { CorrectnessRecord, MetricsEventSink } from './data-plane-hooks.js';

export const CORRECTNESS_CLOUD_EVENT_TYPE = 'io.sightline.metrics.correctness';
export const CONCEPT_DRIFT_CLOUD_EVENT_TYPE = 'io.sightline.metrics.concept_drift';

const DETECTORS: Readonly<Record<string, metricsV1.ConceptDriftDetector>> = {
  ddm: metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_DDM,
  adwin: metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_ADWIN,
  pageHinkley: metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_PAGE_HINKLEY,
  'page-hinkley': metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_PAGE_HINKLEY,
};
const STATES: Readonly<Record<string, metricsV1.ConceptDriftState>> = {
  stable: metricsV1.ConceptDriftState.CONCEPT_DRIFT_STATE_STABLE,
  warning: metricsV1.ConceptDriftState.CONCEPT_DRIFT_STATE_WARNING,
  drift: metricsV1.ConceptDriftState.CONCEPT_DRIFT_STATE_DRIFT,
};

/** A CorrectnessEvent of one request and series's pairs. */
export function correctnessEvent(
  records: readonly CorrectnessRecord[],
  nowMs: number,
): metricsV1.CorrectnessEvent {
  const first = records[0]!.pair;
  return metricsV1.CorrectnessEvent.fromPartial({
    eventId: randomUUID(),
    requestId: first.requestId,
    series: { ...first.series },
    task:
      first.task === 'classification'
        ? metricsV1.TaskType.TASK_TYPE_CLASSIFICATION
        : metricsV1.TaskType.TASK_TYPE_REGRESSION,
    classes: [...first.classes],
    predictionTime: new Date(first.predictionMs),
    time: new Date(nowMs),
    rows: records.map(({ pair, replaced }) => ({
      row: pair.prediction.row,
      correct:
        pair.task === 'classification' &&
        pair.truth.kind === 'label' &&
        pair.truth.label === pair.prediction.label,
      error: pair.task === 'regression' ? pairLoss(pair) : 0,
      prediction: {
        label: pair.prediction.label ?? '',
        probabilities: [...(pair.prediction.probabilities ?? [])],
        classes: [...pair.classes],
        values: [...(pair.prediction.values ?? [])],
      },
      trueLabel: pair.truth.kind === 'label' ? pair.truth.label : '',
      trueValues: pair.truth.kind === 'value' ? [...pair.truth.values] : [],
      replaced,
      segments: { ...(pair.prediction.segments ?? {}) },
    })),
  });
}

/** A ConceptDriftEvent of one change. */
export function conceptDriftEvent(change: ConceptDriftChange): metricsV1.ConceptDriftEvent {
  return {
    eventId: randomUUID(),
    series: { ...change.series },
    detector: DETECTORS[change.detector] ?? metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_UNSPECIFIED,
    fromState: STATES[change.from] ?? metricsV1.ConceptDriftState.CONCEPT_DRIFT_STATE_UNSPECIFIED,
    toState: STATES[change.to] ?? metricsV1.ConceptDriftState.CONCEPT_DRIFT_STATE_UNSPECIFIED,
    pairsSeen: BigInt(change.pairsSeen),
    time: new Date(change.timeMs),
  };
}

type Json = Record<string, unknown>;

/** Sends both kinds to one URL. */
export class CloudMetricsEventSink implements MetricsEventSink {
  readonly #correctness: RecordCloudEventSink<Json>;
  readonly #drift: RecordCloudEventSink<Json>;
  readonly #alerts: RecordCloudEventSink<Json>;

  constructor(
    options: {
      url: string;
      timeoutMs: number;
      queueCapacity: number;
      onDropped: (reason: 'queue_full' | 'failed', error?: unknown) => void;
    },
    private readonly now: () => number = Date.now,
  ) {
    const common = {
      url: options.url,
      source: 'sightline/metrics',
      timeoutMs: options.timeoutMs,
      queueCapacity: options.queueCapacity,
      onDropped: options.onDropped,
    };
    this.#correctness = new RecordCloudEventSink<Json>({
      ...common,
      type: CORRECTNESS_CLOUD_EVENT_TYPE,
      attributes: (r) => ({
        id: String(r.eventId),
        subject: String(r.requestId),
        timeUnixMs: Date.parse(String(r.time)),
        extensions: { modelname: String((r.series as Json | undefined)?.modelName ?? '') },
      }),
    });
    this.#drift = new RecordCloudEventSink<Json>({
      ...common,
      type: CONCEPT_DRIFT_CLOUD_EVENT_TYPE,
      attributes: (r) => ({
        id: String(r.eventId),
        subject: String((r.series as Json | undefined)?.modelName ?? ''),
        timeUnixMs: Date.parse(String(r.time)),
        extensions: { modelname: String((r.series as Json | undefined)?.modelName ?? '') },
      }),
    });
    this.#alerts = new RecordCloudEventSink<Json>({
      ...common,
      type: ALERT_CLOUD_EVENT_TYPE,
      attributes: (r) => ({
        id: String(r.eventId),
        subject: String(r.rule ?? ''),
        timeUnixMs: Date.parse(String(r.time)),
        extensions: {
          modelname: String((r.series as Json | undefined)?.modelName ?? ''),
          transition: String(r.transition ?? ''),
        },
      }),
    });
  }

  /** An alert's firing or resolution (AlertEvent, `io.sightline.metrics.alert`). */
  emit(event: AlertEventRecord): void {
    this.#alerts.send(metricsV1.AlertEvent.toJSON(alertEventToMessage(event)) as Json);
  }

  correctness(records: readonly CorrectnessRecord[]): void {
    this.#correctness.send(metricsV1.CorrectnessEvent.toJSON(correctnessEvent(records, this.now())) as Json);
  }

  conceptDrift(change: ConceptDriftChange): void {
    this.#drift.send(metricsV1.ConceptDriftEvent.toJSON(conceptDriftEvent(change)) as Json);
  }

  /** Sends what is queued for at most `timeoutMs` (all kinds at once); the rest is dropped and counted. */
  async close(timeoutMs?: number): Promise<void> {
    const options = timeoutMs === undefined ? {} : { timeoutMs };
    await Promise.all([
      this.#correctness.close(options),
      this.#drift.close(options),
      this.#alerts.close(options),
    ]);
  }
}
