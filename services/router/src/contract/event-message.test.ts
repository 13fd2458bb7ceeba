import { eventsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { sampleEvent } from '@sightline/events/testing';
import { describe, expect, it } from 'vitest';
import { eventToMessage, queryFromMessage, tailItemToMessage } from './event-message.js';

describe('EventService messages', () => {
  it('reads a QueryEventsRequest: times in ms, each order, unset times absent', () => {
    const from = new Date('2026-12-03T12:00:00.000Z');
    expect(
      queryFromMessage(
        eventsV1.QueryEventsRequest.fromPartial({
          fromTime: from,
          modelName: 'iris',
          limit: 5,
          order: eventsV1.EventOrder.EVENT_ORDER_NEWEST_FIRST,
        }),
      ),
    ).toEqual({
      fromUnixMs: from.getTime(),
      modelName: 'iris',
      graph: '',
      requestId: '',
      statusCode: '',
      limit: 5,
      order: 'newest-first',
    });
    for (const order of [
      eventsV1.EventOrder.EVENT_ORDER_UNSPECIFIED,
      eventsV1.EventOrder.EVENT_ORDER_OLDEST_FIRST,
    ]) {
      expect(queryFromMessage(eventsV1.QueryEventsRequest.fromPartial({ order })).order).toBe('oldest-first');
    }
    expect(() =>
      queryFromMessage(eventsV1.QueryEventsRequest.fromPartial({ order: 3 as eventsV1.EventOrder })),
    ).toThrow(
      new InvalidArgumentError(
        'order: 3 is no EventOrder value; use EVENT_ORDER_OLDEST_FIRST (1) or EVENT_ORDER_NEWEST_FIRST (2)',
      ),
    );
  });

  it('writes an event with typed contents that survives the wire', () => {
    const event = sampleEvent(3, { errorMessage: 'x', modelLineage: { 'lineage.license': 'MIT' } });
    const message = eventsV1.InferenceEvent.decode(
      eventsV1.InferenceEvent.encode(eventToMessage(event)).finish(),
    );
    expect(message).toMatchObject({
      eventId: event.eventId,
      requestId: event.requestId,
      time: new Date(event.timeUnixMs),
      graph: 'iris',
      nodePath: ['root', 'iris-model'],
      modelName: 'iris',
      modelVersion: '1',
      statusCode: 'OK',
      errorMessage: 'x',
      timings: { totalMs: 1.25, modelMs: 0.4, nodeMs: { 'iris-model': 0.9 } },
      trace: event.trace,
      requestParameters: { tenant: { stringParam: 'demo' } },
      modelLineage: { 'lineage.license': 'MIT' },
    });
    expect(message.inputs[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [1n, 4n] });
    expect(message.inputs[0]!.contents!.fp32Contents).toEqual([...(event.inputs[0]!.data as Float32Array)]);
    expect(message.outputs[0]!.contents!.int64Contents).toEqual([0n]); // 3 % 3
  });

  it('sends FP16 tensors with their shape and no contents (no typed field holds them)', () => {
    const event = sampleEvent(1, {
      outputs: [{ name: 'h', datatype: 'FP16', shape: [2], data: new Uint16Array([0x3c00, 0x4000]) }],
    });
    const [output] = eventToMessage(event).outputs;
    expect(output).toEqual({ name: 'h', datatype: 'FP16', shape: [2n], parameters: {} });
  });

  it('writes the caught-up marker', () => {
    expect(tailItemToMessage({ kind: 'caught-up', storedEvents: 4 })).toEqual({
      caughtUp: { storedEvents: 4 },
    });
  });
});
