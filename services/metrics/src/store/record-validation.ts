/**
 * Checks of one prediction or feedback item before it is stored. A broken item is refused
 * alone (the rest of the call goes ahead), with the field and the rule it broke.
 */
import type { FeedbackRecord, PredictionRecord, Truth } from '../domain/records.js';
import type { StoreLimits } from './store-limits.js';

/** The field an item broke and one sentence saying how. */
export interface ItemProblem {
  readonly field: string;
  readonly message: string;
}

const problem = (field: string, rule: string, got: unknown): ItemProblem => ({
  field,
  message: `${field}: ${rule}, got ${describe(got)}.`,
});

function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : `"${value}"`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return String(value);
}

function checkId(
  field: string,
  value: unknown,
  limits: StoreLimits,
  allowEmpty: boolean,
): ItemProblem | undefined {
  if (typeof value !== 'string') return problem(field, 'must be a string', value);
  if (!allowEmpty && value.length === 0) return problem(field, 'must not be empty', value);
  if (value.length > limits.maxIdLength)
    return problem(field, `must have at most ${limits.maxIdLength} characters`, value);
  return undefined;
}

function checkTimeMs(field: string, value: unknown): ItemProblem | undefined {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    return problem(field, 'must be a non-negative integer number of milliseconds', value);
  return undefined;
}

const finiteNumbers = (values: unknown): boolean =>
  Array.isArray(values) && values.every((v) => typeof v === 'number' && Number.isFinite(v));

function checkTruth(truth: Truth | undefined): ItemProblem | undefined {
  if (truth === undefined || truth === null) return problem('truth', 'is required', truth);
  switch (truth.kind) {
    case 'label':
      return typeof truth.label === 'string'
        ? undefined
        : problem('truth.label', 'must be a string', truth.label);
    case 'value':
      return finiteNumbers(truth.values) && truth.values.length > 0
        ? undefined
        : problem('truth.values', 'must be a non-empty array of finite numbers', truth.values);
    case 'reward':
      return typeof truth.reward === 'number' && Number.isFinite(truth.reward)
        ? undefined
        : problem('truth.reward', 'must be a finite number', truth.reward);
    default:
      return problem('truth.kind', 'must be label, value or reward', (truth as { kind: unknown }).kind);
  }
}

/** The first rule `record` breaks, or undefined. */
export function predictionProblem(record: PredictionRecord, limits: StoreLimits): ItemProblem | undefined {
  const idProblem =
    checkId('eventId', record.eventId, limits, false) ??
    checkId('requestId', record.requestId, limits, false) ??
    checkId('modelName', record.modelName, limits, false) ??
    checkId('modelVersion', record.modelVersion, limits, true) ??
    checkId('node', record.node, limits, true) ??
    checkId('graph', record.graph, limits, true) ??
    checkId('outputName', record.outputName, limits, true);
  if (idProblem) return idProblem;
  const timeProblem = checkTimeMs('timeMs', record.timeMs);
  if (timeProblem) return timeProblem;
  if (record.task !== 'classification' && record.task !== 'regression')
    return problem('task', 'must be classification or regression', record.task);
  if (!Array.isArray(record.classes) || !record.classes.every((c) => typeof c === 'string'))
    return problem('classes', 'must be an array of strings', record.classes);
  if (!Array.isArray(record.rows) || record.rows.length === 0)
    return problem('rows', 'must hold at least one row', record.rows);
  if (record.rows.length > limits.maxRowsPerPrediction)
    return problem('rows', `must hold at most ${limits.maxRowsPerPrediction} rows`, record.rows);
  const seen = new Set<number>();
  for (const [i, row] of record.rows.entries()) {
    if (!Number.isSafeInteger(row.row) || row.row < 0)
      return problem(`rows[${i}].row`, 'must be a non-negative integer', row.row);
    if (seen.has(row.row)) return problem(`rows[${i}].row`, 'must not repeat another row index', row.row);
    seen.add(row.row);
  }
  return undefined;
}

/** The first rule `item` breaks on its own (the row is checked against the prediction later). */
export function feedbackProblem(item: FeedbackRecord, limits: StoreLimits): ItemProblem | undefined {
  return (
    checkId('requestId', item.requestId, limits, false) ??
    checkId('modelName', item.modelName, limits, true) ??
    (Number.isSafeInteger(item.row) && item.row >= 0
      ? undefined
      : problem('row', 'must be a non-negative integer', item.row)) ??
    checkTruth(item.truth) ??
    checkTimeMs('observedMs', item.observedMs) ??
    checkTimeMs('receivedMs', item.receivedMs)
  );
}
