/**
 * The parts of the service built on the data plane: alerting (rules, the evaluator, its
 * series, AlertEvents) and, as they join, the other handler groups. The composition root calls
 * this once the data plane exists.
 */
import type { metricsV1 } from '@sightline/contracts';
import type { CallKit, Logger } from '@sightline/service-kit';
import type { Registry } from 'prom-client';
import { type SeriesCatalog, windowAlertReadings } from '../alerts/alert-readings.js';
import { type AlertEventSink, openAlerting, resolveAlertOptions } from '../alerts/index.js';
import { AnnotationQueues, resolveAnnotationOptions } from '../annotation/index.js';
import type { MetricsConfig } from '../config.js';
import { alertHandlers } from '../grpc/alert-handlers.js';
import { annotationHandlers } from '../grpc/annotation-handlers.js';
import { queryHandlers } from '../grpc/query-handlers.js';
import { ConceptDriftChangeLog } from '../queries/concept-drift-changes.js';
import { PageTokens } from '../queries/page-token.js';
import { resolveQueryOptions } from '../queries/query-options.js';
import type { DataPlaneObserver } from './data-plane-hooks.js';
import type { MetricsDataPlane } from './metrics-data-plane.js';

/** What the built-in parts add to the service. */
export interface BuiltInParts {
  readonly handlers: readonly Partial<metricsV1.MetricsServiceServer>[];
  readonly observers: readonly DataPlaneObserver[];
  /** An OutlierEvent's data (CloudEvent `io.sightline.outlier`), for the annotation queues. */
  outlierEvent(data: unknown): void;
  stop(): Promise<void>;
}

/**
 * The scores of an OutlierEvent as the outlier service sends it (its OutlierEventRecord JSON).
 * @throws Error naming the field, so the POST is answered 400.
 */
export function outlierScoresOf(data: unknown): {
  detector: string;
  requestId: string;
  instanceScores: number[];
} {
  const event = (typeof data === 'string' ? JSON.parse(data) : data) as Record<string, unknown> | null;
  if (typeof event?.detector !== 'string' || event.detector === '')
    throw new Error('OutlierEvent: detector must be a non-empty string');
  if (typeof event.requestId !== 'string') throw new Error('OutlierEvent: requestId must be a string');
  const scores = event.rowScore;
  if (!Array.isArray(scores) || !scores.every((v) => typeof v === 'number'))
    throw new Error('OutlierEvent: rowScore must be an array of numbers');
  return { detector: event.detector, requestId: event.requestId, instanceScores: scores as number[] };
}

/** The series and segment values the windows know, for selectors that combine several. */
export function planeSeriesCatalog(plane: MetricsDataPlane): SeriesCatalog {
  return {
    seriesOf: (modelName) => plane.matchingSeries({ modelName }).map((s) => s.series),
    segmentValuesOf: (series, name) => plane.windows.segmentValues(series, name),
  };
}

/** Builds alerting (and the other built-in handler groups) on a started data plane. */
export async function builtInParts(options: {
  readonly config: MetricsConfig;
  readonly plane: MetricsDataPlane;
  readonly kit: CallKit;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly now: () => number;
  readonly alertSink?: AlertEventSink;
  readonly segmentNames: readonly string[];
}): Promise<BuiltInParts> {
  const { config, plane, now, logger } = options;
  const engine = await openAlerting({
    store: plane.store,
    readings: windowAlertReadings({
      windows: plane.windows,
      store: plane.store,
      catalog: planeSeriesCatalog(plane),
      summaryOver: (series, segment, fromMs, toMs) =>
        plane.persistence.summaryOver(series, segment, fromMs, toMs),
      directLoss: (series) => plane.directLoss.lookup(series),
    }),
    sink: options.alertSink ?? { emit: () => {} },
    limits: {
      bucketWidthMs: plane.windows.options.bucketWidthMs,
      retentionMs: config.retentionMs,
      segmentNames: options.segmentNames,
    },
    options: resolveAlertOptions({ intervalMs: config.alertIntervalMs, maxRules: config.maxAlertRules }),
    registry: options.registry,
    ...(config.alertRules !== undefined && { rulesFile: config.alertRules }),
    now,
    onRuleError: (rule, error) => logger.warn({ rule, err: error }, 'alert rule not evaluated'),
  });
  const queues = await AnnotationQueues.open({
    documents: plane.store,
    // Answers are stored exactly as SendFeedback stores them.
    feedback: {
      recordFeedback: async (items) => {
        const result = await plane.sendFeedback(
          items.map((f) => ({
            requestId: f.requestId,
            row: f.row,
            modelName: f.modelName,
            truth:
              f.truth.kind === 'label'
                ? { kind: 'label', label: f.truth.label }
                : f.truth.kind === 'value'
                  ? { kind: 'values', values: f.truth.values }
                  : { kind: 'reward', reward: f.truth.reward },
            observeTimeMs: f.observedMs,
          })),
        );
        return result.outcomes.map((o) => ({ status: o.status, reason: o.reason, pairs: o.pairs }));
      },
    },
    now,
    options: resolveAnnotationOptions({
      maxInputBytes: config.maxAnnotationInputBytes,
      maxItemTtlMs: config.retentionMs,
    }),
  });
  if (queues.unreadableDocuments > 0) {
    logger.error(
      { documents: queues.unreadableDocuments },
      'annotation queue documents could not be read (left alone)',
    );
  }
  const annotation: DataPlaneObserver = {
    predictionsStored: (stored) => {
      queues
        .predictionsStored(stored.map((s) => ({ record: s.record, inputs: s.event.inputs })))
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'predictions not offered to the annotation queues'),
        );
    },
    feedbackStored: (records) => {
      queues
        .feedbackStored(records.map((r) => ({ requestId: r.requestId, row: r.row, modelName: r.modelName })))
        .catch((error: unknown) => logger.warn({ err: error }, 'feedback not told to the annotation queues'));
    },
  };
  const driftChanges = new ConceptDriftChangeLog();
  const queries = queryHandlers(options.kit, {
    store: plane.store,
    catalog: { hasPredictions: async (series) => plane.matchingSeries(series).length > 0 },
    windows: plane.windows,
    driftChanges,
    pageTokens: new PageTokens(),
    segmentNames: options.segmentNames,
    retentionMs: config.retentionMs,
    options: resolveQueryOptions({
      maxComputePairs: config.maxComputePairs,
      maxComputeProbabilities: config.maxComputeProbabilities,
      maxComparisonPairs: config.maxComparisonPairs,
      maxBootstrapPairs: config.maxBootstrapPairs,
    }),
    now,
  });
  return {
    handlers: [
      alertHandlers(options.kit, { alerts: engine, now }),
      queries,
      annotationHandlers(options.kit, { queues }),
    ],
    observers: [{ conceptDriftChanged: (changes) => driftChanges.record(changes) }, annotation],
    outlierEvent: (data) => {
      const scores = outlierScoresOf(data);
      queues
        .outlierScoresReceived(scores)
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'outlier scores not told to the annotation queues'),
        );
    },
    stop: async () => {
      engine.stop();
    },
  };
}
