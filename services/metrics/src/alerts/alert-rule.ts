/**
 * Alert rules in domain terms (no gRPC types) and their validation. The contract's rule names
 * ("name.format", "rule.metric", ...) appear in the error sentences so that a caller can tell
 * which rule a refused rule broke.
 */
import { InvalidArgumentError } from '@sightline/errors';

/** The metrics a rule can watch, by the name rule files use (the contract's AlertMetric, lower-cased). */
export const ALERT_METRIC_NAMES = [
  'accuracy',
  'macro_f1',
  'class_precision',
  'class_recall',
  'class_f1',
  'mae',
  'rmse',
  'macro_precision',
  'macro_recall',
  'weighted_f1',
  'roc_auc',
  'log_loss',
  'expected_calibration_error',
  'mse',
  'mape',
  'r2',
  'prediction_shift_kl',
  'prediction_shift_js',
  'prediction_shift_psi',
  'feedback_coverage',
  'latency_p50',
  'latency_p90',
  'latency_p95',
  'latency_p99',
  'estimated_accuracy',
  'estimated_f1',
  'estimated_accuracy_gap',
  'estimated_mae',
  'estimated_rmse',
  'pending_feedback',
  'expired_feedback',
  'concept_drift_state',
] as const;

export type AlertMetricName = (typeof ALERT_METRIC_NAMES)[number];

/** Per-class metrics: they need `classLabel`. */
export const PER_CLASS_METRICS: ReadonlySet<AlertMetricName> = new Set([
  'class_precision',
  'class_recall',
  'class_f1',
]);

/** Prediction-shift metrics: they need a reference window. */
export const SHIFT_METRICS: ReadonlySet<AlertMetricName> = new Set([
  'prediction_shift_kl',
  'prediction_shift_js',
  'prediction_shift_psi',
]);

/** How a rule compares its metric with the threshold. */
export type AlertComparisonName = 'lt' | 'le' | 'gt' | 'ge';
export const ALERT_COMPARISON_NAMES: readonly AlertComparisonName[] = ['lt', 'le', 'gt', 'ge'];

/** The concept-drift detectors a CONCEPT_DRIFT_STATE rule can name (undefined: the highest state). */
export type AlertDriftDetector = 'ddm' | 'adwin' | 'pageHinkley';

/** The series a rule watches: version or node undefined combines every one of them. */
export interface AlertSeriesSelector {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly node?: string;
}

/** A validated alert rule, defaults filled in. */
export interface AlertRuleSpec {
  readonly name: string;
  readonly series: AlertSeriesSelector;
  /** Unset: the whole series; `value` '' gives one alert per value of the segment. */
  readonly segment?: { readonly name: string; readonly value: string };
  readonly metric: AlertMetricName;
  /** Per-class metrics only; '' otherwise. */
  readonly classLabel: string;
  readonly comparison: AlertComparisonName;
  readonly threshold: number;
  readonly windowMs: number;
  readonly minSamples: number;
  /** 0 fires at once. */
  readonly forMs: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly useInterval: boolean;
  readonly confidence: number;
  /** Prediction-shift metrics only: the reference window [fromMs, toMs). */
  readonly reference?: { readonly fromMs: number; readonly toMs: number };
  readonly conceptDriftDetector?: AlertDriftDetector;
}

/** A rule as a caller gives it: every default may be left out. */
export interface AlertRuleInput {
  readonly name: string;
  readonly series: AlertSeriesSelector;
  readonly segment?: { readonly name: string; readonly value: string };
  readonly metric: AlertMetricName;
  readonly classLabel?: string;
  readonly comparison: AlertComparisonName;
  readonly threshold: number;
  readonly windowMs?: number;
  readonly minSamples?: number;
  readonly forMs?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly useInterval?: boolean;
  readonly confidence?: number;
  readonly reference?: { readonly fromMs: number; readonly toMs: number };
  readonly conceptDriftDetector?: AlertDriftDetector;
}

