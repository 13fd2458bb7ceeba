/**
 * Background rows from stored events: the explainer reads the events' request tensors
 * through an EventService (here a recording one over real gRPC, serving the router's
 * QueryEvents contract from a list) and explains with them as with rows given.
 */
import { eventsV1, explainerV1 } from '@sightline/contracts';
import type { ModelServerHandle } from '@sightline/model-server';
import { createTensor, encodeInferInputs, type Tensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainerHandle } from '../src/explainer.js';
import { startEventService } from './helpers/event-service.js';
import {
  explainerClient,
  IRIS_BACKGROUND,
  irisInstances,
  startTestExplainer,
  startTestModelServer,
} from './helpers/explainer-stack.js';

const T0 = Date.UTC(2026, 11, 1);

/** Stored iris events, one row each, a second apart; one of another shape (skipped). */
function storedEvents(): eventsV1.InferenceEvent[] {
  const event = (i: number, tensor: Tensor): eventsV1.InferenceEvent =>
    eventsV1.InferenceEvent.fromPartial({
      eventId: `e${i}`,
      requestId: `r${i}`,
      time: new Date(T0 + i * 1000),
      modelName: 'iris',
      modelVersion: '1',
      inputs: encodeInferInputs([tensor], 'typed').inputs,
      statusCode: 'OK',
    });
  const rows = IRIS_BACKGROUND.map((row, i) =>
    event(i, createTensor('input', 'FP32', [1, 4], Float32Array.from(row))),
  );
  return [...rows, event(99, createTensor('input', 'FP32', [1, 2], Float32Array.from([1, 2])))];
}

describe('background from stored events', () => {
  const queries: eventsV1.QueryEventsRequest[] = [];
  let events: Awaited<ReturnType<typeof startEventService>>;
  let modelServer: ModelServerHandle;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;
  const base = {
    target: { modelName: 'iris' },
    instances: irisInstances([[5.0, 3.4, 1.5, 0.2]]),
    kernelShap: { nSamples: 1 },
  };

  beforeAll(async () => {
    events = await startEventService(storedEvents(), queries);
    modelServer = await startTestModelServer();
    explainer = await startTestExplainer(modelServer.grpcAddress, { router: events.address });
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    await modelServer?.shutdown('test over');
    await events?.stop();
  });

  it('reads the range newest first and explains as with the same rows given', async () => {
    const fromEvents = await client.explain({
      ...base,
      background: {
        events: { range: { startTime: new Date(T0), endTime: new Date(T0 + 3_600_000) } },
        reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE,
      },
    });
    expect(queries.at(-1)).toMatchObject({
      modelName: 'iris',
      order: eventsV1.EventOrder.EVENT_ORDER_NEWEST_FIRST,
    });
    // The event of another shape is skipped.
    expect(fromEvents.meta?.backgroundRows).toBe(IRIS_BACKGROUND.length);
    const given = await client.explain({
      ...base,
      background: {
        rows: { tensors: irisInstances([...IRIS_BACKGROUND].reverse()) },
        reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE,
      },
    });
    expect(fromEvents.usage?.inputHash).toBe(given.usage?.inputHash);
    expect(fromEvents.explanations).toEqual(given.explanations);
  });

  it.each([
    [
      { events: { range: { startTime: new Date(T0 - 10_000), endTime: new Date(T0 - 5_000) } } },
      /none of the 0 events read/,
    ],
    [{ events: {} }, 'background.events.range: required (rule "background.events.range_set")'],
    [
      { events: { range: { startTime: new Date(T0) }, selector: { modelName: 'iris', tensors: ['other'] } } },
      /\(rule "background.events.tensors"\)/,
    ],
    [
      { events: { range: { startTime: new Date(T0) }, maxEvents: 100_001 } },
      'background.events.max_events: must be between 1 and 100000',
    ],
  ])('refuses %o', async (background, message) => {
    const error = (await client
      .explain({ ...base, background })
      .catch((e: { code: number; details: string }) => e)) as {
      code: number;
      details: string;
    };
    expect(error.code).toBe(3);
    expect(error.details).toMatch(message);
  });
});
