/**
 * Runs one detector over a stored time range: reads the events page by page through an
 * EventReader (file store or Elasticsearch), oldest first, windows them by event time with
 * the same assembler as live scoring, and yields each scored window and the progress.
 */
import { type Cancellation, InvalidArgumentError } from '@sightline/errors';
import type { EventReader } from '@sightline/events';
import { EventRowReader } from '../table/event-row-reader.js';
import type { UnreadableCounts } from '../table/table-from-events.js';
import { type Attachment, matchesAttachment, resolveAttachment } from './attachment.js';
import { eventPages } from './event-pages.js';
import { WindowAssembler } from './window-assembler.js';
import {
  DEFAULT_MAX_REQUEST_IDS_PER_WINDOW,
  type ScoringDetector,
  scoreWindow,
  scoreWindowAsync,
  type WindowResult,
} from './window-result.js';

/** Options of {@link runHistory}. */
export interface HistoryRunOptions<TResult> {
  readonly reader: EventReader;
  readonly detector: ScoringDetector<TResult>;
  /** Which events and features (model, version, graph, node, side, tensor, columns, window). */
  readonly attachment: Attachment;
  /** First instant included, ms since the epoch. */
  readonly fromUnixMs: number;
  /** First instant excluded. */
  readonly toUnixMs: number;
  /** Events per query (default `DEFAULT_EVENT_PAGE_SIZE`). */
  readonly pageSize?: number;
  readonly maxRequestIdsPerWindow?: number;
  readonly cancellation?: Cancellation;
  /**
   * Windows scored at once when the detector has `scoreAsync` (default
   * {@link DEFAULT_HISTORY_WINDOWS_IN_FLIGHT}); items still come out in window order.
   */
  readonly windowsInFlight?: number;
}

/** Windows a run scores at once through a detector's `scoreAsync` by default. */
export const DEFAULT_HISTORY_WINDOWS_IN_FLIGHT = 2;

/** How far a run has got. */
export interface HistoryProgress {
  readonly eventsRead: number;
  /** Events the whole range is estimated to hold, from the share of the range read so far. */
  readonly estimatedTotal: number;
  /** Time of the last event read. */
  readonly lastTimeMs: number;
  /** Share of the time range read, 0..1. */
  readonly fraction: number;
  readonly unreadable: UnreadableCounts;
}

/** One item of a run: a scored window or a progress report (one per page). */
export type HistoryItem<TResult> =
  | { readonly type: 'window'; readonly window: WindowResult<TResult> }
  | { readonly type: 'progress'; readonly progress: HistoryProgress };

/**
 * The run as an async iterable: a progress item after each page, a window item as each
 * window closes, and the last open window (with at least `minRows`) at the end.
 * @throws InvalidArgumentError for a bad range or attachment; the reader's errors
 *   (RESOURCE_EXHAUSTED, UNAVAILABLE); the cancellation's reason when cancelled;
 *   ResourceExhaustedError when more events share one millisecond than a page holds.
 */
export async function* runHistory<TResult>(
  options: HistoryRunOptions<TResult>,
): AsyncGenerator<HistoryItem<TResult>> {
  const { reader, detector, fromUnixMs, toUnixMs } = options;
  if (!(Number.isFinite(fromUnixMs) && Number.isFinite(toUnixMs) && fromUnixMs < toUnixMs)) {
    throw new InvalidArgumentError(`the time range must have from < to, got ${fromUnixMs} .. ${toUnixMs}`, {
      field: 'from',
    });
  }
  const attachment = resolveAttachment(options.attachment);
  const maxRequestIds = options.maxRequestIdsPerWindow ?? DEFAULT_MAX_REQUEST_IDS_PER_WINDOW;
  const assembler = new WindowAssembler(attachment.window, detector.schema.names.length);
  const rowReader = new EventRowReader(attachment, detector.schema, detector.nonFinite);
  const unreadable: Record<string, number> = {};
  let eventsRead = 0;
  const scoreAsync = detector.scoreAsync !== undefined;
  const windowsInFlight = Math.max(1, options.windowsInFlight ?? DEFAULT_HISTORY_WINDOWS_IN_FLIGHT);
  // Windows being scored through scoreAsync, oldest first; yielded in this order.
  const inFlight: Promise<WindowResult<TResult>>[] = [];
  const windowOf = (closed: ReturnType<WindowAssembler['poll']>) =>
    closed.map((c) => ({
      type: 'window' as const,
      window: scoreWindow(detector, attachment.modelName, attachment.modelVersion ?? '', c, maxRequestIds),
    }));
  /** Scores `closed` (at most `keep` windows left in flight), yielding the windows done, in order. */
  async function* scored(
    closed: ReturnType<WindowAssembler['poll']>,
    keep: number,
  ): AsyncGenerator<HistoryItem<TResult>> {
    if (!scoreAsync) {
      yield* windowOf(closed);
      return;
    }
    for (const c of closed) {
      const scoring = scoreWindowAsync(
        detector,
        attachment.modelName,
        attachment.modelVersion ?? '',
        c,
        maxRequestIds,
      );
      // Awaited in order below; this keeps a rejection of a later window quiet until then.
      scoring.catch(() => undefined);
      inFlight.push(scoring);
      while (inFlight.length > keep) yield { type: 'window', window: await inFlight.shift()! };
    }
    while (inFlight.length > keep) yield { type: 'window', window: await inFlight.shift()! };
  }
  const pages = eventPages({
    reader,
    fromUnixMs,
    toUnixMs,
    modelName: attachment.modelName,
    ...(attachment.graph === undefined ? {} : { graph: attachment.graph }),
    ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
    ...(options.cancellation === undefined ? {} : { cancellation: options.cancellation }),
  });
  for await (const page of pages) {
    for (const event of page.events) {
      eventsRead++;
      if (!matchesAttachment(attachment, event)) continue;
      const read = rowReader.read(event);
      if (!read.ok) {
        unreadable[read.problem] = (unreadable[read.problem] ?? 0) + 1;
        continue;
      }
      yield* scored(
        assembler.add({
          values: read.values,
          rows: read.rows,
          timeMs: event.timeUnixMs,
          requestId: event.requestId,
          ...(read.typeViolations ? { typeViolations: read.typeViolations } : {}),
        }),
        windowsInFlight - 1,
      );
    }
    // A page's progress comes after every window its events closed, as without scoreAsync.
    yield* scored([], 0);
    yield {
      type: 'progress',
      progress: {
        eventsRead,
        estimatedTotal: page.last
          ? eventsRead
          : Math.max(eventsRead, Math.round(eventsRead / Math.max(page.fraction, 1e-9))),
        lastTimeMs: page.lastTimeMs,
        fraction: page.fraction,
        unreadable: { ...unreadable },
      },
    };
  }
  yield* scored(assembler.flush(toUnixMs), 0);
}
