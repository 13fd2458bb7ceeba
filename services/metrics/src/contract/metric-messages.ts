/**
 * ClassificationMetrics / RegressionMetrics of libs/stats → their contract messages. Shared by
 * ComputeMetrics and GetMetrics, so a batch and a window read the same.
 */
import { metricsV1 } from '@sightline/contracts';
import {
  type ClassificationMetrics,
  type ConfidenceInterval,
  type RegressionMetrics,
  type RocAucIntervals,
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
  delta: metricsV1.IntervalMethod.INTERVAL_METHOD_DELTA,
  delong: metricsV1.IntervalMethod.INTERVAL_METHOD_DELONG,
  'order-statistic': metricsV1.IntervalMethod.INTERVAL_METHOD_ORDER_STATISTIC,
  'simultaneous-normal': metricsV1.IntervalMethod.INTERVAL_METHOD_SIMULTANEOUS_NORMAL,
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
 * Intervals a window adds to the stats' ClassificationMetrics (src/windows): per-class F1 and
 * the macro and weighted scores (the delta method, or the bootstrap on small windows). A batch
 * (ComputeMetrics) has the same from `windowScoreIntervals`; absent ones are left unset.
 */
export interface ScoreIntervals {
  readonly f1: readonly ConfidenceInterval[];
  readonly macro: {
    readonly precision: ConfidenceInterval;
    readonly recall: ConfidenceInterval;
    readonly f1: ConfidenceInterval;
  };
  readonly weighted: {
    readonly precision: ConfidenceInterval;
    readonly recall: ConfidenceInterval;
    readonly f1: ConfidenceInterval;
  };
}

/**
 * Classification metrics → message. Per-class precision and recall get Wilson intervals from
 * the confusion matrix (tp of the predicted / of the true rows); micro scores accuracy's.
 */
export function classificationToMessage(
  metrics: ClassificationMetrics,
  confidence: number,
  calibrationBins: number,
  scores?: ScoreIntervals,
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
      f1: metricValue(metrics.f1[c]!, scores?.f1[c]),
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
      precision: metricValue(metrics.macro.precision, scores?.macro.precision),
      recall: metricValue(metrics.macro.recall, scores?.macro.recall),
      f1: metricValue(metrics.macro.f1, scores?.macro.f1),
    },
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
    weighted: {
      precision: metricValue(metrics.weighted.precision, scores?.weighted.precision),
      recall: metricValue(metrics.weighted.recall, scores?.weighted.recall),
      f1: metricValue(metrics.weighted.f1, scores?.weighted.f1),
    },
    confusionMatrix: Array.from(metrics.confusion, (count) => BigInt(count)),
    probabilityPairs: BigInt(metrics.probabilityCount),
    ...(withProbabilities && metrics.rocAuc
      ? { rocAuc: rocAucToMessage(metrics.rocAuc, metrics.rocAucIntervals) }
      : {}),
    ...(withProbabilities && metrics.logLoss !== undefined
      ? { logLoss: metricValue(metrics.logLoss, metrics.logLossInterval) }
      : {}),
    ...(withProbabilities && metrics.expectedCalibrationError !== undefined
      ? {
          expectedCalibrationError: metricValue(
            metrics.expectedCalibrationError,
            metrics.expectedCalibrationErrorInterval,
          ),
        }
      : {}),
    calibrationBins,
  };
}

export function rocAucToMessage(auc: RocAucResult, intervals?: RocAucIntervals): metricsV1.RocAuc {
  return {
    perClass: Array.from(auc.perClass),
    macro: auc.macro,
    weighted: auc.weighted,
    ...(auc.binary === undefined ? {} : { binary: auc.binary }),
    maxError: auc.maxError,
    perClassIntervals: (intervals?.perClass ?? []).map(intervalToMessage),
    ...(intervals === undefined
      ? {}
      : {
          macroInterval: intervalToMessage(intervals.macro),
          weightedInterval: intervalToMessage(intervals.weighted),
        }),
    ...(intervals?.binary === undefined ? {} : { binaryInterval: intervalToMessage(intervals.binary) }),
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
    mape: metricValue(metrics.mape, some ? metrics.intervals.mape : undefined),
    r2: metricValue(metrics.r2, some ? metrics.intervals.r2 : undefined),
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
