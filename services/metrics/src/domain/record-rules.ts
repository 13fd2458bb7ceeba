/**
 * The rules a prediction or feedback record must follow before anything keeps it: the store
 * refuses a record that breaks one (alone, as an ItemRejection) and the windows refuse the same
 * record, so what one side accepts the other can keep. Plain checks, no transport or database.
 *
 * Why each rule exists:
 * - text must be well-formed UTF-16 without NUL: PostgreSQL cannot store NUL in text, and pg
 *   turns a lone surrogate into U+FFFD, so two different ids would collide (or a retried id
 *   would not be recognised) in one backend and not the other;
 * - every list and text has a length bound, so one record cannot make a join, a row or a
 *   series key unboundedly large;
 * - numbers are finite (probabilities in [0, 1]) because the metric kernels cannot count NaN or
 *   infinity, and row indices fit a 32-bit integer column.
 */
import type { FeedbackRecord, PredictionRecord, PredictionRow, SeriesKey, Truth } from './records.js';
import { encodeKeyParts } from './series-key-rule.js';

/** The size bounds of one record (each a positive integer; docs/store.md lists them). */
export interface RecordLimits {
  /** Characters in a request id, event id, model name, version, node, graph or output name. */
  readonly maxIdLength: number;
  /** Rows in one prediction (a request's batch). */
  readonly maxRowsPerPrediction: number;
  /** Class labels of one prediction (and probabilities of one row). */
  readonly maxClasses: number;
  /** Characters in a class label, a predicted label or a truth label. */
  readonly maxLabelLength: number;
  /** Values of one regression row or regression truth. */
  readonly maxValuesPerRow: number;
  /** Segment entries of one row. */
  readonly maxSegmentsPerRow: number;
  /** Characters in a segment name. */
  readonly maxSegmentNameLength: number;
  /** Characters in a segment value. */
  readonly maxSegmentValueLength: number;
  /** Characters in a series key (model, version, node and a segment, encoded together). */
  readonly maxSeriesKeyLength: number;
}

/** The largest row index: rows are stored in 32-bit integer columns. */
export const MAX_ROW_INDEX = 2 ** 31 - 1;

export const DEFAULT_RECORD_LIMITS: RecordLimits = Object.freeze({
  maxIdLength: 256,
  maxRowsPerPrediction: 4_096,
  maxClasses: 1_000,
  maxLabelLength: 256,
  maxValuesPerRow: 1_024,
  maxSegmentsPerRow: 32,
  maxSegmentNameLength: 64,
  maxSegmentValueLength: 128,
  maxSeriesKeyLength: 1_024,
});

/** The field a record broke and one sentence saying how. */
export interface RecordProblem {
  readonly field: string;
  readonly message: string;
}

const problem = (field: string, rule: string, got: unknown): RecordProblem => ({
  field,
  message: `${field}: ${rule}, got ${describe(got)}.`,
});

function describe(value: unknown): string {
  if (typeof value === 'string') {
    if (value.length > 40 || !isCleanText(value)) return `a string of ${value.length} characters`;
    return `"${value}"`;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Well-formed UTF-16 (no lone surrogate) and no NUL character. */
export function isCleanText(value: string): boolean {
  const wellFormed = (value as { isWellFormed?: () => boolean }).isWellFormed;
  const ok = wellFormed ? wellFormed.call(value) : !LONE_SURROGATE.test(value);
  return ok && !value.includes('\u0000');
}

/** The text rule: a string, well-formed, no NUL, at most `maxLength` characters. */
export function textProblem(
  field: string,
  value: unknown,
  maxLength: number,
  allowEmpty: boolean,
): RecordProblem | undefined {
  if (typeof value !== 'string') return problem(field, 'must be a string', value);
  if (!allowEmpty && value.length === 0) return problem(field, 'must not be empty', value);
  if (value.length > maxLength) return problem(field, `must have at most ${maxLength} characters`, value);
  if (!isCleanText(value))
    return problem(field, 'must be well-formed text (no lone UTF-16 surrogate, no NUL character)', value);
  return undefined;
}

function timeProblem(field: string, value: unknown): RecordProblem | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    return problem(field, 'must be a non-negative integer number of milliseconds', value);
  return undefined;
}

function rowIndexProblem(field: string, value: unknown): RecordProblem | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_ROW_INDEX)
    return problem(field, `must be an integer from 0 to ${MAX_ROW_INDEX}`, value);
  return undefined;
}

