/**
 * ScoreHistory's scan: the stored events of a time range, oldest first, read through the
 * event reader, selected and read into rows with the fitted schema (unreadable events
 * counted per reason), grouped into windows that close on a row count or on event time
 * (`maxDurationMs` after the window's first event), whichever comes first; each closed
 * window is tested and yielded with the scan's progress. Progress alone is yielded about
 * once a second while no window closes. The reader answers one query of at most
 * `--max-history-events` events; the caller's cancellation stops the scan between events.
 */
import {
  concatTables,
  type FeatureTable,
  type NonFinitePolicy,
  readEventRows,
  type TableSchema,
} from '@sightline/detect';
import type { Cancellation } from '@sightline/errors';
import type { EventReader } from '@sightline/events';
import type { EventSelection, HistoryItem, WindowSettings } from '../data-plane/drift-types.js';
import type { DriftVerdict } from '../results/drift-event.js';
import { detectSelection, selects } from './live-windows.js';

/** How often a progress-only message is sent while no window closes, in ms. */
export const HISTORY_PROGRESS_INTERVAL_MS = 1000;
/** Most events one history scan reads (the reader's own scan bound applies too). */
export const DEFAULT_HISTORY_QUERY_LIMIT = 10_000_000;

/** What {@link historyScan} reads and how it tests. */
export interface HistoryScanOptions {
  readonly reader: EventReader;
  readonly request: {
    readonly fromUnixMs: number;
    readonly toUnixMs: number;
    readonly selection: EventSelection;
    readonly window: WindowSettings;
  };
  readonly schema: TableSchema;
  readonly nonFinite: NonFinitePolicy;
  readonly score: (table: FeatureTable) => DriftVerdict;
  readonly cancellation: Cancellation;
  readonly now: () => number;
  readonly limit?: number;
}

/** Yields progress and one verdict per closed window. */
export async function* historyScan(options: HistoryScanOptions): AsyncGenerator<HistoryItem> {
  const { request, cancellation } = options;
  const detect = detectSelection(request.selection);
  const events = await options.reader.query(
    {
      fromUnixMs: request.fromUnixMs,
      toUnixMs: request.toUnixMs,
      ...(request.selection.graph
        ? { graph: request.selection.graph }
        : { modelName: request.selection.modelName }),
      limit: options.limit ?? DEFAULT_HISTORY_QUERY_LIMIT,
      order: 'oldest-first',
    },
    cancellation,
  );
  const skipped: Record<string, number> = {};
  let read = 0;
  let matched = 0;
  let windows = 0;
  let position = request.fromUnixMs;
  let tables: FeatureTable[] = [];
  let rows = 0;
  let windowEvents = 0;
  let first = 0;
  let last = 0;
  let lastProgressMs = options.now();
  const progress = () => ({
    eventsRead: read,
    eventsMatched: matched,
    eventsSkipped: { ...skipped },
    positionUnixMs: position,
    windows,
  });
  const close = (): HistoryItem => {
    const table = concatTables(tables);
    const verdict = options.score(table);
    windows++;
    const item: HistoryItem = {
      windowStartUnixMs: first,
      windowEndUnixMs: last,
      events: windowEvents,
      rows: table.rows,
      verdict,
      progress: progress(),
    };
    tables = [];
    rows = 0;
    windowEvents = 0;
    return item;
  };
  for (const event of events) {
    if (cancellation.cancelReason) throw cancellation.cancelReason;
    read++;
    position = event.timeUnixMs;
    if (!selects(request.selection, event)) continue;
    if (rows > 0 && event.timeUnixMs - first >= request.window.maxDurationMs) {
      if (rows >= Math.max(1, request.window.minRows)) yield close();
    }
    const rowsOf = readEventRows(event, detect, options.schema, options.nonFinite);
    if (!rowsOf.ok) {
      skipped[rowsOf.problem] = (skipped[rowsOf.problem] ?? 0) + 1;
      continue;
    }
    matched++;
    if (rows === 0) first = event.timeUnixMs;
    last = event.timeUnixMs;
    tables.push(rowsOf.table);
    rows += rowsOf.table.rows;
    windowEvents++;
    if (rows >= request.window.maxRows) {
      yield close();
      lastProgressMs = options.now();
    } else if (options.now() - lastProgressMs >= HISTORY_PROGRESS_INTERVAL_MS) {
      lastProgressMs = options.now();
      yield { events: 0, rows: 0, progress: progress() };
    }
  }
  if (rows >= Math.max(1, request.window.minRows)) yield close();
  yield { events: 0, rows: 0, progress: progress() };
}
