/**
 * The bounds of event reads (queries and tails), with their defaults. Each is a setting of
 * the process that serves the reads (the router's flags); `settingNames` lets messages
 * name that setting, so a caller who hits a limit learns what sets it.
 */

/** Events a query answers when it asks for no particular number. */
export const DEFAULT_QUERY_LIMIT = 100;
/** Events a tail sends from the store when it asks for no particular number. */
export const DEFAULT_TAIL_LAST = 10;
/** Default most events one query (or one tail's stored part) may ask for. */
export const DEFAULT_MAX_EVENTS_PER_QUERY = 1000;
/**
 * Default most stored events one query may read before it is refused: a query whose
 * filters match few events in a long range would otherwise read the whole history.
 */
export const DEFAULT_MAX_EVENTS_SCANNED_PER_QUERY = 1_000_000;
/** Default most queries read at once (each reads and parses stored events on the host's CPU). */
export const DEFAULT_MAX_EVENT_QUERIES = 4;
/** Default most tails open at once. */
export const DEFAULT_MAX_EVENT_TAILS = 16;
/** Default most events waiting to be sent to one following tail before it is ended. */
export const DEFAULT_EVENT_TAIL_BUFFER = 1000;
/** Longest text filter (model, graph, request id, status), in characters. */
export const EVENT_FILTER_TEXT_MAX_LENGTH = 1024;

/** The bounds, resolved. */
export interface EventHistoryLimits {
  /** Most events one query, or the stored part of one tail, may ask for. */
  readonly maxEventsPerQuery: number;
  /** Most stored events one query may read. */
  readonly maxEventsScannedPerQuery: number;
  /** Most queries (and tails' stored parts) read at once; more are RESOURCE_EXHAUSTED. */
  readonly maxConcurrentQueries: number;
  /** Most tails open at once; more are RESOURCE_EXHAUSTED. */
  readonly maxTails: number;
  /** Most events waiting for one following tail; past it the tail is ended. */
  readonly tailBufferEvents: number;
}

/** Names of the settings behind each limit, quoted in messages (e.g. `--max-event-tails`). */
export type EventHistorySettingNames = Partial<Record<keyof EventHistoryLimits, string>>;

/** Fills in the defaults. */
export function resolveEventHistoryLimits(limits: Partial<EventHistoryLimits> = {}): EventHistoryLimits {
  const resolved: EventHistoryLimits = {
    maxEventsPerQuery: limits.maxEventsPerQuery ?? DEFAULT_MAX_EVENTS_PER_QUERY,
    maxEventsScannedPerQuery: limits.maxEventsScannedPerQuery ?? DEFAULT_MAX_EVENTS_SCANNED_PER_QUERY,
    maxConcurrentQueries: limits.maxConcurrentQueries ?? DEFAULT_MAX_EVENT_QUERIES,
    maxTails: limits.maxTails ?? DEFAULT_MAX_EVENT_TAILS,
    tailBufferEvents: limits.tailBufferEvents ?? DEFAULT_EVENT_TAIL_BUFFER,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name}: expected a positive integer`);
  }
  return Object.freeze(resolved);
}

/** ` (set by --flag)` when the limit's setting has a name, else nothing. */
export function settingHint(names: EventHistorySettingNames, limit: keyof EventHistoryLimits): string {
  const name = names[limit];
  return name ? ` (set by ${name})` : '';
}