function numbersProblem(
  field: string,
  values: unknown,
  maxLength: number,
  range?: readonly [number, number],
): RecordProblem | undefined {
  if (!Array.isArray(values)) return problem(field, 'must be an array of numbers', values);
  if (values.length > maxLength) return problem(field, `must hold at most ${maxLength} values`, values);
  for (const [i, v] of values.entries()) {
    if (typeof v !== 'number' || !Number.isFinite(v))
      return problem(`${field}[${i}]`, 'must be a finite number', v);
    if (range && (v < range[0] || v > range[1]))
      return problem(`${field}[${i}]`, `must be from ${range[0]} to ${range[1]}`, v);
  }
  return undefined;
}

/** The series key rule: its ids and their encoded key within `maxSeriesKeyLength`. */
export function seriesProblem(series: SeriesKey, limits: RecordLimits): RecordProblem | undefined {
  const idProblem =
    textProblem('modelName', series.modelName, limits.maxIdLength, false) ??
    textProblem('modelVersion', series.modelVersion, limits.maxIdLength, true) ??
    textProblem('node', series.node, limits.maxIdLength, true);
  if (idProblem) return idProblem;
  const key = encodeKeyParts([series.modelName, series.modelVersion, series.node]);
  if (key.length > limits.maxSeriesKeyLength)
    return problem(
      'modelName',
      `with modelVersion and node must encode to a series key of at most ${limits.maxSeriesKeyLength} characters`,
      key,
    );
  return undefined;
}

function segmentsProblem(field: string, segments: unknown, limits: RecordLimits): RecordProblem | undefined {
  if (typeof segments !== 'object' || segments === null || Array.isArray(segments))
    return problem(field, 'must be an object of segment name to value', segments);
  const entries = Object.entries(segments);
  if (entries.length > limits.maxSegmentsPerRow)
    return problem(field, `must hold at most ${limits.maxSegmentsPerRow} segments`, entries);
  for (const [name, value] of entries) {
    const bad =
      textProblem(`${field} name`, name, limits.maxSegmentNameLength, false) ??
      textProblem(`${field}.${describeName(name)}`, value, limits.maxSegmentValueLength, false);
    if (bad) return bad;
  }
  return undefined;
}

const describeName = (name: string) => (name.length <= 40 && isCleanText(name) ? name : '?');

function rowProblem(
  field: string,
  row: PredictionRow,
  classCount: number,
  limits: RecordLimits,
): RecordProblem | undefined {
  if (typeof row !== 'object' || row === null) return problem(field, 'must be an object', row);
  return (
    rowIndexProblem(`${field}.row`, row.row) ??
    (row.label === undefined
      ? undefined
      : textProblem(`${field}.label`, row.label, limits.maxLabelLength, true)) ??
    (row.probabilities === undefined
      ? undefined
      : (numbersProblem(`${field}.probabilities`, row.probabilities, limits.maxClasses, [0, 1]) ??
        (classCount > 0 && row.probabilities.length !== classCount
          ? problem(
              `${field}.probabilities`,
              `must hold one value per class (${classCount})`,
              row.probabilities,
            )
          : undefined))) ??
    (row.values === undefined
      ? undefined
      : numbersProblem(`${field}.values`, row.values, limits.maxValuesPerRow)) ??
    (row.segments === undefined ? undefined : segmentsProblem(`${field}.segments`, row.segments, limits))
  );
}

