/**
 * Rows from InferenceEvents: one tensor of the request or the response side, its features
 * named and picked as for plain tensors. An event that cannot be read is counted under a
 * reason, never thrown: one bad request must not stop a consumer or a historical run.
 */
import { quoteName } from '@sightline/errors';
import { type InferenceEvent, STATUS_OK } from '@sightline/events';
import {
  concatTables,
  type FeatureTable,
  TableInputError,
  type TableInputProblem,
  type TableSchema,
} from './feature-table.js';
import { type NonFinitePolicy, tableFromTensors } from './table-from-tensors.js';

/** Which side of an event holds the features: the request's inputs or the response's outputs. */
export type EventSide = 'request' | 'response';

/** Where the features of an event are and how they are named. */
export interface EventSelection {
  readonly side: EventSide;
  /** The tensor's name; absent: the side's first tensor. */
  readonly tensor?: string;
  /** Names of the tensor's features in row order (without them: `<tensor>[<i>]`). */
  readonly columnNames?: readonly string[];
  /** Keep only these columns, in this order. */
  readonly columns?: readonly string[];
  /** Categorical columns (when no schema is given). */
  readonly categorical?: readonly string[];
}

/** Per reason, how many events could not be read. */
export type UnreadableCounts = Partial<Record<TableInputProblem, number>>;

/** The outcome of reading one event. */
export type EventRows =
  | { readonly ok: true; readonly table: FeatureTable }
  | { readonly ok: false; readonly problem: TableInputProblem; readonly message: string };

/**
 * Reads the selected features of one event as a table (`schema`: the fitted detector's, so
 * rows are named, ordered and coded as at fit).
 */
export function readEventRows(
  event: InferenceEvent,
  selection: EventSelection,
  schema?: TableSchema,
  nonFinite: NonFinitePolicy = 'refuse',
): EventRows {
  const tensors = selection.side === 'request' ? event.inputs : event.outputs;
  if (selection.side === 'response' && event.statusCode !== STATUS_OK) {
    return { ok: false, problem: 'failed-request', message: `the request failed (${event.statusCode})` };
  }
  const tensor =
    selection.tensor === undefined ? tensors[0] : tensors.find((t) => t.name === selection.tensor);
  if (tensor === undefined) {
    const wanted = selection.tensor === undefined ? 'any tensor' : `tensor ${quoteName(selection.tensor)}`;
    return { ok: false, problem: 'missing-tensor', message: `the ${selection.side} has no ${wanted}` };
  }
  try {
    const table = tableFromTensors([tensor], {
      ...(selection.columnNames ? { columnNames: selection.columnNames } : {}),
      ...(selection.columns ? { columns: selection.columns } : {}),
      ...(selection.categorical ? { categorical: selection.categorical } : {}),
      ...(schema ? { schema } : {}),
      nonFinite,
    });
    return { ok: true, table };
  } catch (error) {
    if (error instanceof TableInputError)
      return { ok: false, problem: error.problem, message: error.message };
    throw error;
  }
}

/** What {@link tableFromEvents} read. */
export interface EventTable {
  /** The rows of every readable event, in the events' order; undefined when none was readable. */
  readonly table: FeatureTable | undefined;
  /** Request id of each readable event, with how many rows it gave. */
  readonly requests: readonly { readonly requestId: string; readonly rows: number }[];
  readonly unreadable: UnreadableCounts;
  /**
   * Events left out for their width, per elements per row of their selected tensor (`width`
   * in `unreadable` is their sum): a stream that changed shape is named, not silently halved.
   */
  readonly skippedWidths: Readonly<Record<number, number>>;
}

/**
 * The rows of `events` as one table (fit on stored events, score a stored batch). Unreadable
 * events are skipped and counted; with no schema, the first readable event fixes the
 * columns and a later event of other columns is counted under `width`.
 */
export function tableFromEvents(
  events: Iterable<InferenceEvent>,
  selection: EventSelection,
  schema?: TableSchema,
  nonFinite: NonFinitePolicy = 'refuse',
): EventTable {
  const tables: FeatureTable[] = [];
  const requests: { requestId: string; rows: number }[] = [];
  const unreadable: Record<string, number> = {};
  const skippedWidths: Record<number, number> = {};
  for (const event of events) {
    let read = readEventRows(event, selection, schema, nonFinite);
    if (read.ok && schema === undefined && tables.length > 0) {
      // String categories of each event are coded by its own dictionary until the join.
      const first = tables[0]!;
      if (read.table.names.join('\u0000') !== first.names.join('\u0000')) {
        read = { ok: false, problem: 'width', message: 'columns differ from the first event' };
      }
    }
    if (read.ok) {
      tables.push(read.table);
      requests.push({ requestId: event.requestId, rows: read.table.rows });
    } else {
      unreadable[read.problem] = (unreadable[read.problem] ?? 0) + 1;
      const width = read.problem === 'width' ? selectedWidth(event, selection) : undefined;
      if (width !== undefined) skippedWidths[width] = (skippedWidths[width] ?? 0) + 1;
    }
  }
  return {
    table: tables.length === 0 ? undefined : concatTables(tables),
    requests,
    unreadable,
    skippedWidths,
  };
}

/** Elements per row of the event's selected tensor (undefined when it has none or no rows). */
function selectedWidth(event: InferenceEvent, selection: EventSelection): number | undefined {
  const tensors = selection.side === 'request' ? event.inputs : event.outputs;
  const tensor =
    selection.tensor === undefined ? tensors[0] : tensors.find((t) => t.name === selection.tensor);
  if (tensor === undefined || tensor.shape.length === 0) return undefined;
  return tensor.shape.slice(1).reduce((a, b) => a * b, 1);
}

/**
 * The events a read left out, per reason, with `width` split by the widths seen (`width 3`:
 * 3 elements per row), for a fit's lineage and its messages.
 */
export function skippedEventCounts(
  read: Pick<EventTable, 'unreadable' | 'skippedWidths'>,
): Record<string, number> {
  const counts: Record<string, number> = {};
  let widthNamed = 0;
  for (const [width, n] of Object.entries(read.skippedWidths)) {
    counts[`width ${width}`] = n;
    widthNamed += n;
  }
  for (const [reason, n] of Object.entries(read.unreadable)) {
    const rest = reason === 'width' ? n! - widthNamed : n!;
    if (rest > 0) counts[reason] = rest;
  }
  return counts;
}

/** Thrown by callers that need at least one readable event; names the reasons. */
export function noReadableEventsError(
  unreadable: UnreadableCounts,
  skippedWidths: Readonly<Record<number, number>> = {},
): TableInputError {
  const reasons = Object.entries(skippedEventCounts({ unreadable, skippedWidths }))
    .map(([k, n]) => (k.startsWith('width ') ? `${n} events of ${k.slice(6)} elements per row` : `${n} ${k}`))
    .join(', ');
  return new TableInputError('empty', `no readable events${reasons ? ` (unreadable: ${reasons})` : ''}`);
}
