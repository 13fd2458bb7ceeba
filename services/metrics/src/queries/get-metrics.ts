/**
 * GetMetrics' domain: which series a selector combines, which window (a range, a trailing span,
 * a time series in steps, or the last count windows), the buckets it reads (stored ones with the
 * unflushed deltas folded in, and the windows' own), merged across the combined series, with the
 * store's feedback counts beside. Transport-free: the gRPC adapter converts to messages.
 *
 * Time windows are by prediction time in whole buckets: the start is rounded down to the bucket
 * width and the end up (so the current, partial bucket is included); a trailing span ends at the
 * end of the current bucket.
 */
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from '@sightline/errors';
import { DEFAULT_RECORD_LIMITS, textProblem } from '../domain/record-rules.js';
import type { SeriesKey } from '../domain/records.js';
import type { MetricsDataPlane } from '../service/metrics-data-plane.js';
import type { SeriesCounts } from '../store/metrics-store.js';
import type { BucketSummary } from '../windows/bucket-summary.js';
import type { CountWindowMetrics } from '../windows/count-window.js';
import {
  addDirectLossParts,
  type DirectLossParts,
  directLossMetrics,
  directLossParts,
} from '../windows/direct-loss-metrics.js';
import type { SegmentRef } from '../windows/window-key.js';
import { summaryMetrics, type WindowMetrics } from '../windows/window-metrics.js';
import { OVERFLOW_SEGMENT_VALUE } from '../windows/window-options.js';

/** A GetMetrics request, decoded. */
export interface MetricsQuery {
  readonly series: { readonly modelName: string; readonly modelVersion?: string; readonly node?: string };
  readonly segment?: SegmentRef;
  readonly breakdownSegment?: string;
  readonly window?:
    | { readonly kind: 'range'; readonly fromMs: number; readonly toMs: number }
    | { readonly kind: 'trailing'; readonly ms: number }
    | { readonly kind: 'count'; readonly last: number };
  readonly stepMs?: number;
  readonly reference?: { readonly fromMs: number; readonly toMs: number };
  readonly confidence?: number;
}

/** One time window's metrics and what frames it. */
export interface TimeWindowAnswer {
  readonly kind: 'time';
  readonly metrics: WindowMetrics;
  readonly fromMs: number;
  readonly toMs: number;
  readonly segment?: SegmentRef;
  readonly counts: SeriesCounts;
  readonly reference?: { readonly fromMs: number; readonly toMs: number; readonly rows: number };
}

/** One closed count window. */
export interface CountWindowAnswer {
  readonly kind: 'count';
  readonly window: CountWindowMetrics;
}

/** GetMetrics' answer. */
export interface MetricsAnswer {
  readonly task: 'classification' | 'regression';
  readonly classes: readonly string[];
  readonly series: readonly SeriesKey[];
  readonly windows: readonly (TimeWindowAnswer | CountWindowAnswer)[];
  readonly segments: readonly TimeWindowAnswer[];
  readonly overflow?: {
    readonly valuesKept: number;
    readonly rowsToOther: number;
    readonly pairsToOther: number;
  };
  readonly calibrationBins: number;
  /** The level of every interval. */
  readonly confidence: number;
  /** Feedback naming no model (it may be for this one): waiting now, expired since the store began. */
  readonly unnamed?: { readonly pending: number; readonly expired: number };
}

const invalid = (field: string, rule: string): never => {
  throw new InvalidArgumentError(`${field}: ${rule}`, { field });
};

