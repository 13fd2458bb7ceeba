/**
 * ClassificationMetrics / RegressionMetrics of libs/stats → their contract messages. Shared by
 * ComputeMetrics and GetMetrics, so a batch and a window read the same.
 */
import { metricsV1 } from '@sightline/contracts';
import {
  type ClassificationMetrics,
  type ConfidenceInterval,
  type RegressionMetrics,
  type RocAucResult,
  wilsonInterval,
} from '@sightline/stats';

const METHODS: Record<ConfidenceInterval['method'], metricsV1.IntervalMethod> = {
  wilson: metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON,
  t: metricsV1.IntervalMethod.INTERVAL_METHOD_T,
  normal: metricsV1.IntervalMethod.INTERVAL_METHOD_NORMAL,
  'bootstrap-percentile': metricsV1.IntervalMethod.INTERVAL_METHOD_BOOTSTRAP_PERCENTILE,
  'newcombe-paired': metricsV1.IntervalMethod.INTERVAL_METHOD_NEWCOMBE_PAIRED,
  'wald-paired': metricsV1.IntervalMethod.INTERVAL_METHOD_WALD_PAIRED,
};

export function intervalToMessage(interval: ConfidenceInterval): metricsV1.Interval {
  return {
    low: interval.low,
    high: interval.high,
    confidence: interval.confidence,
    method: METHODS[interval.method],
  };
}

/** A value and, where the statistics give one, its interval. */
export function metricValue(value: number, interval?: ConfidenceInterval): metricsV1.MetricValue {
  return interval === undefined ? { value } : { value, interval: intervalToMessage(interval) };
}

/**
 * Intervals the stats' ClassificationMetrics do not carry yet (the contract gives macro and
 * weighted F1 a bootstrap interval on small windows). The seam for metrics-intervals: pass
 * them here once src/windows computes them; absent ones are left unset.
 */
export interface AveragedF1Intervals {
  readonly macroF1?: ConfidenceInterval;
  readonly weightedF1?: ConfidenceInterval;
}

/**
 * Classification metrics → message. Per-class precision and recall get Wilson intervals from
 * the confusion matrix (tp of the predicted / of the true rows); micro scores accuracy's.
 */
export function classificationToMessage(
  metrics: ClassificationMetrics,
  confidence: number,
  calibrationBins: number,
  extra: AveragedF1Intervals = {},
): metricsV1.ClassificationMetrics {
  const k = metrics.classes.length;
  const predicted = new Float64Array(k);
  for (let t = 0; t < k; t++) for (let p = 0; p < k; p++) predicted[p]! += metrics.confusion[t * k + p]!;
  const classes = metrics.classes.map((label, c): metricsV1.ClassMetrics => {
    const tp = metrics.confusion[c * k + c]!;
    const support = metrics.support[c]!;
    return {
      label: String(label),
      precision: metricValue(metrics.precision[c]!, proportionInterval(tp, predicted[c]!, confidence)),
      recall: metricValue(metrics.recall[c]!, proportionInterval(tp, support, confidence)),
      f1: metricValue(metrics.f1[c]!),
      support: BigInt(support),
    };
  });
  const accuracy = metricValue(metrics.accuracy, metrics.count > 0 ? metrics.accuracyInterval : undefined);
  const withProbabilities = metrics.probabilityCount > 0;
  return {
    pairs: BigInt(metrics.count),
    accuracy,
    classes,
    macro: {
      precision: metricValue(metrics.macro.precision),
      recall: metricValue(metrics.macro.recall),
      f1: metricValue(metrics.macro.f1, extra.macroF1),
    },
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
    weighted: {
      precision: metricValue(metrics.weighted.precision),
      recall: metricValue(metrics.weighted.recall),
      f1: metricValue(metrics.weighted.f1, extra.weightedF1),
    },
    confusionMatrix: Array.from(metrics.confusion, (count) => BigInt(count)),
    probabilityPairs: BigInt(metrics.probabilityCount),
    ...(withProbabilities && metrics.rocAuc ? { rocAuc: rocAucToMessage(metrics.rocAuc) } : {}),
    ...(withProbabilities && metrics.logLoss !== undefined ? { logLoss: metricValue(metrics.logLoss) } : {}),
    ...(withProbabilities && metrics.expectedCalibrationError !== undefined
      ? { expectedCalibrationError: metricValue(metrics.expectedCalibrationError) }
      : {}),
    calibrationBins,
  };
}

export function rocAucToMessage(auc: RocAucResult): metricsV1.RocAuc {
  return {
    perClass: Array.from(auc.perClass),
    macro: auc.macro,
    weighted: auc.weighted,
    ...(auc.binary === undefined ? {} : { binary: auc.binary }),
    maxError: auc.maxError,
  };
}

/** Regression metrics → message: MSE, RMSE and MAE with their t intervals; MAPE and R² without. */
export function regressionToMessage(metrics: RegressionMetrics): metricsV1.RegressionMetrics {
  const some = metrics.count > 0;
  return {
    pairs: BigInt(metrics.count),
    mse: metricValue(metrics.mse, some ? metrics.intervals.mse : undefined),
    rmse: metricValue(metrics.rmse, some ? metrics.intervals.rmse : undefined),
    mae: metricValue(metrics.mae, some ? metrics.intervals.mae : undefined),
    mape: metricValue(metrics.mape),
    r2: metricValue(metrics.r2),
  };
}

/** A Wilson interval of successes / trials; none for zero trials (the value is then 0 by zero_division). */
function proportionInterval(
  successes: number,
  trials: number,
  confidence: number,
): ConfidenceInterval | undefined {
  return trials > 0 ? wilsonInterval(successes, trials, confidence) : undefined;
}
