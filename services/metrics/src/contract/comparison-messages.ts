/** CompareVersions' request and response ↔ src/queries/version-comparison. */
import { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { rangeFromMessage } from '@sightline/service-kit';
import type { SeriesKey } from '../domain/records.js';
import type {
  ComparisonMetricName,
  ComparisonRequest,
  ComparisonResult,
  ComparisonTestName,
} from '../queries/version-comparison.js';
import { intervalToMessage } from './metric-messages.js';

const M = metricsV1.ComparisonMetric;
const METRICS: ReadonlyMap<metricsV1.ComparisonMetric, ComparisonMetricName> = new Map([
  [M.COMPARISON_METRIC_ACCURACY, 'accuracy'],
  [M.COMPARISON_METRIC_MACRO_F1, 'macroF1'],
  [M.COMPARISON_METRIC_WEIGHTED_F1, 'weightedF1'],
  [M.COMPARISON_METRIC_LOG_LOSS, 'logLoss'],
  [M.COMPARISON_METRIC_MAE, 'mae'],
  [M.COMPARISON_METRIC_MSE, 'mse'],
  [M.COMPARISON_METRIC_RMSE, 'rmse'],
  [M.COMPARISON_METRIC_MAPE, 'mape'],
  [M.COMPARISON_METRIC_R2, 'r2'],
]);
const T = metricsV1.ComparisonTest;
const TESTS: ReadonlyMap<metricsV1.ComparisonTest, ComparisonTestName> = new Map([
  [T.COMPARISON_TEST_MCNEMAR_EXACT, 'mcnemar-exact'],
  [T.COMPARISON_TEST_MCNEMAR_CHI2, 'mcnemar-chi2'],
  [T.COMPARISON_TEST_MCNEMAR_CHI2_CORRECTED, 'mcnemar-chi2-corrected'],
  [T.COMPARISON_TEST_BOOTSTRAP, 'bootstrap'],
]);
const VERDICTS = {
  better: metricsV1.ComparisonVerdict.COMPARISON_VERDICT_BETTER,
  worse: metricsV1.ComparisonVerdict.COMPARISON_VERDICT_WORSE,
  'no evidence yet': metricsV1.ComparisonVerdict.COMPARISON_VERDICT_NO_EVIDENCE_YET,
} as const;

const inverse = <K, V>(map: ReadonlyMap<K, V>) => new Map([...map].map(([k, v]) => [v, k]));
const METRIC_MESSAGES = inverse(METRICS);
const TEST_MESSAGES = inverse(TESTS);

/** A required Series message → SeriesKey. */
export function seriesFromMessage(series: metricsV1.Series | undefined, field: string): SeriesKey {
  if (!series?.modelName)
    throw new InvalidArgumentError(`${field}.model_name: required (rule "series.model_name_set")`);
  return { modelName: series.modelName, modelVersion: series.modelVersion, node: series.node };
}

export function seriesToMessage(series: SeriesKey): metricsV1.Series {
  return { modelName: series.modelName, modelVersion: series.modelVersion, node: series.node };
}

/**
 * The window of a request: exactly one of range and trailing (rule "window.set"); a trailing
 * span is > 0 and at most `maxTrailingMs` (the retention).
 */
export function windowFromMessage(
  range: metricsV1.CompareVersionsRequest['range'],
  trailing: metricsV1.CompareVersionsRequest['trailing'],
  nowMs: number,
  maxTrailingMs: number,
): { fromMs: number; toMs: number } {
  if ((range === undefined) === (trailing === undefined)) {
    throw new InvalidArgumentError(
      'window: exactly one of range and trailing is required (rule "window.set")',
    );
  }
  if (range) {
    const { fromUnixMs, toUnixMs } = rangeFromMessage(range, 'range', nowMs);
    return { fromMs: fromUnixMs, toMs: toUnixMs };
  }
  const spanMs = Number(trailing!.seconds) * 1000 + trailing!.nanos / 1e6;
  if (!(spanMs > 0 && spanMs <= maxTrailingMs)) {
    throw new InvalidArgumentError(
      `trailing: must be above 0 and at most the retention (${maxTrailingMs / 1000} s), got ${spanMs / 1000} s`,
    );
  }
  return { fromMs: nowMs - spanMs, toMs: nowMs };
}

export function comparisonFromMessage(
  req: metricsV1.CompareVersionsRequest,
  nowMs: number,
  maxTrailingMs: number,
): ComparisonRequest {
  const metric = METRICS.get(req.metric);
  const test = TESTS.get(req.test);
  if (metric === undefined && req.metric !== M.COMPARISON_METRIC_UNSPECIFIED) {
    throw new InvalidArgumentError(`metric: unknown value ${req.metric}`);
  }
  if (test === undefined && req.test !== T.COMPARISON_TEST_UNSPECIFIED) {
    throw new InvalidArgumentError(`test: unknown value ${req.test}`);
  }
  const seed = req.seed === undefined ? undefined : Number(BigInt.asUintN(32, req.seed));
  return {
    baseline: seriesFromMessage(req.baseline, 'baseline'),
    candidate: seriesFromMessage(req.candidate, 'candidate'),
    ...windowFromMessage(req.range, req.trailing, nowMs, maxTrailingMs),
    ...(req.segment ? { segment: { name: req.segment.name, value: req.segment.value } } : {}),
    ...(metric === undefined ? {} : { metric }),
    ...(test === undefined ? {} : { test }),
    ...(req.alpha === undefined ? {} : { alpha: req.alpha }),
    ...(req.power === undefined ? {} : { power: req.power }),
    resamples: req.resamples,
    ...(seed === undefined ? {} : { seed }),
  };
}

export function comparisonToMessage(
  result: ComparisonResult,
  window: { fromMs: number; toMs: number },
): metricsV1.CompareVersionsResponse {
  const c = result.comparison;
  const needed = c.pairsNeeded !== undefined && Number.isFinite(c.pairsNeeded) && c.pairs > 0;
  return {
    verdict: VERDICTS[c.verdict],
    metric: METRIC_MESSAGES.get(result.metric)!,
    test: TEST_MESSAGES.get(result.test)!,
    pairs: BigInt(c.pairs),
    baselineValue: result.baselineValue,
    candidateValue: result.candidateValue,
    difference: {
      value: c.difference,
      ...(Number.isFinite(c.interval.low) && Number.isFinite(c.interval.high)
        ? { interval: intervalToMessage(c.interval) }
        : {}),
    },
    pValue: c.pValue,
    alpha: c.alpha,
    power: c.power,
    ...(needed
      ? {
          pairsNeeded: BigInt(Math.ceil(c.pairsNeeded!)),
          additionalPairsNeeded: BigInt(Math.ceil(c.additionalPairsNeeded ?? 0)),
        }
      : {}),
    noDifferenceObserved: c.verdict === 'no evidence yet' && c.pairs > 0 && c.difference === 0,
    ...(result.counts
      ? {
          counts: {
            bothCorrect: BigInt(result.counts.bothCorrect),
            baselineOnlyCorrect: BigInt(result.counts.baselineOnlyCorrect),
            candidateOnlyCorrect: BigInt(result.counts.candidateOnlyCorrect),
            bothWrong: BigInt(result.counts.bothWrong),
          },
        }
      : {}),
    validResamples: result.validResamples ?? 0,
    baselineUnpaired: BigInt(result.baselineUnpaired),
    candidateUnpaired: BigInt(result.candidateUnpaired),
    range: { startTime: new Date(window.fromMs), endTime: new Date(window.toMs) },
  };
}
