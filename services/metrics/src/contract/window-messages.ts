/**
 * The windows' results as the contract's messages: MetricValue with its Interval, the
 * classification and regression metrics, prediction distributions, sketches, CBPE. Shared by
 * GetMetrics (windows), count windows and ComputeMetrics (one batch).
 */
import type { metricsV1 } from '@sightline/contracts';
import type { RegressionMetrics } from '@sightline/stats';
import type { SeriesKey } from '../domain/records.js';
import type {
  CbpeWindowMetrics,
  ClassificationWindowMetrics,
  DleWindowMetrics,
  EstimateWithInterval,
  SketchQuantiles,
  WindowMetrics,
} from '../windows/window-metrics.js';
import {
  classificationToMessage,
  intervalToMessage,
  metricValue,
  regressionToMessage,
} from './metric-messages.js';

const estimate = (e: EstimateWithInterval) => metricValue(e.value, e.interval);

export function seriesMessage(series: SeriesKey): metricsV1.Series {
  return { modelName: series.modelName, modelVersion: series.modelVersion, node: series.node };
}

/** A window's (or a count window's) classification metrics, with the windows' score intervals. */
export function classificationMessage(
  m: ClassificationWindowMetrics,
  confidence: number,
  calibrationBins: number,
): metricsV1.ClassificationMetrics {
  return classificationToMessage(m, confidence, calibrationBins, m.scoreIntervals);
}

export function regressionMessage(m: RegressionMetrics): metricsV1.RegressionMetrics {
  return regressionToMessage(m);
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
    ...(s.intervals.p50 !== undefined && { p50Interval: intervalToMessage(s.intervals.p50) }),
    ...(s.intervals.p90 !== undefined && { p90Interval: intervalToMessage(s.intervals.p90) }),
    ...(s.intervals.p95 !== undefined && { p95Interval: intervalToMessage(s.intervals.p95) }),
    ...(s.intervals.p99 !== undefined && { p99Interval: intervalToMessage(s.intervals.p99) }),
  };
}

function cbpeMessage(c: CbpeWindowMetrics): metricsV1.CbpeEstimate {
  return {
    rows: BigInt(c.count),
    accuracy: estimate(c.accuracy),
    f1Macro: metricValue(c.f1Macro, c.f1MacroInterval),
    ...(c.gap !== undefined && {
      gap: {
        pairs: BigInt(c.gap.pairs),
        accuracy: estimate(c.gap.accuracy),
        f1Macro: metricValue(c.gap.f1Macro, c.gap.f1MacroInterval),
      },
    }),
  };
}

/** DLE's estimate (a window's, or a ComputeMetrics batch's). */
export function dleMessage(d: DleWindowMetrics): metricsV1.DleEstimate {
  return {
    rows: BigInt(d.count),
    mae: metricValue(d.mae, d.maeInterval),
    rmse: metricValue(d.rmse, d.rmseInterval),
    ...(d.gap !== undefined && {
      gap: {
        pairs: BigInt(d.gap.pairs),
        mae: metricValue(d.gap.mae, d.gap.maeInterval),
        rmse: metricValue(d.gap.rmse, d.gap.rmseInterval),
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
  /** The level of the window's intervals. */
  readonly confidence: number;
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
      w.joined > 0 && {
        classification: classificationMessage(w.classification, frame.confidence, frame.calibrationBins),
      }),
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
            ...(shift.intervals !== undefined && {
              klDivergenceInterval: intervalToMessage(shift.intervals.klDivergence),
              jensenShannonDistanceInterval: intervalToMessage(shift.intervals.jensenShannon),
              psiInterval: intervalToMessage(shift.intervals.psi),
            }),
          },
        }),
    },
    ...(w.latencyMs !== undefined && { latencyMs: sketchMessage(w.latencyMs) }),
    ...(w.cbpe !== undefined && { cbpe: cbpeMessage(w.cbpe) }),
    ...(w.dle !== undefined && { dle: dleMessage(w.dle) }),
  };
}
