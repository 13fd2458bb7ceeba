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
import type { MetricsConfig } from '../config.js';
import { alertHandlers } from '../grpc/alert-handlers.js';
import { queryHandlers } from '../grpc/query-handlers.js';
import { ConceptDriftChangeLog } from '../queries/concept-drift-changes.js';
import { PageTokens } from '../queries/page-token.js';
import { resolveQueryOptions } from '../queries/query-options.js';
import { encodeWindowKey } from '../windows/window-key.js';
import type { DataPlaneObserver } from './data-plane-hooks.js';
import type { MetricsDataPlane } from './metrics-data-plane.js';

/** What the built-in parts add to the service. */
export interface BuiltInParts {
  readonly handlers: readonly Partial<metricsV1.MetricsServiceServer>[];
  readonly observers: readonly DataPlaneObserver[];
  stop(): Promise<void>;
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
      persisted: (series, segment, fromMs, toMs) =>
        plane.persistence.load(encodeWindowKey(series, segment), fromMs, toMs),
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
    handlers: [alertHandlers(options.kit, { alerts: engine, now }), queries],
    observers: [{ conceptDriftChanged: (changes) => driftChanges.record(changes) }],
    stop: async () => {
      engine.stop();
    },
  };
}
