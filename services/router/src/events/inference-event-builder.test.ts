import type { DeferredInferenceEvent } from '@sightline/events';
import { describe, expect, it } from 'vitest';
import { RoutedTensor } from '../engine/routed-tensor.js';
import { RequestEventLog, type RequestRecord } from './inference-event-builder.js';

/** The FP32 values as raw little-endian bytes inside a larger message buffer, as grpc-js gives them. */
function rawFp32(values: readonly number[]): Buffer {
  const message = Buffer.alloc(values.length * 4 + 3);
  const raw = message.subarray(3);
  values.forEach((v, i) => {
    raw.writeFloatLE(v, i * 4);
  });
  return raw;
}

function record(overrides: Partial<RequestRecord> = {}): RequestRecord {
  return {
    requestId: 'req-1',
    timeUnixMs: 1_764_000_000_123,
    graph: 'iris-sequence',
    nodePath: ['pipeline', 'first'],
    modelName: 'iris',
    modelVersion: '1',
    inputs: [RoutedTensor.fromRaw('input', 'FP32', [1, 4], rawFp32([5.1, 3.5, 1.4, 0.2]))],
    outputs: [RoutedTensor.fromRaw('probabilities', 'FP32', [1, 3], rawFp32([0.9, 0.07, 0.03]))],
    requestParameters: { tenant: 'demo', rows: 1n },
    responseParameters: { 'sightline.path': 'pipeline,first' },
    totalMs: 1.5,
    modelMs: 0.5,
    nodeMs: { first: 0.7 },
    statusCode: 'OK',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    ...overrides,
  };
}

function capture(enabled?: boolean) {
  const queued: DeferredInferenceEvent[] = [];
  const errors: unknown[] = [];
  const log = new RequestEventLog(
    { ...(enabled === undefined ? {} : { enabled }), emitDeferred: (e) => queued.push(e) },
    'router',
    (error) => errors.push(error),
  );
  return { log, queued, errors };
}

describe('RequestEventLog', () => {
  it('queues nothing when events are off, and says so to callers', () => {
    const { log, queued } = capture(false);
    expect(log.enabled).toBe(false);
    log.record(record());
    expect(queued).toHaveLength(0);
  });

  it("records the model version's lineage as it is when the event is built, and none when empty", () => {
    const { log, queued } = capture();
    let lineage: Record<string, string> | undefined;
    log.record(record({ modelLineage: () => lineage }));
    log.record(record({ modelLineage: () => ({}) }));
    lineage = { 'lineage.code_revision': '4f2c9e1', source_uri: 's3://models/iris/1/' };
    expect(queued[0]!.build().modelLineage).toEqual(lineage);
    expect(queued[1]!.build()).not.toHaveProperty('modelLineage');
    expect(queued[0]!.build().modelVersion).toBe('1');
  });

  it('decodes nothing on the answer path: the record keeps the tensors as they arrived', () => {
    const { log, queued } = capture();
    const r = record();
    log.record(r);
    expect(queued).toHaveLength(1);
    expect(r.inputs[0]!.isDecoded).toBe(false);
    expect(r.outputs[0]!.isDecoded).toBe(false);
  });

  it('builds, when drained, an event that holds the exact request and response bytes', () => {
    const { log, queued } = capture();
    const r = record();
    log.record(r);
    const event = queued[0]!.build();
    expect(event).toMatchObject({
      requestId: 'req-1',
      timeUnixMs: 1_764_000_000_123,
      source: 'router',
      graph: 'iris-sequence',
      nodePath: ['pipeline', 'first'],
      requestParameters: { tenant: 'demo', rows: 1 },
      timings: { totalMs: 1.5, modelMs: 0.5, nodeMs: { first: 0.7 } },
      statusCode: 'OK',
      trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    });
    expect(event.eventId).toMatch(/^[0-9a-f-]{36}$/);
    const bytes = (t: { data: ArrayBufferView }) =>
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    expect(bytes(event.inputs[0] as never)).toEqual(Buffer.from(r.inputs[0]!.rawBytes()));
    expect(bytes(event.outputs[0] as never)).toEqual(Buffer.from(r.outputs[0]!.rawBytes()));
    expect(Array.from(event.inputs[0]!.data as Float32Array)).toEqual(
      Array.from(new Float32Array([5.1, 3.5, 1.4, 0.2])),
    );
  });

  it('leaves out tensors whose bytes do not decode, and keeps the rest of the event', () => {
    const { log, queued } = capture();
    log.record(
      record({
        inputs: [RoutedTensor.fromRaw('input', 'FP32', [1, 4], Buffer.alloc(5))],
        statusCode: 'INVALID_ARGUMENT',
        errorMessage: 'bad bytes',
      }),
    );
    const event = queued[0]!.build();
    expect(event.inputs).toEqual([]);
    expect(event).toMatchObject({ statusCode: 'INVALID_ARGUMENT', errorMessage: 'bad bytes' });
  });

  it('reports an emitter that throws instead of throwing', () => {
    const errors: unknown[] = [];
    const log = new RequestEventLog(
      {
        emitDeferred: () => {
          throw new Error('broken emitter');
        },
      },
      'router',
      (error) => errors.push(error),
    );
    expect(() => log.record(record())).not.toThrow();
    expect(errors).toHaveLength(1);
  });
});