/** Answers a GetMetrics query from the data plane's windows and store. */
export async function getMetrics(
  plane: MetricsDataPlane,
  query: MetricsQuery,
  nowMs: number,
): Promise<MetricsAnswer> {
  const { modelName } = query.series;
  if (modelName === '') invalid('series.model_name', 'required (rule "series.model_name_set")');
  // Names no record can have are refused before any lookup (and never echoed whole).
  for (const [field, value] of [
    ['series.model_name', modelName],
    ['series.model_version', query.series.modelVersion],
    ['series.node', query.series.node],
  ] as const) {
    const problem =
      value === undefined ? undefined : textProblem(field, value, DEFAULT_RECORD_LIMITS.maxIdLength, true);
    if (problem !== undefined) throw new InvalidArgumentError(problem.message, { field });
  }
  if (query.window === undefined)
    invalid('window', 'exactly one of range, trailing and count_windows is required (rule "window.set")');
  const confidence = query.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) invalid('confidence', `must be in (0, 1), got ${confidence}`);
  const windows = plane.windows;
  const segmentNames = windows.options.segmentNames;
  for (const [field, name] of [
    ['segment.name', query.segment?.name],
    ['breakdown_segment', query.breakdownSegment],
  ] as const) {
    if (name !== undefined && name !== '' && !segmentNames.includes(name)) {
      invalid(
        field,
        `${JSON.stringify(name)} is not a configured segment (${segmentNames.length ? segmentNames.join(', ') : 'none configured: --segments'}) (rule "segment.name_configured")`,
      );
    }
  }
  plane.requireModel(modelName);
  const matched = plane.matchingSeries(query.series);
  if (matched.length === 0) {
    const what = [
      query.series.modelVersion === undefined ? '' : `version ${JSON.stringify(query.series.modelVersion)}`,
      query.series.node === undefined ? '' : `node ${JSON.stringify(query.series.node)}`,
    ]
      .filter((s) => s !== '')
      .join(' and ');
    throw new NotFoundError(
      `model ${JSON.stringify(modelName)} has no prediction of ${what || 'any series'}`,
    );
  }
  const first = matched[0]!;
  for (const other of matched.slice(1)) {
    if (other.task !== first.task || other.classes.join('\u0000') !== first.classes.join('\u0000')) {
      throw new FailedPreconditionError(
        `series: ${describe(first.series)} and ${describe(other.series)} differ in task or classes and cannot be combined; select one version or node`,
      );
    }
  }
  const series = matched.map((m) => m.series);
  const base = {
    task: first.task,
    classes: first.classes,
    series,
    calibrationBins: windows.options.summary.calibrationBins ?? 10,
    confidence,
  };
  const breakdown = query.breakdownSegment !== undefined && query.breakdownSegment !== '';

  if (query.window!.kind === 'count') {
    if (query.segment !== undefined)
      invalid('segment', 'count windows are per series, not per segment (rule "count_windows.segment")');
    if (breakdown)
      invalid('breakdown_segment', 'only with a single time window (rule "breakdown_segment.single_window")');
    if (windows.options.countWindowPairs === 0) {
      throw new FailedPreconditionError('count windows are turned off (--count-window-pairs 0)');
    }
    const last = query.window!.last === 0 ? 1 : query.window!.last;
    if (last > plane.limits.countWindowsKept)
      invalid(
        'count_windows.last',
        `must be at most ${plane.limits.countWindowsKept} (--count-windows-kept), got ${last}`,
      );
    const out: CountWindowAnswer[] = [];
    for (const s of series) {
      for (const window of plane.countWindows(s).slice(-last)) out.push({ kind: 'count', window });
    }
    return { ...base, windows: out, segments: [] };
  }

  const width = windows.options.bucketWidthMs;
  let fromMs: number;
  let toMs: number;
  if (query.window!.kind === 'range') {
    if (!(query.window!.toMs > query.window!.fromMs))
      invalid('range', 'end_time must be after start_time (rule "range.order")');
    fromMs = Math.floor(query.window!.fromMs / width) * width;
    toMs = Math.ceil(query.window!.toMs / width) * width;
  } else {
    const ms = query.window!.ms;
    if (!(ms > 0) || ms > plane.limits.retentionMs) {
      invalid(
        'trailing',
        `must be above 0 and at most the retention (${plane.limits.retentionMs} ms, --retention-ms), got ${ms} ms`,
      );
    }
    toMs = Math.floor(nowMs / width) * width + width;
    fromMs = Math.floor((toMs - ms) / width) * width;
  }
  if (breakdown && query.stepMs !== undefined)
    invalid('breakdown_segment', 'only with a single time window (rule "breakdown_segment.single_window")');
  const stepMs = query.stepMs ?? toMs - fromMs;
  if (query.stepMs !== undefined) {
    if (!(Number.isInteger(stepMs) && stepMs >= width && stepMs % width === 0)) {
      invalid('step', `must be a positive multiple of the bucket width (${width} ms), got ${stepMs} ms`);
    }
    const steps = Math.ceil((toMs - fromMs) / stepMs);
    if (steps > windows.options.maxSeriesSteps)
      invalid('step', `${steps} steps exceed ${windows.options.maxSeriesSteps} (rule "step.count")`);
  }

  const reference =
    query.reference === undefined
      ? undefined
      : await mergedRange(plane, series, query.segment, query.reference.fromMs, query.reference.toMs);
  const window = async (
    segment: SegmentRef | undefined,
    from: number,
    to: number,
  ): Promise<TimeWindowAnswer> => {
    const merged = await mergedRange(plane, series, segment, from, to, first.task === 'regression');
    const computed = summaryMetrics(merged.summary, merged.buckets, {
      confidence,
      ...(reference !== undefined && reference.summary.predictions > 0 && { reference: reference.summary }),
      ...(query.stepMs !== undefined && { f1Bootstrap: { maxPairs: 0 }, shiftResamples: 0 }),
    });
    const dle =
      merged.directLoss === undefined
        ? undefined
        : directLossMetrics(merged.directLoss, computed, confidence);
    const metrics: WindowMetrics = dle === undefined ? computed : { ...computed, dle };
    const counts = await plane.store.counts({
      modelName,
      ...(query.series.modelVersion !== undefined && { modelVersion: query.series.modelVersion }),
      ...(query.series.node !== undefined && { node: query.series.node }),
      fromMs: from,
      toMs: to,
    });
    return {
      kind: 'time',
      metrics,
      fromMs: from,
      toMs: to,
      ...(segment !== undefined && { segment }),
      counts,
      ...(reference !== undefined &&
        query.reference !== undefined && {
          reference: { ...query.reference, rows: reference.summary.predictions },
        }),
    };
  };
  const unnamed = await plane.store.unnamedFeedbackCounts();
  const out: TimeWindowAnswer[] = [];
  for (let start = fromMs; start < toMs; start += stepMs)
    out.push(await window(query.segment, start, Math.min(start + stepMs, toMs)));
  const segments: TimeWindowAnswer[] = [];
  let overflow: MetricsAnswer['overflow'];
  if (breakdown) {
    const name = query.breakdownSegment!;
    const values = new Set<string>();
    let valuesKept = 0;
    let rowsToOther = 0;
    let pairsToOther = 0;
    for (const s of series) {
      for (const v of windows.segmentValues(s, name)) values.add(v);
      const o = windows.segmentOverflow(s, name);
      valuesKept = Math.max(valuesKept, o.values);
      rowsToOther += o.predictionRows;
      pairsToOther += o.pairs;
    }
    const ordered = [...values].sort();
    if (rowsToOther + pairsToOther > 0) ordered.push(OVERFLOW_SEGMENT_VALUE);
    for (const value of ordered) segments.push(await window({ name, value }, fromMs, toMs));
    overflow = { valuesKept, rowsToOther, pairsToOther };
  }
  return { ...base, windows: out, segments, unnamed, ...(overflow !== undefined && { overflow }) };
}

