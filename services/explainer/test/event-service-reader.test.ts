/**
 * The EventServiceReader pages through QueryEvents newest first: events sharing a
 * millisecond across a page boundary are each visited once (global explanations count every
 * matching event), the version filter applies, and maxEvents bounds the visit.
 */
import { eventsV1 } from '@sightline/contracts';
import { CancellationSource } from '@sightline/errors';
import { createTensor, encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventServiceReader } from '../src/upstream/event-service-reader.js';
import { startEventService } from './helpers/event-service.js';

const T0 = Date.UTC(2026, 11, 1);

/** 23 events over 6 milliseconds (4 per ms, 3 in the last), versions alternating. */
const EVENTS = Array.from({ length: 23 }, (_, i) =>
  eventsV1.InferenceEvent.fromPartial({
    eventId: `e${String(i).padStart(2, '0')}`,
    time: new Date(T0 + Math.floor(i / 4)),
    modelName: 'm',
    modelVersion: i % 2 === 0 ? '1' : '2',
    inputs: encodeInferInputs([createTensor('x', 'FP32', [1, 1], Float32Array.of(i))], 'typed').inputs,
    statusCode: 'OK',
  }),
);

describe('EventServiceReader', () => {
  const queries: eventsV1.QueryEventsRequest[] = [];
  let service: Awaited<ReturnType<typeof startEventService>>;
  let reader: EventServiceReader;
  const scan = async (maxEvents: number, modelVersion = '') => {
    const seen: string[] = [];
    const count = await reader.scan(
      { modelName: 'm', modelVersion, graph: '', fromUnixMs: T0, toUnixMs: T0 + 60_000, maxEvents },
      { deadlineMs: Date.now() + 10_000, cancellation: new CancellationSource() },
      (event) => {
        expect(event.modelName).toBe('m');
        expect(event.inputs[0]!.name).toBe('x');
        seen.push(event.eventId);
      },
    );
    expect(count).toBe(seen.length);
    return seen;
  };

  beforeAll(async () => {
    service = await startEventService(EVENTS, queries);
    // Pages of 5 over 4 events a millisecond: most page boundaries fall inside a millisecond.
    reader = new EventServiceReader(service.address, 4 * 1024 * 1024, 5);
  });
  afterAll(async () => {
    reader?.close();
    await service?.stop();
  });

  it('visits every event once, newest first, across pages that split a millisecond', async () => {
    const newestFirst = EVENTS.map((e) => e.eventId).reverse();
    expect(await scan(1_000)).toEqual(newestFirst);
    expect(queries.length).toBeGreaterThan(23 / 5);
  });

  it('keeps one version and stops at maxEvents', async () => {
    expect(await scan(1_000, '2')).toEqual(
      EVENTS.filter((e) => e.modelVersion === '2')
        .map((e) => e.eventId)
        .reverse(),
    );
    expect(await scan(5)).toEqual(
      EVENTS.map((e) => e.eventId)
        .reverse()
        .slice(0, 5),
    );
  });
});
