/**
 * CompareVersions: two series (versions, or a live node and its shadow) judged on the same
 * requests. Both series' joined pairs in the window are read from the store a page at a time,
 * rows are paired by (request id, row), and libs/stats' compareVersions gives the verdict
 * (McNemar on accuracy, the paired bootstrap on any other metric).
 */
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  quoteName,
  ResourceExhaustedError,
} from '@sightline/errors';
import {
  type ClassLabel,
  classIndex,
  compareVersions,
  DEFAULT_COMPARISON_ALPHA,
  DEFAULT_COMPARISON_POWER,
  MAX_METRIC_CLASSES,
  type McNemarVariant,
  pairedCounts,
  type RowMetric,
  sortedClasses,
  type VersionComparison,
} from '@sightline/stats';
import type { JoinedPair, SeriesKey } from '../domain/records.js';
import type { MetricsStore } from '../store/metrics-store.js';
import {
  f1Metric,
  type LabelRows,
  logLossMetric,
  type RegressionMetricName,
  regressionMetric,
  rowLogLoss,
  type ValueRows,
} from './comparison-rows.js';
import type { QueryOptions } from './query-options.js';
import type { SeriesCatalog } from './series-catalog.js';

export type ComparisonMetricName = 'accuracy' | 'macroF1' | 'weightedF1' | 'logLoss' | RegressionMetricName;
export type ComparisonTestName = 'mcnemar-exact' | 'mcnemar-chi2' | 'mcnemar-chi2-corrected' | 'bootstrap';

const CLASSIFICATION_METRICS: readonly ComparisonMetricName[] = [
  'accuracy',
  'macroF1',
  'weightedF1',
  'logLoss',
];
const HIGHER_IS_BETTER: ReadonlySet<ComparisonMetricName> = new Set([
  'accuracy',
  'macroF1',
  'weightedF1',
  'r2',
]);
/** Pairs read per store page. */
const PAGE_SIZE = 1000;
/** The bootstrap's default resamples and the contract's ceiling. */
export const DEFAULT_COMPARISON_RESAMPLES = 1000;
export const MAX_COMPARISON_RESAMPLES = 100_000;

export interface ComparisonRequest {
  readonly baseline: SeriesKey;
  readonly candidate: SeriesKey;
  /** Prediction-time window [fromMs, toMs). */
  readonly fromMs: number;
  readonly toMs: number;
  /** Only rows whose baseline prediction has this segment value. */
  readonly segment?: { readonly name: string; readonly value: string };
  /** Default: accuracy (classification) or MAE (regression). */
  readonly metric?: ComparisonMetricName;
  /** Default: mcnemar-exact for accuracy, bootstrap otherwise. */
  readonly test?: ComparisonTestName;
  readonly alpha?: number;
  readonly power?: number;
  /** 0 or undefined means {@link DEFAULT_COMPARISON_RESAMPLES}. */
  readonly resamples?: number;
  /** Bootstrap seed (32 bits are used); default 0. */
  readonly seed?: number;
}

export interface ComparisonDeps {
  readonly store: Pick<MetricsStore, 'joinedPairs'>;
  /** NOT_FOUND for a series that never predicted. */
  readonly catalog: SeriesCatalog;
  /** The service's configured segment names (--segment). */
  readonly segmentNames: readonly string[];
  readonly limits: Pick<QueryOptions, 'maxComparisonPairs' | 'maxBootstrapPairs'>;
}

export interface ComparisonResult {
  readonly metric: ComparisonMetricName;
  readonly test: ComparisonTestName;
  readonly comparison: VersionComparison;
  readonly baselineValue: number;
  readonly candidateValue: number;
  /** McNemar: the 2x2 table. */
  readonly counts?: ReturnType<typeof pairedCounts>;
  /** Bootstrap: resamples where both metrics were finite. */
  readonly validResamples?: number;
  readonly baselineUnpaired: number;
  readonly candidateUnpaired: number;
}

/**
 * Compares the candidate with the baseline on their paired rows in the window.
 * @throws InvalidArgumentError (rules compare.distinct, metric.task, test.metric,
 * segment.name_configured, resamples), NotFoundError for a series that never predicted,
 * FailedPreconditionError when the two series' tasks differ, ResourceExhaustedError naming
 * --max-comparison-pairs or --max-bootstrap-pairs.
 */
