/**
 * How `sightline metrics` and `sightline feedback` print: a window's metrics as a table of
 * values with their intervals, a time series as one sparkline per metric, comparisons,
 * outcomes of a feedback upload and annotation items. Pure: results in, sections out.
 */
import type {
  AnnotationItem,
  ClassificationMetrics,
  ComputedMetrics,
  FeedbackResult,
  MetricsReport,
  MetricValue,
  RegressionMetrics,
  VersionComparison,
  WindowMetrics,
} from '@sightline/sdk';
import { type Cell, fields, type Section, table } from '../frame/output.js';

const BLOCKS = '▁▂▃▄▅▆▇█';

/**
 * A one-line chart of `values`: the lowest value the lowest block, the highest the
 * highest; a value that is not finite (an empty window) is a space.
 */
export function sparkline(values: readonly number[]): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return ' '.repeat(values.length);
  const low = Math.min(...finite);
  const high = Math.max(...finite);
  return values
    .map((value) => {
      if (!Number.isFinite(value)) return ' ';
      if (high === low) return BLOCKS[3];
      return BLOCKS[Math.min(BLOCKS.length - 1, Math.floor(((value - low) / (high - low)) * BLOCKS.length))];
    })
    .join('');
}

/** A number to 4 significant digits; `-` when it is not finite. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? '-' : String(value);
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** `[low, high]` of a value's interval, or '' without one. */
export function formatInterval(value: MetricValue | undefined): string {
  const i = value?.interval;
  return i === undefined
    ? ''
    : `[${formatNumber(i.low)}, ${formatNumber(i.high)}] ${Math.round(i.confidence * 100)}% ${i.method}`;
}

/** The named values of a window, in the order a table shows them. */
export function windowEntries(window: WindowMetrics): [name: string, value: MetricValue][] {
  const entries: [string, MetricValue][] = [['coverage', window.coverage]];
  const c = window.classification;
  if (c !== undefined) entries.push(...classificationEntries(c));
  const r = window.regression;
  if (r !== undefined) entries.push(...regressionEntries(r));
  if (window.cbpe !== undefined) {
    entries.push(
      ['estimated accuracy (cbpe)', window.cbpe.accuracy],
      ['estimated macro f1 (cbpe)', window.cbpe.f1Macro],
    );
    if (window.cbpe.gap !== undefined)
      entries.push(['realised - estimated accuracy', window.cbpe.gap.accuracy]);
  }
  if (window.dle !== undefined) {
    entries.push(['estimated mae (dle)', window.dle.mae], ['estimated rmse (dle)', window.dle.rmse]);
    if (window.dle.gap !== undefined) entries.push(['realised - estimated mae', window.dle.gap.mae]);
  }
  const shift = window.predictions?.shift;
  if (shift !== undefined) {
    entries.push(
      ['prediction shift: psi', { value: shift.psi }],
      ['prediction shift: js distance', { value: shift.jensenShannonDistance }],
    );
  }
  if (window.latencyMs !== undefined) {
    entries.push(
      ['latency p50 (ms)', { value: window.latencyMs.p50 }],
      ['latency p99 (ms)', { value: window.latencyMs.p99 }],
    );
  }
  return entries;
}

function classificationEntries(c: ClassificationMetrics): [string, MetricValue][] {
  const entries: [string, MetricValue][] = [
    ['accuracy', c.accuracy],
    ['macro precision', c.macro.precision],
    ['macro recall', c.macro.recall],
    ['macro f1', c.macro.f1],
    ['weighted f1', c.weighted.f1],
  ];
  if (c.rocAuc !== undefined)
    entries.push(['roc auc (macro ovr)', { value: c.rocAuc.binary ?? c.rocAuc.macro }]);
  if (c.logLoss !== undefined) entries.push(['log loss', c.logLoss]);
  if (c.expectedCalibrationError !== undefined)
    entries.push(['expected calibration error', c.expectedCalibrationError]);
  return entries;
}

function regressionEntries(r: RegressionMetrics): [string, MetricValue][] {
  return [
    ['mse', r.mse],
    ['rmse', r.rmse],
    ['mae', r.mae],
    ['mape', r.mape],
    ['r2', r.r2],
  ];
}

const valueRows = (entries: readonly [string, MetricValue][]): Cell[][] =>
  entries.map(([name, value]) => [name, formatNumber(value.value), formatInterval(value)]);

function perClassTable(c: ClassificationMetrics): Section {
  return table(
    ['class', 'precision', 'recall', 'f1', 'support'],
    c.classes.map((k) => [
      k.label,
      formatNumber(k.precision.value),
      formatNumber(k.recall.value),
      formatNumber(k.f1.value),
      k.support,
    ]),
  );
}

const span = (window: WindowMetrics) =>
  window.start === undefined ? '' : `${window.start.toISOString()} .. ${window.end?.toISOString() ?? 'now'}`;

