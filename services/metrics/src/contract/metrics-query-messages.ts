/** GetMetrics' request in the domain's form, and its answer as the response. */
import { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type {
  CountWindowAnswer,
  MetricsAnswer,
  MetricsQuery,
  TimeWindowAnswer,
} from '../queries/get-metrics.js';
import { classificationMessage, regressionMessage, seriesMessage, windowMessage } from './window-messages.js';

const durationMs = (d: { seconds: bigint; nanos: number }) =>
  Number(d.seconds) * 1000 + Math.round(d.nanos / 1e6);

function rangeMs(range: { startTime?: Date; endTime?: Date }, field: string, nowMs: number) {
  if (range.startTime === undefined)
    throw new InvalidArgumentError(`${field}.start_time: required`, { field });
  return { fromMs: range.startTime.getTime(), toMs: range.endTime?.getTime() ?? nowMs };
}

/** The request as a query. */
export function metricsQueryFromMessage(request: metricsV1.GetMetricsRequest, nowMs: number): MetricsQuery {
  const s = request.series;
  let window: MetricsQuery['window'];
  if (request.range !== undefined) window = { kind: 'range', ...rangeMs(request.range, 'range', nowMs) };
  else if (request.trailing !== undefined) window = { kind: 'trailing', ms: durationMs(request.trailing) };
  else if (request.countWindows !== undefined) window = { kind: 'count', last: request.countWindows.last };
  return {
    series: {
      modelName: s?.modelName ?? '',
      ...(s?.modelVersion !== undefined && { modelVersion: s.modelVersion }),
      ...(s?.node !== undefined && { node: s.node }),
    },
    ...(request.segment !== undefined && {
      segment: { name: request.segment.name, value: request.segment.value },
    }),
    ...(request.breakdownSegment !== '' && { breakdownSegment: request.breakdownSegment }),
    ...(window !== undefined && { window }),
    ...(request.step !== undefined && { stepMs: durationMs(request.step) }),
    ...(request.reference !== undefined && { reference: rangeMs(request.reference, 'reference', nowMs) }),
    ...(request.confidence !== undefined && { confidence: request.confidence }),
  };
}

function timeWindow(
  answer: TimeWindowAnswer,
  calibrationBins: number,
  confidence: number,
  unnamed: MetricsAnswer['unnamed'],
): metricsV1.WindowMetrics {
  return windowMessage(answer.metrics, {
    ...(answer.segment !== undefined && { segment: answer.segment }),
    startMs: answer.fromMs,
    endMs: answer.toMs,
    counts: {
      feedback: answer.counts.feedbackRows,
      pending: answer.counts.pending,
      expired: answer.counts.expired,
      pendingUnnamed: unnamed?.pending ?? 0,
      expiredUnnamed: unnamed?.expired ?? 0,
    },
    ...(answer.reference !== undefined && { reference: answer.reference }),
    calibrationBins,
    confidence,
  });
}

function countWindow(
  answer: CountWindowAnswer,
  calibrationBins: number,
  confidence: number,
): metricsV1.WindowMetrics {
  const w = answer.window;
  return metricsV1.WindowMetrics.fromPartial({
    series: seriesMessage(w.series),
    startTime: new Date(w.firstJoinedMs),
    endTime: new Date(w.lastJoinedMs),
    countWindowIndex: BigInt(w.index),
    counts: { joined: BigInt(w.pairs) },
    ...(w.classification !== undefined && {
      classification: classificationMessage(w.classification, confidence, calibrationBins),
    }),
    ...(w.regression !== undefined && { regression: regressionMessage(w.regression) }),
  });
}

/** The answer as the response. */
export function metricsResponse(answer: MetricsAnswer): metricsV1.GetMetricsResponse {
  const bins = answer.calibrationBins;
  const level = answer.confidence;
  return {
    task:
      answer.task === 'classification'
        ? metricsV1.TaskType.TASK_TYPE_CLASSIFICATION
        : metricsV1.TaskType.TASK_TYPE_REGRESSION,
    classes: [...answer.classes],
    series: answer.series.map(seriesMessage),
    windows: answer.windows.map((w) =>
      w.kind === 'count' ? countWindow(w, bins, level) : timeWindow(w, bins, level, answer.unnamed),
    ),
    segments: answer.segments.map((w) => timeWindow(w, bins, level, answer.unnamed)),
    ...(answer.overflow !== undefined && {
      segmentOverflow: {
        valuesKept: answer.overflow.valuesKept,
        rowsToOther: BigInt(answer.overflow.rowsToOther),
        pairsToOther: BigInt(answer.overflow.pairsToOther),
      },
    }),
  };
}
