export {
  ALERT_RULE_SCHEMA_VERSION,
  AlertEngine,
  type AlertEngineDeps,
  type AlertEventRecord,
  type AlertEventSink,
  type AlertView,
  DEFAULT_ALERT_PAGE_SIZE,
  MAX_ALERT_PAGE_SIZE,
  RULES_COLLECTION,
  STATES_COLLECTION,
} from './alert-engine.js';
export {
  type AlertOptions,
  DEFAULT_ALERT_INTERVAL_MS,
  DEFAULT_MAX_ALERT_RULES,
  resolveAlertOptions,
} from './alert-options.js';
export {
  type AlertReadings,
  type DriftReading,
  MemorySeriesCatalog,
  type SeriesCatalog,
  type WindowReadingsSources,
  windowAlertReadings,
} from './alert-readings.js';
export {
  ALERT_COMPARISON_NAMES,
  ALERT_METRIC_NAMES,
  type AlertComparisonName,
  type AlertDriftDetector,
  type AlertMetricName,
  type AlertRuleInput,
  type AlertRuleLimits,
  type AlertRuleSpec,
  type AlertSeriesSelector,
  DEFAULT_ALERT_CONFIDENCE,
  DEFAULT_ALERT_MIN_SAMPLES,
  DEFAULT_ALERT_WINDOW_MS,
  validateAlertRule,
} from './alert-rule.js';
export { ALERT_SERIES_NAMES, AlertSeries } from './alert-series.js';
export type { AlertStateName, AlertStatus, AlertTransitionName } from './alert-state.js';
export { type AlertingParts, openAlerting } from './open-alerting.js';
export { loadRulesFile, MAX_RULES_FILE_BYTES, parseRules } from './rules-file.js';
