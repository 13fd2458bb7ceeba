/** One codec per enum of the metrics contract (see metrics-enums.ts). */
import { metricsV1 } from '@sightline/contracts';
import { enumCodec } from './metrics-enums.js';

const m = metricsV1;

export const intervalMethods = enumCodec(
  m.IntervalMethod,
  'INTERVAL_METHOD_',
  m.intervalMethodToJSON,
  m.intervalMethodFromJSON,
);
export const taskTypes = enumCodec(m.TaskType, 'TASK_TYPE_', m.taskTypeToJSON, m.taskTypeFromJSON);
export const feedbackStatuses = enumCodec(
  m.FeedbackStatus,
  'FEEDBACK_STATUS_',
  m.feedbackStatusToJSON,
  m.feedbackStatusFromJSON,
);
export const conceptDriftDetectors = enumCodec(
  m.ConceptDriftDetector,
  'CONCEPT_DRIFT_DETECTOR_',
  m.conceptDriftDetectorToJSON,
  m.conceptDriftDetectorFromJSON,
);
export const conceptDriftStates = enumCodec(
  m.ConceptDriftState,
  'CONCEPT_DRIFT_STATE_',
  m.conceptDriftStateToJSON,
  m.conceptDriftStateFromJSON,
);
export const comparisonMetrics = enumCodec(
  m.ComparisonMetric,
  'COMPARISON_METRIC_',
  m.comparisonMetricToJSON,
  m.comparisonMetricFromJSON,
);
export const comparisonTests = enumCodec(
  m.ComparisonTest,
  'COMPARISON_TEST_',
  m.comparisonTestToJSON,
  m.comparisonTestFromJSON,
);
export const comparisonVerdicts = enumCodec(
  m.ComparisonVerdict,
  'COMPARISON_VERDICT_',
  m.comparisonVerdictToJSON,
  m.comparisonVerdictFromJSON,
);
export const annotationPolicies = enumCodec(
  m.AnnotationPolicy,
  'ANNOTATION_POLICY_',
  m.annotationPolicyToJSON,
  m.annotationPolicyFromJSON,
);
export const annotationItemStates = enumCodec(
  m.AnnotationItemState,
  'ANNOTATION_ITEM_STATE_',
  m.annotationItemStateToJSON,
  m.annotationItemStateFromJSON,
);
export const alertMetrics = enumCodec(
  m.AlertMetric,
  'ALERT_METRIC_',
  m.alertMetricToJSON,
  m.alertMetricFromJSON,
);
export const alertComparisons = enumCodec(
  m.AlertComparison,
  'ALERT_COMPARISON_',
  m.alertComparisonToJSON,
  m.alertComparisonFromJSON,
);
export const alertStates = enumCodec(m.AlertState, 'ALERT_STATE_', m.alertStateToJSON, m.alertStateFromJSON);