/** The first rule `record` breaks, or undefined. */
export function predictionRecordProblem(
  record: PredictionRecord,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): RecordProblem | undefined {
  if (typeof record !== 'object' || record === null)
    return problem('prediction', 'must be an object', record);
  const first =
    textProblem('eventId', record.eventId, limits.maxIdLength, false) ??
    textProblem('requestId', record.requestId, limits.maxIdLength, false) ??
    seriesProblem(record, limits) ??
    textProblem('graph', record.graph, limits.maxIdLength, true) ??
    textProblem('outputName', record.outputName, limits.maxIdLength, true) ??
    timeProblem('timeMs', record.timeMs) ??
    (record.latencyMs === undefined ||
    (typeof record.latencyMs === 'number' && Number.isFinite(record.latencyMs) && record.latencyMs >= 0)
      ? undefined
      : problem('latencyMs', 'must be a finite number >= 0 when present', record.latencyMs));
  if (first) return first;
  if (record.task !== 'classification' && record.task !== 'regression')
    return problem('task', 'must be classification or regression', record.task);
  if (!Array.isArray(record.classes))
    return problem('classes', 'must be an array of strings', record.classes);
  if (record.classes.length > limits.maxClasses)
    return problem('classes', `must hold at most ${limits.maxClasses} labels`, record.classes);
  for (const [i, c] of record.classes.entries()) {
    const bad = textProblem(`classes[${i}]`, c, limits.maxLabelLength, false);
    if (bad) return bad;
  }
  if (!Array.isArray(record.rows) || record.rows.length === 0)
    return problem('rows', 'must hold at least one row', record.rows);
  if (record.rows.length > limits.maxRowsPerPrediction)
    return problem('rows', `must hold at most ${limits.maxRowsPerPrediction} rows`, record.rows);
  const seen = new Set<number>();
  for (const [i, row] of record.rows.entries()) {
    const bad = rowProblem(`rows[${i}]`, row, record.classes.length, limits);
    if (bad) return bad;
    if (seen.has(row.row)) return problem(`rows[${i}].row`, 'must not repeat another row index', row.row);
    seen.add(row.row);
  }
  return undefined;
}

/** The first rule `truth` breaks, or undefined. */
export function truthProblem(
  truth: Truth,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): RecordProblem | undefined {
  if (typeof truth !== 'object' || truth === null) return problem('truth', 'is required', truth);
  switch (truth.kind) {
    case 'label':
      return textProblem('truth.label', truth.label, limits.maxLabelLength, true);
    case 'value':
      if (Array.isArray(truth.values) && truth.values.length === 0)
        return problem('truth.values', 'must hold at least one value', truth.values);
      return numbersProblem('truth.values', truth.values, limits.maxValuesPerRow);
    case 'reward':
      return typeof truth.reward === 'number' && Number.isFinite(truth.reward)
        ? undefined
        : problem('truth.reward', 'must be a finite number', truth.reward);
    default:
      return problem('truth.kind', 'must be label, value or reward', (truth as { kind: unknown }).kind);
  }
}

/** The first rule `item` breaks on its own (its row is checked against the prediction later). */
export function feedbackRecordProblem(
  item: FeedbackRecord,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): RecordProblem | undefined {
  if (typeof item !== 'object' || item === null) return problem('feedback', 'must be an object', item);
  return (
    textProblem('requestId', item.requestId, limits.maxIdLength, false) ??
    textProblem('modelName', item.modelName, limits.maxIdLength, true) ??
    rowIndexProblem('row', item.row) ??
    truthProblem(item.truth, limits) ??
    timeProblem('observedMs', item.observedMs) ??
    timeProblem('receivedMs', item.receivedMs)
  );
}

/** The rules of a joined pair's parts: its series, prediction row and truth. */
export function pairProblem(
  series: SeriesKey,
  classes: readonly string[],
  row: PredictionRow,
  truth: Truth,
  limits: RecordLimits = DEFAULT_RECORD_LIMITS,
): RecordProblem | undefined {
  return (
    seriesProblem(series, limits) ??
    rowProblem('prediction', row, Array.isArray(classes) ? classes.length : 0, limits) ??
    truthProblem(truth, limits)
  );
}