export async function compareSeries(
  request: ComparisonRequest,
  deps: ComparisonDeps,
): Promise<ComparisonResult> {
  checkRequest(request, deps);
  await Promise.all([
    requireSeries(request.baseline, 'baseline', deps),
    requireSeries(request.candidate, 'candidate', deps),
  ]);
  const { pairs, baselineUnpaired, candidateUnpaired } = await pairRows(request, deps);
  const task =
    pairs[0]?.[0].task ??
    (request.metric && !CLASSIFICATION_METRICS.includes(request.metric) ? 'regression' : 'classification');
  const metric = request.metric ?? (task === 'classification' ? 'accuracy' : 'mae');
  if (CLASSIFICATION_METRICS.includes(metric) !== (task === 'classification')) {
    throw new InvalidArgumentError(`metric: ${metric} is not a ${task} metric (rule "metric.task")`);
  }
  const test = request.test ?? (metric === 'accuracy' ? 'mcnemar-exact' : 'bootstrap');
  if (test !== 'bootstrap' && metric !== 'accuracy') {
    throw new InvalidArgumentError(
      `test: McNemar compares accuracy only, the metric is ${metric} (rule "test.metric")`,
    );
  }
  const options = {
    ...(request.alpha === undefined ? {} : { alpha: request.alpha }),
    ...(request.power === undefined ? {} : { power: request.power }),
  };
  const unpaired = { baselineUnpaired, candidateUnpaired };
  const rows =
    metric === 'logLoss' ? pairs.filter(([b, c]) => hasProbabilities(b) && hasProbabilities(c)) : pairs;
  if (rows.length === 0)
    return {
      metric,
      test,
      comparison: noPairs(test, request),
      ...unpaired,
      baselineValue: Number.NaN,
      candidateValue: Number.NaN,
    };
  if (test !== 'bootstrap') {
    const counts = pairedCounts(
      pairs.map(([b]) => labelCorrect(b)),
      pairs.map(([, c]) => labelCorrect(c)),
    );
    const comparison = compareVersions(
      { test: 'mcnemar', counts, variant: test.slice('mcnemar-'.length) as McNemarVariant },
      options,
    );
    const n = pairs.length;
    return {
      metric,
      test,
      comparison,
      counts,
      baselineValue: (counts.bothCorrect + counts.baselineOnlyCorrect) / n,
      candidateValue: (counts.bothCorrect + counts.candidateOnlyCorrect) / n,
      ...unpaired,
    };
  }
  if (rows.length > deps.limits.maxBootstrapPairs) {
    throw new ResourceExhaustedError(
      `window: ${rows.length} paired rows is more than --max-bootstrap-pairs (${deps.limits.maxBootstrapPairs}) for a bootstrap; shorten the window`,
    );
  }
  const [baseline, candidate] = rowMetrics(rows, metric, task);
  const comparison = compareVersions(
    {
      test: 'bootstrap',
      count: rows.length,
      baseline,
      candidate,
      higherIsBetter: HIGHER_IS_BETTER.has(metric),
      resamples: request.resamples || DEFAULT_COMPARISON_RESAMPLES,
      seed: request.seed ?? 0,
    },
    options,
  );
  return {
    metric,
    test,
    comparison,
    baselineValue: comparison.bootstrap?.baseline ?? Number.NaN,
    candidateValue: comparison.bootstrap?.candidate ?? Number.NaN,
    validResamples: comparison.bootstrap?.validResamples ?? 0,
    ...unpaired,
  };
}

/** No paired row: nothing to test and no sample size to estimate (pairs_needed stays unset). */
function noPairs(test: ComparisonTestName, request: ComparisonRequest): VersionComparison {
  const alpha = request.alpha ?? DEFAULT_COMPARISON_ALPHA;
  return {
    verdict: 'no evidence yet',
    test: test === 'bootstrap' ? 'paired-bootstrap' : test,
    pairs: 0,
    difference: Number.NaN,
    interval: {
      low: Number.NaN,
      high: Number.NaN,
      confidence: 1 - alpha,
      method: test === 'bootstrap' ? 'bootstrap-percentile' : 'newcombe-paired',
    },
    pValue: 1,
    alpha,
    power: request.power ?? DEFAULT_COMPARISON_POWER,
  };
}