const describe = (s: SeriesKey) => `${s.modelName}:${s.modelVersion}${s.node === '' ? '' : `/${s.node}`}`;

/**
 * Every bucket of the series (and segment) in [fromMs, toMs), merged across the series; with
 * `directLoss`, each series' window scored by its own loss models (unset when one has none).
 */
async function mergedRange(
  plane: MetricsDataPlane,
  series: readonly SeriesKey[],
  segment: SegmentRef | undefined,
  fromMs: number,
  toMs: number,
  directLoss = false,
): Promise<{ summary: BucketSummary; buckets: number; directLoss?: DirectLossParts }> {
  let merged: { summary: BucketSummary; buckets: number } | undefined;
  let parts: DirectLossParts | undefined = directLoss ? directLossParts() : undefined;
  for (const s of series) {
    let part: { summary: BucketSummary; buckets: number };
    try {
      part = await plane.persistence.summaryOver(s, segment, fromMs, toMs);
    } catch (error) {
      // A series the windows never saw in this process (known from the store): only its stored buckets.
      if (!(error instanceof NotFoundError)) throw error;
      continue;
    }
    if (parts !== undefined && part.summary.predictions + part.summary.joined > 0) {
      const lookup = await plane.directLoss.lookup(s);
      if (lookup.ok) addDirectLossParts(parts, part.summary, lookup.fit.estimator);
      else parts = undefined;
    }
    if (merged === undefined) merged = { summary: part.summary.clone(), buckets: part.buckets };
    else {
      merged.summary.merge(part.summary);
      merged.buckets += part.buckets;
    }
  }
  if (merged === undefined)
    throw new NotFoundError(`series ${series.map(describe).join(', ')}: no bucket in the window`);
  return parts === undefined ? merged : { ...merged, directLoss: parts };
}
