/**
 * The windows' results as the contract's messages: MetricValue with its Interval, the
 * classification and regression metrics, prediction distributions, sketches, CBPE. Shared by
 * GetMetrics (windows), count windows and ComputeMetrics (one batch).
 */
import { metricsV1 } from '@sightline/contracts';
import type { ClassificationMetrics, ConfidenceInterval, RegressionMetrics } from '@sightline/stats';
import type { SeriesKey } from '../domain/records.js';
import type {
  CbpeWindowMetrics,
  ClassificationWindowMetrics,
  EstimateWithInterval,
  SketchQuantiles,
  WindowMetrics,
} from '../windows/window-metrics.js';

const METHODS: Readonly<Record<string, metricsV1.IntervalMethod>> = {
  wilson: metricsV1.IntervalMethod.INTERVAL_METHOD_WILSON,
  t: metricsV1.IntervalMethod.INTERVAL_METHOD_T,
  normal: metricsV1.IntervalMethod.INTERVAL_METHOD_NORMAL,
  'bootstrap-percentile': metricsV1.IntervalMethod.INTERVAL_METHOD_BOOTSTRAP_PERCENTILE,
  'newcombe-paired': metricsV1.IntervalMethod.INTERVAL_METHOD_NEWCOMBE_PAIRED,
  'wald-paired': metricsV1.IntervalMethod.INTERVAL_METHOD_WALD_PAIRED,
};

/** An interval message; undefined for none. */
export function intervalMessage(interval: ConfidenceInterval | undefined): metricsV1.Interval | undefined {
  if (interval === undefined) return undefined;
  return {
    low: interval.low,
    high: interval.high,
    confidence: interval.confidence,
    method: METHODS[interval.method] ?? metricsV1.IntervalMethod.INTERVAL_METHOD_UNSPECIFIED,
  };
}

/** A value with its interval, where there is one. */
export function metricValue(value: number, interval?: ConfidenceInterval): metricsV1.MetricValue {
  const i = intervalMessage(interval);
  return i === undefined ? { value } : { value, interval: i };
}

const estimate = (e: EstimateWithInterval) => metricValue(e.value, e.interval);

export function seriesMessage(series: SeriesKey): metricsV1.Series {
  return { modelName: series.modelName, modelVersion: series.modelVersion, node: series.node };
}

/** Classification metrics (a window's, with per-class and F1 intervals, or a batch's). */
export function classificationMessage(
  m: ClassificationMetrics &
    Partial<Pick<ClassificationWindowMetrics, 'precisionIntervals' | 'recallIntervals' | 'f1Intervals'>>,
  calibrationBins: number,
): metricsV1.ClassificationMetrics {
  const k = m.classes.length;
  return {
    pairs: BigInt(m.count),
    accuracy: metricValue(m.accuracy, m.accuracyInterval),
    classes: m.classes.map((label, c) => ({
      label: String(label),
      precision: metricValue(m.precision[c]!, m.precisionIntervals?.[c]),
      recall: metricValue(m.recall[c]!, m.recallIntervals?.[c]),
      f1: metricValue(m.f1[c]!),
      support: BigInt(m.support[c]!),
    })),
    macro: {
      precision: metricValue(m.macro.precision),
      recall: metricValue(m.macro.recall),
      f1: metricValue(m.macro.f1, m.f1Intervals?.macro),
    },
    // Micro scores equal accuracy here: accuracy's interval is theirs.
    micro: {
      precision: metricValue(m.micro.precision, m.accuracyInterval),
      recall: metricValue(m.micro.recall, m.accuracyInterval),
      f1: metricValue(m.micro.f1, m.accuracyInterval),
    },
    weighted: {
      precision: metricValue(m.weighted.precision),
      recall: metricValue(m.weighted.recall),
      f1: metricValue(m.weighted.f1, m.f1Intervals?.weighted),
    },
    confusionMatrix: Array.from({ length: k * k }, (_, i) => BigInt(m.confusion[i]!)),
    probabilityPairs: BigInt(m.probabilityCount),
    ...(m.rocAuc !== undefined && {
      rocAuc: {
        perClass: Array.from(m.rocAuc.perClass),
        macro: m.rocAuc.macro,
        weighted: m.rocAuc.weighted,
        ...(m.rocAuc.binary !== undefined && { binary: m.rocAuc.binary }),
        maxError: m.rocAuc.maxError,
      },
    }),
    ...(m.logLoss !== undefined && m.probabilityCount > 0 && { logLoss: metricValue(m.logLoss) }),
    ...(m.expectedCalibrationError !== undefined &&
      m.probabilityCount > 0 && { expectedCalibrationError: metricValue(m.expectedCalibrationError) }),
    calibrationBins,
  };
}