function checkRequest(request: ComparisonRequest, deps: ComparisonDeps): void {
  const { baseline: b, candidate: c } = request;
  if (b.modelName === '')
    throw new InvalidArgumentError('baseline.model_name: required (rule "series.model_name_set")');
  if (c.modelName === '')
    throw new InvalidArgumentError('candidate.model_name: required (rule "series.model_name_set")');
  if (b.modelName === c.modelName && b.modelVersion === c.modelVersion && b.node === c.node) {
    throw new InvalidArgumentError('candidate: must differ from the baseline (rule "compare.distinct")');
  }
  if (!(request.fromMs < request.toMs)) {
    throw new InvalidArgumentError('range: start_time must be before end_time (rule "range.order")');
  }
  if (request.segment && !deps.segmentNames.includes(request.segment.name)) {
    throw new InvalidArgumentError(
      `segment.name: "${request.segment.name}" is not a configured segment (${deps.segmentNames.join(', ') || 'none configured'}) (rule "segment.name_configured")`,
    );
  }
  for (const [field, value] of [
    ['alpha', request.alpha],
    ['power', request.power],
  ] as const) {
    if (value !== undefined && !(value > 0 && value < 1)) {
      throw new InvalidArgumentError(`${field}: must be in (0, 1), got ${value}`);
    }
  }
  const resamples = request.resamples ?? 0;
  if (!(Number.isSafeInteger(resamples) && resamples >= 0 && resamples <= MAX_COMPARISON_RESAMPLES)) {
    throw new InvalidArgumentError(
      `resamples: must be at most ${MAX_COMPARISON_RESAMPLES}, got ${resamples}`,
    );
  }
}

/** NOT_FOUND for a series with no stored prediction at any time. */
async function requireSeries(series: SeriesKey, field: string, deps: ComparisonDeps): Promise<void> {
  if (!(await deps.catalog.hasPredictions(series))) {
    throw new NotFoundError(
      `${field}: model ${quoteName(series.modelName)} version ${quoteName(series.modelVersion)} node ${quoteName(series.node)} has no stored prediction`,
    );
  }
}

