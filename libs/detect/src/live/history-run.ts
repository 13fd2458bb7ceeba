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
  /** Events that matched the attachment and were read into windows. */
  readonly eventsMatched: number;
}

/** One item of a run: a scored window or a progress report (one per page). */
export type HistoryItem<TResult> =
  | {
      readonly type: 'window';
      readonly window: WindowResult<TResult>;
      /**
       * The run's progress when this window closed (the event that closed it read), so a
       * window's report is never behind the window itself, as the last page's would be.
       */
      readonly progress: HistoryProgress;
    }
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
  const assembler = new WindowAssembler(attachment.window, detector.schema.names.length, {
    kinds: detector.schema.kinds,
  });
  const rowReader = new EventRowReader(attachment, detector.schema, detector.nonFinite);
  const unreadable: Record<string, number> = {};
  let eventsRead = 0;
  let eventsMatched = 0;
  // The estimate as of the last page (it moves per page) and that page's position.
  let estimatedTotal = 0;
  let pageTimeMs = fromUnixMs;
  const progressAt = (lastTimeMs: number): HistoryProgress => ({
    eventsRead,
    estimatedTotal: Math.max(estimatedTotal, eventsRead),
    lastTimeMs,
    fraction: Math.min(1, Math.max(0, (lastTimeMs - fromUnixMs) / (toUnixMs - fromUnixMs))),
    unreadable: { ...unreadable },
    eventsMatched,
  });
  const scoreAsync = detector.scoreAsync !== undefined;
  const windowsInFlight = Math.max(1, options.windowsInFlight ?? DEFAULT_HISTORY_WINDOWS_IN_FLIGHT);
  // Windows being scored through scoreAsync, oldest first, each with the scan's progress when
  // it closed; yielded in this order.
  const inFlight: { readonly window: Promise<WindowResult<TResult>>; readonly progress: HistoryProgress }[] =
    [];
  /** Scores `closed` (at most `keep` windows left in flight), yielding the windows done, in order. */
  async function* scored(
    closed: ReturnType<WindowAssembler['poll']>,
    atMs: number,
    keep: number,
  ): AsyncGenerator<HistoryItem<TResult>> {
    for (const c of closed) {
      const progress = progressAt(atMs);
      if (!scoreAsync) {
        yield {
          type: 'window',
          window: scoreWindow(
            detector,
            attachment.modelName,
            attachment.modelVersion ?? '',
            c,
            maxRequestIds,
          ),
          progress,
        };
        continue;
      }
      const scoring = scoreWindowAsync(
        detector,
        attachment.modelName,
        attachment.modelVersion ?? '',
        c,
        maxRequestIds,
      );
      // Awaited in order below; this keeps a rejection of a later window quiet until then.
      scoring.catch(() => undefined);
      inFlight.push({ window: scoring, progress });
      while (inFlight.length > keep) {
        const done = inFlight.shift()!;
        yield { type: 'window', window: await done.window, progress: done.progress };
      }
    }
    while (inFlight.length > keep) {
      const done = inFlight.shift()!;
      yield { type: 'window', window: await done.window, progress: done.progress };
    }
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
      eventsMatched++;
      yield* scored(
        assembler.add({
          values: read.values,
          rows: read.rows,
          timeMs: event.timeUnixMs,
          requestId: event.requestId,
          ...(read.typeViolations ? { typeViolations: read.typeViolations } : {}),
        }),
        event.timeUnixMs,
        windowsInFlight - 1,
      );
    }
    // A page's progress comes after every window its events closed, as without scoreAsync.
    yield* scored([], 0, 0);
    estimatedTotal = page.last
      ? eventsRead
      : Math.max(eventsRead, Math.round(eventsRead / Math.max(page.fraction, 1e-9)));
    pageTimeMs = page.lastTimeMs;
    yield { type: 'progress', progress: { ...progressAt(page.lastTimeMs), fraction: page.fraction } };
  }
  yield* scored(assembler.flush(toUnixMs), pageTimeMs, 0);
}