/** Defaults the contract states. */
export const DEFAULT_ALERT_WINDOW_MS = 3_600_000;
export const DEFAULT_ALERT_MIN_SAMPLES = 30;
export const DEFAULT_ALERT_CONFIDENCE = 0.95;
/** Bounds the contract states for labels and annotations. */
export const MAX_RULE_LABELS = 16;
export const MAX_RULE_LABEL_VALUE_LENGTH = 256;
export const MAX_RULE_ANNOTATIONS = 16;
export const MAX_RULE_ANNOTATION_VALUE_LENGTH = 1024;
export const MAX_MODEL_NAME_LENGTH = 256;
/**
 * Label keys the alert's own Prometheus series and events already carry: a rule label of one
 * of these names would overwrite them, so it is refused.
 */
export const RESERVED_LABEL_KEYS: ReadonlySet<string> = new Set([
  'rule',
  'model_name',
  'model_version',
  'node',
  'segment',
  'segment_value',
  'metric',
  'class_label',
  'state',
]);

/** What bounds a rule's window: the bucket width below, the retention above. */
export interface AlertRuleLimits {
  readonly bucketWidthMs: number;
  readonly retentionMs: number;
  /** The service's --segment names; a rule's segment must be one of them. */
  readonly segmentNames: readonly string[];
}

const NAME_FORMAT = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LABEL_KEY_FORMAT = /^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/;