/** One window: its counts, then a value/interval table, then per-class scores. */
export function windowSections(report: MetricsReport, window: WindowMetrics, title?: string): Section[] {
  const sections: Section[] = [
    fields(
      [
        ['task', report.task],
        ['window', span(window)],
        ['predictions', window.counts.predictions],
        ['joined pairs', window.counts.joined],
        ['pending feedback', window.counts.pending],
        ['expired feedback', window.counts.expired],
      ],
      title,
    ),
    table(['metric', 'value', 'interval'], valueRows(windowEntries(window))),
  ];
  if (window.classification !== undefined && window.classification.classes.length > 0) {
    sections.push(perClassTable(window.classification));
  }
  return sections;
}

/** A time series: one row per metric with its sparkline, first, last, lowest and highest. */
export function seriesSections(report: MetricsReport): Section[] {
  const names: string[] = [];
  const byName = new Map<string, number[]>();
  report.windows.forEach((window, w) => {
    for (const [name, value] of windowEntries(window)) {
      if (!byName.has(name)) {
        names.push(name);
        byName.set(name, new Array<number>(report.windows.length).fill(Number.NaN));
      }
      byName.get(name)![w] = value.value;
    }
  });
  const first = report.windows[0];
  const last = report.windows.at(-1);
  return [
    fields([
      ['task', report.task],
      ['steps', report.windows.length],
      ['from', first?.start?.toISOString() ?? ''],
      ['to', last?.end?.toISOString() ?? ''],
      ['joined pairs', report.windows.reduce((sum, w) => sum + w.counts.joined, 0)],
    ]),
    table(
      ['metric', 'series', 'last', 'min', 'max'],
      names.map((name) => {
        const values = byName.get(name)!;
        const finite = values.filter(Number.isFinite);
        return [
          name,
          sparkline(values),
          formatNumber(values.at(-1) ?? Number.NaN),
          formatNumber(finite.length ? Math.min(...finite) : Number.NaN),
          formatNumber(finite.length ? Math.max(...finite) : Number.NaN),
        ];
      }),
    ),
  ];
}

/** ComputeMetrics' answer. */
export function computedSections(computed: ComputedMetrics): Section[] {
  if (computed.regression !== undefined) {
    return [
      fields([['pairs', computed.regression.pairs]]),
      table(['metric', 'value', 'interval'], valueRows(regressionEntries(computed.regression))),
    ];
  }
  const c = computed.classification;
  if (c === undefined) return [];
  const matrix = table(
    ['true \\ predicted', ...computed.classes],
    c.confusionMatrix.map((row, i) => [computed.classes[i] ?? String(i), ...row]),
  );
  return [
    fields([
      ['pairs', c.pairs],
      ['classes', computed.classes.join(', ')],
    ]),
    table(['metric', 'value', 'interval'], valueRows(classificationEntries(c))),
    perClassTable(c),
    matrix,
  ];
}

/** CompareVersions' answer. */
export function comparisonSections(comparison: VersionComparison): Section[] {
  return [
    fields([
      ['verdict', comparison.verdict.replaceAll('_', ' ')],
      ['metric', comparison.metric],
      ['test', comparison.test],
      ['paired rows', comparison.pairs],
      ['baseline', formatNumber(comparison.baselineValue)],
      ['candidate', formatNumber(comparison.candidateValue)],
      ['difference', `${formatNumber(comparison.difference.value)} ${formatInterval(comparison.difference)}`],
      ['p-value', formatNumber(comparison.pValue)],
      ...(comparison.additionalPairsNeeded === undefined
        ? []
        : ([['more pairs needed', comparison.additionalPairsNeeded]] as [string, Cell][])),
      ['unpaired (baseline, candidate)', `${comparison.baselineUnpaired}, ${comparison.candidateUnpaired}`],
    ]),
  ];
}

/** A feedback upload's totals, and the first rejections' reasons. */
export function feedbackSections(result: FeedbackResult, maxReasons = 10): Section[] {
  const rejected = result.outcomes.filter((outcome) => outcome.status === 'rejected');
  const sections: Section[] = [
    fields([
      ['rows', result.outcomes.length],
      ['joined', result.joined],
      ['pending', result.pending],
      ['unchanged', result.unchanged],
      ['replaced', result.replaced],
      ['rejected', result.rejected],
      ['prediction rows judged', result.pairs],
    ]),
  ];
  if (rejected.length > 0) {
    sections.push(
      table(
        ['item', 'row', 'reason'],
        rejected.slice(0, maxReasons).map((o) => [o.item, o.row, o.reason]),
        rejected.length > maxReasons
          ? `first ${maxReasons} of ${rejected.length} rejected rows`
          : 'rejected rows',
      ),
    );
  }
  return sections;
}

/** Annotation items: id, request and row, what was predicted, why picked, state. */
export function itemSections(items: readonly AnnotationItem[]): Section[] {
  return [
    table(
      ['item', 'request id', 'row', 'prediction', 'why', 'state', 'annotator'],
      items.map((item) => [
        item.itemId,
        item.requestId,
        item.row,
        item.prediction === undefined
          ? ''
          : item.prediction.label !== ''
            ? item.prediction.label
            : item.prediction.values.map(formatNumber).join(', '),
        item.reason.explanation,
        item.state,
        item.annotator,
      ]),
    ),
  ];
}
