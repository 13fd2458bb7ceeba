/**
 * Reads one alert metric out of a window's metrics: its value, its interval where the window
 * gives one, the samples it rests on, or the reason it cannot be read (a metric of the other
 * task, no probabilities logged, a class the model does not have).
 */
import type { ConfidenceInterval } from '@sightline/stats';
import type { WindowMetrics } from '../windows/index.js';
import type { AlertMetricName, AlertRuleSpec } from './alert-rule.js';

/** A metric as an alert sees it. */
export type MetricReading =
  | {
      readonly ok: true;
      readonly value: number;
      readonly interval?: ConfidenceInterval;
      readonly samples: number;
      /** What `samples` counts, for the "too few" reason. */
      readonly sampleUnit: string;
    }
  | { readonly ok: false; readonly reason: string; readonly samples: number };

const CLASSIFICATION_ONLY: ReadonlySet<AlertMetricName> = new Set([
  'accuracy',
  'macro_f1',
  'class_precision',
  'class_recall',
  'class_f1',
  'macro_precision',
  'macro_recall',
  'weighted_f1',
  'roc_auc',
  'log_loss',
  'expected_calibration_error',
  'estimated_accuracy',
  'estimated_f1',
  'estimated_accuracy_gap',
]);
const REGRESSION_ONLY: ReadonlySet<AlertMetricName> = new Set([
  'mae',
  'rmse',
  'mse',
  'mape',
  'r2',
  'estimated_mae',
  'estimated_rmse',
]);

/** The task a metric needs, or undefined when it serves both. */
export function metricTask(metric: AlertMetricName): 'classification' | 'regression' | undefined {
  if (CLASSIFICATION_ONLY.has(metric)) return 'classification';
  if (REGRESSION_ONLY.has(metric)) return 'regression';
  return undefined;
}

/**
 * The rule's metric from a window (the window-based metrics; PENDING_FEEDBACK, EXPIRED_FEEDBACK
 * and CONCEPT_DRIFT_STATE are read elsewhere).
 */