/** JSON.stringify that shows a string the way a user typed it. */
const quote = (text: string) => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}...` : text);

/**
 * Checks a rule and fills in its defaults. Every error is an InvalidArgumentError whose
 * sentence starts with `<prefix>.<field>` (prefix `rule` for RPCs; a rules file passes its own).
 */
export function validateAlertRule(
  input: AlertRuleInput,
  limits: AlertRuleLimits,
  prefix = 'rule',
): AlertRuleSpec {
  const fail = (field: string, rule: string): never => {
    throw new InvalidArgumentError(`${prefix}.${field}: ${rule}`);
  };
  if (typeof input.name !== 'string' || !NAME_FORMAT.test(input.name))
    fail(
      'name',
      `must be 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (rule "name.format"), got ${quote(String(input.name ?? ''))}`,
    );

  const series = input.series;
  if (series === undefined || typeof series.modelName !== 'string' || series.modelName === '')
    fail('series.model_name', 'required (rule "series.model_name_set")');
  if (series.modelName.length > MAX_MODEL_NAME_LENGTH)
    fail(
      'series.model_name',
      `must be at most ${MAX_MODEL_NAME_LENGTH} characters, got ${series.modelName.length}`,
    );

  if (input.segment !== undefined && !limits.segmentNames.includes(input.segment.name))
    fail(
      'segment.name',
      `${quote(input.segment.name)} is not a configured segment (rule "segment.name_configured"; configured: ${limits.segmentNames.length === 0 ? 'none' : limits.segmentNames.join(', ')})`,
    );

  if (!(ALERT_METRIC_NAMES as readonly string[]).includes(input.metric))
    fail('metric', `unknown metric ${quote(String(input.metric))} (rule "rule.metric")`);
  const metric = input.metric;

  const classLabel = input.classLabel ?? '';
  if (PER_CLASS_METRICS.has(metric) && classLabel === '')
    fail('class_label', `required for metric ${metric} (rule "rule.class_label")`);
  if (!PER_CLASS_METRICS.has(metric) && classLabel !== '')
    fail(
      'class_label',
      `only per-class metrics take a class label, got one for ${metric} (rule "rule.class_label")`,
    );

  if (!ALERT_COMPARISON_NAMES.includes(input.comparison))
    fail(
      'comparison',
      `must be one of lt, le, gt, ge, got ${quote(String(input.comparison))} (rule "rule.comparison")`,
    );

  if (typeof input.threshold !== 'number' || !Number.isFinite(input.threshold))
    fail('threshold', `must be a finite number, got ${String(input.threshold)}`);

  const windowMs = input.windowMs ?? DEFAULT_ALERT_WINDOW_MS;
  if (!Number.isFinite(windowMs) || windowMs < limits.bucketWidthMs)
    fail('window', `must be at least the bucket width ${limits.bucketWidthMs} ms, got ${windowMs} ms`);
  if (windowMs > limits.retentionMs)
    fail('window', `must be at most the retention ${limits.retentionMs} ms, got ${windowMs} ms`);

  const minSamples =
    input.minSamples === undefined || input.minSamples === 0 ? DEFAULT_ALERT_MIN_SAMPLES : input.minSamples;
  if (!Number.isSafeInteger(minSamples) || minSamples < 0)
    fail('min_samples', `must be a whole number, got ${minSamples}`);

  const forMs = input.forMs ?? 0;
  if (!Number.isFinite(forMs) || forMs < 0) fail('for_duration', `must not be negative, got ${forMs} ms`);
  if (forMs > limits.retentionMs)
    fail('for_duration', `must be at most the retention ${limits.retentionMs} ms, got ${forMs} ms`);

  const labels = checkPairs(input.labels ?? {}, 'labels', MAX_RULE_LABELS, MAX_RULE_LABEL_VALUE_LENGTH, fail);
  for (const key of Object.keys(labels)) {
    if (!LABEL_KEY_FORMAT.test(key) || key.startsWith('__'))
      fail(
        `labels[${quote(key)}]`,
        'keys must be 1-63 characters of [a-zA-Z0-9_], not starting with a digit or "__"',
      );
    if (RESERVED_LABEL_KEYS.has(key))
      fail(
        `labels[${quote(key)}]`,
        `the alert's series already carry this label (reserved: ${[...RESERVED_LABEL_KEYS].join(', ')})`,
      );
  }
  const annotations = checkPairs(
    input.annotations ?? {},
    'annotations',
    MAX_RULE_ANNOTATIONS,
    MAX_RULE_ANNOTATION_VALUE_LENGTH,
    fail,
  );

  const confidence = input.confidence ?? DEFAULT_ALERT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) fail('confidence', `must lie in (0, 1), got ${confidence}`);

  let reference: AlertRuleSpec['reference'];
  if (SHIFT_METRICS.has(metric)) {
    if (input.reference === undefined)
      fail('reference', `required for metric ${metric} (rule "rule.reference_set")`);
    const { fromMs, toMs } = input.reference!;
    if (!(Number.isFinite(fromMs) && Number.isFinite(toMs) && toMs > fromMs))
      fail('reference', `must end after it starts, got [${fromMs}, ${toMs}) (rule "rule.reference_set")`);
    reference = { fromMs, toMs };
  } else if (input.reference !== undefined) {
    fail(
      'reference',
      `only prediction-shift metrics take a reference window, got one for ${metric} (rule "rule.reference_set")`,
    );
  }

  if (input.conceptDriftDetector !== undefined && metric !== 'concept_drift_state')
    fail('concept_drift_detector', `only concept_drift_state takes a detector, got one for ${metric}`);

  return {
    name: input.name,
    series: {
      modelName: series.modelName,
      ...(series.modelVersion !== undefined ? { modelVersion: series.modelVersion } : {}),
      ...(series.node !== undefined ? { node: series.node } : {}),
    },
    ...(input.segment !== undefined
      ? { segment: { name: input.segment.name, value: input.segment.value } }
      : {}),
    metric,
    classLabel,
    comparison: input.comparison,
    threshold: input.threshold,
    windowMs,
    minSamples,
    forMs,
    labels,
    annotations,
    useInterval: input.useInterval ?? false,
    confidence,
    ...(reference !== undefined ? { reference } : {}),
    ...(input.conceptDriftDetector !== undefined ? { conceptDriftDetector: input.conceptDriftDetector } : {}),
  };
}

function checkPairs(
  pairs: Readonly<Record<string, string>>,
  field: string,
  maxPairs: number,
  maxValueLength: number,
  fail: (field: string, rule: string) => never,
): Record<string, string> {
  const keys = Object.keys(pairs);
  if (keys.length > maxPairs) fail(field, `at most ${maxPairs} pairs, got ${keys.length}`);
  const out: Record<string, string> = {};
  for (const key of keys.sort()) {
    const value = pairs[key];
    if (typeof value !== 'string') fail(`${field}[${quote(key)}]`, `must be a string, got ${typeof value}`);
    if (value!.length > maxValueLength)
      fail(`${field}[${quote(key)}]`, `must be at most ${maxValueLength} characters, got ${value!.length}`);
    out[key] = value!;
  }
  return out;
}

/** Whether `value` crosses `threshold` the way the comparison fires. */
export function crosses(comparison: AlertComparisonName, value: number, threshold: number): boolean {
  switch (comparison) {
    case 'lt':
      return value < threshold;
    case 'le':
      return value <= threshold;
    case 'gt':
      return value > threshold;
    case 'ge':
      return value >= threshold;
  }
}
