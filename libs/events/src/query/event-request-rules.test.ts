import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { resolveEventHistoryLimits } from './event-history-limits.js';
import { resolveEventQuery, resolveEventTail } from './event-request-rules.js';

const limits = resolveEventHistoryLimits({ maxEventsPerQuery: 500 });
const names = { maxEventsPerQuery: '--max-events-per-query' };
const T = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('resolveEventQuery', () => {
  it('fills in the defaults and drops empty filters', () => {
    expect(
      resolveEventQuery({ modelName: '', graph: '', requestId: '', statusCode: '', limit: 0 }, limits),
    ).toEqual({
      limit: 100,
      order: 'oldest-first',
    });
    expect(
      resolveEventQuery({ fromUnixMs: T, toUnixMs: T, modelName: 'iris', order: 'newest-first' }, limits),
    ).toEqual({
      fromUnixMs: T,
      toUnixMs: T,
      modelName: 'iris',
      limit: 100,
      order: 'newest-first',
    });
    // A maximum below the default lowers the default.
    expect(resolveEventQuery({}, resolveEventHistoryLimits({ maxEventsPerQuery: 20 })).limit).toBe(20);
  });

  it.each([
    [
      'to before from',
      { fromUnixMs: T, toUnixMs: T - 1 },
      'to_time: must not be before from_time (2026-12-03T11:59:59.999Z < 2026-12-03T12:00:00.000Z)',
    ],
    [
      'an invalid from',
      { fromUnixMs: Number.NaN },
      'from_time: outside the range of times an event can have',
    ],
    ['an invalid to', { toUnixMs: Number.NaN }, 'to_time: outside the range of times an event can have'],
    [
      'limit over the maximum',
      { limit: 501 },
      'limit: at most 500 events (set by --max-events-per-query); got 501',
    ],
    ['a fractional limit', { limit: 1.5 }, 'limit: expected a whole number of events; got 1.5'],
    ['a negative limit', { limit: -1 }, 'limit: expected a whole number of events; got -1'],
    [
      'an unknown status',
      { statusCode: 'ok' },
      'status_code: "ok" is no gRPC status code name; use one of OK, CANCELLED, UNKNOWN, INVALID_ARGUMENT, DEADLINE_EXCEEDED, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, RESOURCE_EXHAUSTED, FAILED_PRECONDITION, ABORTED, OUT_OF_RANGE, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS, UNAUTHENTICATED',
    ],
    ['a long model name', { modelName: 'm'.repeat(1025) }, 'model_name: at most 1024 characters; got 1025'],
    ['a long graph', { graph: 'g'.repeat(2000) }, 'graph: at most 1024 characters; got 2000'],
    ['a long request id', { requestId: 'r'.repeat(1025) }, 'request_id: at most 1024 characters; got 1025'],
  ])('refuses %s with INVALID_ARGUMENT naming the field and the rule', (_, request, message) => {
    let error: unknown;
    try {
      resolveEventQuery(request, limits, names);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe(message);
  });
});

describe('resolveEventTail', () => {
  it('fills in the defaults', () => {
    expect(resolveEventTail({}, limits)).toEqual({ last: 10, follow: false, filter: {} });
    expect(resolveEventTail({ last: 3, follow: true, graph: 'iris', modelName: '' }, limits)).toEqual({
      last: 3,
      follow: true,
      filter: { graph: 'iris' },
    });
  });

  it('refuses a `last` over the maximum naming the setting', () => {
    expect(() => resolveEventTail({ last: 1000 }, limits, names)).toThrow(
      new InvalidArgumentError('last: at most 500 events (set by --max-events-per-query); got 1000'),
    );
  });
});