async function* joinedPairs(
  series: SeriesKey,
  request: ComparisonRequest,
  deps: ComparisonDeps,
): AsyncGenerator<JoinedPair> {
  let cursor: string | undefined;
  do {
    const page = await deps.store.joinedPairs({
      ...series,
      fromMs: request.fromMs,
      toMs: request.toMs,
      pageSize: PAGE_SIZE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    yield* page.pairs;
    cursor = page.next;
  } while (cursor !== undefined);
}

const rowKey = (pair: JoinedPair) => `${pair.requestId}\u0000${pair.prediction.row}`;

/**
 * Pairs the two series' joined rows by (request id, row). The baseline's rows in the window are
 * held in memory, so they (before the segment filter) are bounded by --max-comparison-pairs;
 * a repeated (request id, row) of one series counts as unpaired.
 */
async function pairRows(request: ComparisonRequest, deps: ComparisonDeps) {
  const limit = deps.limits.maxComparisonPairs;
  // null: a baseline row outside the segment (its candidate row is left out, not unpaired).
  const baselineRows = new Map<string, JoinedPair | null>();
  let baselineUnpaired = 0;
  for await (const pair of joinedPairs(request.baseline, request, deps)) {
    const key = rowKey(pair);
    if (baselineRows.has(key)) {
      baselineUnpaired += 1;
      continue;
    }
    if (baselineRows.size >= limit) {
      throw new ResourceExhaustedError(
        `window: the baseline has more than --max-comparison-pairs (${limit}) joined rows in the window; shorten the window`,
      );
    }
    const inSegment =
      !request.segment || pair.prediction.segments?.[request.segment.name] === request.segment.value;
    baselineRows.set(key, inSegment ? pair : null);
  }
  const pairs: [JoinedPair, JoinedPair][] = [];
  const paired = new Set<string>();
  let candidateUnpaired = 0;
  for await (const pair of joinedPairs(request.candidate, request, deps)) {
    const key = rowKey(pair);
    const base = baselineRows.get(key);
    if (base === null) continue;
    if (base === undefined || paired.has(key)) {
      candidateUnpaired += 1;
      continue;
    }
    if (base.task !== pair.task) {
      throw new FailedPreconditionError(
        `candidate: its task is ${pair.task} but the baseline's is ${base.task}; compare series of one task`,
      );
    }
    paired.add(key);
    pairs.push([base, pair]);
  }
  for (const [key, base] of baselineRows) if (base !== null && !paired.has(key)) baselineUnpaired += 1;
  return { pairs, baselineUnpaired, candidateUnpaired };
}

function labelCorrect(pair: JoinedPair): boolean {
  return pair.truth.kind === 'label' && pair.prediction.label === pair.truth.label;
}

/** A row log loss can score: probabilities over the pair's classes and a truth among them. */
function hasProbabilities(pair: JoinedPair): boolean {
  const probabilities = pair.prediction.probabilities ?? [];
  return (
    probabilities.length > 0 &&
    probabilities.length === pair.classes.length &&
    pair.truth.kind === 'label' &&
    pair.classes.includes(pair.truth.label)
  );
}

/** Baseline and candidate row metrics of the bootstrap. */
function rowMetrics(
  pairs: readonly (readonly [JoinedPair, JoinedPair])[],
  metric: ComparisonMetricName,
  task: 'classification' | 'regression',
): [RowMetric, RowMetric] {
  if (task === 'regression') {
    const side = (s: 0 | 1) =>
      regressionMetric(valueRows(pairs.map((p) => p[s])), metric as RegressionMetricName);
    return [side(0), side(1)];
  }
  if (metric === 'logLoss') {
    const side = (s: 0 | 1) =>
      logLossMetric(
        Float64Array.from(pairs, (p) => {
          const pair = p[s];
          const truth = pair.truth.kind === 'label' ? pair.truth.label : '';
          return rowLogLoss(pair.prediction.probabilities ?? [], pair.classes.indexOf(truth));
        }),
      );
    return [side(0), side(1)];
  }
  const labels = (s: 0 | 1, what: 'prediction' | 'truth'): ClassLabel[] =>
    pairs.map((p) =>
      what === 'prediction'
        ? (p[s].prediction.label ?? '')
        : p[s].truth.kind === 'label'
          ? p[s].truth.label
          : '',
    );
  const all = [labels(0, 'prediction'), labels(0, 'truth'), labels(1, 'prediction'), labels(1, 'truth')];
  const index = classIndex(
    all.some((l) => l.length > 0) ? sortedClasses(...all.map((l, i) => [`labels${i}`, l] as const)) : [''],
  );
  if (index.classes.length > MAX_METRIC_CLASSES) {
    // Each resample builds a K x K confusion matrix; the windows keep no more classes either.
    throw new FailedPreconditionError(
      `metric: the paired rows hold ${index.classes.length} labels, more than ${MAX_METRIC_CLASSES}, for ${metric}`,
    );
  }
  const encode = (l: ClassLabel[]) => Int32Array.from(l, (label) => index.indexOf.get(label)!);
  const rows = (s: 0 | 1): LabelRows => ({ predicted: encode(all[2 * s]!), truth: encode(all[2 * s + 1]!) });
  const average = metric === 'macroF1' ? 'macro' : 'weighted';
  return [f1Metric(rows(0), index, average), f1Metric(rows(1), index, average)];
}

function valueRows(pairs: readonly JoinedPair[]): ValueRows {
  const offsets = new Uint32Array(pairs.length + 1);
  const predicted: number[] = [];
  const truth: number[] = [];
  pairs.forEach((pair, r) => {
    const values = pair.prediction.values ?? [];
    const truths = pair.truth.kind === 'value' ? pair.truth.values : [];
    const n = Math.min(values.length, truths.length);
    for (let e = 0; e < n; e++) {
      predicted.push(values[e]!);
      truth.push(truths[e]!);
    }
    offsets[r + 1] = offsets[r]! + n;
  });
  return { offsets, predicted: Float64Array.from(predicted), truth: Float64Array.from(truth) };
}