export function regressionMessage(m: RegressionMetrics): metricsV1.RegressionMetrics {
  return {
    pairs: BigInt(m.count),
    mse: metricValue(m.mse, m.intervals.mse),
    rmse: metricValue(m.rmse, m.intervals.rmse),
    mae: metricValue(m.mae, m.intervals.mae),
    mape: metricValue(m.mape),
    r2: metricValue(m.r2),
  };
}

export function sketchMessage(s: SketchQuantiles): metricsV1.SketchQuantiles {
  return {
    count: BigInt(s.count),
    relativeAccuracy: s.relativeAccuracy,
    min: s.min,
    max: s.max,
    p50: s.quantiles.p50 ?? Number.NaN,
    p90: s.quantiles.p90 ?? Number.NaN,
    p95: s.quantiles.p95 ?? Number.NaN,
    p99: s.quantiles.p99 ?? Number.NaN,
  };
}

function cbpeMessage(c: CbpeWindowMetrics): metricsV1.CbpeEstimate {
  return {
    rows: BigInt(c.count),
    accuracy: estimate(c.accuracy),
    f1Macro: metricValue(c.f1Macro),
    ...(c.gap !== undefined && {
      gap: {
        pairs: BigInt(c.gap.pairs),
        accuracy: estimate(c.gap.accuracy),
        f1Macro: metricValue(c.gap.f1Macro),
      },
    }),
  };
}

/** What a window message says besides the windows' metrics. */
export interface WindowFrame {
  readonly series?: SeriesKey;
  readonly segment?: { readonly name: string; readonly value: string };
  readonly startMs?: number;
  readonly endMs?: number;
  readonly countWindowIndex?: number;
  /** The store's counts of the series and range (feedback side). */
  readonly counts?: Partial<Record<keyof metricsV1.FeedbackCounts, number>>;
  readonly reference?: { readonly fromMs: number; readonly toMs: number; readonly rows: number };
  readonly calibrationBins: number;
}

/** One window's message. */
export function windowMessage(w: WindowMetrics, frame: WindowFrame): metricsV1.WindowMetrics {
  const c = frame.counts ?? {};
  const big = (v: number | undefined) => BigInt(Math.max(0, Math.round(v ?? 0)));
  const shift = w.predictionShift;
  return {
    ...(frame.series !== undefined && { series: seriesMessage(frame.series) }),
    ...(frame.segment !== undefined && { segment: { ...frame.segment } }),
    ...(frame.startMs !== undefined && { startTime: new Date(frame.startMs) }),
    ...(frame.endMs !== undefined && { endTime: new Date(frame.endMs) }),
    countWindowIndex: BigInt(frame.countWindowIndex ?? 0),
    buckets: w.buckets,
    counts: {
      predictions: big(w.predictions),
      requests: big(w.requests),
      joined: big(w.joined),
      rowsWithoutFeedback: big(Math.max(0, w.predictions - w.joined)),
      feedback: big(c.feedback),
      pending: big(c.pending),
      expired: big(c.expired),
      pendingUnnamed: big(c.pendingUnnamed),
      expiredUnnamed: big(c.expiredUnnamed),
    },
    coverage: estimate(w.coverage),
    ...(w.classification !== undefined &&
      w.joined > 0 && { classification: classificationMessage(w.classification, frame.calibrationBins) }),
    ...(w.regression !== undefined && w.joined > 0 && { regression: regressionMessage(w.regression) }),
    predictions: {
      classCounts: Object.fromEntries(
        Object.entries(w.predictedClasses ?? {}).map(([k, v]) => [k, BigInt(v)]),
      ),
      ...(w.outputs !== undefined && { outputs: sketchMessage(w.outputs) }),
      ...(shift !== undefined &&
        frame.reference !== undefined && {
          shift: {
            klDivergence: shift.klDivergence,
            jensenShannonDistance: shift.jensenShannon,
            psi: shift.psi,
            reference: {
              startTime: new Date(frame.reference.fromMs),
              endTime: new Date(frame.reference.toMs),
            },
            referenceRows: BigInt(frame.reference.rows),
          },
        }),
    },
    ...(w.latencyMs !== undefined && { latencyMs: sketchMessage(w.latencyMs) }),
    ...(w.cbpe !== undefined && { cbpe: cbpeMessage(w.cbpe) }),
  };
}
