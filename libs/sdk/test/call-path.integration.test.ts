/**
 * What every call carries and how it ends, seen by a real gRPC server on loopback that
 * records metadata: the bearer token, the caller's W3C trace context, headers, the
 * deadline (per call and the client's default), and cancellation.
 */

import { context, propagation, ROOT_CONTEXT, type SpanContext, TraceFlags, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  Sightline,
} from '../src/index.js';
import { COUNT_METHOD, type RecordingServer, startRecordingServer } from './helpers/recording-server.js';

let server: RecordingServer;

beforeAll(async () => {
  server = await startRecordingServer();
});

afterAll(async () => {
  await server?.stop();
  propagation.disable();
  context.disable();
});

const lastCall = () => server.calls.at(-1)!;

describe('metadata', () => {
  it('sends the bearer token and the caller headers, lower-cased', async () => {
    const sightline = new Sightline({ address: server.address, token: 's3cret' });
    try {
      await sightline.inference.serverLive({ headers: { 'X-Tenant': 'blue' } });
      expect(lastCall().metadata.authorization).toBe('Bearer s3cret');
      expect(lastCall().metadata['x-tenant']).toBe('blue');
    } finally {
      sightline.close();
    }
  });

  it('sends no authorization without a token, and no trace context without a propagator', async () => {
    const sightline = new Sightline({ address: server.address });
    try {
      await sightline.inference.serverLive();
      expect(lastCall().metadata.authorization).toBeUndefined();
      expect(lastCall().metadata.traceparent).toBeUndefined();
    } finally {
      sightline.close();
    }
  });

  it("sends the caller's active span as traceparent, on retries after awaits too", async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const span: SpanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    };
    const sightline = new Sightline({ address: server.address });
    try {
      await context.with(trace.setSpanContext(ROOT_CONTEXT, span), () =>
        sightline.inference.infer('echo', { x: [1] }),
      );
      expect(lastCall().metadata.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    } finally {
      sightline.close();
      propagation.disable();
      context.disable();
    }
  });

  it('refuses headers gRPC owns before sending anything', async () => {
    const sightline = new Sightline({ address: server.address });
    try {
      const before = server.calls.length;
      await expect(
        sightline.inference.serverLive({ headers: { 'grpc-timeout': '1S' } }),
      ).rejects.toBeInstanceOf(InvalidArgumentError);
      expect(server.calls.length).toBe(before);
    } finally {
      sightline.close();
    }
  });
});

describe('deadlines and cancellation', () => {
  it('sends the deadline to the server and fails a stalled call with DEADLINE_EXCEEDED', async () => {
    server.stalledModels.add('stall');
    const sightline = new Sightline({ address: server.address });
    try {
      const error = await sightline.inference
        .infer('stall', { x: [1] }, { deadlineMs: 300 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DeadlineExceededError);
      const { deadline, receivedAtMs } = lastCall();
      const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
      expect(Number.isFinite(deadlineMs)).toBe(true);
      // The budget left when the call arrived, rounded by grpc-timeout's units: at most the 300 ms sent.
      expect(deadlineMs - receivedAtMs).toBeLessThanOrEqual(301);
    } finally {
      sightline.close();
    }
  });

  it.each([0, -5, Number.NaN])(
    'refuses a per-call deadlineMs of %s before sending, as the constructor refuses it',
    async (deadlineMs) => {
      const sightline = new Sightline({ address: server.address });
      try {
        const before = server.calls.length;
        const error = await sightline.inference.infer('echo', { x: [1] }, { deadlineMs }).catch((e) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error).toMatchObject({ field: 'deadlineMs' });
        expect(error.message).toMatch(/^deadlineMs: must be a positive number of ms/);
        expect(server.calls.length).toBe(before);
      } finally {
        sightline.close();
      }
    },
  );

  it('sends no deadline when deadlineMs is Infinity, so the server applies its own budget', async () => {
    const sightline = new Sightline({ address: server.address, deadlineMs: Number.POSITIVE_INFINITY });
    try {
      await sightline.inference.infer('echo', { x: [1] });
      expect(lastCall().deadline).toBe(Number.POSITIVE_INFINITY);
    } finally {
      sightline.close();
    }
  });

  it("applies the client's default deadline to calls without their own", async () => {
    server.stalledModels.add('stall');
    const sightline = new Sightline({ address: server.address, deadlineMs: 300 });
    try {
      await expect(sightline.inference.infer('stall', { x: [1] })).rejects.toBeInstanceOf(
        DeadlineExceededError,
      );
    } finally {
      sightline.close();
    }
  });

  it('cancels a call when its signal aborts', async () => {
    server.stalledModels.add('stall');
    const sightline = new Sightline({ address: server.address });
    try {
      const controller = new AbortController();
      const call = sightline.inference.infer('stall', { x: [1] }, { signal: controller.signal });
      const received = server.calls.length;
      while (server.calls.length === received) await new Promise((resolve) => setTimeout(resolve, 10));
      controller.abort();
      await expect(call).rejects.toBeInstanceOf(CancelledError);
      await expect(sightline.inference.serverLive({ signal: controller.signal })).rejects.toBeInstanceOf(
        CancelledError,
      );
    } finally {
      sightline.close();
    }
  });
});

describe('server-streaming calls (the path events and traces clients take)', () => {
  it('yields every message with the call metadata, and maps a failure to the family', async () => {
    const sightline = new Sightline({ address: server.address, token: 't' });
    try {
      const seen: number[] = [];
      for await (const message of sightline.caller.serverStream(server.address, COUNT_METHOD, { count: 3 })) {
        seen.push(message.n);
      }
      expect(seen).toEqual([0, 1, 2]);
      expect(lastCall().metadata.authorization).toBe('Bearer t');

      const failing: number[] = [];
      const error = await (async () => {
        for await (const message of sightline.caller.serverStream(server.address, COUNT_METHOD, {
          count: 5,
          failAfter: 2,
        })) {
          failing.push(message.n);
        }
      })().catch((e: unknown) => e);
      expect(failing).toEqual([0, 1]);
      expect(error).toBeInstanceOf(FailedPreconditionError);
      expect((error as Error).message).toBe('count: failed as asked');
      expect((error as FailedPreconditionError).field).toBe('count');
    } finally {
      sightline.close();
    }
  });

  it('stops the stream when the caller stops iterating', async () => {
    const sightline = new Sightline({ address: server.address });
    try {
      const seen: number[] = [];
      for await (const message of sightline.caller.serverStream(server.address, COUNT_METHOD, {
        count: 1000,
      })) {
        seen.push(message.n);
        if (seen.length === 2) break;
      }
      expect(seen).toEqual([0, 1]);
    } finally {
      sightline.close();
    }
  });
});

describe('channels', () => {
  it('keeps one channel per address, shared by the sub-clients, and refuses calls after close', async () => {
    const sightline = new Sightline({ addresses: { router: server.address, modelServer: server.address } });
    await sightline.inference.serverLive();
    await sightline.inferenceAt(server.address).serverLive();
    await sightline.graphs.list().catch(() => undefined); // UNIMPLEMENTED here, on the same channel
    expect(sightline.openAddresses()).toEqual([server.address]);
    sightline.close();
    await expect(sightline.inference.serverLive()).rejects.toBeInstanceOf(FailedPreconditionError);
  });
});
