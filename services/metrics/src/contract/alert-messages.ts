/**
 * Alert messages ↔ the alert domain: AlertRule, Alert and AlertEvent. Enum numbers map to the
 * domain's lower-case names (ALERT_METRIC_ACCURACY ↔ 'accuracy'); a number this service does
 * not know is INVALID_ARGUMENT naming the field (`rule.metric: unknown metric 42`).
 */
import { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { ConfidenceInterval } from '@sightline/stats';
import type { AlertEventRecord, AlertView } from '../alerts/alert-engine.js';
import {
  ALERT_METRIC_NAMES,
  type AlertComparisonName,
  type AlertDriftDetector,
  type AlertMetricName,
  type AlertRuleInput,
  type AlertRuleSpec,
} from '../alerts/alert-rule.js';
import type { AlertStateName } from '../alerts/alert-state.js';

/** The CloudEvent type of an AlertEvent (the contract's AlertEvent comment). */
export const ALERT_CLOUD_EVENT_TYPE = 'io.sightline.metrics.alert';

const METRIC_PREFIX = 'ALERT_METRIC_';

/** The domain name of a metric number. @throws InvalidArgumentError for 0 or an unknown number. */
export function metricFromMessage(metric: number, field = 'rule.metric'): AlertMetricName {
  if (metric === metricsV1.AlertMetric.ALERT_METRIC_UNSPECIFIED)
    throw new InvalidArgumentError(`${field}: required (rule "rule.metric")`);
  const enumName = (metricsV1.AlertMetric as unknown as Record<number, string | undefined>)[metric];
  const name = enumName?.startsWith(METRIC_PREFIX)
    ? enumName.slice(METRIC_PREFIX.length).toLowerCase()
    : undefined;
  if (name === undefined || !(ALERT_METRIC_NAMES as readonly string[]).includes(name))
    throw new InvalidArgumentError(`${field}: unknown metric ${metric}`);
  return name as AlertMetricName;
}

/** The metric number of a domain name. */
export function metricToMessage(metric: AlertMetricName): metricsV1.AlertMetric {
  return (metricsV1.AlertMetric as unknown as Record<string, metricsV1.AlertMetric>)[
    `${METRIC_PREFIX}${metric.toUpperCase()}`
  ]!;
}

const COMPARISONS: Record<number, AlertComparisonName> = {
  [metricsV1.AlertComparison.ALERT_COMPARISON_LT]: 'lt',
  [metricsV1.AlertComparison.ALERT_COMPARISON_LE]: 'le',
  [metricsV1.AlertComparison.ALERT_COMPARISON_GT]: 'gt',
  [metricsV1.AlertComparison.ALERT_COMPARISON_GE]: 'ge',
};
const COMPARISON_NUMBERS: Record<AlertComparisonName, metricsV1.AlertComparison> = {
  lt: metricsV1.AlertComparison.ALERT_COMPARISON_LT,
  le: metricsV1.AlertComparison.ALERT_COMPARISON_LE,
  gt: metricsV1.AlertComparison.ALERT_COMPARISON_GT,
  ge: metricsV1.AlertComparison.ALERT_COMPARISON_GE,
};
const DETECTORS: Record<number, AlertDriftDetector | undefined> = {
  [metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_UNSPECIFIED]: undefined,
  [metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_DDM]: 'ddm',
  [metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_ADWIN]: 'adwin',
  [metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_PAGE_HINKLEY]: 'pageHinkley',
};
const DETECTOR_NUMBERS: Record<AlertDriftDetector, metricsV1.ConceptDriftDetector> = {
  ddm: metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_DDM,
  adwin: metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_ADWIN,
  pageHinkley: metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_PAGE_HINKLEY,
};
const STATES: Record<AlertStateName, metricsV1.AlertState> = {
  inactive: metricsV1.AlertState.ALERT_STATE_INACTIVE,
  pending: metricsV1.AlertState.ALERT_STATE_PENDING,
  firing: metricsV1.AlertState.ALERT_STATE_FIRING,
};
const INTERVAL_METHODS: Record<ConfidenceInterval['method'], metricsV1.IntervalMethod> = {
  wilson: metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON,
  t: metricsV1.IntervalMethod.INTERVAL_METHOD_T,
  normal: metricsV1.IntervalMethod.INTERVAL_METHOD_NORMAL,
  'bootstrap-percentile': metricsV1.IntervalMethod.INTERVAL_METHOD_BOOTSTRAP_PERCENTILE,
  'newcombe-paired': metricsV1.IntervalMethod.INTERVAL_METHOD_NEWCOMBE_PAIRED,
  'wald-paired': metricsV1.IntervalMethod.INTERVAL_METHOD_WALD_PAIRED,
};

/** A Duration in ms; undefined when unset. @throws InvalidArgumentError for a negative or malformed one. */
function durationMs(
  duration: { seconds: bigint; nanos: number } | undefined,
  field: string,
): number | undefined {
  if (duration === undefined) return undefined;
  const ms = Number(duration.seconds) * 1000 + duration.nanos / 1e6;
  if (!Number.isFinite(ms) || ms < 0 || duration.nanos < 0 || duration.nanos > 999_999_999)
    throw new InvalidArgumentError(
      `${field}: must be a non-negative duration, got ${duration.seconds}s ${duration.nanos}ns`,
    );
  return ms;
}

function durationOf(ms: number): { seconds: bigint; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** PutAlertRule's rule, in domain terms (the engine validates it). */
export function ruleFromMessage(rule: metricsV1.AlertRule | undefined): AlertRuleInput {
  if (rule === undefined) throw new InvalidArgumentError('rule: required');
  const comparison = COMPARISONS[rule.comparison];
  if (comparison === undefined)
    throw new InvalidArgumentError(
      rule.comparison === 0
        ? 'rule.comparison: required (rule "rule.comparison")'
        : `rule.comparison: unknown comparison ${rule.comparison} (rule "rule.comparison")`,
    );
  if (!(rule.conceptDriftDetector in DETECTORS))
    throw new InvalidArgumentError(
      `rule.concept_drift_detector: unknown detector ${rule.conceptDriftDetector}`,
    );
  const detector = DETECTORS[rule.conceptDriftDetector];
  const windowMs = durationMs(rule.window, 'rule.window');
  const forMs = durationMs(rule.forDuration, 'rule.for_duration');
  const series = rule.series;
  const reference = rule.reference;
  return {
    name: rule.name,
    series: {
      modelName: series?.modelName ?? '',
      ...(series?.modelVersion !== undefined ? { modelVersion: series.modelVersion } : {}),
      ...(series?.node !== undefined ? { node: series.node } : {}),
    },
    ...(rule.segment !== undefined
      ? { segment: { name: rule.segment.name, value: rule.segment.value } }
      : {}),
    metric: metricFromMessage(rule.metric),
    classLabel: rule.classLabel,
    comparison,
    threshold: rule.threshold,
    ...(windowMs !== undefined ? { windowMs } : {}),
    minSamples: Number(rule.minSamples),
    ...(forMs !== undefined ? { forMs } : {}),
    labels: { ...rule.labels },
    annotations: { ...rule.annotations },
    useInterval: rule.useInterval,
    ...(rule.confidence !== undefined ? { confidence: rule.confidence } : {}),
    ...(reference !== undefined
      ? {
          reference: {
            fromMs: reference.startTime?.getTime() ?? Number.NaN,
            toMs: reference.endTime?.getTime() ?? Number.NaN,
          },
        }
      : {}),
    ...(detector !== undefined ? { conceptDriftDetector: detector } : {}),
  };
}

/** A stored rule as the contract's AlertRule (defaults filled in). */
export function ruleToMessage(rule: AlertRuleSpec): metricsV1.AlertRule {
  return {
    name: rule.name,
    series: {
      modelName: rule.series.modelName,
      ...(rule.series.modelVersion !== undefined ? { modelVersion: rule.series.modelVersion } : {}),
      ...(rule.series.node !== undefined ? { node: rule.series.node } : {}),
    },
    segment: rule.segment === undefined ? undefined : { name: rule.segment.name, value: rule.segment.value },
    metric: metricToMessage(rule.metric),
    classLabel: rule.classLabel,
    comparison: COMPARISON_NUMBERS[rule.comparison],
    threshold: rule.threshold,
    window: durationOf(rule.windowMs),
    minSamples: BigInt(rule.minSamples),
    forDuration: rule.forMs === 0 ? undefined : durationOf(rule.forMs),
    labels: { ...rule.labels },
    annotations: { ...rule.annotations },
    useInterval: rule.useInterval,
    confidence: rule.confidence,
    reference:
      rule.reference === undefined
        ? undefined
        : { startTime: new Date(rule.reference.fromMs), endTime: new Date(rule.reference.toMs) },
    conceptDriftDetector:
      rule.conceptDriftDetector === undefined
        ? metricsV1.ConceptDriftDetector.CONCEPT_DRIFT_DETECTOR_UNSPECIFIED
        : DETECTOR_NUMBERS[rule.conceptDriftDetector],
  };
}

function intervalToMessage(interval: ConfidenceInterval | undefined): metricsV1.Interval | undefined {
  return interval === undefined
    ? undefined
    : {
        low: interval.low,
        high: interval.high,
        confidence: interval.confidence,
        method: INTERVAL_METHODS[interval.method],
      };
}

/** ListAlerts' state filter. @throws InvalidArgumentError naming an unknown state. */
export function statesFromMessage(states: readonly metricsV1.AlertState[]): AlertStateName[] {
  return states.map((state, i) => {
    const found = (Object.entries(STATES) as Array<[AlertStateName, metricsV1.AlertState]>).find(
      ([, n]) => n === state,
    );
    if (found === undefined) throw new InvalidArgumentError(`states[${i}]: unknown alert state ${state}`);
    return found[0];
  });
}

/** One alert as the contract's Alert. */
export function alertToMessage({ rule, status }: AlertView): metricsV1.Alert {
  return {
    rule: ruleToMessage(rule),
    state: STATES[status.state],
    value: status.value,
    samples: BigInt(status.samples),
    stateTime: new Date(status.stateSinceMs),
    evaluateTime: status.evaluatedMs === undefined ? undefined : new Date(status.evaluatedMs),
    segment:
      status.segment === undefined ? undefined : { name: status.segment.name, value: status.segment.value },
    interval: intervalToMessage(status.interval),
    reason: status.reason,
  };
}

/** An AlertEvent for the event pipeline (the service's CloudEvents sink encodes it). */
export function alertEventToMessage(event: AlertEventRecord): metricsV1.AlertEvent {
  const rule = ruleToMessage(event.rule);
  return {
    eventId: event.eventId,
    transition:
      event.transition === 'firing'
        ? metricsV1.AlertTransition.ALERT_TRANSITION_FIRING
        : metricsV1.AlertTransition.ALERT_TRANSITION_RESOLVED,
    rule: event.rule.name,
    series: rule.series,
    segment:
      event.segment === undefined ? undefined : { name: event.segment.name, value: event.segment.value },
    metric: rule.metric,
    classLabel: rule.classLabel,
    comparison: rule.comparison,
    threshold: rule.threshold,
    value: event.value,
    interval: intervalToMessage(event.interval),
    samples: BigInt(event.samples),
    firingTime: new Date(event.firingMs),
    time: new Date(event.timeMs),
    labels: { ...event.rule.labels },
    annotations: { ...event.rule.annotations },
  };
}