export function readWindowMetric(rule: AlertRuleSpec, window: WindowMetrics): MetricReading {
  const task = metricTask(rule.metric);
  if (task !== undefined && task !== window.task)
    return {
      ok: false,
      reason: `${rule.metric} is a ${task} metric and the series is ${window.task}`,
      samples: window.joined,
    };
  const pairs = (value: number, interval?: ConfidenceInterval): MetricReading => ({
    ok: true,
    value,
    ...(interval !== undefined ? { interval } : {}),
    samples: window.joined,
    sampleUnit: 'joined pairs',
  });
  const rows = (value: number, interval?: ConfidenceInterval): MetricReading => ({
    ok: true,
    value,
    ...(interval !== undefined ? { interval } : {}),
    samples: window.predictions,
    sampleUnit: 'prediction rows',
  });
  const missing = (reason: string, samples = window.joined): MetricReading => ({
    ok: false,
    reason,
    samples,
  });
  const c = window.classification;
  const r = window.regression;
  const classIndex = () => (c === undefined ? -1 : c.classes.indexOf(rule.classLabel));
  switch (rule.metric) {
    case 'accuracy':
      return c ? pairs(c.accuracy, c.accuracyInterval) : missing('no joined pairs');
    case 'macro_f1':
      return c ? pairs(c.macro.f1, c.f1Intervals?.macro) : missing('no joined pairs');
    case 'weighted_f1':
      return c ? pairs(c.weighted.f1, c.f1Intervals?.weighted) : missing('no joined pairs');
    case 'macro_precision':
      return c ? pairs(c.macro.precision) : missing('no joined pairs');
    case 'macro_recall':
      return c ? pairs(c.macro.recall) : missing('no joined pairs');
    case 'class_precision':
    case 'class_recall':
    case 'class_f1': {
      if (c === undefined) return missing('no joined pairs');
      const i = classIndex();
      if (i < 0) return missing(`class ${JSON.stringify(rule.classLabel)} is not one of the model's classes`);
      if (rule.metric === 'class_precision') return pairs(c.precision[i]!, c.precisionIntervals[i]);
      if (rule.metric === 'class_recall') return pairs(c.recall[i]!, c.recallIntervals[i]);
      return pairs(c.f1[i]!);
    }
    case 'roc_auc':
      return c?.rocAuc ? pairs(c.rocAuc.macro) : missing('no probabilities logged with the joined pairs');
    case 'log_loss':
      return c?.logLoss !== undefined
        ? pairs(c.logLoss)
        : missing('no probabilities logged with the joined pairs');
    case 'expected_calibration_error':
      return c?.expectedCalibrationError !== undefined
        ? pairs(c.expectedCalibrationError)
        : missing('no probabilities logged with the joined pairs');
    case 'mae':
      return r ? pairs(r.mae, r.intervals.mae) : missing('no joined pairs');
    case 'rmse':
      return r ? pairs(r.rmse, r.intervals.rmse) : missing('no joined pairs');
    case 'mse':
      return r ? pairs(r.mse, r.intervals.mse) : missing('no joined pairs');
    case 'mape':
      return r ? pairs(r.mape) : missing('no joined pairs');
    case 'r2':
      return r ? pairs(r.r2) : missing('no joined pairs');
    case 'prediction_shift_kl':
    case 'prediction_shift_js':
    case 'prediction_shift_psi': {
      const shift = window.predictionShift;
      if (shift === undefined)
        return missing('no reference window (no predictions in it)', window.predictions);
      const value =
        rule.metric === 'prediction_shift_kl'
          ? shift.klDivergence
          : rule.metric === 'prediction_shift_js'
            ? shift.jensenShannon
            : shift.psi;
      const intervals = shift.intervals;
      const interval =
        intervals === undefined
          ? undefined
          : rule.metric === 'prediction_shift_kl'
            ? intervals.klDivergence
            : rule.metric === 'prediction_shift_js'
              ? intervals.jensenShannon
              : intervals.psi;
      return rows(value, interval);
    }
    case 'feedback_coverage':
      return rows(window.coverage.value, window.coverage.interval);
    case 'latency_p50':
    case 'latency_p90':
    case 'latency_p95':
    case 'latency_p99': {
      const latency = window.latencyMs;
      if (latency === undefined) return missing('no request logged its latency', window.predictions);
      const value = latency.quantiles[rule.metric.slice('latency_'.length)];
      return value === undefined
        ? missing(`no ${rule.metric} quantile`, latency.count)
        : { ok: true, value, samples: latency.count, sampleUnit: 'requests with a latency' };
    }
    case 'estimated_accuracy':
    case 'estimated_f1': {
      const cbpe = window.cbpe;
      if (cbpe === undefined)
        return missing('no probabilities logged with the predictions', window.predictions);
      const value = rule.metric === 'estimated_accuracy' ? cbpe.accuracy.value : cbpe.f1Macro;
      const interval = rule.metric === 'estimated_accuracy' ? cbpe.accuracy.interval : cbpe.f1MacroInterval;
      return {
        ok: true,
        value,
        ...(interval !== undefined ? { interval } : {}),
        samples: cbpe.count,
        sampleUnit: 'prediction rows with probabilities',
      };
    }
    case 'estimated_accuracy_gap': {
      const gap = window.cbpe?.gap;
      if (gap === undefined) return missing('no labelled pairs that all logged probabilities');
      return { ok: true, ...gap.accuracy, samples: gap.pairs, sampleUnit: 'joined pairs with probabilities' };
    }
    case 'estimated_mae':
    case 'estimated_rmse': {
      const dle = window.dle;
      if (dle === undefined) {
        return missing(
          window.task === 'regression'
            ? 'no direct loss estimate: the series has no fitted loss model yet (too few joined pairs in its reference)'
            : 'direct loss estimation is for regression series',
          window.predictions,
        );
      }
      const interval = rule.metric === 'estimated_mae' ? dle.maeInterval : dle.rmseInterval;
      return {
        ok: true,
        value: rule.metric === 'estimated_mae' ? dle.mae : dle.rmse,
        ...(interval !== undefined ? { interval } : {}),
        samples: dle.count,
        sampleUnit: 'predicted elements',
      };
    }
    case 'pending_feedback':
    case 'expired_feedback':
    case 'concept_drift_state':
      return missing(`${rule.metric} is not a window metric`);
  }
}

/** The number compared with the threshold: the value, or the interval's far end with use_interval. */
export function comparedValue(rule: AlertRuleSpec, value: number, interval?: ConfidenceInterval): number {
  if (!rule.useInterval || interval === undefined) return value;
  // The far end: the alert fires only when the whole interval is past the threshold.
  return rule.comparison === 'lt' || rule.comparison === 'le' ? interval.high : interval.low;
}
