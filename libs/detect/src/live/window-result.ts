/**
 * What a scored window reports, and the scoring step the live scorer and the historical
 * run share: rows of a closed window -> table of the detector's schema -> the kind's score.
 */
import { FailedPreconditionError } from '@sightline/errors';
import type { FittedState } from '../kinds/detector-kind.js';
import type { SummarisedTable } from '../kinds/summarised-table.js';
import { type FeatureTable, fromRowMajor, type TableSchema } from '../table/feature-table.js';
import type { NonFinitePolicy } from '../table/table-from-tensors.js';
import type { ClosedWindow, WindowCloseReason } from './window-assembler.js';

/**
 * A fitted detector version ready to score: what the live scorer and a historical run need
 * of it. `fromSaved` (in the drift or outlier service) builds one from a stored version and
 * its kind.
 */
export interface ScoringDetector<TResult> {
  readonly name: string;
  readonly version: number;
  readonly schema: TableSchema;
  /** `keep` for kinds that count bad cells (quality); `refuse` otherwise. */
  readonly nonFinite: NonFinitePolicy;
  score(table: FeatureTable): TResult;
  /** Scores a summarised window (a window past exactRows); absent where the kind cannot. */
  scoreSummary?(table: SummarisedTable): TResult;
  /**
   * Scores off the caller's thread (a service's scoring pool). When present, the live
   * scorer and historical runs use it instead of `score`, so a big test does not hold the
   * event loop; results are still delivered in window order per detector.
   */
  scoreAsync?(table: FeatureTable): Promise<TResult>;
}

/**
 * A ScoringDetector of a fitted state and its kind (`kind.score(state, table)`); the
 * quality kind reads tables that keep bad cells.
 */
export function scoringDetector<TResult>(
  name: string,
  version: number,
  state: FittedState,
  kind: {
    score(state: FittedState, table: FeatureTable): TResult;
    scoreSummary?(state: FittedState, table: SummarisedTable): TResult;
  },
): ScoringDetector<TResult> {
  const scoreSummary = kind.scoreSummary?.bind(kind);
  return {
    name,
    version,
    schema: state.schema,
    nonFinite: state.kind === 'quality' ? 'keep' : 'refuse',
    score: (table) => kind.score(state, table),
    ...(scoreSummary ? { scoreSummary: (table: SummarisedTable) => scoreSummary(state, table) } : {}),
  };
}

/** Request ids a window result lists by default; beyond it only their count is given. */
export const DEFAULT_MAX_REQUEST_IDS_PER_WINDOW = 1000;

/** One scored window. */
export interface WindowResult<TResult> {
  readonly detector: string;
  readonly detectorVersion: number;
  readonly modelName: string;
  /** The version whose events filled the window (empty when the events carried none). */
  readonly modelVersion: string;
  /** Per (detector, model, version): 1, 2, 3 ... */
  readonly sequence: number;
  /** Time of the window's first row and of its close, ms since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  readonly closeReason: WindowCloseReason;
  readonly rows: number;
  /** Distinct requests in the window. */
  readonly requestCount: number;
  /** Their ids, in order, when there are at most the configured maximum; else empty. */
  readonly requestIds: readonly string[];
  readonly result: TResult;
  /** A window merged from replicas' shares: how many replicas' shares it holds, of how many expected. */
  readonly shares?: { readonly merged: number; readonly expected: number };
}

/** Scores `window` with `detector`; the window result. */
export function scoreWindow<TResult>(
  detector: ScoringDetector<TResult>,
  modelName: string,
  modelVersion: string,
  window: ClosedWindow,
  maxRequestIds: number,
): WindowResult<TResult> {
  if (window.summary) return scoreSummaryWindow(detector, modelName, modelVersion, window, maxRequestIds);
  const prepared = prepareWindow(detector, modelName, modelVersion, window, maxRequestIds);
  return { ...prepared.base, result: detector.score(prepared.table) };
}

/**
 * Scores `window` with the detector's `scoreAsync` (its `score` when it has none); the same
 * window result as {@link scoreWindow}.
 */
export async function scoreWindowAsync<TResult>(
  detector: ScoringDetector<TResult>,
  modelName: string,
  modelVersion: string,
  window: ClosedWindow,
  maxRequestIds: number,
): Promise<WindowResult<TResult>> {
  // A summarised window is scored from its sketches on the caller's thread: no rows to send.
  if (window.summary) return scoreSummaryWindow(detector, modelName, modelVersion, window, maxRequestIds);
  const prepared = prepareWindow(detector, modelName, modelVersion, window, maxRequestIds);
  const result = detector.scoreAsync
    ? await detector.scoreAsync(prepared.table)
    : detector.score(prepared.table);
  return { ...prepared.base, result };
}

/** A closed window's table and every field of its result but the score. */
function prepareWindow<TResult>(
  detector: ScoringDetector<TResult>,
  modelName: string,
  modelVersion: string,
  window: ClosedWindow,
  maxRequestIds: number,
): { table: FeatureTable; base: Omit<WindowResult<TResult>, 'result'> } {
  const base = fromRowMajor(detector.schema, window.values, window.rows);
  const table: FeatureTable = window.typeViolations
    ? { ...base, typeViolations: window.typeViolations }
    : base;
  const distinct = [...new Set(window.requestIds)];
  return {
    table,
    base: windowFields(detector, modelName, modelVersion, window, distinct.length, distinct, maxRequestIds),
  };
}

/**
 * Every field of a window's result but the score; `requestIds` are listed when there are at
 * most `maxRequestIds` of the window's `requestCount` requests.
 */
function windowFields<TResult>(
  detector: ScoringDetector<TResult>,
  modelName: string,
  modelVersion: string,
  window: ClosedWindow,
  requestCount: number,
  requestIds: readonly string[],
  maxRequestIds: number,
): Omit<WindowResult<TResult>, 'result'> {
  return {
    detector: detector.name,
    detectorVersion: detector.version,
    modelName,
    modelVersion,
    sequence: window.sequence,
    startMs: window.startMs,
    endMs: window.endMs,
    closeReason: window.reason,
    rows: window.rows,
    requestCount,
    requestIds: requestCount <= maxRequestIds ? requestIds.slice(0, maxRequestIds) : [],
  };
}

/** Scores a summarised window (past the window's exactRows) from its sketches and counts. */
function scoreSummaryWindow<TResult>(
  detector: ScoringDetector<TResult>,
  modelName: string,
  modelVersion: string,
  window: ClosedWindow,
  maxRequestIds: number,
): WindowResult<TResult> {
  if (!detector.scoreSummary) {
    throw new FailedPreconditionError(
      `detector "${detector.name}" cannot score a summarised window (${window.rows} rows, past the window's exactRows); raise exactRows`,
    );
  }
  const result = detector.scoreSummary(window.summary!.toTable(detector.schema));
  const requestCount = window.requestCount ?? window.requestIds.length;
  return {
    ...windowFields(
      detector,
      modelName,
      modelVersion,
      window,
      requestCount,
      window.requestIds,
      maxRequestIds,
    ),
    result,
  };
}
