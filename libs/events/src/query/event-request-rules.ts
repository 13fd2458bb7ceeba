import { GRPC_STATUS_NAMES, InvalidArgumentError, quoteName } from '@sightline/errors';
import {
  DEFAULT_QUERY_LIMIT,
  DEFAULT_TAIL_LAST,
  EVENT_FILTER_TEXT_MAX_LENGTH,
  type EventHistoryLimits,
  type EventHistorySettingNames,
  settingHint,
} from './event-history-limits.js';
import type { EventFilter, EventOrder, EventQuery } from './event-query.js';

/**
 * A query as a caller sends it: absent or empty fields mean "no filter" or "the default".
 * Messages name fields as the EventService contract spells them (`to_time`, `model_name`),
 * because that is what the caller wrote.
 */
export interface EventQueryRequest extends EventFilter {
  /** 0 or absent: {@link DEFAULT_QUERY_LIMIT}. */
  readonly limit?: number;
  /** Absent: oldest first. */
  readonly order?: EventOrder;
}

/** A tail as a caller sends it. */
export interface EventTailRequest {
  /** 0 or absent: {@link DEFAULT_TAIL_LAST}. */
  readonly last?: number;
  readonly follow?: boolean;
  readonly graph?: string;
  readonly modelName?: string;
}

/** A checked tail request. */
export interface EventTail {
  readonly last: number;
  readonly follow: boolean;
  readonly filter: EventFilter;
}

const STATUS_NAMES: ReadonlySet<string> = new Set(GRPC_STATUS_NAMES);

function text(value: string | undefined, field: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > EVENT_FILTER_TEXT_MAX_LENGTH) {
    throw new InvalidArgumentError(
      `${field}: at most ${EVENT_FILTER_TEXT_MAX_LENGTH} characters; got ${value.length}`,
    );
  }
  return value;
}

function count(
  value: number | undefined,
  field: string,
  fallback: number,
  limits: EventHistoryLimits,
  names: EventHistorySettingNames,
): number {
  if (value === undefined || value === 0) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${field}: expected a whole number of events; got ${value}`);
  }
  if (value > limits.maxEventsPerQuery) {
    throw new InvalidArgumentError(
      `${field}: at most ${limits.maxEventsPerQuery} events${settingHint(names, 'maxEventsPerQuery')}; got ${value}`,
    );
  }
  return value;
}

/**
 * Checks a query and fills in its defaults.
 * @throws InvalidArgumentError naming the field and the rule it breaks.
 */
export function resolveEventQuery(
  request: EventQueryRequest,
  limits: EventHistoryLimits,
  names: EventHistorySettingNames = {},
): EventQuery {
  const { fromUnixMs, toUnixMs } = request;
  for (const [field, value] of [
    ['from_time', fromUnixMs],
    ['to_time', toUnixMs],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value)) {
      throw new InvalidArgumentError(`${field}: outside the range of times an event can have`);
    }
  }
  if (fromUnixMs !== undefined && toUnixMs !== undefined && toUnixMs < fromUnixMs) {
    throw new InvalidArgumentError(
      `to_time: must not be before from_time (${new Date(toUnixMs).toISOString()} < ${new Date(fromUnixMs).toISOString()})`,
    );
  }
  const statusCode = text(request.statusCode, 'status_code');
  if (statusCode !== undefined && !STATUS_NAMES.has(statusCode)) {
    throw new InvalidArgumentError(
      `status_code: ${quoteName(statusCode)} is no gRPC status code name; use one of ${GRPC_STATUS_NAMES.join(', ')}`,
    );
  }
  const filter: EventFilter = {
    ...(fromUnixMs !== undefined && { fromUnixMs }),
    ...(toUnixMs !== undefined && { toUnixMs }),
    ...optional('modelName', text(request.modelName, 'model_name')),
    ...optional('graph', text(request.graph, 'graph')),
    ...optional('requestId', text(request.requestId, 'request_id')),
    ...optional('statusCode', statusCode),
  };
  return {
    ...filter,
    limit: count(
      request.limit,
      'limit',
      Math.min(DEFAULT_QUERY_LIMIT, limits.maxEventsPerQuery),
      limits,
      names,
    ),
    order: request.order ?? 'oldest-first',
  };
}

/**
 * Checks a tail request and fills in its defaults.
 * @throws InvalidArgumentError naming the field and the rule it breaks.
 */
export function resolveEventTail(
  request: EventTailRequest,
  limits: EventHistoryLimits,
  names: EventHistorySettingNames = {},
): EventTail {
  return {
    last: count(request.last, 'last', Math.min(DEFAULT_TAIL_LAST, limits.maxEventsPerQuery), limits, names),
    follow: request.follow === true,
    filter: {
      ...optional('graph', text(request.graph, 'graph')),
      ...optional('modelName', text(request.modelName, 'model_name')),
    },
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
